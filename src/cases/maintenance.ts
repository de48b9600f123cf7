import type { Queue } from 'bullmq';
import type { Logger } from '../log.js';

/**
 * delete-expired: cases past cases.retentionDays, in batches, their counts kept as monthly
 * aggregates; clean-work-queues: work items of cases never answered, past retention;
 * outbox-sweep: intents a crash or Redis left undispatched (every few seconds);
 * close-answered: cases answered answers.autoCloseDays ago, with no follow-up since.
 */
export type MaintenanceTask = 'delete-expired' | 'clean-work-queues' | 'outbox-sweep' | 'close-answered';

export const MAINTENANCE_TASKS: readonly MaintenanceTask[] = [
  'delete-expired',
  'clean-work-queues',
  'outbox-sweep',
  'close-answered',
];

export const RETENTION_EVERY_MS = 60 * 60 * 1000;

export interface MaintenanceDeps {
  /** Deletes cases received before the date; returns how many. */
  deleteExpired(before: Date): Promise<number>;
  /** The technicians' queues (priority, standard). */
  workQueues: ReadonlyArray<Pick<Queue, 'clean'>>;
  retentionMs: number;
  /** Closes the cases answered before the date, with no follow-up since; returns how many. */
  closeAnswered?(before: Date): Promise<number>;
  /** answers.autoCloseDays, in ms. */
  autoCloseMs?: number;
  log: Logger;
  /** Called once per failed run of a task (the metric cdap_maintenance_failures_total). */
  onFailure?(task: MaintenanceTask): void;
  now?: () => Date;
}

/**
 * Retention, once: each task runs even when the other fails. A failure is
 * logged at `error` (the next try is an hour away) and counted; it is never thrown.
 */
export async function runRetention(deps: MaintenanceDeps): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const before = new Date(now.getTime() - deps.retentionMs);
  const attempt = async (task: MaintenanceTask, run: () => Promise<unknown>) => {
    try {
      return await run();
    } catch (err) {
      deps.onFailure?.(task);
      deps.log.error({ event: 'maintenance.failed', task, err }, `maintenance task ${task} failed`);
      return null;
    }
  };
  const deleted = await attempt('delete-expired', () => deps.deleteExpired(before));
  await attempt('clean-work-queues', () =>
    Promise.all(deps.workQueues.map((q) => q.clean(deps.retentionMs, 1000, 'wait'))),
  );
  deps.log.info({ event: 'maintenance.retention', before: before.toISOString(), deleted });
  const { closeAnswered, autoCloseMs } = deps;
  if (closeAnswered && autoCloseMs) {
    const closed = await attempt('close-answered', () =>
      closeAnswered(new Date(now.getTime() - autoCloseMs)),
    );
    if (closed) deps.log.info({ event: 'maintenance.closed_answered', closed });
  }
}

/** The retention, at start and then hourly (a day's deletions are spread over 24 small runs). */
export function startMaintenance(deps: MaintenanceDeps): { stop(): void } {
  const first = setTimeout(() => void runRetention(deps), 60_000);
  first.unref();
  const retention = setInterval(() => void runRetention(deps), RETENTION_EVERY_MS);
  retention.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(retention);
    },
  };
}
