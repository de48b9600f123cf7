// Share of a corpus of real robot mail (bounces, auto-replies, abuse reports)
// that the analyzer classifies as a robot (auto-reply, bounce or bulk), so that
// none of them ever gets an answer. The corpus is not in the repository; e.g.
// folder maildir/bsd of github.com/sisimai/set-of-emails (BSD-2, 629 mails).
// Usage: npm run build && ROBOTS_CORPUS_DIR=/path/to/maildir/bsd node scripts/robots-corpus.mjs [--list]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzerSettings, createAnalyzer } from '../dist/analysis/index.js';
import { loadConfig } from '../dist/config/loadConfig.js';

const dir = process.env.ROBOTS_CORPUS_DIR;
if (!dir) {
  console.error('ROBOTS_CORPUS_DIR must name a folder of .eml robot mails.');
  process.exit(2);
}
const list = process.argv.includes('--list');
const analyze = createAnalyzer(analyzerSettings(loadConfig({ env: {} })));
const robots = new Set(['auto-reply', 'bounce', 'bulk']);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.eml'))
  .sort();
const missed = [];
for (const file of files) {
  const a = await analyze(readFileSync(join(dir, file)));
  if (!robots.has(a.kind)) missed.push(`${file}\t${a.kind}\t${a.unreadable ? 'unreadable' : ''}`);
}
const share = files.length ? ((files.length - missed.length) / files.length) * 100 : 0;
console.log(
  JSON.stringify({
    mails: files.length,
    robots: files.length - missed.length,
    share: `${share.toFixed(2)} %`,
  }),
);
if (list) for (const line of missed) console.log(line);
