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
}
