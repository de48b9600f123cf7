import { type RawBuilder, sql } from 'kysely';
import type { Route } from '../analysis/types.js';
import type { Database } from '../infra/database.js';
import type { CaseRecord } from './caseRecord.js';
import type { CaseStatus } from './lifecycle.js';

/**
 * The technicians' work views of the cases, and their filters and search, in
 * SQL: one page at a time, never every row. A view names which cases a tab
 * shows; filters narrow any view.
 *
 * - `mine`: the cases the person took or was given, waiting for the answer;
 * - `priority`, `standard`: a technicians' queue, waiting for the answer;
 * - `review`: what a person must look at before anything else happens — mail
 *   in quarantine no supervisor confirmed yet, and mail that could not be read
 *   (too large, broken) still waiting in a queue;
 * - `all`: every case, newest first;
 * - `open`: both queues, waiting for the answer (the API's default, as before).
 *
 * A status filter replaces "waiting for the answer" in the views that imply it.
 */
export type WorkView = 'mine' | 'priority' | 'standard' | 'review' | 'all' | 'open';

/** The tabs of the cases page, in order. */
export const WORK_TABS = ['mine', 'priority', 'standard', 'review', 'all'] as const satisfies WorkView[];
export type WorkTab = (typeof WORK_TABS)[number];

export const CASE_STATUSES: readonly CaseStatus[] = [
  'nouveau',
  'pris en charge',
  'répondu',
  'clos',
  'enregistré',
];
export const ROUTES: readonly Route[] = ['priority', 'standard', 'quarantine', 'ignored'];

/** The assignee filter's value for cases nobody took. */
export const UNASSIGNED = '-';

/** The audit action of a supervisor's decision to keep a mail in quarantine (contract of issue 15). */
export const QUARANTINE_CONFIRMED = 'quarantaine confirmée';

export interface CaseFilters {
  status: CaseStatus | null;
  route: Route | null;
  /** A CDAS's name, exactly as the cases hold it. */
  cdas: string | null;
  prestation: string | null;
  /** Days of reception, YYYY-MM-DD, both included, in Paris time. */
  from: string | null;
  to: string | null;
  /** Waiting for the answer, past the deadline. */
  overdue: boolean;
  /** A login, or UNASSIGNED. */
  assignee: string | null;
  /** A reference (exact), or words of the CDAS's name or of the subject. */
  search: string | null;
}

export const NO_FILTERS: CaseFilters = {
  status: null,
  route: null,
  cdas: null,
  prestation: null,
  from: null,
  to: null,
  overdue: false,
  assignee: null,
  search: null,
};

/** What a list shows of a case. The subject is masked (see buildCase). */
export interface CaseListRow {
  ref: string;
  route: Route;
  status: CaseStatus;
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
  assignee: string | null;
  /** The assignee's name from the accounts, when the login has one. */
  assigneeName: string | null;
  subject: string | null;
}

export interface CaseSearchPage {
  rows: CaseListRow[];
  /** Cases of the view under the filters, all pages. */
  total: number;
}

const REF = /^CDAP-\d{4}-\d{6}$/i;
const MAX_WORDS = 8;

/** A LIKE pattern matching the text anywhere, its wildcards taken literally. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

const all = (parts: RawBuilder<unknown>[]): RawBuilder<unknown> =>
  parts.length ? sql`(${sql.join(parts, sql` AND `)})` : sql`true`;

/** The search box: a reference finds its case alone; else every word in the subject, or the CDAS's name. */
function searchCondition(search: string): RawBuilder<unknown> {
  const text = search.trim();
  if (REF.test(text)) return sql`c.ref = ${text.toUpperCase()}`;
  const words = text.split(/\s+/).filter(Boolean).slice(0, MAX_WORDS);
  const inSubject = all(words.map((w) => sql`(c.record ->> 'subject') ILIKE ${containing(w)}`));
  return sql`(c.cdas_name ILIKE ${containing(text)} OR ${inSubject})`;
}

/** Conditions every view shares: the filters but the status. */
function filterCondition(f: CaseFilters, now: Date): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  if (f.route) parts.push(sql`c.route = ${f.route}`);
  if (f.cdas) parts.push(sql`c.cdas_name = ${f.cdas}`);
  if (f.prestation) parts.push(sql`c.prestations @> ARRAY[${f.prestation}]::text[]`);
  if (f.from) parts.push(sql`c.received_at >= (${f.from}::date::timestamp AT TIME ZONE 'Europe/Paris')`);
  if (f.to) parts.push(sql`c.received_at < ((${f.to}::date + 1)::timestamp AT TIME ZONE 'Europe/Paris')`);
  if (f.overdue) parts.push(sql`(c.awaiting AND c.due_at < ${now})`);
  if (f.assignee === UNASSIGNED) parts.push(sql`c.assignee IS NULL`);
  else if (f.assignee) parts.push(sql`c.assignee = ${f.assignee}`);
  if (f.search?.trim()) parts.push(searchCondition(f.search));
  return all(parts);
}

/** Which cases a view holds, with the status filter. */
function viewCondition(view: WorkView, status: CaseStatus | null, user: string | null): RawBuilder<unknown> {
  const waiting = status ? sql`c.status = ${status}` : sql`c.awaiting`;
  const anyStatus = status ? sql`c.status = ${status}` : sql`true`;
  switch (view) {
    case 'mine':
      return user ? sql`(c.assignee = ${user} AND ${waiting})` : sql`false`;
    case 'priority':
      return sql`(c.route = 'priority' AND ${waiting})`;
    case 'standard':
      return sql`(c.route = 'standard' AND ${waiting})`;
    case 'open':
      return sql`(c.route IN ('priority', 'standard') AND ${waiting})`;
    case 'review':
      return sql`(((c.route = 'quarantine' AND NOT EXISTS (SELECT 1 FROM audit_events a
          WHERE a.ref = c.ref AND a.action = ${QUARANTINE_CONFIRMED}))
        OR (c.unreadable AND c.awaiting)) AND ${anyStatus})`;
    case 'all':
      return anyStatus;
  }
}

/**
 * Work order for the work views: the priority queue first, urgent first, then
 * the oldest (the order of the index cases_awaiting_by_route within a queue);
 * what waits for review, oldest first; everything, newest first.
 */
function orderOf(view: WorkView): RawBuilder<unknown> {
  if (view === 'all') return sql`c.received_at DESC, c.ref DESC`;
  if (view === 'review') return sql`c.received_at, c.ref`;
  return sql`c.route, c.urgent DESC, c.received_at, c.ref`;
}

export interface CaseQuery {
  view: WorkView;
  filters: CaseFilters;
  /** The person looking: whose cases `mine` lists. */
  user: string | null;
  limit: number;
  offset: number;
}

/** One page of a view under the filters, and how many cases it holds in all. */
export async function searchCases(db: Database, q: CaseQuery, now: Date): Promise<CaseSearchPage> {
  const where = sql`${viewCondition(q.view, q.filters.status, q.user)} AND ${filterCondition(q.filters, now)}`;
  const [rows, total] = await Promise.all([
    sql<{
      ref: string;
      route: Route;
      status: CaseStatus;
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
      assignee: string | null;
      assignee_name: string | null;
      subject: string | null;
    }>`
      SELECT c.ref, c.route, c.status, c.received_at, c.urgent, c.urgency_check, c.cdas_name, c.prestations,
        c.motif, c.lint_errors, c.lint_warnings, c.unreadable, c.due_at, c.record #>> '{sla,warnAt}' AS warn_at,
        (SELECT count(*)::int FROM follow_ups f WHERE f.ref = c.ref) AS follow_ups,
        c.assignee, u.display_name AS assignee_name, c.record ->> 'subject' AS subject
      FROM cases c LEFT JOIN users u ON u.login = c.assignee
      WHERE ${where}
      ORDER BY ${orderOf(q.view)}
      LIMIT ${q.limit} OFFSET ${q.offset}`.execute(db),
    sql<{ n: number }>`SELECT count(*)::int AS n FROM cases c WHERE ${where}`.execute(db),
  ]);
  return {
    total: total.rows[0]?.n ?? 0,
    rows: rows.rows.map((r) => ({
      ref: r.ref,
      route: r.route,
      status: r.status,
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
      assignee: r.assignee,
      assigneeName: r.assignee_name,
      subject: r.subject,
    })),
  };
}

/**
 * How many cases each tab holds under the filters: a count per tab, side by
 * side, each answered from its own index (the waiting cases of a queue, an
 * assignee's, those to review, every case) instead of one pass over all of them.
 */
export async function countViews(
  db: Database,
  filters: CaseFilters,
  user: string | null,
  now: Date,
): Promise<Record<WorkTab, number>> {
  const tabs: WorkTab[] = ['mine', 'priority', 'standard', 'review', 'all'];
  const where = filterCondition(filters, now);
  const counts = await Promise.all(
    tabs.map((view) =>
      view === 'mine' && !user
        ? Promise.resolve(0)
        : sql<{ n: number }>`SELECT count(*)::int AS n FROM cases c
            WHERE ${viewCondition(view, filters.status, user)} AND ${where}`
            .execute(db)
            .then((r) => r.rows[0]?.n ?? 0),
    ),
  );
  return Object.fromEntries(tabs.map((tab, i) => [tab, counts[i] ?? 0])) as Record<WorkTab, number>;
}

/** The CDAS names the cases hold, for the filter's list. */
export async function cdasNames(db: Database): Promise<string[]> {
  // A loose index scan over cases_by_cdas_name: one probe per CDAS (a few dozen), not every case.
  const r = await sql<{ name: string }>`
    WITH RECURSIVE n AS (
      (SELECT cdas_name AS name FROM cases WHERE cdas_name IS NOT NULL ORDER BY cdas_name LIMIT 1)
      UNION ALL
      SELECT (SELECT c.cdas_name FROM cases c WHERE c.cdas_name > n.name ORDER BY c.cdas_name LIMIT 1)
      FROM n WHERE n.name IS NOT NULL
    )
    SELECT name FROM n WHERE name IS NOT NULL`.execute(db);
  return r.rows.map((row) => row.name);
}
