import type { Redis } from 'ioredis';
import { redisKeys } from '../infra/redisKeys.js';

/**
 * Large mails travel to triage as binary Redis strings rather than inside the
 * job's JSON: no latin1 copy, no JSON escaping, one buffer in, one buffer out.
 * Deleted once triaged; the expiry only catches what a crash left behind.
 */
export class RawMailStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = 14 * 86_400_000,
  ) {}

  key(jobId: string): string {
    return redisKeys(this.prefix).raw(jobId);
  }

  /** Starts a mail that arrives in pieces (see append). */
  async begin(key: string): Promise<void> {
    await this.redis.set(key, '', 'PX', this.ttlMs);
  }

  async append(key: string, chunk: Buffer): Promise<void> {
    await this.redis.append(key, chunk);
  }

  /**
   * Reads the mail back into one buffer of its exact size, a megabyte at a
   * time: no intermediate copies of a 20 MB mail.
   */
  async get(key: string): Promise<Buffer | null> {
    const size = await this.redis.strlen(key);
    if (size === 0) return (await this.redis.exists(key)) ? Buffer.alloc(0) : null;
    const out = Buffer.allocUnsafeSlow(size);
    const step = 1024 * 1024;
    for (let at = 0; at < size; at += step) {
      const part = await this.redis.getrangeBuffer(key, at, Math.min(size, at + step) - 1);
      part.copy(out, at);
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }
}

/** Mails above this size go through RawMailStore; the common few-kilobyte mail stays in the job. */
export const INLINE_SOURCE_MAX_BYTES = 256 * 1024;
