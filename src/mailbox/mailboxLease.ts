import type { Redis } from 'ioredis';
import { extendKey, releaseKey, takeKey } from '../infra/ownedKey.js';

/**
 * One active intake per mailbox across all replicas: a Redis key held with a
 * TTL and renewed by its holder. A holder that dies stops renewing, and the
 * lease passes to another replica once the TTL runs out.
 */
export class MailboxLease {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  async acquire(): Promise<boolean> {
    return takeKey(this.redis, this.key, this.owner, this.ttlMs);
  }

  /** False when the lease was lost (expired and taken, or deleted). */
  async renew(): Promise<boolean> {
    return extendKey(this.redis, this.key, this.owner, this.ttlMs);
  }

  async release(): Promise<void> {
    await releaseKey(this.redis, this.key, this.owner);
  }

  /**
   * Runs fn while holding the lease (for a short job of a command, not an intake): renewed
   * every third of its TTL, released afterwards. `held: false` when another owner has it.
   */
  async holding<T>(fn: () => Promise<T>): Promise<{ held: true; value: T } | { held: false }> {
    if (!(await this.acquire())) return { held: false };
    const renewal = setInterval(() => void this.renew().catch(() => false), Math.max(500, this.ttlMs / 3));
    try {
      return { held: true, value: await fn() };
    } finally {
      clearInterval(renewal);
      await this.release().catch(() => {});
    }
  }
}
