import type { Analysis } from '../../src/analysis/types.js';
import { buildCase, type CaseRecord } from '../../src/cases/caseRecord.js';

/** A case as triage would open it for this analysis, with a fixed reference and time. */
export function caseFor(
  analysis: Analysis,
  ref = 'CDAP-2026-000042',
  receivedAt = new Date('2026-11-20T09:00:00Z'),
): CaseRecord {
  return {
    ref,
    ...buildCase({
      analysis,
      mail: { mailboxId: 'default', uidValidity: '1', uid: 1 },
      contentHash: 'x',
      receivedAt,
      backfill: false,
      now: receivedAt,
      sla: { standardDueDays: 10, standardWarningDays: 7, urgentDueWorkingDays: 2 },
    }),
  };
}
