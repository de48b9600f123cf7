import type { CaseRecord } from './caseRecord.js';
import type { CaseStore } from './caseStore.js';

/** Urgent first, then oldest: the order technicians work in. */
export function workOrder(a: CaseRecord, b: CaseRecord): number {
  if (a.route !== b.route) return a.route === 'priority' ? -1 : 1;
  return new Date(a.receivedAt).getTime() - new Date(b.receivedAt).getTime();
}

/**
 * The open cases of both queues, in work order: what the dashboard lists and
 * the open/overdue gauges count. At most `limitPerQueue` of each queue, oldest
 * first; an index entry whose case expired or was handled meanwhile is skipped.
 */
export async function readOpenCases(store: CaseStore, limitPerQueue: number): Promise<CaseRecord[]> {
  const refs = [
    ...(await store.openRefs('priority', 0, limitPerQueue)),
    ...(await store.openRefs('standard', 0, limitPerQueue)),
  ];
  const cases: CaseRecord[] = [];
  // In slices: one MGET of 100,000 keys would block Redis for everyone else.
  for (let i = 0; i < refs.length; i += 500) {
    for (const c of await store.getMany(refs.slice(i, i + 500))) if (c.status === 'open') cases.push(c);
  }
  return cases.sort(workOrder);
}
