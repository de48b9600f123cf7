import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../src/cases/caseRecord.js';
import { CaseStore } from '../src/cases/caseStore.js';
import { type LegacyCase, withLifecycle } from '../src/cases/migrateFromRedis.js';
import { loadConfig } from '../src/config/loadConfig.js';
import { type Database, openDatabase } from '../src/infra/database.js';
import { runCli } from './support/cli.js';
import { type Seeded01Case, seed01, synthetic01Cases } from './support/harness/redis01.mjs';
import { quietLog } from './support/pipeline.js';
import { caseRefsOf, queryRecords, schemaOf, testDatabaseUrl } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NBSP = '\u00a0';

const TABLES = [
  'cases',
  'case_mails',
  'case_contents',
  'follow_ups',
  'ref_sequences',
  'filing_intents',
  'located_mails',
  'store_meta',
];

describe('migrate-from-redis (a 0.1 Redis into PostgreSQL, real servers)', () => {
  const prefix = uniquePrefix('migrate');
  const env = {
    ...process.env,
    QUEUE_PREFIX: prefix,
    REDIS_URL: redisUrl,
    DATABASE_URL: testDatabaseUrl(),
    DATABASE_SCHEMA: schemaOf(prefix),
    LOG_LEVEL: 'silent',
  };
  const now = new Date();
  const from = new Date(now.getTime() - 400 * 86_400_000);
  let redis: Redis;
  let db: Database | null = null;
  let seeded: Seeded01Case[];
  let highest: Map<number, number>;
  let created = '';

  beforeAll(async () => {
    redis = new Redis(redisUrl);
    seeded = synthetic01Cases({ count: 80, from, to: now, seed: 13 });
    // Whatever the draw, one case with two follow-ups, one with a second copy of its mail,
    // and reply states that are not all 'sent'.
    const withFollowUps = seeded[10] as Seeded01Case;
    const uid = 10_000;
    withFollowUps.record.followUps = [
      {
        receivedAt: new Date(from.getTime() + 3_600_000).toISOString(),
        mail: { ...withFollowUps.record.mail, uid },
      },
      {
        receivedAt: new Date(from.getTime() + 7_200_000).toISOString(),
        mail: { ...withFollowUps.record.mail, uid: uid + 1 },
      },
    ];
    (seeded[11] as Seeded01Case).duplicates = [{ ...(seeded[11] as Seeded01Case).record.mail, uid: uid + 2 }];
    (seeded[12] as Seeded01Case).reply = {
      status: 'failed',
      reasonCode: 'refused',
      reason: '550: mailbox unavailable',
      at: now.toISOString(),
      messageId: null,
      text: null,
    };
    ({ highest } = await seed01(redis, prefix, seeded, { epoch: from, sequenceSlack: 3, pendingFilings: 2 }));
  });

  afterAll(async () => {
    await db?.destroy();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await queryRecords(prefix, `DROP SCHEMA IF EXISTS ${schemaOf(prefix)} CASCADE`);
  });

  const counts = async () => {
    const out: Record<string, number> = {};
    for (const t of TABLES) {
      const [row] = await queryRecords<{ n: number }>(prefix, `SELECT count(*)::int AS n FROM ${t}`);
      out[t] = row?.n ?? -1;
    }
    return out;
  };

  it('a dry run counts and writes nothing', async () => {
    const r = await runCli(['migrate-from-redis', '--dry-run'], env);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: expect.any(String) });
    expect(r.out).toContain(`80${NBSP}dossiers seraient copiés`);
    expect(await caseRefsOf(prefix)).toEqual([]);
  });

  it('copies every case with its follow-ups, reply state, mails, filings and sequence', async () => {
    const r = await runCli(['migrate-from-redis'], env);
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toContain(`80${NBSP}dossiers copiés`);
    expect(r.out).toContain(`0${NBSP}dossier déjà présent`);
    expect(r.out).toContain('--scan --pattern');

    const config = loadConfig({ env });
    db = await openDatabase(config.database, quietLog(), { migrate: false, poolSize: 2 });
    const store = new CaseStore(db);
    const refs = await caseRefsOf(prefix);
    expect(refs).toEqual(seeded.map((s) => s.record.ref));
    const stored = await store.getMany(refs);
    const byRef = new Map(stored.map((c) => [c.ref, c]));
    for (const s of seeded) {
      const legacy = s.record as unknown as LegacyCase;
      const expected = withLifecycle(legacy);
      expect(byRef.get(s.record.ref)).toEqual({ ...expected, replyState: s.reply } satisfies CaseRecord);
      // 0.1's "handled" (marked in the dashboard) is an answer given from the dashboard, at that time.
      const wanted = { open: 'nouveau', handled: 'répondu', recorded: 'enregistré' }[legacy.status];
      expect([legacy.status, expected.status, expected.answeredAt]).toEqual([
        legacy.status,
        wanted,
        legacy.status === 'handled' ? legacy.handledAt : null,
      ]);
      if (s.filed) expect(await store.filedAt(s.record.ref)).toEqual(s.filed);
    }

    const c = await counts();
    const followUps = seeded.reduce((n, s) => n + s.record.followUps.length, 0);
    const duplicates = seeded.reduce((n, s) => n + s.duplicates.length, 0);
    expect(c).toMatchObject({
      cases: 80,
      follow_ups: followUps,
      case_mails: 80 + followUps + duplicates,
      // Own bytes and each follow-up's.
      case_contents: 80 + followUps,
      filing_intents: 2,
      located_mails: 80,
      store_meta: 1,
    });
    const roles = await queryRecords<{ role: string; n: number }>(
      prefix,
      'SELECT role, count(*)::int AS n FROM case_mails GROUP BY role ORDER BY role',
    );
    expect(roles).toEqual(
      [
        { role: 'duplicate', n: duplicates },
        { role: 'follow-up', n: followUps },
        { role: 'own', n: 80 },
      ].filter((x) => x.n > 0),
    );
    // A second copy of the mail is found as the case's, as the intake asks.
    const dup = (seeded[11] as Seeded01Case).duplicates[0];
    if (!dup) throw new Error('no duplicate seeded');
    const owners = await store.casesToFile(dup.mailboxId, [
      { uidValidity: dup.uidValidity, uid: dup.uid, folder: 'standard', flagged: false },
    ]);
    expect(owners).toEqual([(seeded[11] as Seeded01Case).record.ref]);
    const seqs = await queryRecords<{ year: number; last: number }>(
      prefix,
      'SELECT year, last FROM ref_sequences ORDER BY year',
    );
    expect(seqs).toEqual([...highest].sort(([a], [b]) => a - b).map(([year, n]) => ({ year, last: n + 3 })));
    expect((await store.storeEpoch()).getTime()).toBe(from.getTime());
    expect(await store.pendingFilingCount('default')).toBe(2);
  });

  it('a second run copies nothing and duplicates nothing', async () => {
    const before = await counts();
    const r = await runCli(['migrate-from-redis'], env);
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toContain(`0${NBSP}dossier copié`);
    expect(r.out).toContain(`80${NBSP}dossiers déjà présents, laissés tels quels`);
    expect(await counts()).toEqual(before);
  });

  it('a case created afterwards gets the next reference after the migrated ones', async () => {
    if (!db) throw new Error('no database');
    const store = new CaseStore(db);
    const [extra] = synthetic01Cases({ count: 1, from: now, to: new Date(now.getTime() + 1000), seed: 99 });
    if (!extra) throw new Error('no case');
    const { ref: _ref, ...draft } = withLifecycle(extra.record as unknown as LegacyCase);
    const year = new Date(draft.receivedAt).getUTCFullYear();
    const mail = { mailboxId: 'default', uidValidity: '1', uid: 50_000 };
    const outcome = await store.createCase(
      { ...draft, mail },
      { uidValidity: mail.uidValidity, uid: mail.uid, folder: 'standard', flagged: false },
    );
    const next = (highest.get(year) ?? 0) + 3 + 1;
    expect(outcome).toMatchObject({
      outcome: 'created',
      ref: `CDAP-${year}-${String(next).padStart(6, '0')}`,
    });
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM cases`.execute(db);
    expect(r.rows[0]?.n).toBe(81);
    created = outcome.ref;
  });

  it('a 0.1 case whose reference PostgreSQL gives to another mail is not copied, and said so', async () => {
    const [other] = synthetic01Cases({ count: 1, from: now, to: new Date(now.getTime() + 1000), seed: 7 });
    if (!other) throw new Error('no case');
    other.record = {
      ...other.record,
      ref: created,
      mail: { mailboxId: 'default', uidValidity: '1', uid: 60_000 },
    };
    await seed01(redis, prefix, [other]);
    const before = await counts();
    const r = await runCli(['migrate-from-redis'], env);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`1${NBSP}dossier de Redis non copié`);
    expect(r.out).toContain(created);
    expect(r.out).toContain(`80${NBSP}dossiers déjà présents`);
    expect(await counts()).toEqual(before);
  });
});
