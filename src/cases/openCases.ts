import { sql } from 'kysely';
import type { Database } from '../infra/database.js';

/**
 * Cases waiting for an answer in both queues, and those past their deadline,
 * counted by the database: overdue is what slaStatus calls it, a waiting case
 * whose due time is behind us.
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
