import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { cleanupOnExit } from './harness/exitCleanup.mjs';
import { createDatabase, sharedPostgresUrl } from './harness/postgres.mjs';
import { testRunId } from './redis.js';

export {
  createDatabase,
  databaseUrl,
  dropDatabase,
  dropStaleDatabases,
  type PrivatePostgres,
  SHARED_POSTGRES_PORT,
  type StartPrivatePostgresOptions,
  sharedPostgresUrl,
  startPrivatePostgres,
} from './harness/postgres.mjs';

/** Every database a test run makes on the shared server starts with this (tests/support/database.global.ts). */
export const TEST_DATABASE_PREFIX = 'cdap_test_';

/** The name of a run's database: `cdap_test_r1a2b3c4`. */
export const runDatabaseName = (runId: string): string =>
  `${TEST_DATABASE_PREFIX}${runId.toLowerCase().replace(/[^a-z0-9_]+/g, '_')}`.slice(0, 63);

let fallback: Promise<string> | undefined;

/**
 * This test run's database on the shared server, made once for all workers
 * by the global setup of the tiers that use PostgreSQL
 * (tests/support/database.global.ts). A file run outside them makes one of
 * its own, dropped when its process exits.
 */
export function testDatabaseUrl(): Promise<string> {
  const url = process.env.CDAP_TEST_DATABASE_URL;
  if (url) return Promise.resolve(url);
  fallback ??= (async () => {
    const server = sharedPostgresUrl();
    const name = `${runDatabaseName(testRunId())}_${process.pid}`;
    const made = await createDatabase(server, name);
    // Synchronous, since the process is going away: psql (postgresql-client).
    cleanupOnExit(() => {
      try {
        execFileSync(
          'psql',
          ['-X', '-q', '-d', server, '-c', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`],
          {
            stdio: 'ignore',
            timeout: 10_000,
          },
        );
      } catch {
        // Left for the global setup's sweep of stale databases.
      }
    });
    process.env.CDAP_TEST_DATABASE_URL = made;
    return made;
  })();
  return fallback;
}

/**
 * A schema name for a test's key prefix (uniquePrefix in support/redis.ts):
 * a valid unquoted PostgreSQL identifier (lower-case letters, digits, `_`,
 * at most 63 bytes). The same prefix always gives the same schema, and
 * distinct prefixes give distinct schemas: a hash of the prefix ends it,
 * since lower-casing and truncation alone could merge two.
 */
export function schemaFor(prefix: string): string {
  const hash = createHash('sha256').update(prefix).digest('hex').slice(0, 8);
  let readable = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!/^[a-z]/.test(readable)) readable = `s_${readable}`;
  return `${readable.slice(0, 63 - hash.length - 1).replace(/_+$/, '')}_${hash}`;
}

/** Drops a test's schema and everything in it: call in afterAll, after the services using it stopped. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
}
