import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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

/** Equality of two secrets (tokens) in constant time. */
export function tokensMatch(given: string, expected: string): boolean {
  return safeEqual(given, expected);
}

/** Credentials of an `Authorization: Basic …` header, for API clients and Prometheus. */
export function basicCredentials(header: string | undefined): Credentials | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/**
 * A user name, client address or session id as logs and Redis keys may hold
 * it: a short stable hash, enough to follow one attacker, not to read a name.
 */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/**
 * Session cookies: `id.signature`. The id names a session kept in Redis
 * (SessionStore), so logout revokes it; the signature lets a forged cookie be
 * refused without a Redis round trip. A random secret per process (when none
 * is configured) ends every session at restart.
 */
export class SessionSigner {
  private readonly secret: Buffer;

  constructor(secret: string) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }

  issue(id: string): string {
    return `${id}.${this.sign(id)}`;
  }

  /** The session id of a well-signed cookie; null otherwise. */
  verify(cookie: string | undefined): string | null {
    if (!cookie) return null;
    const parts = cookie.split('.');
    if (parts.length !== 2) return null;
    const [id, signature] = parts as [string, string];
    const expected = this.sign(id);
    if (
      signature.length !== expected.length ||
      !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
    ) {
      return null;
    }
    return id;
  }
}
