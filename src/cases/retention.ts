import { sql } from 'kysely';
import type { Database } from '../infra/database.js';

/**
 * What a month's deleted cases leave behind: counts only, no reference, no
 * date finer than the month, so the committee can compare years after the
 * cases themselves are gone. Every field is a sum, so batches add up.
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
  handled: number;
  slaBreaches: number;
  /** Readable requests, and those without a format error (the format indicator). */
  formatMails: number;
  formatOk: number;
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
    handled: 0,
    slaBreaches: 0,
    formatMails: 0,
    formatOk: 0,
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
  handled: boolean;
  breached: boolean;
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
  if (r.handled) c.handled++;
  if (r.breached) c.slaBreaches++;
  if (!r.unreadable) {
    c.formatMails++;
    if (r.lint_errors === 0) c.formatOk++;
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
          unreadable, lint_errors, first_answered_at IS NOT NULL AS handled,
          (due_at IS NOT NULL AND COALESCE(first_answered_at, now()) > due_at) AS breached
        FROM cases WHERE received_at < ${before}
        ORDER BY received_at LIMIT ${batch}
        FOR UPDATE SKIP LOCKED`.execute(tx);
      if (doomed.rows.length === 0) return 0;
      const byMonth = new Map<string, MonthCounts>();
      for (const row of doomed.rows) {
        const c = byMonth.get(row.month) ?? emptyCounts();
        countRow(c, row);
        byMonth.set(row.month, c);
      }
      for (const [month, counts] of byMonth) {
        const current = await sql<{ counts: MonthCounts }>`
          SELECT counts FROM monthly_indicators WHERE month = ${month}::date FOR UPDATE`.execute(tx);
        const merged = addCounts(current.rows[0]?.counts ?? emptyCounts(), counts);
        await sql`INSERT INTO monthly_indicators (month, counts, updated_at)
          VALUES (${month}::date, ${JSON.stringify(merged)}::jsonb, now())
          ON CONFLICT (month) DO UPDATE SET counts = EXCLUDED.counts, updated_at = now()`.execute(tx);
      }
      const refs = doomed.rows.map((r) => r.ref);
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
