import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../log.js';
import { forbiddenPage } from './accounts/accountViews.js';
import type { Authenticator, Principal } from './accounts/authenticator.js';
import { allows, isRouteRole, type RouteRole } from './accounts/roles.js';
import type { SessionSigner } from './auth.js';
import { basicCredentials, type Credentials, fingerprint, tokensMatch } from './auth.js';
import type { LoginThrottle } from './loginThrottle.js';
import type { Session, SessionStore } from './sessionStore.js';
import { loginPage } from './views.js';

export const SESSION_COOKIE = 'cdap_session';
/** Read by Bull Board's HTTP client (axios), which sends it back as X-XSRF-TOKEN on its own requests. */
const BOARD_XSRF_COOKIE = 'XSRF-TOKEN';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Who made a request, and how they proved it (contract 3 of issue 15). */
export type Authenticated = Principal &
  ({ via: 'session'; sessionId: string; session: Session } | { via: 'basic' } | { via: 'token' });

declare module 'fastify' {
  interface FastifyRequest {
    auth?: Authenticated;
  }
  interface FastifyContextConfig {
    /** Who may use the route: every route declares it, or is refused (see guardRequests). */
    role?: RouteRole;
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

function wantsHtml(req: FastifyRequest, path: string): boolean {
  return (req.headers.accept ?? '').includes('text/html') && !path.startsWith('/api/');
}

/** A line of the audit trail about no case (logins); never the password. */
export type AuditWriter = (actor: string, action: string, detail: Record<string, unknown>) => Promise<void>;

export interface GuardDeps {
  authenticator: Authenticator;
  signer: SessionSigner;
  sessions: SessionStore;
  throttle: LoginThrottle;
  audit: AuditWriter;
  /** Origins besides the request's own allowed to change state (config http.allowedOrigins). */
  allowedOrigins: readonly string[];
  /** Bull Board may write (administrators only): their pages get the cookie its client sends back as a token. */
  queueAdminWrites: boolean;
  log: Logger;
}

export type PasswordOutcome =
  | { ok: true; principal: Principal & { generation: number } }
  | { ok: false; retryAfter: number };

/**
 * Who may do what, before any route runs: the role the route declares
 * (`config.role`; none declared is refused), credentials (session, API token
 * or HTTP Basic, with failed logins throttled), the role of the account, then
 * for state-changing requests the origin, the media type of API calls and the
 * session's CSRF token. Returns the password check, for the login form to
 * share with HTTP Basic.
 */
export function guardRequests(
  app: FastifyInstance,
  deps: GuardDeps,
): {
  checkPassword(req: FastifyRequest, given: Credentials, via: 'form' | 'basic'): Promise<PasswordOutcome>;
} {
  const { authenticator, signer, sessions, throttle, log } = deps;
  const allowedOrigins = new Set(deps.allowedOrigins.map((o) => o.toLowerCase()));

  /** The audit trail must not stop a login when the database is away: the log keeps the event. */
  async function audit(actor: string, action: string, detail: Record<string, unknown>): Promise<void> {
    await deps.audit(actor, action, detail).catch((err: unknown) => {
      log.warn({ event: 'web.audit_failed', action, err }, 'audit event not written');
    });
  }

  /**
   * One check for the form and HTTP Basic: a lock earned on either path holds
   * on both, and every failure is logged (never the password nor the name)
   * and audited (under the login only when it names an account).
   */
  async function checkPassword(
    req: FastifyRequest,
    given: Credentials,
    via: 'form' | 'basic',
  ): Promise<PasswordOutcome> {
    const retryAfter = await throttle.lockedForSeconds(req.ip, given.user);
    if (retryAfter > 0) {
      log.warn(
        { event: 'web.login_locked', via, ip: req.ip, userHash: fingerprint(given.user), retryAfter },
        'login refused: too many failures',
      );
      return { ok: false, retryAfter };
    }
    const principal = given.user ? await authenticator.password(given) : null;
    if (principal) return { ok: true, principal };
    await throttle.recordFailure(req.ip, given.user);
    log.warn(
      { event: 'web.login_failed', via, ip: req.ip, userHash: fingerprint(given.user) },
      'login failed',
    );
    await audit('inconnu', 'échec de connexion', { via, compte: fingerprint(given.user) });
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

  /** Logged in, but the route asks for more: 403, a French page for a browser. */
  function denied(req: FastifyRequest, reply: FastifyReply, path: string, needed: RouteRole): FastifyReply {
    const auth = req.auth as Authenticated;
    log.warn(
      {
        event: 'web.role_refused',
        needed,
        role: auth.role,
        userHash: fingerprint(auth.user),
        method: req.method,
        path,
      },
      'role not enough',
    );
    reply.code(403);
    if (wantsHtml(req, path))
      return reply.type('text/html; charset=utf-8').send(
        forbiddenPage({
          user: auth.user,
          csrf: auth.via === 'session' ? auth.session.csrfToken : null,
          role: auth.role,
          needed,
        }),
      );
    return reply.send({ error: `forbidden: this needs the role ${needed}` });
  }

  /** Session cookie, then API token, then HTTP Basic; a reply when the answer is already known (429). */
  async function authenticate(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const sessionId = signer.verify(req.cookies[SESSION_COOKIE]);
    const session = sessionId ? await sessions.use(sessionId) : null;
    if (sessionId && session) {
      const principal = await authenticator.session(session);
      if (principal) {
        req.auth = { ...principal, via: 'session', sessionId, session };
        return;
      }
      // Disabled, new password, or gone: the session ends here, on every replica.
      await sessions.revoke(sessionId);
      log.info(
        { event: 'web.session_ended', userHash: fingerprint(session.user) },
        'session of a changed account ended',
      );
    }
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const retryAfter = await throttle.lockedForSeconds(req.ip, null);
      if (retryAfter > 0) return tooManyAttempts(reply, retryAfter);
      const principal = await authenticator.token(header.slice(7).trim());
      if (principal) {
        req.auth = { ...principal, via: 'token' };
        return;
      }
      await throttle.recordFailure(req.ip, null);
      log.warn({ event: 'web.login_failed', via: 'token', ip: req.ip }, 'unknown API token');
      return;
    }
    const basic = basicCredentials(header);
    if (basic) {
      const outcome = await checkPassword(req, basic, 'basic');
      if (outcome.ok) {
        const { generation: _g, ...principal } = outcome.principal;
        req.auth = { ...principal, via: 'basic' };
      } else if (outcome.retryAfter > 0) return tooManyAttempts(reply, outcome.retryAfter);
    }
    return;
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
    // An unknown path answers 404 to those logged in, and says nothing to the others.
    const needed = req.is404 ? 'comite' : req.routeOptions.config?.role;
    if (needed === 'public') return;
    if (!isRouteRole(needed)) {
      log.error({ event: 'web.route_without_role', method: req.method, path }, 'route declares no role');
      return reply.code(403).send({ error: 'forbidden: this route declares no role' });
    }

    const early = await authenticate(req, reply);
    if (early) return early;

    if (req.auth) {
      if (!allows(req.auth.role, needed)) return denied(req, reply, path, needed);
      if (!STATE_CHANGING.has(req.method)) return;
      // A browser always names the page a POST comes from; only scripts (Basic, token) may not.
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
    if (wantsHtml(req, path) && req.method === 'GET') {
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
      if (
        onBoard &&
        deps.queueAdminWrites &&
        allows(auth.role, 'administrateur') &&
        req.method === 'GET' &&
        !path.includes('/api/')
      )
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
