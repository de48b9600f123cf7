import type { Redis } from 'ioredis';
import { redisKeys } from '../infra/redisKeys.js';

export interface ThrottleSettings {
  /** Failed attempts allowed per window, per client address and per user name. */
  maxFailures: number;
  windowMs: number;
}

/**
 * Failed logins, counted in Redis per client address and per user name over a
 * fixed window, for the login form and HTTP Basic alike: a guesser gains
 * nothing by switching path, replica or (for a user name) address. Once either
 * count reaches the limit, every attempt for that address or name is refused,
 * right or wrong, until the window ends.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly settings: ThrottleSettings,
  ) {}

  /** No user name (an API token): the address only. */
  private keys(ip: string, user: string | null): string[] {
    const keys = redisKeys(this.prefix);
    return user === null
      ? [keys.loginFailuresByAddress(ip)]
      : [keys.loginFailuresByAddress(ip), keys.loginFailuresByUser(user)];
  }

  /** Seconds until an attempt from this address for this user may be tried; 0 when it may now. */
  async lockedForSeconds(ip: string, user: string | null): Promise<number> {
    const keys = this.keys(ip, user);
    const pipeline = this.redis.pipeline();
    for (const k of keys) pipeline.get(k).pttl(k);
    const replies = (await pipeline.exec()) ?? [];
    let waitMs = 0;
    for (let i = 0; i < keys.length; i++) {
      const [errCount, count] = replies[2 * i] ?? [];
      const [errTtl, ttl] = replies[2 * i + 1] ?? [];
      if (errCount) throw errCount;
      if (errTtl) throw errTtl;
      if (Number(count ?? 0) >= this.settings.maxFailures) {
        waitMs = Math.max(waitMs, Number(ttl) > 0 ? Number(ttl) : this.settings.windowMs);
      }
    }
    return Math.ceil(waitMs / 1000);
  }

  async recordFailure(ip: string, user: string | null): Promise<void> {
    const pipeline = this.redis.multi();
    // The first failure opens the window; INCR keeps the key's expiry.
    for (const k of this.keys(ip, user)) pipeline.set(k, 0, 'PX', this.settings.windowMs, 'NX').incr(k);
    await pipeline.exec();
  }
}
