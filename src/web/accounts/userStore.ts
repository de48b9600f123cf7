import { sql } from 'kysely';
import type { Database } from '../../infra/database.js';
import { hashPassword, newApiToken, passwordMatches, tokenHash, wasteVerification } from './passwords.js';
import type { Role } from './roles.js';

/** An account as the web and the command line read it: never its hashes. */
export interface Account {
  id: number;
  login: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  /** Raised by a new password or disabling: older sessions end. */
  generation: number;
  hasPassword: boolean;
  hasToken: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

interface Row {
  id: number;
  login: string;
  display_name: string;
  role: Role;
  disabled_at: Date | null;
  generation: number;
  password_hash: string | null;
  token_hash: string | null;
  last_login_at: Date | null;
  created_at: Date;
}

function accountOf(r: Row): Account {
  return {
    id: r.id,
    login: r.login,
    displayName: r.display_name,
    role: r.role,
    disabled: r.disabled_at !== null,
    generation: r.generation,
    hasPassword: r.password_hash !== null,
    hasToken: r.token_hash !== null,
    lastLoginAt: r.last_login_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  };
}

const COLUMNS = sql`id, login, display_name, role, disabled_at, generation, password_hash, token_hash, last_login_at, created_at`;

/** Who did it, for the audit trail of account changes. */
export type Actor = string;

/**
 * The named accounts (table users, migrations/0001 and 0006) and the audit of
 * their changes, written in the same transaction as the change.
 */
export class UserStore {
  constructor(private readonly db: Database) {}

  async byLogin(login: string): Promise<Account | null> {
    const r = await sql<Row>`SELECT ${COLUMNS} FROM users WHERE login = ${login}`.execute(this.db);
    return r.rows[0] ? accountOf(r.rows[0]) : null;
  }

  async byId(id: number): Promise<Account | null> {
    const r = await sql<Row>`SELECT ${COLUMNS} FROM users WHERE id = ${id}`.execute(this.db);
    return r.rows[0] ? accountOf(r.rows[0]) : null;
  }

  async list(): Promise<Account[]> {
    const r = await sql<Row>`SELECT ${COLUMNS} FROM users ORDER BY login`.execute(this.db);
    return r.rows.map(accountOf);
  }

  /**
   * The enabled account these credentials open, or null. An unknown login
   * costs a verification too: the time of a refusal says nothing.
   */
  async verifyPassword(login: string, password: string): Promise<Account | null> {
    const r = await sql<Row>`SELECT ${COLUMNS} FROM users WHERE login = ${login}`.execute(this.db);
    const row = r.rows[0];
    if (!row?.password_hash) {
      await wasteVerification(password);
      return null;
    }
    const ok = await passwordMatches(row.password_hash, password);
    return ok && row.disabled_at === null ? accountOf(row) : null;
  }

  /** The enabled account of an API token, or null. */
  async byToken(token: string): Promise<Account | null> {
    const r = await sql<Row>`SELECT ${COLUMNS} FROM users
      WHERE token_hash = ${tokenHash(token)} AND disabled_at IS NULL`.execute(this.db);
    return r.rows[0] ? accountOf(r.rows[0]) : null;
  }

  async recordLogin(id: number, at: Date): Promise<void> {
    await sql`UPDATE users SET last_login_at = ${at} WHERE id = ${id}`.execute(this.db);
  }

  /** A new account; null when the login is taken. */
  async create(
    input: { login: string; displayName: string; role: Role; password: string },
    actor: Actor,
  ): Promise<Account | null> {
    const passwordHash = await hashPassword(input.password);
    return this.db.transaction().execute(async (tx) => {
      const r =
        await sql<Row>`INSERT INTO users (login, display_name, role, password_hash, password_changed_at)
        VALUES (${input.login}, ${input.displayName}, ${input.role}, ${passwordHash}, now())
        ON CONFLICT (login) DO NOTHING RETURNING ${COLUMNS}`.execute(tx);
      const row = r.rows[0];
      if (!row) return null;
      await audit(tx, actor, 'compte créé', { login: input.login, role: input.role });
      return accountOf(row);
    });
  }

  /** Sets a new password (enabling the account again) and ends its sessions; false when unknown. */
  async setPassword(login: string, password: string, actor: Actor): Promise<boolean> {
    const passwordHash = await hashPassword(password);
    return this.change(
      login,
      sql`password_hash = ${passwordHash}, password_changed_at = now(), disabled_at = NULL`,
      actor,
      'mot de passe changé',
    );
  }

  /** Disables the account: its sessions end, its token stops working. False when unknown. */
  async disable(login: string, actor: Actor): Promise<boolean> {
    return this.change(login, sql`disabled_at = coalesce(disabled_at, now())`, actor, 'compte désactivé');
  }

  /** A new API token for the account (the former one stops working), shown once; null when unknown. */
  async newToken(login: string, actor: Actor): Promise<string | null> {
    const token = newApiToken();
    const done = await this.db.transaction().execute(async (tx) => {
      const r = await sql`UPDATE users SET token_hash = ${tokenHash(token)}, token_created_at = now(),
        updated_at = now() WHERE login = ${login}`.execute(tx);
      if (!r.numAffectedRows) return false;
      await audit(tx, actor, 'jeton d’API créé', { login });
      return true;
    });
    return done ? token : null;
  }

  private async change(login: string, set: ReturnType<typeof sql>, actor: Actor, action: string) {
    return this.db.transaction().execute(async (tx) => {
      const r = await sql`UPDATE users SET ${set}, generation = generation + 1, updated_at = now()
        WHERE login = ${login}`.execute(tx);
      if (!r.numAffectedRows) return false;
      await audit(tx, actor, action, { login });
      return true;
    });
  }
}

/** One line of the audit trail that is about no case. */
export async function audit(
  db: Database,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await sql`INSERT INTO audit_events (actor, action, ref, detail)
    VALUES (${actor}, ${action}, NULL, ${JSON.stringify(detail)}::jsonb)`.execute(db);
}
