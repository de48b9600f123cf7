import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../src/cases/caseRecord.js';
import { CaseStore } from '../src/cases/caseStore.js';
import { CaseOutbox } from '../src/cases/outbox.js';
import { deleteExpiredCases, monthlyAggregates } from '../src/cases/retention.js';
import type { Config } from '../src/config/schema.js';
import { type Database, dropRecords, openDatabase, SqlFileMigrations } from '../src/infra/database.js';
import { createQueues } from '../src/infra/queues.js';
import { createLogger } from '../src/log.js';
import { enqueueWork } from '../src/triage/enqueueWork.js';
import { fixture, testAnalyzer } from './support/analyzer.js';
import { caseFor } from './support/cases.js';
import { schemaOf, testDatabaseUrl } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const silent = createLogger({ level: 'silent' });

function databaseConfig(prefix: string, url = testDatabaseUrl()): Config['database'] {
  return {
    url,
    schema: schemaOf(prefix),
    poolSize: 4,
    statementTimeoutMs: 10_000,
    connectionTimeoutMs: 5000,
  };
}

describe('case store in PostgreSQL (real server)', () => {
  let template: CaseRecord;
  const opened: Database[] = [];
  const prefixes: string[] = [];
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const analysis = await testAnalyzer()(fixture('form-standard-clean.eml'), {
      receivedAt: new Date('2026-11-20T09:00:00Z'),
    });
    template = caseFor(analysis);
  });
  afterAll(async () => {
    for (const db of opened) await db.destroy().catch(() => {});
    await deleteKeys(redis, ...prefixes);
    redis.disconnect();
  });

  async function fresh(name: string): Promise<{ db: Database; store: CaseStore; prefix: string }> {
    const prefix = uniquePrefix(name);
    prefixes.push(prefix);
    const db = await openDatabase(databaseConfig(prefix), silent);
    opened.push(db);
    return { db, store: new CaseStore(db), prefix };
  }

  function draft(uid: number, extra: Partial<CaseRecord> = {}): Omit<CaseRecord, 'ref'> {
    const { ref: _ref, ...rest } = template;
    return {
      ...rest,
      mail: { mailboxId: 'default', uidValidity: '1', uid },
      contentHash: `hash-${uid}`,
      ...extra,
    };
  }
  const filing = (uid: number) => ({ uidValidity: '1', uid, folder: 'standard' as const, flagged: false });

  it('opens one case per mail, recognises the same mail and the same bytes, numbers cases per year', async () => {
    const { store } = await fresh('pg-create');
    const first = await store.createCase(draft(1), filing(1));
    expect(first).toMatchObject({ outcome: 'created', ref: 'CDAP-2026-000001' });
    expect(await store.createCase(draft(1), filing(1))).toEqual({ outcome: 'existing', ref: first.ref });
    // The same bytes under another UID (a resync): filed beside the first, no new case.
    expect(await store.createCase({ ...draft(2), contentHash: 'hash-1' }, filing(2))).toEqual({
      outcome: 'duplicate',
      ref: first.ref,
    });
    expect((await store.createCase(draft(3), filing(3))).ref).toBe('CDAP-2026-000002');
    const older = await store.createCase(
      draft(4, { receivedAt: '2025-12-31T23:00:00.000Z', triagedAt: '2026-01-02T08:00:00.000Z' }),
      filing(4),
    );
    expect(older.ref).toBe('CDAP-2025-000001');
    expect(await store.refForMail({ mailboxId: 'default', uidValidity: '1', uid: 2 })).toBe(first.ref);
    const pending = await store.pendingFilings('default');
    expect(pending.map((p) => p.uid).sort()).toEqual([1, 2, 3, 4]);
  });

  it('two replicas creating cases at once get distinct, consecutive references; a mail raced twice opens one case', async () => {
    const { store, prefix } = await fresh('pg-race');
    const other = await openDatabase(databaseConfig(prefix), silent);
    opened.push(other);
    const second = new CaseStore(other);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? store : second).createCase(draft(i + 1), filing(i + 1))),
    );
    const refs = outcomes.map((o) => o.ref).sort();
    expect(new Set(refs).size).toBe(40);
    expect(refs[0]).toBe('CDAP-2026-000001');
    expect(refs[39]).toBe('CDAP-2026-000040');
    const raced = await Promise.all([
      store.createCase(draft(100), filing(100)),
      second.createCase(draft(100), filing(100)),
      store.createCase(draft(100), filing(100)),
    ]);
    expect(raced.filter((o) => o.outcome === 'created')).toHaveLength(1);
    expect(new Set(raced.map((o) => o.ref)).size).toBe(1);
  });

  it('writes the filing and the intents in the case’s transaction; a final reply outcome settles its intent', async () => {
    const { db, store } = await fresh('pg-intents');
    const created = await store.createCase(draft(1), filing(1), {
      replies: true,
      inReplyTo: '<abc@cdas.fr>',
    });
    const intents = await sql<{ kind: string; payload: { inReplyTo: string } }>`
      SELECT kind, payload FROM outbox WHERE ref = ${created.ref} ORDER BY kind`.execute(db);
    expect(intents.rows).toEqual([
      { kind: 'reply', payload: { inReplyTo: '<abc@cdas.fr>' } },
      { kind: 'work', payload: {} },
    ]);
    const state = {
      reasonCode: null,
      reason: null,
      at: new Date().toISOString(),
      messageId: null,
      text: null,
    };
    await store.setReplyState(created.ref, { ...state, status: 'pending', reasonCode: 'sending' });
    expect((await sql`SELECT 1 FROM outbox WHERE kind = 'reply'`.execute(db)).rows).toHaveLength(1);
    await store.setReplyState(created.ref, { ...state, status: 'sent' });
    expect((await sql`SELECT 1 FROM outbox WHERE kind = 'reply'`.execute(db)).rows).toHaveLength(0);
    expect((await store.get(created.ref))?.replyState?.status).toBe('sent');
    // A Message-ID that carries a NIR is not kept: the reply then goes unthreaded.
    const nir = await store.createCase(draft(2), filing(2), {
      replies: true,
      inReplyTo: '<1 85 05 35 238 123 45@cdas.fr>',
    });
    const kept = await sql<{ payload: { inReplyTo: string | null } }>`
      SELECT payload FROM outbox WHERE ref = ${nir.ref} AND kind = 'reply'`.execute(db);
    expect(kept.rows[0]?.payload.inReplyTo).toBeNull();
  });

  it('the outbox sweep dispatches what a crash after the commit left, and everything again after Redis lost its data (seen by a restarted service too)', async () => {
    const { db, store, prefix } = await fresh('pg-outbox');
    const queues = createQueues(redis, prefix);
    const scheduled: string[] = [];
    const outbox = new CaseOutbox(
      db,
      store,
      {
        enqueueWork: (c) => enqueueWork(queues, c, 30),
        scheduleReply: async (c) => void scheduled.push(c.ref),
      },
      silent,
    );
    const a = await store.createCase(draft(1), filing(1), { replies: true, inReplyTo: null });
    // The process died between the commit and the dispatch: nothing in Redis yet.
    expect(await queues.standard.getJob(a.ref)).toBeUndefined();
    expect(await outbox.sweep()).toBe(0); // too young: its own process may still dispatch it
    await sql`UPDATE outbox SET created_at = now() - interval '1 minute'`.execute(db);
    expect(await outbox.sweep()).toBe(2);
    expect((await queues.standard.getJob(a.ref))?.data.ref).toBe(a.ref);
    expect(scheduled).toEqual([a.ref]);
    // The work intent is done; the reply intent waits for the reply's outcome.
    expect((await sql<{ kind: string }>`SELECT kind FROM outbox`.execute(db)).rows).toEqual([
      { kind: 'reply' },
    ]);
    // Redis restarted empty: a new run id queues every open case and unsettled reply again.
    await outbox.checkRedis('run-1');
    await queues.standard.obliterate({ force: true });
    await outbox.checkRedis('run-2');
    expect((await queues.standard.getJob(a.ref))?.data.ref).toBe(a.ref);
    expect(scheduled).toEqual([a.ref, a.ref]);
    // A host crash: the service restarts too, and still sees Redis come back as another run.
    await queues.standard.obliterate({ force: true });
    const restarted = new CaseOutbox(
      db,
      store,
      {
        enqueueWork: (c) => enqueueWork(queues, c, 30),
        scheduleReply: async (c) => void scheduled.push(c.ref),
      },
      silent,
    );
    await restarted.checkRedis('run-3');
    expect((await queues.standard.getJob(a.ref))?.data.ref).toBe(a.ref);
    expect(scheduled).toEqual([a.ref, a.ref, a.ref]);
    // Same run seen again: nothing is dispatched twice.
    await restarted.checkRedis('run-3');
    await new CaseOutbox(db, store, { enqueueWork: async () => {}, scheduleReply: null }, silent).checkRedis(
      'run-3',
    );
    expect(scheduled).toHaveLength(3);
    await Promise.all(Object.values(queues).map((q) => q.close()));
  });

  it('mail put back in the inbox by the filed-mail check opens a case that is not answered automatically', async () => {
    const { store } = await fresh('pg-recovered');
    await store.markRecovered('hash-9');
    const created = await store.createCase(draft(9), filing(9));
    expect((await store.get(created.ref))?.replySuppressed).toBe('recovered');
  });

  it('a mail with no case is not filed: the filing check finds none for it', async () => {
    const { store } = await fresh('pg-tofile');
    const kept = await store.createCase(draft(1), filing(1));
    await store.addFiling('default', filing(2));
    const pending = await store.pendingFilings('default');
    const byUid = new Map(pending.map((p) => [p.uid, p]));
    expect(
      await store.casesToFile(
        'default',
        [byUid.get(1), byUid.get(2)].filter((p) => p !== undefined),
      ),
    ).toEqual([kept.ref, null]);
  });

  it('follow-ups are listed once each, in order, and an update keeps them', async () => {
    const { store } = await fresh('pg-followups');
    const { ref } = await store.createCase(draft(1), filing(1));
    const mail = (uid: number) => ({ mailboxId: 'default', uidValidity: '1', uid });
    const plain = { messageIdHash: null, escalates: false };
    const attach = (uid: number, hash: string, at: string) =>
      store.attachFollowUp(ref, mail(uid), hash, new Date(at), filing(uid), plain).then((r) => r.attached);
    expect(await attach(3, 'f-3', '2026-11-22T10:00:00Z')).toBe(true);
    expect(await attach(2, 'f-2', '2026-11-21T10:00:00Z')).toBe(true);
    // The same follow-up seen again under another UID.
    expect(await attach(4, 'f-2', '2026-11-21T10:00:00Z')).toBe(false);
    await store.recordAnswer(ref, {
      at: new Date('2026-11-23T10:00:00Z'),
      channel: 'dashboard',
      by: null,
      sourceKey: 'dashboard:1',
    });
    const c = await store.get(ref);
    expect(c?.status).toBe('répondu');
    expect(c?.roundTrips).toBe(1);
    expect(c?.followUps.map((f) => [f.mail.uid, f.receivedAt])).toEqual([
      [2, '2026-11-21T10:00:00.000Z'],
      [3, '2026-11-22T10:00:00.000Z'],
    ]);
  });

  it('retention deletes old cases in batches with what hangs off them, and keeps anonymous monthly counts', async () => {
    const { db, store } = await fresh('pg-retention');
    for (let uid = 1; uid <= 7; uid++) {
      const month = uid <= 4 ? '2024-03' : '2024-04';
      const day = String(uid).padStart(2, '0');
      await store.createCase(
        draft(uid, {
          receivedAt: `${month}-${day}T09:00:00.000Z`,
          triagedAt: `${month}-${day}T09:00:01.000Z`,
          urgent: uid === 2,
        }),
        filing(uid),
        { replies: true, inReplyTo: null },
      );
    }
    const kept = await store.createCase(draft(8), filing(8));
    expect(await deleteExpiredCases(db, new Date('2025-01-01T00:00:00Z'), 3)).toBe(7);
    expect(await store.get(kept.ref)).not.toBeNull();
    for (const table of ['cases', 'case_mails', 'case_contents', 'outbox', 'filing_intents']) {
      const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
      // What remains is the kept case's (its filing intent is not a child of the case: the intake clears it).
      expect([table, n.rows[0]?.n]).toEqual([
        table,
        table === 'outbox' ? 1 : table === 'filing_intents' ? 8 : 1,
      ]);
    }
    const months = await monthlyAggregates(
      db,
      new Date('2024-01-01T00:00:00Z'),
      new Date('2025-01-01T00:00:00Z'),
    );
    expect(months.map((m) => [m.month, m.counts.mails, m.counts.requests, m.counts.urgent])).toEqual([
      ['2024-03-01', 4, 4, 1],
      ['2024-04-01', 3, 3, 0],
    ]);
    expect(JSON.stringify(months)).not.toMatch(/CDAP-/);
  });

  it('replicas starting at once on an empty schema apply its migrations once', async () => {
    const prefix = uniquePrefix('pg-migrate');
    const dbs = await Promise.all([1, 2, 3].map(() => openDatabase(databaseConfig(prefix), silent)));
    opened.push(...dbs);
    const applied = await sql<{
      name: string;
    }>`SELECT name FROM ${sql.id(schemaOf(prefix), 'kysely_migration')} ORDER BY name`.execute(
      dbs[0] as Database,
    );
    // Each migration once, all of them.
    expect(applied.rows.map((r) => r.name)).toEqual(new SqlFileMigrations().names());
  });

  it('the demo reset drops every table and function of the schema, and the next start migrates it again', async () => {
    const { db, prefix } = await fresh('pg-reset');
    const tables = await dropRecords(db, schemaOf(prefix));
    expect(tables).toBeGreaterThan(10);
    const again = await openDatabase(databaseConfig(prefix), silent);
    opened.push(again);
    const store = new CaseStore(again);
    expect((await store.createCase(draft(1), filing(1))).outcome).toBe('created');
  });

  it('refuses to start, with a message a person can act on, when the schema is newer than the code', async () => {
    const { db, prefix } = await fresh('pg-newer');
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_the_future', now()::text)`.execute(
      db,
    );
    await expect(openDatabase(databaseConfig(prefix), silent)).rejects.toMatchObject({
      code: 'DATABASE_SCHEMA_NEWER',
      message: expect.stringContaining('plus récente'),
    });
  });

  it('refuses to start when the database is missing or nothing answers', async () => {
    const prefix = uniquePrefix('pg-missing');
    const missing = testDatabaseUrl().replace(/\/[^/]*$/, '/cdap_no_such_database');
    await expect(openDatabase(databaseConfig(prefix, missing), silent)).rejects.toMatchObject({
      code: 'DATABASE_MISSING',
      message: expect.stringContaining('n’existe pas'),
    });
    // A port where nothing listens.
    const server = new pg.Client({ connectionString: testDatabaseUrl() });
    await server.connect();
    await server.end();
    await expect(
      openDatabase(databaseConfig(prefix, 'postgres://postgres@127.0.0.1:9/cdap'), silent),
    ).rejects.toMatchObject({
      code: 'DATABASE_UNREACHABLE',
      message: expect.stringContaining('ne répond pas'),
    });
  });
});
