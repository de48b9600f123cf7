import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const extendScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class ReplyBusyError extends Error {
  override name = 'ReplyBusyError';
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
    private readonly ttlMs: number,
  ) {}

  private key(ref: string): string {
    return `${this.prefix}:replylock:${ref}`;
  }

  async acquire(ref: string): Promise<string | null> {
    const token = randomUUID();
    return (await this.redis.set(this.key(ref), token, 'PX', this.ttlMs, 'NX')) === 'OK' ? token : null;
  }

  /** Still ours? Checked just before sending: a holder that lost it must not send. */
  async extend(ref: string, token: string): Promise<boolean> {
    return (await this.redis.eval(extendScript, 1, this.key(ref), token, String(this.ttlMs))) === 1;
  }

  async release(ref: string, token: string): Promise<void> {
    await this.redis.eval(releaseScript, 1, this.key(ref), token);
  }
}
