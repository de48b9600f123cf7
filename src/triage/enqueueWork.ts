import type { Queue } from 'bullmq';
import type { CaseRecord } from '../cases/caseRecord.js';
import { isAwaiting } from '../cases/lifecycle.js';
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
  if (!isAwaiting(record.status) || (record.route !== 'priority' && record.route !== 'standard')) return;
  await queues[record.route].add('case', workItem(record), workItemJobOptions(id, retentionDays));
}

/**
 * Takes a case out of both technicians' queues (before it is queued again
 * elsewhere, or once answered): its own work item and those its follow-ups added.
 */
export async function withdrawWork(
  queues: WorkQueues,
  ref: string,
  followUps = 0,
  roundTrips = 1,
): Promise<void> {
  const ids = [
    ref,
    ...Array.from({ length: followUps + 1 }, (_, i) => `${ref}.suite-${i + 1}`),
    ...Array.from({ length: roundTrips }, (_, i) => `${ref}.tour-${i + 1}`),
  ];
  for (const q of [queues.priority, queues.standard]) {
    for (const id of ids) await q.remove(id).catch(() => 0);
  }
}

/**
 * Keeps the technicians' queues in step with a change of the case's
 * lifecycle: answered or closed, out of them; opened again, back in.
 */
export async function syncWork(
  queues: WorkQueues,
  settled: { before: CaseRecord; after: CaseRecord },
  retentionDays: number,
): Promise<void> {
  const { before, after } = settled;
  const was = isAwaiting(before.status);
  const is = isAwaiting(after.status);
  if (was && !is) await withdrawWork(queues, after.ref, after.followUps.length, after.roundTrips);
  else if (is && (!was || after.roundTrips !== before.roundTrips)) {
    await enqueueWork(queues, after, retentionDays, `${after.ref}.tour-${after.roundTrips}`);
  }
}
