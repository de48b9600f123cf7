import type { CaseRecord } from '../cases/caseRecord.js';
import type { SlaStatus } from '../cases/computeSla.js';
import { isAwaiting } from '../cases/lifecycle.js';

export function slaOf(dueAt: string, warnAt: string | null, now: Date): SlaStatus {
  if (now.getTime() > new Date(dueAt).getTime()) return 'overdue';
  if (warnAt && now.getTime() > new Date(warnAt).getTime()) return 'due-soon';
  return 'on-time';
}

/** Overdue here is what the cdap_cases_overdue gauge counts in SQL (countOpenCases): open, due time passed. */
export function slaStatus(c: CaseRecord, now: Date): SlaStatus {
  if (!c.sla || !isAwaiting(c.status)) return 'none';
  return slaOf(c.sla.dueAt, c.sla.warnAt, now);
}

/**
 * Where a case stands against the CAF's answer, as API clients read it at the
 * top of `GET /api/cases/:ref` (the whole case follows under `case`).
 */
export function lifecycleOf(c: CaseRecord) {
  return {
    ref: c.ref,
    status: c.status,
    route: c.route,
    urgent: c.urgent,
    receivedAt: c.receivedAt,
    answeredAt: c.answeredAt,
    answeredBy: c.answeredBy,
    answerChannel: c.answerChannel,
    firstAnsweredAt: c.firstAnsweredAt,
    roundTrips: c.roundTrips,
    roundStartedAt: c.roundStartedAt,
    dueAt: c.sla?.dueAt ?? null,
    assignee: c.assignee,
    closedAt: c.status === 'clos' ? c.closedAt : null,
  };
}
