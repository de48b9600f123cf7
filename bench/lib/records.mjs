// The records measure (issue 13): a two-year history of cases seeded as
// cdap-triage 0.1 kept it in Redis, imported twice with `cdap-triage
// migrate-from-redis` (the second run must add nothing), then the dashboard's
// lists, indicators, metrics and case page timed with the service running on
// that database. Its database is its own, created on the shared PostgreSQL and
// dropped at the end; Redis is the bench's private one.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { freePort } from '../../tests/support/harness/ports.mjs';
import { seed01, synthetic01Stream } from '../../tests/support/harness/redis01.mjs';
import { root } from './paths.mjs';
import { createBenchDatabase, serviceSetup, startService, waitUntil } from './servers.mjs';
import { summary } from './stats.mjs';

const DAY = 86_400_000;
const SCHEMA = 'cdap';

function runMigration(env) {
  return new Promise((resolve) => {
    const started = performance.now();
    execFile(
      process.execPath,
      [join(root, 'bin', 'cdap-triage.js'), 'migrate-from-redis'],
      { cwd: root, env, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({
          code: err ? (err.code ?? 1) : 0,
          seconds: (performance.now() - started) / 1000,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** Row counts of what the migration writes, and whether any case or mail place is there twice. */
async function tableCounts(client) {
  const counts = {};
  for (const t of ['cases', 'case_mails', 'case_contents', 'follow_ups', 'located_mails', 'filing_intents']) {
    counts[t] = (await client.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.${t}`)).rows[0].n;
  }
  const dup = await client.query(`SELECT
      count(*)::int - count(DISTINCT (mailbox_id, uid_validity, uid))::int AS same_mail,
      count(*)::int - count(DISTINCT content_hash)::int AS same_bytes
    FROM ${SCHEMA}.cases`);
  return { counts, duplicates: dup.rows[0] };
}

async function timeRequests(baseUrl, auth, paths, { requests, warmup, budgetMs }) {
  const get = async (path) => {
    const t = performance.now();
    const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: auth }, redirect: 'manual' });
    const body = await res.arrayBuffer();
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    return { ms, bytes: body.byteLength };
  };
  for (let i = 0; i < warmup; i++) await get(paths(i));
  const times = [];
  let bytes = 0;
  const deadline = Date.now() + budgetMs;
  for (let i = 0; i < requests; i++) {
    const r = await get(paths(warmup + i));
    times.push(r.ms);
    bytes = r.bytes;
    // A page that takes seconds (before the SQL indicators) would hold the bench for minutes.
    if (Date.now() > deadline && times.length >= 5) break;
  }
  return { ...summary(times), bytes };
}

export async function measureRecords(ctx, { cases, requests, warmup, budgetMs = 60_000 }) {
  const prefix = `records-${ctx.runId}`;
  const loadAtStart = loadavg()[0];
  const db = await createBenchDatabase(ctx.cleanup);
  const now = new Date();
  const from = new Date(now.getTime() - 730 * DAY);

  ctx.log(`bench: records: seeding ${cases} cases over two years in a 0.1-format Redis`);
  let t = performance.now();
  const seeded = await seed01(
    ctx.redis,
    prefix,
    synthetic01Stream({ count: cases, from, to: now, seed: 2026 }),
    {
      epoch: new Date(from.getTime() - DAY),
      pendingFilings: 0,
    },
  );
  const seedSeconds = (performance.now() - t) / 1000;

  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(CDAP_|IMAP_|SMTP_|HTTP_|DATABASE_|REDIS_URL$|QUEUE_PREFIX$|LOG_LEVEL$|CONFIG_FILE$)/.test(k),
    ),
  );
  const env = {
    ...base,
    CI: 'true',
    REDIS_URL: ctx.redisUrl,
    QUEUE_PREFIX: prefix,
    DATABASE_URL: db.url,
    DATABASE_SCHEMA: SCHEMA,
    LOG_LEVEL: 'warn',
  };
  ctx.log('bench: records: migrate-from-redis, first run');
  const first = await runMigration(env);
  if (first.code !== 0)
    throw new Error(`migrate-from-redis exited with ${first.code}: ${first.stderr}${first.stdout}`);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let afterFirst;
  let afterSecond;
  let sampleRefs;
  let previousYear;
  try {
    afterFirst = await tableCounts(client);
    ctx.log('bench: records: migrate-from-redis, second run');
    const second = await runMigration(env);
    if (second.code !== 0)
      throw new Error(`second migrate-from-redis exited with ${second.code}: ${second.stderr}`);
    afterSecond = await tableCounts(client);
    afterSecond.seconds = second.seconds;
    sampleRefs = (
      await client.query(`SELECT ref FROM ${SCHEMA}.cases ORDER BY md5(ref) LIMIT ${requests + warmup}`)
    ).rows.map((r) => r.ref);
    previousYear = now.getUTCFullYear() - 1;
    afterFirst.open = (
      await client.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.cases WHERE status = 'open'`)
    ).rows[0].n;
    afterFirst.previousYearCases = (
      await client.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.cases WHERE year = $1`, [previousYear])
    ).rows[0].n;
    afterFirst.currentYearCases = (
      await client.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.cases WHERE year = $1`, [previousYear + 1])
    ).rows[0].n;
  } finally {
    await client.end();
  }
  const imported = afterFirst.counts.cases === seeded.count;
  const twiceWithoutDuplicates =
    imported &&
    JSON.stringify(afterSecond.counts) === JSON.stringify(afterFirst.counts) &&
    afterSecond.duplicates.same_mail === 0 &&
    afterSecond.duplicates.same_bytes === 0;

  // The dashboard alone: no intake, no workers; what is timed is the web's reading of the records.
  const port = await freePort();
  const user = 'bench';
  const password = randomBytes(12).toString('hex');
  const setup = await serviceSetup({
    workDir: ctx.workDir,
    name: 'records',
    redisUrl: ctx.redisUrl,
    prefix,
    imap: { host: '127.0.0.1', port: 9, user: 'unused', password: 'unused' },
    smtp: ctx.sink ?? { host: '127.0.0.1', port: 9 },
    config: { http: { host: '127.0.0.1', port } },
    overrides: ctx.configOverrides,
    env: {
      ...ctx.serviceEnv,
      DATABASE_URL: db.url,
      DATABASE_SCHEMA: SCHEMA,
      HTTP_USER: user,
      HTTP_PASSWORD: password,
    },
  });
  const service = startService(ctx.cleanup, {
    setup,
    logFile: `${ctx.workDir}/service-records.log`,
    cpuProfDir: ctx.cpuProfDir,
    label: 'records',
    command: 'web',
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  t = performance.now();
  await waitUntil('the dashboard', 60_000, async () => {
    if (service.exit) throw Object.assign(new Error(service.describeExit()), { fatal: true });
    const r = await fetch(`${baseUrl}/healthz`);
    return r.ok;
  });
  const startSeconds = (performance.now() - t) / 1000;
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const opts = { requests, warmup, budgetMs };
  const endpoints = {};
  const measure = async (key, paths) => {
    ctx.log(`bench: records: ${key}`);
    endpoints[key] = await timeRequests(baseUrl, auth, paths, opts);
  };
  try {
    await measure('/cases', () => '/cases');
    await measure('/api/cases?limit=100', () => '/api/cases?limit=100');
    await measure('/stats?period=year', () => '/stats?period=year');
    await measure(`/api/stats?year=${previousYear}`, () => `/api/stats?year=${previousYear}`);
    await measure('/metrics', () => '/metrics');
    await measure('/cases/<ref>', (i) => `/cases/${sampleRefs[i % sampleRefs.length]}`);
  } finally {
    const rss = await service.stop();
    endpoints.peakRssMB = rss?.hwmMB ?? null;
  }
  const loadAtEnd = loadavg()[0];
  return {
    // Above the core count, other work shared the cores: every figure is inflated.
    load: { cores: cpus().length, atStart: loadAtStart, atEnd: loadAtEnd },
    cases: seeded.count,
    spanDays: 730,
    openCases: afterFirst.open,
    casesPreviousYear: afterFirst.previousYearCases,
    casesCurrentYear: afterFirst.currentYearCases,
    seedSeconds,
    migrate: {
      firstSeconds: first.seconds,
      secondSeconds: afterSecond.seconds,
      rows: afterFirst.counts,
      rowsAfterSecondRun: afterSecond.counts,
      duplicates: afterSecond.duplicates,
      imported,
      twiceWithoutDuplicates,
      summary: first.stdout.trim().split('\n').slice(0, 6).join('\n'),
    },
    serviceStartSeconds: startSeconds,
    requests: { perEndpoint: requests, warmup, budgetMsPerEndpoint: budgetMs },
    endpoints,
    ok: twiceWithoutDuplicates,
  };
}
