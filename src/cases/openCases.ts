import { sql } from 'kysely';
import type { Database } from '../infra/database.js';
import type { CaseRecord } from './caseRecord.js';

export type Queue = 'priority' | 'standard';

/** What a list shows of an open case: the columns, and the deadline's warning time from the record. */
export interface OpenCaseRow {
  ref: string;
  route: Queue;
  receivedAt: string;
  urgent: boolean;
  urgencyCheck: CaseRecord['urgencyCheck'];
  cdasName: string | null;
  prestations: string[];
  motif: CaseRecord['motif'];
  lintErrors: number;
  lintWarnings: number;
  unreadable: boolean;
  dueAt: string | null;
  warnAt: string | null;
  followUps: number;
}

export interface OpenCasesPage {
  rows: OpenCaseRow[];
  /** Open cases of the queue (or of both), all pages. */
  total: number;
}

const queuesOf = (queue: Queue | null): Queue[] => (queue ? [queue] : ['priority', 'standard']);

/**
 * One page of the open cases of a queue (both when null), in work order:
 * the priority queue first (the urgent ones), then oldest first — 'priority'
 * sorts before 'standard', so the order is the index cases_open_by_route's.
 */
export async function readOpenCases(
  db: Database,
  options: { queue: Queue | null; limit: number; offset: number },
): Promise<OpenCasesPage> {
  const routes = queuesOf(options.queue);
  const [rows, total] = await Promise.all([
    sql<{
      ref: string;
      route: Queue;
      received_at: Date;
      urgent: boolean;
      urgency_check: CaseRecord['urgencyCheck'];
      cdas_name: string | null;
      prestations: string[];
      motif: CaseRecord['motif'];
      lint_errors: number;
      lint_warnings: number;
      unreadable: boolean;
      due_at: Date | null;
      warn_at: string | null;
      follow_ups: number;
    }>`
      SELECT c.ref, c.route, c.received_at, c.urgent, c.urgency_check, c.cdas_name, c.prestations, c.motif,
        c.lint_errors, c.lint_warnings, c.unreadable, c.due_at, c.record #>> '{sla,warnAt}' AS warn_at,
        (SELECT count(*)::int FROM follow_ups f WHERE f.ref = c.ref) AS follow_ups
      FROM cases c
      WHERE c.awaiting AND c.route = ANY(${routes}::text[])
      ORDER BY c.route, c.received_at, c.ref
      LIMIT ${options.limit} OFFSET ${options.offset}`.execute(db),
    sql<{ n: number }>`SELECT count(*)::int AS n FROM cases
      WHERE awaiting AND route = ANY(${routes}::text[])`.execute(db),
  ]);
  return {
    total: total.rows[0]?.n ?? 0,
    rows: rows.rows.map((r) => ({
      ref: r.ref,
      route: r.route,
      receivedAt: r.received_at.toISOString(),
      urgent: r.urgent,
      urgencyCheck: r.urgency_check,
      cdasName: r.cdas_name,
      prestations: r.prestations,
      motif: r.motif,
      lintErrors: r.lint_errors,
      lintWarnings: r.lint_warnings,
      unreadable: r.unreadable,
      dueAt: r.due_at ? r.due_at.toISOString() : null,
      warnAt: r.warn_at,
      followUps: r.follow_ups,
    })),
  };
}

/**
 * Open cases of both queues and those past their deadline, counted by the
 * database: overdue is what slaStatus calls it, an open case whose due time
 * is behind us.
 */
export async function countOpenCases(db: Database): Promise<{ open: number; overdue: number }> {
  const [open, overdue] = await Promise.all([
    sql<{ n: number }>`SELECT count(*)::int AS n FROM cases
      WHERE awaiting AND route IN ('priority', 'standard')`.execute(db),
    sql<{ n: number }>`SELECT count(*)::int AS n FROM cases
      WHERE awaiting AND route IN ('priority', 'standard') AND due_at < now()`.execute(db),
  ]);
  return { open: open.rows[0]?.n ?? 0, overdue: overdue.rows[0]?.n ?? 0 };
}
