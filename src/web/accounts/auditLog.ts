import { sql } from 'kysely';
import type { Database } from '../../infra/database.js';

/** What the supervisors' audit page filters on; every field optional. */
export interface AuditFilter {
  /** A case reference, exactly. */
  ref?: string;
  /** A login (or another actor: the answer watcher, the command line), exactly. */
  actor?: string;
  /** First and last days, YYYY-MM-DD, Paris time, both included. */
  from?: string;
  to?: string;
}

export interface AuditLine {
  at: string;
  actor: string;
  action: string;
  ref: string | null;
  detail: Record<string, unknown>;
}

function where(f: AuditFilter) {
  const parts = [sql`true`];
  if (f.ref) parts.push(sql`ref = ${f.ref}`);
  if (f.actor) parts.push(sql`actor = ${f.actor}`);
  // Days are Paris days, as the dashboard shows its times.
  if (f.from) parts.push(sql`at >= (${f.from}::date::timestamp AT TIME ZONE 'Europe/Paris')`);
  if (f.to) parts.push(sql`at < ((${f.to}::date + 1)::timestamp AT TIME ZONE 'Europe/Paris')`);
  return sql.join(parts, sql` AND `);
}

/** One page of the audit trail, newest first, and how many lines the filter matches. */
export async function readAudit(
  db: Database,
  filter: AuditFilter,
  page: { limit: number; offset: number },
): Promise<{ lines: AuditLine[]; total: number }> {
  const [rows, count] = await Promise.all([
    sql<{ at: Date; actor: string; action: string; ref: string | null; detail: Record<string, unknown> }>`
      SELECT at, actor, action, ref, detail FROM audit_events WHERE ${where(filter)}
      ORDER BY at DESC, id DESC LIMIT ${page.limit} OFFSET ${page.offset}`.execute(db),
    sql<{ n: string }>`SELECT count(*) AS n FROM audit_events WHERE ${where(filter)}`.execute(db),
  ]);
  return {
    lines: rows.rows.map((r) => ({ ...r, at: r.at.toISOString() })),
    total: Number(count.rows[0]?.n ?? 0),
  };
}

/** What an event's detail says, for a person: « clé : valeur » pairs. */
export function describeDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}\u00a0: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}
