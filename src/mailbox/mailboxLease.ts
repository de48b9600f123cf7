import type { Redis } from 'ioredis';

const renewScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

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
    return (await this.redis.set(this.key, this.owner, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** False when the lease was lost (expired and taken, or deleted). */
  async renew(): Promise<boolean> {
    return (await this.redis.eval(renewScript, 1, this.key, this.owner, String(this.ttlMs))) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(releaseScript, 1, this.key, this.owner);
  }
}
