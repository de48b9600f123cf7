import type { CaseRecord } from '../cases/caseRecord.js';
import type { SlaStatus } from '../cases/computeSla.js';
import { isAwaiting } from '../cases/lifecycle.js';
import type { OpenCaseRow } from '../cases/openCases.js';

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

/** What a technician's list shows of a case: no personal data. */
export interface CaseRow {
  ref: string;
  queue: 'priority' | 'standard';
  receivedAt: string;
  urgent: boolean;
  urgencyCheck: CaseRecord['urgencyCheck'];
  cdas: string | null;
  prestations: string[];
  motif: CaseRecord['motif'];
  lintErrors: number;
  lintWarnings: number;
  unreadable: boolean;
  dueAt: string | null;
  sla: SlaStatus;
  /** Whole hours left before the deadline (negative when overdue). */
  hoursLeft: number | null;
  followUps: number;
}

/** A row of an open-case list (the lists only read open cases). */
export function caseRow(c: OpenCaseRow, now: Date): CaseRow {
  return {
    ref: c.ref,
    queue: c.route,
    receivedAt: c.receivedAt,
    urgent: c.urgent,
    urgencyCheck: c.urgencyCheck,
    cdas: c.cdasName,
    prestations: c.prestations,
    motif: c.motif,
    lintErrors: c.lintErrors,
    lintWarnings: c.lintWarnings,
    unreadable: c.unreadable,
    dueAt: c.dueAt,
    sla: c.dueAt ? slaOf(c.dueAt, c.warnAt, now) : 'none',
    hoursLeft: c.dueAt ? Math.round((new Date(c.dueAt).getTime() - now.getTime()) / 3_600_000) : null,
    followUps: c.followUps,
  };
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
