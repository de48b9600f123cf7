import { sql } from 'kysely';
import type { Database } from '../infra/database.js';

/**
 * What a month's deleted cases leave behind: counts only, no reference, no
 * date finer than the month, so the committee can compare years after the
 * cases themselves are gone. Every field is a sum, so batches add up.
 * Requests are counted in the month they were received; round trips in the
 * month they started.
 */
export interface MonthCounts {
  mails: number;
  requests: number;
  byRoute: Record<string, number>;
  byCdas: Record<string, number>;
  byPrestation: Record<string, number>;
  byMotif: Record<string, number>;
  byRule: Record<string, number>;
  urgent: number;
  urgentUnsubstantiated: number;
  multipleSituations: number;
  /** Requests answered at least once. */
  answered: number;
  /** Aggregates written before the answer tracking: requests marked handled (read as answered). */
  handled?: number;
  slaBreaches: number;
  /** Readable requests, and those without a format error (the format indicator). */
  formatMails: number;
  formatOk: number;
  /** The same, per CDAS (the CDAP workshops). */
  formatMailsByCdas: Record<string, number>;
  formatOkByCdas: Record<string, number>;
  /** Requests settled (answered or closed), the sum of their round trips, and how many took 1, 2, 3 or more. */
  settled: number;
  settledRoundTrips: number;
  settledInOne: number;
  settledInTwo: number;
  settledInMore: number;
  /** Round trips answered or past their deadline, of each class, and those answered by it. */
  standardRounds: number;
  standardRoundsWithin: number;
  urgentRounds: number;
  urgentRoundsWithin: number;
}

export function emptyCounts(): MonthCounts {
  return {
    mails: 0,
    requests: 0,
    byRoute: {},
    byCdas: {},
    byPrestation: {},
    byMotif: {},
    byRule: {},
    urgent: 0,
    urgentUnsubstantiated: 0,
    multipleSituations: 0,
    answered: 0,
    slaBreaches: 0,
    formatMails: 0,
    formatOk: 0,
    formatMailsByCdas: {},
    formatOkByCdas: {},
    settled: 0,
    settledRoundTrips: 0,
    settledInOne: 0,
    settledInTwo: 0,
    settledInMore: 0,
    standardRounds: 0,
    standardRoundsWithin: 0,
    urgentRounds: 0,
    urgentRoundsWithin: 0,
  };
}

/** Adds b into a (both MonthCounts). */
export function addCounts(a: MonthCounts, b: Partial<MonthCounts>): MonthCounts {
  const out = { ...emptyCounts(), ...a };
  for (const [k, v] of Object.entries(b) as Array<[keyof MonthCounts, unknown]>) {
    if (typeof v === 'number') (out[k] as number) = ((out[k] as number) ?? 0) + v;
    else if (v && typeof v === 'object') {
      const into = { ...((out[k] as Record<string, number>) ?? {}) };
      for (const [key, n] of Object.entries(v as Record<string, number>)) into[key] = (into[key] ?? 0) + n;
      (out[k] as Record<string, number>) = into;
    }
  }
  return out;
}

interface DoomedRow {
  ref: string;
  month: string;
  route: string;
  cdas_name: string | null;
  prestations: string[];
  motif: string;
  rules: string[];
  urgent: boolean;
  urgency_check: string | null;
  multiple_situations: boolean;
  unreadable: boolean;
  lint_errors: number;
  answered: boolean;
  breached: boolean;
  settled: boolean;
  round_trips: number;
}

interface DoomedRounds {
  month: string;
  urgent: boolean;
  rounds: number;
  within: number;
}

const bump = (m: Record<string, number>, key: string) => {
  m[key] = (m[key] ?? 0) + 1;
};

function countRow(c: MonthCounts, r: DoomedRow): void {
  c.mails++;
  bump(c.byRoute, r.route);
  if (r.route !== 'priority' && r.route !== 'standard') return;
  c.requests++;
  bump(c.byCdas, r.cdas_name ?? 'non identifié');
  for (const p of r.prestations.length ? r.prestations : ['non indiquée']) bump(c.byPrestation, p);
  bump(c.byMotif, r.motif);
  for (const rule of r.rules) bump(c.byRule, rule);
  if (r.urgent) c.urgent++;
  if (r.urgency_check === 'unsubstantiated') c.urgentUnsubstantiated++;
  if (r.multiple_situations) c.multipleSituations++;
  if (r.answered) c.answered++;
  if (r.breached) c.slaBreaches++;
  if (!r.unreadable) {
    const cdas = r.cdas_name ?? 'non identifié';
    c.formatMails++;
    bump(c.formatMailsByCdas, cdas);
    if (r.lint_errors === 0) {
      c.formatOk++;
      bump(c.formatOkByCdas, cdas);
    }
  }
  if (r.settled) {
    c.settled++;
    c.settledRoundTrips += r.round_trips;
    if (r.round_trips === 1) c.settledInOne++;
    else if (r.round_trips === 2) c.settledInTwo++;
    else c.settledInMore++;
  }
}

function countRounds(c: MonthCounts, r: DoomedRounds): void {
  if (r.urgent) {
    c.urgentRounds += r.rounds;
    c.urgentRoundsWithin += r.within;
  } else {
    c.standardRounds += r.rounds;
    c.standardRoundsWithin += r.within;
  }
}

export const RETENTION_BATCH = 1000;

/**
 * Deletes the cases received before `before` (and, by cascade, their mails,
 * follow-ups, filings, intents, answers and audit events), a batch per
 * transaction so the tables stay usable meanwhile; each batch first adds its
 * counts to its months' anonymous aggregates. Returns how many were deleted.
 */
export async function deleteExpiredCases(
  db: Database,
  before: Date,
  batch = RETENTION_BATCH,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await db.transaction().execute(async (tx) => {
      const doomed = await sql<DoomedRow>`
        SELECT ref, to_char(date_trunc('month', received_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS month,
          route, cdas_name, prestations, motif, rules, urgent, urgency_check, multiple_situations,
          unreadable, lint_errors, first_answered_at IS NOT NULL AS answered,
          (due_at IS NOT NULL AND COALESCE(answered_at, now()) > due_at) AS breached,
          status IN ('répondu', 'clos') AS settled, round_trips
        FROM cases WHERE received_at < ${before}
        ORDER BY received_at LIMIT ${batch}
        FOR UPDATE SKIP LOCKED`.execute(tx);
      if (doomed.rows.length === 0) return 0;
      const refs = doomed.rows.map((r) => r.ref);
      // Their round trips, in the month each started, against the deadline it had (for a
      // standard one, standardDueDays days as configured then); one not yet due is left out.
      const rounds = await sql<DoomedRounds>`
        SELECT to_char(date_trunc('month', r.started_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS month,
          c.urgent, count(*)::int AS rounds, count(*) FILTER (WHERE r.answered_at <= r.due_at)::int AS within
        FROM case_rounds r JOIN cases c ON c.ref = r.ref
        WHERE r.ref = ANY(${refs}::text[]) AND c.route IN ('priority', 'standard')
          AND (r.answered_at IS NOT NULL OR r.due_at < now())
        GROUP BY 1, 2`.execute(tx);
      const byMonth = new Map<string, MonthCounts>();
      const monthOf = (month: string) => {
        const c = byMonth.get(month) ?? emptyCounts();
        byMonth.set(month, c);
        return c;
      };
      for (const row of doomed.rows) countRow(monthOf(row.month), row);
      for (const row of rounds.rows) countRounds(monthOf(row.month), row);
      for (const [month, counts] of byMonth) {
        const current = await sql<{ counts: MonthCounts }>`
          SELECT counts FROM monthly_indicators WHERE month = ${month}::date FOR UPDATE`.execute(tx);
        const merged = addCounts(current.rows[0]?.counts ?? emptyCounts(), counts);
        await sql`INSERT INTO monthly_indicators (month, counts, updated_at)
          VALUES (${month}::date, ${JSON.stringify(merged)}::jsonb, now())
          ON CONFLICT (month) DO UPDATE SET counts = EXCLUDED.counts, updated_at = now()`.execute(tx);
      }
      await sql`DELETE FROM cases WHERE ref = ANY(${refs}::text[])`.execute(tx);
      return refs.length;
    });
    deleted += n;
    if (n < batch) break;
  }
  // Reconciliation marks and placed-mail records of no case are not kept past their use either.
  await sql`DELETE FROM recovered_contents WHERE until < now()`.execute(db);
  return deleted;
}

/** The anonymous aggregates of months in [from, to) whose cases retention deleted. */
export async function monthlyAggregates(
  db: Database,
  from: Date,
  to: Date,
): Promise<Array<{ month: string; counts: MonthCounts }>> {
  const r = await sql<{ month: string; counts: MonthCounts }>`
    SELECT to_char(month, 'YYYY-MM-DD') AS month, counts FROM monthly_indicators
    WHERE month >= date_trunc('month', ${from}::timestamptz AT TIME ZONE 'UTC')::date AND month < ${to}::timestamptz
    ORDER BY month`.execute(db);
  return r.rows;
}
