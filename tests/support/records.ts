import { createHash } from 'node:crypto';
import pg from 'pg';
import type { CaseRecord } from '../../src/cases/caseRecord.js';

/**
 * The records a test's service wrote in PostgreSQL: its schema (one per key
 * prefix, see testEnv) in the run's database.
 */
export function schemaOf(prefix: string): string {
  return `t_${createHash('sha256').update(prefix).digest('hex').slice(0, 24)}`;
}

export function testDatabaseUrl(): string {
  const url = process.env.CDAP_TEST_DATABASE_URL;
  if (!url)
    throw new Error('CDAP_TEST_DATABASE_URL is not set: run through vitest’s integration or faults tier');
  return url;
}

/** Runs one query in the prefix's schema. */
export async function queryRecords<T extends pg.QueryResultRow>(
  prefix: string,
  text: string,
  values: unknown[] = [],
  url = testDatabaseUrl(),
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schemaOf(prefix)}` });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Every case reference of the prefix, in order of reception. */
export async function caseRefsOf(prefix: string, url?: string): Promise<string[]> {
  const rows = await queryRecords<{ ref: string }>(
    prefix,
    'SELECT ref FROM cases ORDER BY received_at, ref',
    [],
    url,
  ).catch((err: { code?: string }) => {
    // No table yet: the service never started with this prefix.
    if (err.code === '42P01') return [];
    throw err;
  });
  return rows.map((r) => r.ref);
}

/** Every case of the prefix as stored (record and reply state), in order of reception. */
export async function caseRecordsOf(prefix: string, url?: string): Promise<CaseRecord[]> {
  const rows = await queryRecords<{ ref: string; record: CaseRecord; reply_state: CaseRecord['replyState'] }>(
    prefix,
    'SELECT ref, record, reply_state FROM cases ORDER BY received_at, ref',
    [],
    url,
  );
  return rows.map((r) => ({ ...r.record, ref: r.ref, replyState: r.reply_state }));
}

/** Every text value of every table of the prefix's schema, one string per row, for scans of personal data. */
export async function everyRowAsText(prefix: string, url?: string): Promise<string[]> {
  const tables = await queryRecords<{ tablename: string }>(
    prefix,
    'SELECT tablename FROM pg_tables WHERE schemaname = $1',
    [schemaOf(prefix)],
    url,
  );
  const out: string[] = [];
  for (const { tablename } of tables) {
    const rows = await queryRecords<{ row: string }>(
      prefix,
      `SELECT t::text AS row FROM "${tablename}" t`,
      [],
      url,
    );
    for (const r of rows) out.push(`${tablename}: ${r.row}`);
  }
  return out;
}
