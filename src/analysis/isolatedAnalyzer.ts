import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { projectRoot } from '../config/loadConfig.js';
import { Semaphore } from '../infra/semaphore.js';
import type { Analyzer, AnalyzerSettings } from './analyzeMail.js';
import { readHead, unreadable } from './unreadable.js';

export interface IsolationOptions {
  /** Analysis threads; each loads the parser (~40 MB), so one per process suits a small machine. */
  threads: number;
  hardTimeLimitMs: number;
  maxHeapMb: number;
  /** The worker module; tests pass one that misbehaves on purpose. */
  workerFile?: string;
}

/** The compiled worker next to this module, or dist/ when running from the TypeScript sources. */
function defaultWorkerFile(): string {
  const here = fileURLToPath(new URL('./analysisWorker.js', import.meta.url));
  return existsSync(here) ? here : join(projectRoot, 'dist', 'analysis', 'analysisWorker.js');
}

export interface IsolatedAnalyzer {
  analyze: Analyzer;
  close(): Promise<void>;
}

/**
 * The analyzer in a pool of worker threads. A mail that makes it hang past
 * the hard time limit, crash its thread or exhaust its heap stops that thread
 * only: the mail comes out `unreadable` (routed standard, so a technician sees
 * it) and the others keep flowing.
 */
export function createIsolatedAnalyzer(
  settings: AnalyzerSettings,
  options: IsolationOptions,
): IsolatedAnalyzer {
  const pool = new Piscina({
    filename: options.workerFile ?? defaultWorkerFile(),
    workerData: { settings },
    // Threads start with the first mail and end after a minute idle: an idle service keeps none.
    minThreads: 0,
    maxThreads: options.threads,
    idleTimeout: 60_000,
    // A small young generation makes the thread collect the many short-lived
    // strings of a large mail early instead of growing its heap.
    resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb, maxYoungGenerationSizeMb: 8 },
  });
  // Never more tasks than threads in the pool: the time limit must count the
  // analysis, not the wait behind a mail that hangs.
  const threads = new Semaphore(options.threads);
  const analyze: Analyzer = async (input, opts = {}) => {
    const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    // Read now: once moved to the thread, `raw` is detached and reading it throws,
    // which would fail the job, retry it, and stall triage on this mail forever.
    const head = readHead(raw);
    const release = await threads.acquire();
    const signal = AbortSignal.timeout(options.hardTimeLimitMs);
    try {
      // Moved (not cloned) to the thread; copied first only when the caller keeps
      // the buffer or shares its memory with other buffers.
      const owned = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
      const bytes = opts.consume && owned ? new Uint8Array(raw.buffer) : new Uint8Array(raw);
      return await pool.run(
        { raw: bytes, receivedAt: opts.receivedAt?.toISOString() ?? null },
        { signal, transferList: [bytes.buffer as ArrayBuffer] },
      );
    } catch (err) {
      const reason = signal.aborted
        ? `analysis took longer than ${options.hardTimeLimitMs} ms and was stopped`
        : `analysis failed in its worker: ${(err as Error).message}`;
      return unreadable(reason, head);
    } finally {
      release();
    }
  };
  return { analyze, close: () => pool.destroy() };
}
