import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../infra/redisKeys.js';
import type { Role } from './accounts/roles.js';

/** Who a session was opened for: an account of the database, or the bootstrap administrator (userId null). */
export interface SessionOwner {
  user: string;
  userId: number | null;
  role: Role;
  /** The account's generation when the session opened (users.generation): a later one ends it. */
  generation: number;
}

/** A logged-in person: who, the token their forms must send back (CSRF), when they last did something. */
export interface Session extends SessionOwner {
  csrfToken: string;
  lastSeenAt: number;
}

export interface SessionTimes {
  /** Absolute lifetime (http.sessionHours): the Redis key's TTL, never extended. */
  ttlMs: number;
  /** A session unused for this long ends (http.idleMinutes). */
  idleMs: number;
}

/**
 * Dashboard sessions, kept in Redis with their lifetime as TTL so that every
 * replica sees them and logout ends them at once. The key holds a hash of the
 * session id: a copy of Redis gives no cookie to replay. Each use moves its
 * last-seen time (written at most once a minute, the TTL kept), so that an
 * idle session ends before its lifetime does.
 */
export class SessionStore {
  private readonly touchEveryMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly times: SessionTimes,
  ) {
    this.touchEveryMs = Math.min(60_000, times.idleMs / 10);
  }

  key(id: string): string {
    return redisKeys(this.prefix).session(id);
  }

  async create(owner: SessionOwner, now = Date.now()): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { ...owner, csrfToken: randomBytes(32).toString('base64url'), lastSeenAt: now };
    await this.redis.set(this.key(id), JSON.stringify(session), 'PX', this.times.ttlMs);
    return { id, session };
  }

  /** The session, used now; null when unknown, expired, idle too long, or of an older format. */
  async use(id: string, now = Date.now()): Promise<Session | null> {
    const json = await this.redis.get(this.key(id));
    if (!json) return null;
    const s = JSON.parse(json) as Partial<Session>;
    if (
      typeof s.user !== 'string' ||
      typeof s.csrfToken !== 'string' ||
      typeof s.role !== 'string' ||
      typeof s.lastSeenAt !== 'number' ||
      typeof s.generation !== 'number' ||
      !(typeof s.userId === 'number' || s.userId === null)
    )
      return null;
    const session = s as Session;
    if (now - session.lastSeenAt > this.times.idleMs) {
      await this.revoke(id);
      return null;
    }
    if (now - session.lastSeenAt >= this.touchEveryMs) {
      session.lastSeenAt = now;
      // XX: a session revoked meanwhile is not brought back.
      await this.redis.set(this.key(id), JSON.stringify(session), 'KEEPTTL', 'XX');
    }
    return session;
  }

  async revoke(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}
