import type { CaseRecord } from '../cases/caseRecord.js';
import type { SlaStatus } from '../cases/computeSla.js';

export function slaStatus(c: CaseRecord, now: Date): SlaStatus {
  if (!c.sla || c.status !== 'open') return 'none';
  if (now.getTime() > new Date(c.sla.dueAt).getTime()) return 'overdue';
  if (now.getTime() > new Date(c.sla.warnAt).getTime()) return 'due-soon';
  return 'on-time';
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

export function caseRow(c: CaseRecord, now: Date): CaseRow {
  return {
    ref: c.ref,
    queue: c.route === 'priority' ? 'priority' : 'standard',
    receivedAt: c.receivedAt,
    urgent: c.urgent,
    urgencyCheck: c.urgencyCheck,
    cdas: c.cdas?.name ?? null,
    prestations: c.prestations,
    motif: c.motif,
    lintErrors: c.lintErrors,
    lintWarnings: c.lintWarnings,
    unreadable: c.unreadable,
    dueAt: c.sla?.dueAt ?? null,
    sla: slaStatus(c, now),
    hoursLeft: c.sla ? Math.round((new Date(c.sla.dueAt).getTime() - now.getTime()) / 3_600_000) : null,
    followUps: c.followUps.length,
  };
}
