import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../src/cases/caseRecord.js';
import { CaseStore, SEQUENCE_JUMP } from '../src/cases/caseStore.js';
import { createLogger } from '../src/log.js';
import { fixture, testAnalyzer } from './support/analyzer.js';
import { caseFor } from './support/cases.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

// The shared Redis, each test with its own prefix: nothing here stops it.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RETENTION_MS = 86_400_000;

function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'info',
    stream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines };
}

describe('case store against Redis losing its latest writes', () => {
  let redis: Redis;
  let template: CaseRecord;
  const prefixes: string[] = [];

  beforeAll(async () => {
    redis = new Redis(url);
    const analysis = await testAnalyzer()(fixture('form-standard-clean.eml'), {
      receivedAt: new Date('2026-11-20T09:00:00Z'),
    });
    template = caseFor(analysis);
  });
  afterAll(async () => {
    for (const p of prefixes) await deleteKeys(redis, p);
    redis.disconnect();
  });

  function store(extra: { log?: ReturnType<typeof logCapture>['log'] } = {}) {
    const prefix = uniquePrefix('durability');
    prefixes.push(prefix);
    return new CaseStore(redis, prefix, RETENTION_MS, extra);
  }

  function draft(uid: number): Omit<CaseRecord, 'ref'> {
    const { ref: _ref, ...rest } = template;
    return { ...rest, mail: { mailboxId: 'default', uidValidity: '1', uid }, contentHash: `hash-${uid}` };
  }
  const filing = (uid: number) => ({ uidValidity: '1', uid, folder: 'standard' as const, flagged: false });

  it('a sequence gone back in time jumps past every number issued, never reuses one, and says so at error', async () => {
    const { log, lines } = logCapture();
    const cases = store({ log });
    const issued: string[] = [];
    for (let uid = 1; uid <= 5; uid++) issued.push((await cases.createCase(draft(uid), filing(uid))).ref);
    expect(issued.at(-1)).toBe('CDAP-2026-000005');
    // Redis restarted from an older append-only file: the counter is back at 2.
    await redis.set(cases.keys.sequence(2026), '2');
    const next = await cases.createCase(draft(6), filing(6));
    expect(next.outcome).toBe('created');
    expect(issued).not.toContain(next.ref);
    expect(next.ref).toBe(`CDAP-2026-${String(5 + SEQUENCE_JUMP).padStart(6, '0')}`);
    const after = await cases.createCase(draft(7), filing(7));
    expect(after.ref).toBe(`CDAP-2026-${String(5 + SEQUENCE_JUMP + 1).padStart(6, '0')}`);
    const regressed = lines.filter((l) => l.event === 'cases.sequence_regressed');
    expect(regressed).toHaveLength(1);
    expect(regressed[0]).toMatchObject({ level: 50, year: 2026, counter: 3, floor: 5 });
  });

  it('a case Redis lost comes back from the journal with its reference and reply state; its mail finds it again', async () => {
    const { log, lines } = logCapture();
    const cases = store({ log });
    const created = await cases.createCase(draft(1), filing(1));
    await cases.setReplyState(created.ref, {
      status: 'sent',
      reasonCode: null,
      reason: null,
      at: new Date().toISOString(),
      messageId: `<${created.ref}.ack@caf35.example.fr>`,
      text: null,
    });
    // Everything written after the last fsync is gone.
    const keys = await redis.keys(`${cases.keys.case('').replace(/:case:$/, '')}:*`);
    await redis.del(...keys);
    expect(await cases.restoreVanished()).toBe(1);
    expect((await cases.get(created.ref))?.mail.uid).toBe(1);
    expect((await cases.getReplyState(created.ref))?.status).toBe('sent');
    expect(await cases.refForMail({ mailboxId: 'default', uidValidity: '1', uid: 1 })).toBe(created.ref);
    // Its filing is asked for again (the mail had not left the inbox).
    expect(await cases.hasFiling('default', '1', 1)).toBe(true);
    expect(lines.some((l) => l.event === 'cases.restored' && l.ref === created.ref)).toBe(true);

    // Lost again, and this time the mail is triaged again before the periodic check:
    // no second case, and the next new case does not take its number.
    await redis.del(...(await redis.keys(`${cases.keys.case('').replace(/:case:$/, '')}:*`)));
    const again = await cases.createCase(draft(1), filing(1));
    expect(again).toEqual({ outcome: 'existing', ref: created.ref });
    const other = await cases.createCase(draft(2), filing(2));
    expect(other.ref).not.toBe(created.ref);
  });

  it('a reply job handed out again after the loss sees the outcome from the journal, not the older pending state', async () => {
    const cases = store();
    const created = await cases.createCase(draft(1), filing(1));
    await cases.setReplyState(created.ref, {
      status: 'sent',
      reasonCode: null,
      reason: null,
      at: new Date().toISOString(),
      messageId: null,
      text: null,
    });
    // The older file held the state written before the send: 'pending', which after its grace
    // period means "send again".
    await redis.set(
      cases.keys.reply(created.ref),
      JSON.stringify({
        status: 'pending',
        reason: 'sending',
        at: new Date().toISOString(),
        messageId: null,
        text: null,
      }),
    );
    await redis.del(cases.keys.case(created.ref));
    // No periodic check ran: the read itself answers from the journal, and writes it back.
    expect((await cases.get(created.ref))?.replyState?.status).toBe('sent');
    expect(JSON.parse((await redis.get(cases.keys.reply(created.ref))) ?? '{}').status).toBe('sent');
  });

  it('mail put back in the inbox by the filed-mail check opens a case that is not answered automatically', async () => {
    const cases = store();
    await cases.markRecovered('hash-9');
    const created = await cases.createCase(draft(9), filing(9));
    expect((await cases.get(created.ref))?.replySuppressed).toBe('recovered');
  });

  it('a mail whose case vanished is not filed: the filing check finds no case for it', async () => {
    const cases = store();
    const kept = await cases.createCase(draft(1), filing(1));
    const lost = await cases.createCase(draft(2), filing(2));
    await redis.del(cases.keys.case(lost.ref));
    const pending = await cases.pendingFilings('default');
    const byUid = new Map(pending.map((p) => [p.uid, p]));
    expect(
      await cases.casesToFile(
        'default',
        [byUid.get(1), byUid.get(2)].filter((p) => p !== undefined),
      ),
    ).toEqual([kept.ref, null]);
    // Each filing carries its time, for the filing delay.
    expect(byUid.get(1)?.at).toBeGreaterThan(0);
  });
});
