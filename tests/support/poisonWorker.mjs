// A worker for the isolated analyzer that misbehaves on purpose: it hangs on
// a mail containing POISON-HANG and crashes its thread on POISON-CRASH;
// anything else goes to the real analyzer (compiled in dist/).
import analyzeInThread from '../../dist/analysis/analysisWorker.js';

export default async function poison(task) {
  const text = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength).toString('latin1');
  if (text.includes('POISON-HANG')) for (;;) {}
  if (text.includes('POISON-CRASH')) process.exit(3);
  return analyzeInThread(task);
}
