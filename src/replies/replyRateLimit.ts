import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface RateLimits {
  perRecipientPerHour: number;
  perRecipientPerDay: number;
  sameSubjectPerDay: number;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

const countScript = `
local counts = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[i]) end
  counts[i] = n
end
return counts
`;

/**
 * The last guard against mail loops: however a robot slipped through, no
 * address gets more than a few answers an hour, nor the same subject answered
 * over and over. Counted once per case, so retries do not count twice.
 */
export class ReplyRateLimit {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: RateLimits,
  ) {}

  /**
   * Counts this reply and says whether it may go out, and if not, which limit
   * stopped it. `topic` is the incoming subject, or null when the sender did
   * not choose it (the CDAP form robot writes the same subject on every mail).
   */
  async admit(
    ref: string,
    recipient: string,
    topic: string | null,
    now: Date,
  ): Promise<{ ok: true } | { ok: false; limit: string }> {
    // The first decision for a case is kept: a retry of the same reply gets the same answer.
    const caseKey = `${this.prefix}:rl:case:${ref}`;
    const first = await this.redis.set(caseKey, 'pending', 'EX', 86_400 * 2, 'NX');
    if (!first) {
      const decided = await this.redis.get(caseKey);
      if (decided === 'ok') return { ok: true };
      if (decided && decided !== 'pending') return { ok: false, limit: decided };
    }
    const who = hash(recipient.toLowerCase());
    const hour = Math.floor(now.getTime() / 3_600_000);
    const day = Math.floor(now.getTime() / 86_400_000);
    const keys = [`${this.prefix}:rl:h:${who}:${hour}`, `${this.prefix}:rl:d:${who}:${day}`];
    if (topic !== null) {
      const about = hash(topic.toLowerCase().replace(/\s+/g, ' ').trim());
      keys.push(`${this.prefix}:rl:s:${who}:${about}:${day}`);
    }
    const ttls = ['3600000', '86400000', '86400000'].slice(0, keys.length);
    const counts = first
      ? ((await this.redis.eval(countScript, keys.length, ...keys, ...ttls)) as number[])
      : (await this.redis.mget(keys)).map((v) => Number(v ?? 0));
    const [h = 0, d = 0, s = 0] = counts;
    const limit =
      h > this.limits.perRecipientPerHour
        ? 'per-recipient-hour'
        : d > this.limits.perRecipientPerDay
          ? 'per-recipient-day'
          : s > this.limits.sameSubjectPerDay
            ? 'same-subject-day'
            : null;
    await this.redis.set(caseKey, limit ?? 'ok', 'EX', 86_400 * 2);
    return limit ? { ok: false, limit } : { ok: true };
  }
}
