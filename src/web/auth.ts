import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  user: string;
  password: string;
}

function safeEqual(a: string, b: string): boolean {
  const ha = createHmac('sha256', 'cmp').update(a).digest();
  const hb = createHmac('sha256', 'cmp').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function credentialsMatch(given: Credentials, expected: Credentials): boolean {
  // Both compared, always: no early exit that would time the user name.
  const u = safeEqual(given.user, expected.user);
  const p = safeEqual(given.password, expected.password);
  return u && p;
}

/** Credentials of an `Authorization: Basic …` header, for API clients and Prometheus. */
export function basicCredentials(header: string | undefined): Credentials | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/**
 * Session cookies: `user.expiry.signature`, signed with HMAC-SHA256. Nothing
 * is stored server-side; a restart with a random secret ends every session.
 */
export class SessionSigner {
  private readonly secret: Buffer;

  constructor(
    secret: string,
    private readonly ttlMs: number,
  ) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }

  issue(user: string, now = Date.now()): string {
    const payload = `${Buffer.from(user).toString('base64url')}.${now + this.ttlMs}`;
    return `${payload}.${this.sign(payload)}`;
  }

  /** The user of a valid, unexpired session cookie; null otherwise. */
  verify(cookie: string | undefined, now = Date.now()): string | null {
    if (!cookie) return null;
    const parts = cookie.split('.');
    if (parts.length !== 3) return null;
    const [user, expiry, signature] = parts as [string, string, string];
    const expected = this.sign(`${user}.${expiry}`);
    if (
      signature.length !== expected.length ||
      !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
    ) {
      return null;
    }
    if (Number(expiry) < now) return null;
    return Buffer.from(user, 'base64url').toString('utf8');
  }
}
