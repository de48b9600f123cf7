import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CdapError } from '../infra/errors.js';
import { extendKey, releaseKey, takeKey } from '../infra/ownedKey.js';
import { redisKeys } from '../infra/redisKeys.js';

export class ReplyBusyError extends CdapError {
  override name = 'ReplyBusyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('REPLY_BUSY', message, options);
  }
}

/**
 * One sender per reply at a time. BullMQ may hand a job whose lock expired
 * (Redis was away, the process stalled) to a second worker while the first
 * still runs; without this both would send.
 */
export class ReplyLock {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** The lock frees itself this long after its last renewal. */
    readonly ttlMs: number,
  ) {}

  private key(ref: string): string {
    return redisKeys(this.prefix).replyLock(ref);
  }

  async acquire(ref: string): Promise<string | null> {
    const token = randomUUID();
    return (await takeKey(this.redis, this.key(ref), token, this.ttlMs)) ? token : null;
  }

  /** Still ours? Checked just before sending: a holder that lost it must not send. */
  async extend(ref: string, token: string): Promise<boolean> {
    return extendKey(this.redis, this.key(ref), token, this.ttlMs);
  }

  async release(ref: string, token: string): Promise<void> {
    await releaseKey(this.redis, this.key(ref), token);
  }
}
