import { workerData } from 'node:worker_threads';
import { type AnalyzerSettings, createAnalyzer } from './analyzeMail.js';
import type { Analysis } from './types.js';

/** The worker-thread side of the isolated analyzer: one analyzer per thread, built from workerData. */
const analyze = createAnalyzer((workerData as { settings: AnalyzerSettings }).settings);

export default function analyzeInThread(task: {
  raw: Uint8Array;
  receivedAt: string | null;
}): Promise<Analysis> {
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  return analyze(raw, task.receivedAt ? { receivedAt: new Date(task.receivedAt) } : {});
}
