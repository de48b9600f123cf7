import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStats, type Stats, yearRange } from '../src/cases/indicators.js';
import { deleteExpiredCases, monthlyAggregates } from '../src/cases/retention.js';
import { type Database, openDatabase } from '../src/infra/database.js';
import { createLogger } from '../src/log.js';
import { schemaOf, testDatabaseUrl } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const DEADLINES = { standardDueDays: 10, urgentDueWorkingDays: 2 };
const DAY = 86_400_000;

/**
 * The committee compares years long after retention deleted their cases: the
 * counts of a past year (flows, urgencies, delays against the deadlines,
 * round trips, format per CDAS) must read the same from the anonymous
 * monthly aggregates as from the cases themselves.
 */
describe('indicators of a past year survive retention (real PostgreSQL)', () => {
  let db: Database;
  let redis: Redis;
  const prefix = uniquePrefix('indicators-retention');
  let seq = 0;

  type Round = { startedAt: string; dueAt: string; answeredAt?: string };
  async function insertRequest(c: {
    receivedAt: string;
    urgent?: boolean;
    unsubstantiated?: boolean;
    cdas: string;
    prestations: string[];
    lintErrors?: number;
    unreadable?: boolean;
    status?: 'nouveau' | 'répondu' | 'clos';
    rounds: Round[];
  }): Promise<void> {
    seq++;
    const ref = `CDAP-2023-${String(seq).padStart(6, '0')}`;
    const first = c.rounds[0] as Round;
    const last = c.rounds[c.rounds.length - 1] as Round;
    const at = (iso: string | undefined) => (iso ? new Date(iso) : null);
    await db
      .insertInto('cases')
      .values({
        ref,
        year: 2023,
        seq,
        mailbox_id: 'default',
        uid_validity: '1',
        uid: seq,
        content_hash: ref,
        received_at: new Date(c.receivedAt),
        triaged_at: new Date(c.receivedAt),
        route: c.urgent && !c.unsubstantiated ? 'priority' : 'standard',
        status: c.status ?? (last.answeredAt ? 'répondu' : 'nouveau'),
        kind: 'cdap-form',
        urgent: c.urgent ?? false,
        urgency_check: c.urgent ? (c.unsubstantiated ? 'unsubstantiated' : 'substantiated') : null,
        cdas_id: null,
        cdas_name: c.cdas,
        motif: 'non-paiement',
        prestations: c.prestations,
        rules: c.lintErrors ? ['rubric-missing'] : [],
        unreadable: c.unreadable ?? false,
        multiple_situations: false,
        lint_errors: c.lintErrors ?? 0,
        lint_warnings: 0,
        backfill: false,
        due_at: at(last.dueAt),
        answered_at: at(last.answeredAt),
        first_answered_at: at(first.answeredAt),
        round_trips: c.rounds.length,
        round_started_at: new Date(last.startedAt),
        record: '{}',
      } as never)
      .execute();
    for (const [i, r] of c.rounds.entries())
      await sql`INSERT INTO case_rounds (ref, round, started_at, due_at, answered_at)
        VALUES (${ref}, ${i + 1}, ${new Date(r.startedAt)}, ${at(r.dueAt)}, ${at(r.answeredAt)})`.execute(db);
  }

  /** A standard round trip: due 10 days after it began, answered after `hours` (none: never). */
  const standard = (startedAt: string, hours?: number): Round => {
    const start = new Date(startedAt).getTime();
    return {
      startedAt,
      dueAt: new Date(start + 10 * DAY).toISOString(),
      ...(hours === undefined ? {} : { answeredAt: new Date(start + hours * 3_600_000).toISOString() }),
    };
  };

  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    db = await openDatabase(
      {
        url: testDatabaseUrl(),
        schema: schemaOf(prefix),
        poolSize: 4,
        statementTimeoutMs: 10_000,
        connectionTimeoutMs: 5000,
      },
      createLogger({ level: 'silent' }),
    );
    await insertRequest({
      receivedAt: '2023-03-06T09:00:00Z',
      cdas: 'CDAS Rennes',
      prestations: ['RSA'],
      rounds: [standard('2023-03-06T09:00:00Z', 50)],
    });
    await insertRequest({
      receivedAt: '2023-03-07T09:00:00Z',
      cdas: 'CDAS Rennes',
      prestations: ['RSA', 'APL'],
      lintErrors: 1,
      status: 'clos',
      rounds: [standard('2023-03-07T09:00:00Z', 300)],
    });
    // Reopened in April by the CDAS, then a third time in May: its rounds are counted in their own months.
    await insertRequest({
      receivedAt: '2023-03-28T09:00:00Z',
      cdas: 'CDAS Fougères',
      prestations: [],
      rounds: [
        standard('2023-03-28T09:00:00Z', 24),
        standard('2023-04-10T09:00:00Z', 260),
        standard('2023-05-02T09:00:00Z', 10),
      ],
    });
    // Urgent on Wednesday, due Friday: answered Thursday, then Monday (late).
    await insertRequest({
      receivedAt: '2023-04-12T10:00:00Z',
      urgent: true,
      cdas: 'CDAS Fougères',
      prestations: ['AAH'],
      rounds: [
        {
          startedAt: '2023-04-12T10:00:00Z',
          dueAt: '2023-04-14T10:00:00Z',
          answeredAt: '2023-04-13T10:00:00Z',
        },
      ],
    });
    await insertRequest({
      receivedAt: '2023-04-19T10:00:00Z',
      urgent: true,
      unsubstantiated: true,
      cdas: 'CDAS Redon',
      prestations: ['RSA'],
      lintErrors: 2,
      rounds: [
        {
          startedAt: '2023-04-19T10:00:00Z',
          dueAt: '2023-04-21T10:00:00Z',
          answeredAt: '2023-04-24T10:00:00Z',
        },
      ],
    });
    // Never answered; and an unreadable one.
    await insertRequest({
      receivedAt: '2023-06-01T09:00:00Z',
      cdas: 'CDAS Redon',
      prestations: ['PPA'],
      rounds: [standard('2023-06-01T09:00:00Z')],
    });
    await insertRequest({
      receivedAt: '2023-06-02T09:00:00Z',
      cdas: 'CDAS Vitré',
      prestations: ['RSA'],
      unreadable: true,
      rounds: [standard('2023-06-02T09:00:00Z', 30)],
    });
  });

  afterAll(async () => {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schemaOf(prefix))} CASCADE`.execute(db).catch(() => {});
    await db?.destroy();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  /** Everything but what only the cases themselves can give (percentiles, the weekly format). */
  const counts = (s: Stats) => {
    const {
      medianHoursToFirstAnswer: _median,
      formatOverTime: _weekly,
      archivedMonths: _archived,
      delays,
      ...rest
    } = s;
    const share = ({ rounds, withinDeadline, pending, share }: Stats['delays']['all']) => ({
      rounds,
      withinDeadline,
      pending,
      share,
    });
    return {
      ...rest,
      delays: {
        ...delays,
        all: share(delays.all),
        standard: share(delays.standard),
        urgent: share(delays.urgent),
      },
    };
  };

  it('reads the same counts from the monthly aggregates once the cases are deleted', async () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const before = await readStats(db, yearRange(2023), now, DEADLINES);
    // Hand-counted: standard rounds within 10 days: March 50 h and 24 h, May 10 h, June 30 h
    // (not March's 300 h, April's 260 h, June's unanswered) → 4 of 7; urgent: April's Thursday → 1 of 2.
    expect(before.delays.standard).toMatchObject({ rounds: 7, withinDeadline: 4, share: 57.1 });
    expect(before.delays.urgent).toMatchObject({ rounds: 2, withinDeadline: 1, share: 50 });
    expect(before.delays.byMonth.slice(2, 6).map((m) => [m.standard.rounds, m.urgent.rounds])).toEqual([
      [3, 0],
      [1, 2],
      [1, 0],
      [2, 0],
    ]);
    expect(before.roundTrips).toMatchObject({ settled: 6, one: 5, two: 0, threeOrMore: 1, average: 1.33 });
    expect(before.formatByCdas.map((c) => [c.cdas, c.mails, c.withoutFormatError])).toEqual([
      ['CDAS Fougères', 2, 2],
      ['CDAS Redon', 2, 1],
      ['CDAS Rennes', 2, 1],
    ]);

    expect(await deleteExpiredCases(db, new Date('2024-01-01T00:00:00Z'), 4)).toBe(7);
    const after = await readStats(db, yearRange(2023), now, DEADLINES);
    expect(after.requests).toBe(7);
    expect(counts(after)).toEqual(counts(before));
    expect(after.archivedMonths).toEqual(['2023-03-01', '2023-04-01', '2023-05-01', '2023-06-01']);
    // What needs the cases themselves is gone with them.
    expect([after.medianHoursToFirstAnswer, after.delays.all.medianHours, after.formatOverTime]).toEqual([
      null,
      null,
      [],
    ]);
    // May has no request of its own, only the third round trip of March's.
    const may = (await monthlyAggregates(db, new Date('2023-05-01'), new Date('2023-06-01')))[0];
    expect(may?.counts).toMatchObject({ mails: 0, requests: 0, standardRounds: 1, standardRoundsWithin: 1 });
    expect(
      JSON.stringify(await monthlyAggregates(db, new Date('2023-01-01'), new Date('2024-01-01'))),
    ).not.toMatch(/CDAP-/);
  });
});
