import type { Redis } from 'ioredis';
import { LuaScript } from '../infra/luaScript.js';
import { keyFingerprint, type RedisKeys, redisKeys } from '../infra/redisKeys.js';

export interface RateLimits {
  perRecipientPerHour: number;
  perRecipientPerDay: number;
  sameSubjectPerDay: number;
}

/** The limits, by the names the admit script returns (and metrics use as labels). */
export const RATE_LIMIT_NAMES = ['per-recipient-hour', 'per-recipient-day', 'same-subject-day'] as const;

/** Which limit held a reply back. */
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

/** A limit that only delays a reply: a busy address, not a loop. */
export type DeferringLimit = Exclude<RateLimitName, 'same-subject-day'>;

/** What the admit script returns, and what it keeps as a case's final decision: 'ok' or a limit's name. */
export type AdmitDecision = 'ok' | RateLimitName;

const decisions: ReadonlySet<string> = new Set<AdmitDecision>(['ok', ...RATE_LIMIT_NAMES]);

function readDecision(value: unknown): AdmitDecision {
  if (typeof value === 'string' && decisions.has(value)) return value as AdmitDecision;
  throw new Error(`reply rate limit script answered ${JSON.stringify(value)}`);
}

export type Admission =
  | { ok: true }
  /** Looks like a loop (the same subject over and over): this reply never goes. */
  | { ok: false; limit: 'same-subject-day'; final: true }
  /** A busy address: this reply goes at `retryAt`, when its window has room again. */
  | { ok: false; limit: DeferringLimit; final: false; retryAt: Date };

/**
 * Checks every limit and counts the reply only when it is admitted, in one
 * step, and remembers the case's final decision so a retry is not counted twice.
 * KEYS: [1] the case's decision, [2] hour count, [3] day count, [4] same-subject count (absent
 *   when the subject says nothing).
 * ARGV: [1] hour limit, [2] day limit, [3] subject limit, [4] case decision TTL (s), then one
 *   TTL (ms) per count key, in KEYS order.
 * Returns an AdmitDecision: 'ok', or the name of the limit that held the reply back. KEYS[1]
 * keeps only a final decision ('ok' or 'same-subject-day'): a deferred reply is asked again.
 */
const admitScript = new LuaScript(`
local decided = redis.call('GET', KEYS[1])
if decided then return decided end
local limits = {tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])}
if KEYS[4] and tonumber(redis.call('GET', KEYS[4]) or '0') >= limits[3] then
  redis.call('SET', KEYS[1], 'same-subject-day', 'EX', ARGV[4])
  return 'same-subject-day'
end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= limits[1] then return 'per-recipient-hour' end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= limits[2] then return 'per-recipient-day' end
for i = 2, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[3 + i]) end
end
redis.call('SET', KEYS[1], 'ok', 'EX', ARGV[4])
return 'ok'
`);

/** Ticket numbers and dates change from one robot answer to the next; the words stay. */
export function subjectShape(topic: string): string {
  return topic.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
}

/**
 * The last guard against mail loops: however a robot slipped through, the
 * same subject (numbers aside) is not answered over and over to one address.
 * A busy address — a CDAS writing many real requests — is only made to wait:
 * its acknowledgements go later, in the next window.
 */
export class ReplyRateLimit {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly limits: RateLimits,
  ) {
    this.keys = redisKeys(prefix);
  }

  /**
   * `topic` is the incoming subject, or null when the sender did not choose it
   * (the CDAP form robot writes the same subject on every mail).
   */
  async admit(ref: string, recipient: string, topic: string | null, now: Date): Promise<Admission> {
    const who = keyFingerprint(recipient.toLowerCase());
    const hour = Math.floor(now.getTime() / 3_600_000);
    const day = Math.floor(now.getTime() / 86_400_000);
    const keys = [this.keys.rateCase(ref), this.keys.rateHour(who, hour), this.keys.rateDay(who, day)];
    if (topic !== null) keys.push(this.keys.rateSubject(who, keyFingerprint(subjectShape(topic)), day));
    const ttls = ['3600000', '86400000', '86400000'].slice(0, keys.length - 1);
    const { perRecipientPerHour, perRecipientPerDay, sameSubjectPerDay } = this.limits;
    const decision = readDecision(
      await admitScript.run(this.redis, keys, [
        String(perRecipientPerHour),
        String(perRecipientPerDay),
        String(sameSubjectPerDay),
        String(86_400 * 2),
        ...ttls,
      ]),
    );
    if (decision === 'ok') return { ok: true };
    if (decision === 'same-subject-day') return { ok: false, limit: decision, final: true };
    // Spread over the first minutes of the next window, so a deferred burst does not leave at once.
    const windowMs = decision === 'per-recipient-hour' ? 3_600_000 : 86_400_000;
    const next = (Math.floor(now.getTime() / windowMs) + 1) * windowMs;
    return { ok: false, limit: decision, final: false, retryAt: new Date(next + Math.random() * 300_000) };
  }
}
