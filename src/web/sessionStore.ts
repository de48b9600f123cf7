import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../infra/redisKeys.js';

/** A logged-in technician: who, and the token their forms must send back (CSRF). */
export interface Session {
  user: string;
  csrfToken: string;
}

/**
 * Dashboard sessions, kept in Redis with their lifetime as TTL so that every
 * replica sees them and logout ends them at once. The key holds a hash of the
 * session id: a copy of Redis gives no cookie to replay.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  key(id: string): string {
    return redisKeys(this.prefix).session(id);
  }

  async create(user: string): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { user, csrfToken: randomBytes(32).toString('base64url') };
    await this.redis.set(this.key(id), JSON.stringify(session), 'PX', this.ttlMs);
    return { id, session };
  }

  async get(id: string): Promise<Session | null> {
    const json = await this.redis.get(this.key(id));
    if (!json) return null;
    const s = JSON.parse(json) as Partial<Session>;
    return typeof s.user === 'string' && typeof s.csrfToken === 'string'
      ? { user: s.user, csrfToken: s.csrfToken }
      : null;
  }

  async revoke(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}
