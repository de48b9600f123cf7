// A worker for the isolated analyzer that misbehaves on purpose: it hangs on
// a mail containing POISON-HANG and crashes its thread on POISON-CRASH;
// anything else goes to the real analyzer (compiled in dist/).
// With POISON_LOG set, each poison mail's Message-ID is appended to that file
// before it misbehaves, so a test can count how many times it was analysed.
import { appendFileSync } from 'node:fs';
import analyzeInThread from '../../dist/analysis/analysisWorker.js';

function record(text) {
  if (!process.env.POISON_LOG) return;
  const id = /^message-id:\s*(<[^>\r\n]+>)/im.exec(text)?.[1] ?? '?';
  appendFileSync(process.env.POISON_LOG, `${id}\n`);
}

export default async function poison(task) {
  const text = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength).toString('latin1');
  if (text.includes('POISON-HANG')) {
    record(text);
    for (;;) {}
  }
  if (text.includes('POISON-CRASH')) {
    record(text);
    process.exit(3);
  }
  return analyzeInThread(task);
}
