// Analyzer throughput against plain mailparser on the same corpus, in a process
// of its own so neither the bench's servers nor its heap colour the figures.
// Prints one JSON object on stdout. Usage: node bench/analyzer.mjs [--round-ms N] [--rounds N]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import { analyzerSettings, createAnalyzer } from '../dist/analysis/index.js';
import { loadConfig } from '../dist/config/loadConfig.js';
import { loadFixtures, RELAY } from './lib/corpus.mjs';

const { values } = parseArgs({
  options: { 'round-ms': { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } },
});
const roundMs = Number(values['round-ms']);
const rounds = Number(values.rounds);

const corpus = loadFixtures().map((f) => f.raw);
const config = loadConfig({ env: { CDAP_RELAY_SENDERS: RELAY } });
const settings = analyzerSettings(config);
const analyze = createAnalyzer(settings);
const receivedAt = new Date();

// The service runs the analyzer in worker threads when analysis.isolate is set:
// that hop (copy, post, thread wake-up) is part of what our work costs per mail.
const isolation = config.analysis?.isolate
  ? await import('../dist/analysis/isolatedAnalyzer.js').catch(() => null)
  : null;
const isolationOptions = (threads) => ({
  threads,
  hardTimeLimitMs: config.analysis.hardTimeLimitMs,
  maxHeapMb: config.analysis.workerMaxHeapMb,
});
const oneThread = isolation?.createIsolatedAnalyzer(settings, isolationOptions(1)) ?? null;

const contenders = {
  simpleParser: (raw) => simpleParser(raw),
  analyzer: (raw) => analyze(raw, { receivedAt }),
  ...(oneThread ? { isolatedAnalyzer: (raw) => oneThread.analyze(raw, { receivedAt }) } : {}),
};
// The target is about what our own work costs on top of parsing ("our lint must
// cost less than a third of the parse"): the analyzer itself, one mail at a
// time, like simpleParser. The worker-thread hop is reported beside it; its
// cost on the whole pipeline is what the backlog measure judges.
const decisive = 'analyzer';

/** Whole passes over the corpus until ms is spent, so every mail kind weighs the same each round. */
async function measure(fn, mails, ms, inFlight = 1) {
  let count = 0;
  const start = performance.now();
  do {
    let next = 0;
    const lane = async () => {
      while (next < mails.length) await fn(mails[next++]);
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    count += mails.length;
  } while (performance.now() - start < ms);
  return count / ((performance.now() - start) / 1000);
}

/** One kind per mail, the first that applies: attachments, HTML only, multipart, plain text. */
async function kindOf(raw) {
  const parsed = await simpleParser(raw);
  const type = String(parsed.headers.get('content-type')?.value ?? 'text/plain');
  if (parsed.attachments.some((a) => a.contentDisposition !== 'inline' || !a.related))
    return 'withAttachments';
  if (!parsed.text?.trim() && parsed.html) return 'htmlOnly';
  if (type.startsWith('multipart/')) return 'multipart';
  return 'plainText';
}

const byKind = {};
for (const raw of corpus) {
  const kind = await kindOf(raw);
  byKind[kind] ??= [];
  byKind[kind].push(raw);
}

// Warm-up: JIT, mailparser's lazy charset tables, the worker thread's start, outside the timed rounds.
for (const fn of Object.values(contenders)) await measure(fn, corpus, Math.min(roundMs, 1000));

const names = Object.keys(contenders);
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  // Rotate who goes first: a drifting machine (turbo, a neighbour) then hurts all alike.
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const name of order) samples[name].push(await measure(contenders[name], corpus, roundMs));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratioOf = (name) => median(samples[name].map((x, i) => x / samples.simpleParser[i]));

// Per kind, shorter and single rounds: for reading where the cost sits, not for deciding.
const kinds = {};
for (const [kind, mails] of Object.entries(byKind)) {
  const sp = await measure(contenders.simpleParser, mails, roundMs / 2);
  const an = await measure(contenders.analyzer, mails, roundMs / 2);
  kinds[kind] = { mails: mails.length, simpleParserPerSec: sp, analyzerPerSec: an, ratio: an / sp };
}

// The pool as the service sizes it, with triage's concurrency in flight: what the
// analysis stage can give a process using every core, for reading beside the backlog.
let pool = null;
if (isolation) {
  // Sized as service.ts does: analysis.threads where the configuration has it.
  const threads = Math.max(
    1,
    Math.min(config.analysis.threads ?? config.triage.concurrency, availableParallelism()),
  );
  const service = isolation.createIsolatedAnalyzer(settings, isolationOptions(threads));
  const run = (raw) => service.analyze(raw, { receivedAt });
  await measure(run, corpus, Math.min(roundMs, 1000), config.triage.concurrency);
  pool = {
    threads,
    inFlight: config.triage.concurrency,
    perSec: await measure(run, corpus, roundMs, config.triage.concurrency),
  };
  await service.close();
}
await oneThread?.close();

process.stdout.write(
  `${JSON.stringify({
    corpus: { mails: corpus.length, bytes: corpus.reduce((n, raw) => n + raw.length, 0) },
    roundMs,
    rounds,
    isolated: Boolean(oneThread),
    decisive,
    simpleParserPerSec: median(samples.simpleParser),
    analyzerPerSec: median(samples.analyzer),
    isolatedAnalyzerPerSec: oneThread ? median(samples.isolatedAnalyzer) : null,
    analyzerRatio: ratioOf('analyzer'),
    isolatedRatio: oneThread ? ratioOf('isolatedAnalyzer') : null,
    ratio: ratioOf(decisive),
    pool,
    samples,
    kinds,
  })}\n`,
);
