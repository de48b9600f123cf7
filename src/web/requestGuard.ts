import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../log.js';
import type { SessionSigner } from './auth.js';
import { basicCredentials, type Credentials, credentialsMatch, fingerprint, tokensMatch } from './auth.js';
import type { LoginThrottle } from './loginThrottle.js';
import type { Session, SessionStore } from './sessionStore.js';
import { loginPage } from './views.js';

export const SESSION_COOKIE = 'cdap_session';
/** Read by Bull Board's HTTP client (axios), which sends it back as X-XSRF-TOKEN on its own requests. */
const BOARD_XSRF_COOKIE = 'XSRF-TOKEN';
const PUBLIC = new Set(['/healthz', '/login', '/assets/app.css']);
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Who made a request, and how they proved it. */
type Authenticated =
  | { via: 'session'; user: string; sessionId: string; session: Session }
  | { via: 'basic'; user: string };

declare module 'fastify' {
  interface FastifyRequest {
    auth?: Authenticated;
  }
}

/** A token Bull Board's pages can hold without revealing the one the dashboard's forms send. */
function boardToken(session: Session): string {
  return createHmac('sha256', session.csrfToken).update('bull-board').digest('base64url');
}

/** The origin a browser says a request comes from: Origin, else the Referer's origin. */
function claimedOrigin(req: FastifyRequest): string | null {
  const origin = req.headers.origin;
  if (origin) return origin.toLowerCase();
  const referer = req.headers.referer;
  if (!referer) return null;
  try {
    return new URL(referer).origin.toLowerCase();
  } catch {
    return 'null';
  }
}

function mediaType(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

export interface GuardDeps {
  expected: Credentials;
  signer: SessionSigner;
  sessions: SessionStore;
  throttle: LoginThrottle;
  /** Origins besides the request's own allowed to change state (config http.allowedOrigins). */
  allowedOrigins: readonly string[];
  /** Bull Board may write: its pages get the cookie its client sends back as a token. */
  queueAdminWrites: boolean;
  log: Logger;
}

/**
 * Who may do what, before any route runs: credentials (session or HTTP Basic,
 * with failed logins throttled), then for state-changing requests the origin,
 * the media type of API calls and the session's CSRF token. Returns the
 * password check, for the login form to share with HTTP Basic.
 */
export function guardRequests(
  app: FastifyInstance,
  deps: GuardDeps,
): {
  checkPassword(
    req: FastifyRequest,
    given: Credentials,
    via: 'form' | 'basic',
  ): Promise<{ ok: true } | { ok: false; retryAfter: number }>;
} {
  const { expected, signer, sessions, throttle, log } = deps;
  const allowedOrigins = new Set(deps.allowedOrigins.map((o) => o.toLowerCase()));

  /**
   * One check for the form and HTTP Basic: a lock earned on either path holds
   * on both, and every failure is logged (never the password nor the name).
   */
  async function checkPassword(
    req: FastifyRequest,
    given: Credentials,
    via: 'form' | 'basic',
  ): Promise<{ ok: true } | { ok: false; retryAfter: number }> {
    const retryAfter = await throttle.lockedForSeconds(req.ip, given.user);
    if (retryAfter > 0) {
      log.warn(
        { event: 'web.login_locked', via, ip: req.ip, userHash: fingerprint(given.user), retryAfter },
        'login refused: too many failures',
      );
      return { ok: false, retryAfter };
    }
    if (expected.user && credentialsMatch(given, expected)) return { ok: true };
    await throttle.recordFailure(req.ip, given.user);
    log.warn(
      { event: 'web.login_failed', via, ip: req.ip, userHash: fingerprint(given.user) },
      'login failed',
    );
    return { ok: false, retryAfter: 0 };
  }

  function tooManyAttempts(reply: FastifyReply, retryAfter: number): FastifyReply {
    return reply
      .code(429)
      .header('Retry-After', String(retryAfter))
      .send({ error: 'too many failed logins; retry later' });
  }

  function forbidden(req: FastifyRequest, reply: FastifyReply, reason: string): FastifyReply {
    log.warn(
      { event: 'web.request_forbidden', reason, method: req.method, path: req.url.split('?', 1)[0] },
      'state-changing request refused',
    );
    return reply.code(403).send({ error: `forbidden: ${reason}` });
  }

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?', 1)[0] ?? '/';
    if (STATE_CHANGING.has(req.method)) {
      // Checked before credentials: a foreign page's request is refused whatever it carries.
      const claimed = claimedOrigin(req);
      if (
        claimed !== null &&
        claimed !== `${req.protocol}://${req.host}`.toLowerCase() &&
        !allowedOrigins.has(claimed)
      )
        return forbidden(req, reply, 'foreign origin');
    }
    if (PUBLIC.has(path)) return;

    const sessionId = signer.verify(req.cookies[SESSION_COOKIE]);
    const session = sessionId ? await sessions.get(sessionId) : null;
    if (sessionId && session) req.auth = { via: 'session', user: session.user, sessionId, session };
    else {
      const basic = basicCredentials(req.headers.authorization);
      if (basic) {
        const outcome = await checkPassword(req, basic, 'basic');
        if (outcome.ok) req.auth = { via: 'basic', user: basic.user };
        else if (outcome.retryAfter > 0) return tooManyAttempts(reply, outcome.retryAfter);
      }
    }

    if (req.auth) {
      if (!STATE_CHANGING.has(req.method)) return;
      // A browser always names the page a POST comes from; only scripts (Basic) may not.
      if (req.auth.via === 'session' && claimedOrigin(req) === null)
        return forbidden(req, reply, 'no Origin nor Referer');
      if (path.startsWith('/api/')) {
        const type = mediaType(req);
        const form = type === 'application/x-www-form-urlencoded' && req.auth.via === 'session';
        if (type !== 'application/json' && !form)
          return reply.code(415).send({ error: 'send application/json' });
      }
      return;
    }
    const wantsHtml = (req.headers.accept ?? '').includes('text/html') && !path.startsWith('/api/');
    if (wantsHtml && req.method === 'GET') {
      return reply
        .code(401)
        .type('text/html; charset=utf-8')
        .send(loginPage({ next: path, error: null, user: null }));
    }
    return reply
      .code(401)
      .header('WWW-Authenticate', 'Basic realm="cdap-triage", charset="UTF-8"')
      .send({ error: 'authentication required' });
  });

  // After the body is read: the synchronizer token of a session, in a header or the form.
  app.addHook('preHandler', async (req, reply) => {
    const auth = req.auth;
    if (auth?.via !== 'session') return;
    const path = req.url.split('?', 1)[0] ?? '/';
    const onBoard = path === '/admin/queues' || path.startsWith('/admin/queues/');
    if (!STATE_CHANGING.has(req.method)) {
      if (onBoard && deps.queueAdminWrites && req.method === 'GET' && !path.includes('/api/'))
        reply.setCookie(BOARD_XSRF_COOKIE, boardToken(auth.session), {
          path: '/admin/queues',
          sameSite: 'strict',
          secure: req.protocol === 'https',
        });
      return;
    }
    const header = req.headers['x-csrf-token'];
    const field = (req.body as { _csrf?: unknown } | null | undefined)?._csrf;
    const given = typeof header === 'string' ? header : typeof field === 'string' ? field : null;
    if (given !== null && tokensMatch(given, auth.session.csrfToken)) return;
    const boardHeader = req.headers['x-xsrf-token'];
    if (onBoard && typeof boardHeader === 'string' && tokensMatch(boardHeader, boardToken(auth.session)))
      return;
    return forbidden(req, reply, given === null ? 'missing CSRF token' : 'wrong CSRF token');
  });

  return { checkPassword };
}
