// Global setup of the tiers that use the machine's shared PostgreSQL: one
// database per test run (`cdap_test_<run id>`), made here and passed to the
// workers in CDAP_TEST_DATABASE_URL (they are forked after this runs and
// inherit the environment), dropped at the end. Each test works in a schema of
// its own inside it (schemaFor in support/postgres.ts).
//
// Databases of earlier runs that crashed before their teardown are dropped
// when more than a day old and unused: a run lasts minutes, so a day leaves
// alone the runs of other people sharing this server.

import {
  createDatabase,
  dropDatabase,
  dropStaleDatabases,
  runDatabaseName,
  sharedPostgresUrl,
  TEST_DATABASE_PREFIX,
} from './postgres.js';
import { newTestRunId } from './redis.js';

const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  // After redisLeaks in the config, so the run id is already set; set here too
  // for a config that lists this one alone.
  process.env.CDAP_TEST_RUN ??= newTestRunId();
  // Several tiers in one vitest run share the first one's database; a URL the
  // caller gave is theirs to keep.
  if (process.env.CDAP_TEST_DATABASE_URL) return undefined;
  const server = sharedPostgresUrl();
  const name = runDatabaseName(process.env.CDAP_TEST_RUN);
  try {
    const dropped = await dropStaleDatabases(server, TEST_DATABASE_PREFIX, STALE_AFTER_MS);
    if (dropped.length > 0)
      console.log(`postgres: dropped ${dropped.length} stale test database(s): ${dropped.join(', ')}`);
    process.env.CDAP_TEST_DATABASE_URL = await createDatabase(server, name);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `the tests need a PostgreSQL at ${server} (scripts/ensure-postgres.sh starts one; CDAP_TEST_PG_URL names another): ${reason}`,
    );
  }

  return async () => {
    if (process.env.CDAP_TEST_KEEP_DATABASE) {
      console.log(`postgres: test database kept (CDAP_TEST_KEEP_DATABASE): ${name} on ${server}`);
      return;
    }
    // Dropped even when tests failed: the next run makes its own.
    await dropDatabase(server, name);
    delete process.env.CDAP_TEST_DATABASE_URL;
  };
}
