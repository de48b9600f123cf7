import type { Queue } from 'bullmq';
import type { CaseRecord } from '../cases/caseRecord.js';
import { WORK_ITEM_SCHEMA, type WorkItem, workItemJobOptions } from '../infra/queues.js';

export type WorkQueues = { priority: Queue<WorkItem>; standard: Queue<WorkItem> };

/** What a case shows in the technicians' queue. */
export function workItem(c: CaseRecord): WorkItem {
  return {
    schema: WORK_ITEM_SCHEMA,
    ref: c.ref,
    receivedAt: c.receivedAt,
    urgent: c.urgent,
    urgencyCheck: c.urgencyCheck,
    cdas: c.cdas?.name ?? null,
    prestations: c.prestations,
    dueAt: c.sla?.dueAt ?? null,
    lintErrors: c.lintErrors,
    unreadable: c.unreadable,
  };
}

/**
 * Puts an open case in its technicians' queue. The job id is the case reference (or, for a
 * follow-up that moves the case, the reference and the follow-up's number): adding twice is a no-op.
 */
export async function enqueueWork(
  queues: WorkQueues,
  record: CaseRecord,
  retentionDays: number,
  id: string = record.ref,
): Promise<void> {
  if (record.status !== 'open' || (record.route !== 'priority' && record.route !== 'standard')) return;
  await queues[record.route].add('case', workItem(record), workItemJobOptions(id, retentionDays));
}

/** Takes a case out of both technicians' queues (before it is queued again elsewhere). */
export async function withdrawWork(queues: WorkQueues, ref: string): Promise<void> {
  for (const q of [queues.priority, queues.standard]) await q.remove(ref).catch(() => 0);
}
