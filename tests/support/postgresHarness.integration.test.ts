import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  type PrivatePostgres,
  runDatabaseName,
  schemaFor,
  startPrivatePostgres,
  testDatabaseUrl,
} from './postgres.js';
import { testRunId, uniquePrefix } from './redis.js';

const TIMEOUT = 120_000;

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The error a query meets, or null when it succeeds. */
async function queryError(url: string): Promise<NodeJS.ErrnoException | null> {
  try {
    await query(url, 'SELECT 1');
    return null;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
}

describe('private PostgreSQL cluster', () => {
  let server: PrivatePostgres | undefined;
  afterAll(async () => {
    await server?.destroy();
  });

  it(
    'starts, stops, starts again with its data, recovers from a kill -9, and destroy() removes it',
    async () => {
      server = await startPrivatePostgres();
      expect(server.port).not.toBe(5432);
      expect(await query<{ n: number }>(server.url, 'SELECT 1 + 1 AS n')).toEqual([{ n: 2 }]);
      expect((await query<{ fsync: string }>(server.url, 'SHOW fsync'))[0]?.fsync).toBe('on');
      await query(server.url, 'CREATE TABLE kept (id int PRIMARY KEY, what text NOT NULL)');
      await query(server.url, "INSERT INTO kept VALUES (1, 'avant l’arrêt')");

      await server.stop();
      expect(server.pid()).toBeNull();
      expect((await queryError(server.url))?.code).toBe('ECONNREFUSED');

      await server.start();
      expect(await query(server.url, 'SELECT * FROM kept ORDER BY id')).toEqual([
        { id: 1, what: 'avant l’arrêt' },
      ]);

      // Committed just before the crash: the WAL must bring it back.
      const held = new pg.Client(server.url);
      const heldErrors: Error[] = [];
      held.on('error', (error) => heldErrors.push(error));
      await held.connect();
      await held.query("INSERT INTO kept VALUES (2, 'avant le kill')");
      await server.kill();
      expect(server.pid()).toBeNull();
      expect((await queryError(server.url))?.code).toBe('ECONNREFUSED');
      await held.end().catch(() => {});

      await server.start();
      expect(await query(server.url, 'SELECT * FROM kept ORDER BY id')).toEqual([
        { id: 1, what: 'avant l’arrêt' },
        { id: 2, what: 'avant le kill' },
      ]);
      // Recovered from the WAL, not from a clean shutdown's checkpoint.
      expect(readFileSync(join(server.dir, 'postgres.log'), 'utf8')).toContain(
        'automatic recovery in progress',
      );

      const { dir } = server;
      await server.destroy();
      expect(existsSync(dir)).toBe(false);
      expect((await queryError(server.url))?.code).toBe('ECONNREFUSED');
      server = undefined;
    },
    TIMEOUT,
  );
});

describe('test database of the run', () => {
  it('is reachable, and a schema made for a prefix is dropped with dropSchema', async () => {
    const url = await testDatabaseUrl();
    // The run's database from the global setup (tests/support/database.global.ts), not a fallback of this worker.
    expect(new URL(url).pathname).toBe(`/${runDatabaseName(testRunId())}`);
    const schema = schemaFor(uniquePrefix('postgres-harness'));
    expect(schema).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(schema.length).toBeLessThanOrEqual(63);
    await query(url, `CREATE SCHEMA ${schema}`);
    await query(url, `CREATE TABLE ${schema}.t (x int)`);
    await dropSchema(url, schema);
    expect(await query(url, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
  });

  it('schemaFor: stable per prefix, distinct for prefixes that differ only by case or punctuation', () => {
    const long = `cdap-test-r12345678-${'x'.repeat(80)}`;
    expect(schemaFor(long)).toBe(schemaFor(long));
    expect(schemaFor(long).length).toBeLessThanOrEqual(63);
    expect(schemaFor(`${long}a`)).not.toBe(schemaFor(`${long}b`));
    expect(schemaFor('Abc-def')).not.toBe(schemaFor('abc_def'));
    expect(schemaFor('123')).toMatch(/^[a-z]/);
  });
});
