import { sql } from 'kysely';
import type { Database } from '../infra/database.js';

/** A person a case can be given to: an enabled account that works cases (not the committee). */
export interface Colleague {
  login: string;
  name: string;
}

/** The accounts a supervisor can give a case to, by name. */
export async function listColleagues(db: Database): Promise<Colleague[]> {
  const r = await sql<{ login: string; display_name: string }>`SELECT login, display_name FROM users
    WHERE disabled_at IS NULL AND role IN ('technicien', 'superviseur', 'administrateur')
    ORDER BY display_name, login`.execute(db);
  return r.rows.map((u) => ({ login: u.login, name: u.display_name }));
}
