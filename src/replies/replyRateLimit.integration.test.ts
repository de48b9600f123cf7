import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys, uniquePrefix } from '../../tests/support/redis.js';
import { ReplyRateLimit, subjectShape } from './replyRateLimit.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = uniquePrefix('ratelimit');
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe('ReplyRateLimit (real Redis): the loop breaker', () => {
  const limit = new ReplyRateLimit(redis, prefix, {
    perRecipientPerHour: 5,
    perRecipientPerDay: 8,
    sameSubjectPerDay: 3,
  });
  const now = new Date('2026-11-20T10:00:00Z');

  it('stops for good the 4th answer to one address on the same subject, and counts a retried case once', async () => {
    const results = [];
    for (let i = 1; i <= 4; i++)
      results.push((await limit.admit(`REF-S${i}`, 'robot@ille-et-vilaine.fr', 'Absence', now)).ok);
    expect(results).toEqual([true, true, true, false]);
    expect(await limit.admit('REF-S4', 'robot@ille-et-vilaine.fr', 'Absence', now)).toEqual({
      ok: false,
      limit: 'same-subject-day',
      final: true,
    });
    // The same case asked again (a retry) does not count again.
    expect((await limit.admit('REF-S1', 'robot@ille-et-vilaine.fr', 'Absence', now)).ok).toBe(true);
  });

  it('sees an auto-responder whose ticket number changes each time as the same subject', async () => {
    expect(subjectShape('Ticket #10231 : message reçu')).toBe(subjectShape('ticket #10232 :  message reçu'));
    const ok = [];
    for (let i = 1; i <= 5; i++)
      ok.push(
        (await limit.admit(`REF-T${i}`, 'helpdesk@ille-et-vilaine.fr', `Ticket #${1000 + i} reçu`, now)).ok,
      );
    expect(ok).toEqual([true, true, true, false, false]);
  });

  it('defers, not drops, answers past the hourly limit of an address: they go in the next hour', async () => {
    const ok = [];
    for (let i = 1; i <= 6; i++)
      ok.push((await limit.admit(`REF-H${i}`, 'cdas-x@ille-et-vilaine.fr', null, now)).ok);
    expect(ok).toEqual([true, true, true, true, true, false]);
    const held = await limit.admit('REF-H7', 'cdas-x@ille-et-vilaine.fr', null, now);
    expect(held).toMatchObject({ ok: false, limit: 'per-recipient-hour', final: false });
    const retryAt = held.ok || held.final ? new Date(0) : held.retryAt;
    expect(retryAt.getTime()).toBeGreaterThanOrEqual(new Date('2026-11-20T11:00:00Z').getTime());
    // A deferral is not counted: in the next hour the same case is admitted.
    expect((await limit.admit('REF-H7', 'cdas-x@ille-et-vilaine.fr', null, retryAt)).ok).toBe(true);
  });

  it('does not limit CDAP form mails by subject (the robot writes the same one every time)', async () => {
    const ok = [];
    for (let i = 1; i <= 5; i++)
      ok.push((await limit.admit(`REF-F${i}`, 'camille@ille-et-vilaine.fr', null, now)).ok);
    expect(ok.every(Boolean)).toBe(true);
  });
});
