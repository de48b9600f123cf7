import { type Job, UnrecoverableError, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';

/**
 * What every worker of the service shares: the waiting connection and the lock.
 * A job whose worker stops renewing its lock (crash, Redis away) goes back to
 * the queue after lockDurationMs.
 */
export function workerOptions(connection: Redis, prefix: string, lockDurationMs: number) {
  return {
    connection,
    prefix,
    lockDuration: lockDurationMs,
    stalledInterval: Math.max(1000, Math.floor(lockDurationMs / 2)),
  };
}

/**
 * This failure was the job's last: BullMQ moved it to the failed set (no
 * attempt left, or unrecoverable). Without a job (a stalled one BullMQ could
 * not read), assume the worst.
 */
export function isLastAttempt(job: Job | undefined, err: Error): boolean {
  if (!job) return true;
  if (err instanceof UnrecoverableError || err.name === 'UnrecoverableError') return true;
  return typeof job.finishedOn === 'number' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/**
 * Logs every failed attempt of `worker`'s jobs by its consequence: one to be
 * retried at `warn`, the last one at `error`, so that an outage which fails
 * every attempt does not flood the error log. The error goes under `err`
 * (pino keeps its stack).
 */
export function logFailedAttempts(worker: Pick<Worker, 'on'>, log: Logger, event: string): void {
  worker.on('failed', (job: Job | undefined, err: Error) => {
    const last = isLastAttempt(job, err);
    const fields = { event, jobId: job?.id, attempts: job?.attemptsMade, last, err };
    if (last) log.error(fields, 'job failed for good');
    else log.warn(fields, 'job failed, will be retried');
  });
}
