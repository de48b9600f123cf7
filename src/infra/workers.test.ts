import { EventEmitter } from 'node:events';
import { type Job, UnrecoverableError, type Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { logFailedAttempts } from './workers.js';

/** A job as BullMQ hands it to 'failed', after moveToFailed counted the attempt. */
const job = (attemptsMade: number, attempts: number, finishedOn?: number) =>
  ({ id: 'triage-1', attemptsMade, opts: { attempts }, finishedOn }) as unknown as Job;

function failures() {
  const lines: Array<{
    level: number;
    event: string;
    last: boolean;
    err: { message: string; stack: string };
  }> = [];
  const log = createLogger({
    level: 'info',
    stream: { write: (l: string) => void lines.push(JSON.parse(l)) },
  });
  const worker = new EventEmitter();
  logFailedAttempts(worker as unknown as Pick<Worker, 'on'>, log, 'triage.job_failed');
  return { worker, lines };
}

describe('failed job attempts in the log', () => {
  it('logs a retry at warn and only the last attempt at error, the error under err with its stack', () => {
    const { worker, lines } = failures();
    worker.emit('failed', job(1, 3), new Error('Redis is loading'));
    worker.emit('failed', job(2, 3), new Error('Redis is loading'));
    worker.emit('failed', job(3, 3, Date.now()), new Error('Redis is loading'));
    expect(lines.map((l) => [l.level, l.last])).toEqual([
      [40, false],
      [40, false],
      [50, true],
    ]);
    expect(lines.every((l) => l.event === 'triage.job_failed')).toBe(true);
    expect(lines[2]?.err.message).toBe('Redis is loading');
    expect(lines[2]?.err.stack).toContain('workers.test.ts');
  });

  it('logs an unrecoverable failure at error on its first attempt, and a failure with no job', () => {
    const { worker, lines } = failures();
    worker.emit('failed', job(1, 100_000), new UnrecoverableError('raw mail is missing'));
    worker.emit('failed', undefined, new Error('job stalled more than allowable limit'));
    expect(lines.map((l) => l.level)).toEqual([50, 50]);
  });
});
