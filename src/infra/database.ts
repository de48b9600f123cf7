import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, type Migration, type MigrationProvider, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { projectRoot } from '../config/loadConfig.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { CdapError } from './errors.js';

/** The local server of this machine kind (and of `scripts/start.sh`), when DATABASE_URL is empty. */
export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/cdap';

export const MIGRATIONS_DIR = join(projectRoot, 'migrations');

// bigint columns (UIDs) fit in a JS number: IMAP UIDs are 32-bit.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * The tables as Kysely sees them. Most queries go through `sql` (upserts,
 * aggregates); the types keep the simple ones honest.
 */
export interface Tables {
  cases: {
    ref: string;
    year: number;
    seq: number;
    mailbox_id: string;
    uid_validity: string;
    uid: number;
    content_hash: string;
    received_at: Date;
    triaged_at: Date;
    route: string;
    status: string;
    kind: string;
    urgent: boolean;
    urgency_check: string | null;
    cdas_id: string | null;
    cdas_name: string | null;
    motif: string;
    prestations: string[];
    rules: string[];
    unreadable: boolean;
    multiple_situations: boolean;
    lint_errors: number;
    lint_warnings: number;
    backfill: boolean;
    due_at: Date | null;
    answered_at: Date | null;
    message_id_hash: string | null;
    round_trips: number;
    round_started_at: Date;
    first_answered_at: Date | null;
    answered_by: string | null;
    answer_channel: string | null;
    assignee: string | null;
    taken_at: Date | null;
    closed_at: Date | null;
    closed_by: string | null;
    record: unknown;
    reply_state: unknown;
    filed_path: string | null;
    filed_uid_validity: string | null;
    filed_uid: number | null;
  };
}

export type Database = Kysely<Tables>;

export class DatabaseError extends CdapError {
  override name = 'DatabaseError';
}

/** The URL the service connects to, with the password hidden, for messages and logs. */
export function displayUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):([^@]*)@/, '//$1:********@');
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/** Each `migrations/NNNN_name.sql` file, applied in order of its name, in one transaction. */
export class SqlFileMigrations implements MigrationProvider {
  constructor(private readonly dir = MIGRATIONS_DIR) {}

  names(): string[] {
    return readdirSync(this.dir)
      .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
      .sort()
      .map((f) => f.replace(/\.sql$/, ''));
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const name of this.names()) {
      const text = readFileSync(join(this.dir, `${name}.sql`), 'utf8');
      out[name] = { up: async (db) => void (await sql.raw(text).execute(db)) };
    }
    return out;
  }
}

function poolFor(config: Config['database'], url: string, max = config.poolSize): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: config.connectionTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: config.statementTimeoutMs,
    // Unqualified names resolve in the deployment's schema, public as a fallback for extensions.
    // No JIT: our queries are short, and compiling one (PostgreSQL decides on the planner's
    // estimates, which a range over months overestimates) cost more than running it —
    // on the records bench (100,000 cases), 239 ms of JIT for a 110 ms indicator query.
    options: `-c search_path=${config.schema},public -c jit=off`,
    application_name: 'cdap-triage',
  });
}

/** Creates the local database `cdap` when the default (empty) URL is used and it does not exist yet. */
async function createLocalDatabase(url: string, log: Logger): Promise<void> {
  const name = databaseName(url);
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        // Another replica created it meanwhile.
        if (err.code !== '42P04') throw err;
      });
      log.info({ event: 'database.created', database: name }, 'local database created');
    }
  } finally {
    await admin.end();
  }
}

async function probe(pool: pg.Pool, url: string, config: Config['database']): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === '3D000') {
      throw new DatabaseError(
        'DATABASE_MISSING',
        `la base « ${databaseName(url)} » n’existe pas sur ${displayUrl(url)} : créez-la (createdb ${databaseName(url)}) ou corrigez DATABASE_URL.`,
        { cause },
      );
    }
    if (code === '28P01' || code === '28000') {
      throw new DatabaseError(
        'DATABASE_UNREACHABLE',
        `PostgreSQL refuse la connexion à ${displayUrl(url)} (${code}) : vérifiez l’utilisateur et le mot de passe de DATABASE_URL.`,
        { cause },
      );
    }
    const local = config.url === '';
    throw new DatabaseError(
      'DATABASE_UNREACHABLE',
      `PostgreSQL ne répond pas à ${displayUrl(url)}${code ? ` (${code})` : ''} : ${
        local
          ? 'démarrez-le (scripts/start.sh le fait : scripts/ensure-postgres.sh)'
          : 'démarrez-le ou corrigez DATABASE_URL'
      }.`,
      { cause },
    );
  }
}

/**
 * Brings the schema to the code's version. Several replicas starting at once
 * take turns on Kysely's advisory lock; a database already migrated further
 * than this code knows is refused, since this code could misread it.
 */
export async function migrateDatabase(db: Database, schema: string, log: Logger): Promise<string[]> {
  const provider = new SqlFileMigrations();
  // Two replicas creating the schema at once would collide (IF NOT EXISTS is not atomic): in turn.
  await db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('cdap-triage:create-schema'))`.execute(tx);
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(tx);
  });
  const migrator = new Migrator({ db, provider, migrationTableSchema: schema });
  const known = new Set(provider.names());
  const applied = (await migrator.getMigrations()).filter((m) => m.executedAt).map((m) => m.name);
  const unknownNames = await sql<{ name: string }>`SELECT name FROM ${sql.id(schema, 'kysely_migration')}`
    .execute(db)
    .then((r) => r.rows.map((row) => row.name).filter((n) => !known.has(n)))
    .catch(() => [] as string[]);
  if (unknownNames.length > 0) {
    throw new DatabaseError(
      'DATABASE_SCHEMA_NEWER',
      `le schéma « ${schema} » de la base a été mis à jour par une version plus récente de cdap-triage (migration ${unknownNames.join(', ')} inconnue de celle-ci) : démarrez la version la plus récente, ou restaurez la sauvegarde de la base faite avant la mise à jour (docs/operations.md).`,
    );
  }
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    throw new DatabaseError(
      'DATABASE_MIGRATION',
      `la mise à jour du schéma « ${schema} » a échoué : ${(error as Error).message}`,
      { cause: error },
    );
  }
  const done = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (done.length)
    log.info({ event: 'database.migrated', schema, migrations: done, applied: applied.length });
  return done;
}

export interface OpenDatabaseOptions {
  /** Apply pending migrations (the service does; read-only commands may not). */
  migrate?: boolean;
  /** Connections, when not config.poolSize (one-shot commands need few). */
  poolSize?: number;
}

/**
 * Connects to PostgreSQL, refusing with a message a person can act on when it
 * cannot be reached, the database is missing, or its schema is newer than this code.
 */
export async function openDatabase(
  config: Config['database'],
  log: Logger,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  const url = config.url || LOCAL_DATABASE_URL;
  if (config.url === '') {
    await createLocalDatabase(url, log).catch((cause: unknown) => {
      throw new DatabaseError(
        'DATABASE_UNREACHABLE',
        `PostgreSQL ne répond pas à ${displayUrl(url)} : démarrez-le (scripts/start.sh le fait : scripts/ensure-postgres.sh), ou définissez DATABASE_URL.`,
        { cause },
      );
    });
  }
  const pool = poolFor(config, url, options.poolSize);
  // A connection dropped while idle (server restart) must not crash the process: the pool replaces it.
  pool.on('error', (err) =>
    log.warn({ event: 'database.connection_lost', err }, 'PostgreSQL connection lost'),
  );
  // pg-pool listens for errors on idle connections only. One lost while checked out with no
  // query running (between the statements of a transaction, a server shutdown) emits 'error'
  // to nobody, which would crash the process; its next query fails instead, and is retried.
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    await probe(pool, url, config);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  if (options.migrate !== false) {
    try {
      await migrateDatabase(db, config.schema, log);
    } catch (err) {
      await db.destroy().catch(() => {});
      throw err;
    }
  }
  return db;
}

/** Whether the database is on this machine (the demo may erase it). */
export function isLocalDatabase(config: Config['database']): boolean {
  if (config.url === '') return true;
  const host = new URL(config.url).hostname;
  return ['127.0.0.1', 'localhost', '[::1]', '::1', ''].includes(host);
}

/**
 * Drops every table of the deployment's schema (the demo reset): the next
 * start migrates an empty schema. Returns how many tables went.
 */
export async function dropRecords(db: Database, schema: string): Promise<number> {
  const r = await sql<{
    tablename: string;
  }>`SELECT tablename FROM pg_tables WHERE schemaname = ${schema}`.execute(db);
  if (r.rows.length > 0) {
    const tables = r.rows.map((row) => sql.id(schema, row.tablename));
    await sql`DROP TABLE IF EXISTS ${sql.join(tables)} CASCADE`.execute(db);
  }
  // The migrations' functions go too, or the next start could not create them again.
  const fns = await sql<{ signature: string }>`
    SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ${schema}`.execute(db);
  for (const f of fns.rows) await sql`DROP FUNCTION IF EXISTS ${sql.raw(f.signature)} CASCADE`.execute(db);
  return r.rows.length;
}
