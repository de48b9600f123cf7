import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { projectRoot } from '../config/loadConfig.js';
import { type Analyzer, type AnalyzerSettings, unreadable } from './analyzeMail.js';

export interface IsolationOptions {
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
    minThreads: 1,
    maxThreads: options.threads,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb },
  });
  const analyze: Analyzer = async (input, opts = {}) => {
    const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    const signal = AbortSignal.timeout(options.hardTimeLimitMs);
    try {
      // One copy, then moved (not cloned) to the thread.
      const bytes = new Uint8Array(raw);
      return await pool.run(
        { raw: bytes, receivedAt: opts.receivedAt?.toISOString() ?? null },
        { signal, transferList: [bytes.buffer] },
      );
    } catch (err) {
      const reason = signal.aborted
        ? `analysis took longer than ${options.hardTimeLimitMs} ms and was stopped`
        : `analysis failed in its worker: ${(err as Error).message}`;
      return unreadable(reason, raw);
    }
  };
  return { analyze, close: () => pool.destroy() };
}
