import type { Queue } from 'bullmq';
import type { Logger } from '../log.js';
import { JOURNAL_CHECK_MS } from './caseJournal.js';
import type { CaseStore } from './caseStore.js';

/**
 * prune-indexes: index entries of cases past retention (their keys expired by themselves);
 * clean-work-queues: work items of cases nobody marked handled, past retention;
 * restore-vanished: cases this process wrote lately and Redis lost, written back.
 */
export type MaintenanceTask = 'prune-indexes' | 'clean-work-queues' | 'restore-vanished';

export const MAINTENANCE_TASKS: readonly MaintenanceTask[] = [
  'prune-indexes',
  'clean-work-queues',
  'restore-vanished',
];

export const RETENTION_EVERY_MS = 60 * 60 * 1000;

export interface MaintenanceDeps {
  caseStore: Pick<CaseStore, 'pruneIndexes' | 'restoreVanished'>;
  /** The technicians' queues (priority, standard). */
  workQueues: ReadonlyArray<Pick<Queue, 'clean'>>;
  retentionMs: number;
  log: Logger;
  /** Called once per failed run of a task (the metric cdap_maintenance_failures_total). */
  onFailure?(task: MaintenanceTask): void;
  now?: () => Date;
}

/**
 * Retention, once: each task runs even when the other fails. A failure is
 * logged at `error` (the next try is an hour away, and a prune that keeps
 * failing lets the indexes grow) and counted; it is never thrown.
 */
export async function runRetention(deps: MaintenanceDeps): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const attempt = async (task: MaintenanceTask, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      deps.onFailure?.(task);
      deps.log.error({ event: 'maintenance.failed', task, err }, `maintenance task ${task} failed`);
    }
  };
  await attempt('prune-indexes', () => deps.caseStore.pruneIndexes(now));
  await attempt('clean-work-queues', () =>
    Promise.all(deps.workQueues.map((q) => q.clean(deps.retentionMs, 1000, 'wait'))),
  );
  deps.log.debug({
    event: 'maintenance.retention',
    before: new Date(now.getTime() - deps.retentionMs).toISOString(),
  });
}

/**
 * The hourly retention and the journal check (every JOURNAL_CHECK_MS). The
 * journal check retries within seconds: its failures are counted, and only the
 * first of a row is logged, at `warn`, so that a Redis outage does not flood the log.
 */
export function startMaintenance(deps: MaintenanceDeps): { stop(): void } {
  const retention = setInterval(() => void runRetention(deps), RETENTION_EVERY_MS);
  retention.unref();
  let failing = false;
  const journalCheck = setInterval(() => {
    deps.caseStore.restoreVanished().then(
      () => {
        failing = false;
      },
      (err: unknown) => {
        deps.onFailure?.('restore-vanished');
        if (!failing) deps.log.warn({ event: 'maintenance.failed', task: 'restore-vanished', err });
        failing = true;
      },
    );
  }, JOURNAL_CHECK_MS);
  journalCheck.unref();
  return {
    stop() {
      clearInterval(retention);
      clearInterval(journalCheck);
    },
  };
}
