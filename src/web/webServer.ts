import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { describeFacts } from '../analysis/describeFacts.js';
import type { CaseRecord } from '../cases/caseRecord.js';
import type { CaseStore } from '../cases/caseStore.js';
import { readStats, type Stats, yearsWithIndicators } from '../cases/indicators.js';
import { isAwaiting } from '../cases/lifecycle.js';
import type { CaseOutbox } from '../cases/outbox.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../infra/database.js';
import type { Logger } from '../log.js';
import { syncWork } from '../triage/enqueueWork.js';
import { Authenticator } from './accounts/authenticator.js';
import { audit, UserStore } from './accounts/userStore.js';
import { SessionSigner } from './auth.js';
import { lifecycleOf, slaStatus } from './caseLists.js';
import { caseTimeline } from './caseTimeline.js';
import { committeeReport } from './committeeReport.js';
import { toCsv, toCsvSections } from './csv.js';
import type { Health, IntakeHealth } from './health.js';
import { LoginThrottle } from './loginThrottle.js';
import type { Metrics } from './metrics.js';
import { type ParamError, statsRangeOf } from './queryParams.js';
import { guardRequests, SESSION_COOKIE } from './requestGuard.js';
import { registerAuditRoutes } from './routes/auditRoutes.js';
import { familyPanels, registerCaseMailRoutes } from './routes/caseMail.js';
import { registerQuarantineRoutes } from './routes/quarantine.js';
import { registerWorkViewRoutes } from './routes/workViews.js';
import { SessionStore } from './sessionStore.js';
import { chartBox, statsCharts } from './statsCharts.js';
import { csvFileName, statsTables } from './statsTables.js';
import { appCss, casePage, loginPage, reportPage, statsJs, statsPage } from './views.js';

export interface WebDeps {
  config: Config;
  caseStore: CaseStore;
  /** Lists, indicators and counts are read with SQL here; one case through caseStore. */
  db: Database;
  queues: Record<string, Queue>;
  metrics: Metrics;
  health: Health;
  /** Sessions and login failures live here, under config.redis.prefix. */
  redis: Redis;
  log: Logger;
  /** Dispatches the intents of a case released from quarantine right after its commit (else the sweep does). */
  outbox?: CaseOutbox;
  now?: () => Date;
}

const chartJs = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'),
  'utf8',
);

/** What Bull Board may show of a job's data: never a mail's bytes, never an address. */
function jobDataForBoard(data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  const { source, ...rest } = data as Record<string, unknown>;
  return source === undefined ? rest : { ...rest, source: `[${String(source).length} octets, masqués]` };
}

/** A parameter the HTML pages and CSV refuse: 400, said in French. */
function refusePage(reply: FastifyReply, error: ParamError): FastifyReply {
  return reply.code(400).type('text/plain; charset=utf-8').send(error.fr);
}

/**
 * The dashboard and API. Everything but /healthz (and the login page itself)
 * needs a session cookie or HTTP Basic credentials; HTML pages answer 401
 * with the login form, API and metrics with 401 and a Basic challenge.
 */
export async function createWebServer(deps: WebDeps): Promise<FastifyInstance> {
  const { config, caseStore, db } = deps;
  const now = deps.now ?? (() => new Date());
  const authenticator = new Authenticator(new UserStore(db), {
    user: config.http.user,
    password: config.http.password,
  });
  const signer = new SessionSigner(config.http.sessionSecret);
  const sessions = new SessionStore(deps.redis, config.redis.prefix, {
    ttlMs: config.http.sessionHours * 3_600_000,
    idleMs: config.http.idleMinutes * 60_000,
  });
  const throttle = new LoginThrottle(deps.redis, config.redis.prefix, {
    maxFailures: config.http.loginAttemptsPerMinute,
    windowMs: config.http.loginWindowSeconds * 1000,
  });
  // Only a configured proxy may say the request was HTTPS or whose it was.
  const app = Fastify({
    logger: false,
    trustProxy:
      typeof config.http.trustProxy === 'boolean' ? config.http.trustProxy : [...config.http.trustProxy],
    bodyLimit: 64 * 1024,
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // On plain HTTP (a LAN name) it would send the browser to an HTTPS port nobody serves.
        upgradeInsecureRequests: null,
      },
    },
    // With helmet's no-referrer, browsers send `Origin: null` even on our own form posts,
    // which the origin check must refuse; same-origin keeps both Origin and privacy.
    referrerPolicy: { policy: 'same-origin' },
    // Set below, only on responses to HTTPS requests: over plain HTTP it means nothing or, worse, locks a LAN name.
    strictTransportSecurity: false,
  });
  await app.register(cookie);
  await app.register(formbody);

  app.addHook('onSend', async (req, reply) => {
    if (req.protocol === 'https') reply.header('Strict-Transport-Security', 'max-age=31536000');
  });

  const { checkPassword } = guardRequests(app, {
    authenticator,
    signer,
    sessions,
    throttle,
    audit: (actor, action, detail) => audit(db, actor, action, detail),
    allowedOrigins: config.http.allowedOrigins,
    queueAdminWrites: config.http.queueAdminWrites,
    log: deps.log,
  });

  // Liveness: the process answers. Readiness below checks its servers.
  app.get('/healthz', { config: { role: 'public' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { role: 'technicien' } }, async (_req, reply) => {
    const [redis, database, smtp, intake] = await Promise.all([
      deps.health.redis().catch(() => false),
      deps.health.database().catch(() => false),
      deps.health.smtp().catch(() => false),
      deps.health.intake().catch((): IntakeHealth => ({ fresh: false, secondsSinceLastCheck: {} })),
    ]);
    // IMAP is reachable when some replica checked every mailbox lately: the intake's freshness.
    const ready = redis && database && smtp && intake.fresh;
    // For the person on call: what is wrong, in words (the checks say it for machines).
    const reasons = [
      ...(redis ? [] : ['Redis ne répond pas : les files d’attente sont à l’arrêt.']),
      ...(database
        ? []
        : ['La base PostgreSQL ne répond pas : le tri est suspendu, le courrier reste dans la boîte.']),
      ...(smtp ? [] : ['Le serveur SMTP ne répond pas : les réponses attendent.']),
      ...(intake.fresh ? [] : ['La boîte aux lettres n’a pas été relevée récemment.']),
    ];
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not-ready',
      checks: { redis, database, imap: intake.fresh, smtp, intake },
      reasons,
    });
  });

  app.get('/login', { config: { role: 'public' } }, async (req, reply) => {
    const next = String((req.query as { next?: string }).next ?? '/cases');
    return reply.type('text/html; charset=utf-8').send(loginPage({ next, error: null, user: null }));
  });

  app.post('/login', { config: { role: 'public' } }, async (req, reply) => {
    const body = (req.body ?? {}) as { user?: string; password?: string; next?: string };
    // Only local paths: no open redirect.
    const next =
      typeof body.next === 'string' && /^\/(?!\/)[\w\-/.?=&%]*$/.test(body.next) ? body.next : '/cases';
    const given = { user: String(body.user ?? ''), password: String(body.password ?? '') };
    const outcome = await checkPassword(req, given, 'form');
    if (!outcome.ok) {
      const locked = outcome.retryAfter > 0;
      if (locked) reply.header('Retry-After', String(outcome.retryAfter));
      return reply
        .code(locked ? 429 : 401)
        .type('text/html; charset=utf-8')
        .send(
          loginPage({
            next,
            error: locked
              ? `Trop d’essais infructueux. Réessayez dans ${outcome.retryAfter}\u00a0s.`
              : 'Identifiant ou mot de passe incorrect.',
            user: null,
          }),
        );
    }
    const { principal } = outcome;
    const { id } = await sessions.create(principal);
    await authenticator.recordLogin(principal, now()).catch(() => {});
    await audit(db, principal.user, 'connexion', { via: 'formulaire' }).catch(() => {});
    deps.log.info({ event: 'web.login', role: principal.role }, 'login');
    return reply
      .setCookie(SESSION_COOKIE, signer.issue(id), {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        maxAge: config.http.sessionHours * 3600,
      })
      .redirect(next, 303);
  });

  app.post('/logout', { config: { role: 'comite' } }, async (req, reply) => {
    if (req.auth?.via === 'session') {
      await sessions.revoke(req.auth.sessionId);
      await audit(db, req.auth.user, 'déconnexion', {}).catch(() => {});
    }
    return reply
      .clearCookie(SESSION_COOKIE, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
      })
      .redirect('/login', 303);
  });

  // The committee's accounts read only the indicators.
  app.get('/', { config: { role: 'comite' } }, async (req, reply) =>
    reply.redirect(req.auth?.role === 'comite' ? '/stats' : '/cases', 303),
  );
  app.get('/assets/app.css', { config: { role: 'public' } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').send(appCss),
  );
  app.get('/assets/stats.js', { config: { role: 'comite' } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(statsJs),
  );
  app.get('/assets/chart.umd.min.js', { config: { role: 'comite' } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'max-age=86400').send(chartJs),
  );

  const csrfOf = (req: FastifyRequest): string | null =>
    req.auth?.via === 'session' ? req.auth.session.csrfToken : null;

  /** The indicators the query asks for, or the parameter error. */
  async function statsFor(
    query: unknown,
  ): Promise<{ ok: true; stats: Stats } | { ok: false; error: ParamError }> {
    const at = now();
    const range = statsRangeOf((query ?? {}) as Record<string, unknown>, at);
    if (!range.ok) return range;
    return { ok: true, stats: await readStats(db, range.value, at, config.cases) };
  }

  type CaseAction = 'answered' | 'take' | 'close';
  /**
   * A person's action on a case: the answer given by other means (telephone,
   * the CAF's own tools), taking it, closing it. The queues follow its lifecycle.
   */
  async function act(action: CaseAction, ref: string, actor: string): Promise<CaseRecord | null> {
    const at = now();
    const record = await caseStore.get(ref);
    if (!record) return null;
    const settled =
      action === 'take'
        ? await caseStore.take(ref, actor, at)
        : action === 'close'
          ? await caseStore.close(ref, actor, at)
          : await caseStore.recordAnswer(ref, {
              at,
              channel: 'dashboard',
              by: null,
              actor,
              sourceKey: `dashboard:${record.roundTrips}`,
            });
    if (!settled) return null;
    if (action === 'answered' && 'recorded' in settled && settled.recorded)
      deps.metrics.answered('dashboard', settled);
    const { priority, standard } = deps.queues;
    if (priority && standard) await syncWork({ priority, standard }, settled, config.cases.retentionDays);
    deps.log.info({ event: `web.case_${action}`, ref, status: settled.after.status }, 'case changed');
    return settled.after;
  }

  const actorOf = (req: FastifyRequest) => req.auth?.user ?? 'tableau de bord';

  const { workPanels } = registerWorkViewRoutes(app, { ...deps, now });

  app.get('/api/cases/:ref', { config: { role: 'technicien' } }, async (req, reply) => {
    const ref = (req.params as { ref: string }).ref;
    const [record, answers, audit] = await Promise.all([
      caseStore.get(ref),
      caseStore.answersOf(ref),
      caseStore.auditOf(ref),
    ]);
    if (!record) return reply.code(404).send({ error: 'no such case' });
    return { ...lifecycleOf(record), case: record, sla: slaStatus(record, now()), answers, audit };
  });

  const actions: Record<string, CaseAction> = {
    answered: 'answered',
    handled: 'answered',
    take: 'take',
    close: 'close',
  };
  app.post('/api/cases/:ref/:action', { config: { role: 'technicien' } }, async (req, reply) => {
    const { ref, action } = req.params as { ref: string; action: string };
    const wanted = actions[action];
    if (!wanted) return reply.code(404).send({ error: 'no such action' });
    const record = await act(wanted, ref, actorOf(req));
    if (!record) return reply.code(404).send({ error: 'no such case' });
    return { ...lifecycleOf(record), case: record };
  });

  app.get('/api/stats', { config: { role: 'comite' } }, async (req, reply) => {
    const asked = await statsFor(req.query);
    if (!asked.ok) return reply.code(400).send({ error: asked.error.en });
    return asked.stats;
  });

  app.get('/cases/:ref', { config: { role: 'technicien' } }, async (req, reply) => {
    const ref = (req.params as { ref: string }).ref;
    const [record, answers, audit] = await Promise.all([
      caseStore.get(ref),
      caseStore.answersOf(ref),
      caseStore.auditOf(ref),
    ]);
    if (!record) return reply.callNotFound();
    return reply.type('text/html; charset=utf-8').send(
      casePage({
        ...(await workPanels(req, record)),
        user: req.auth?.user,
        role: req.auth?.role,
        csrf: csrfOf(req),
        c: record,
        awaiting: isAwaiting(record.status),
        closable: record.status !== 'clos' && record.status !== 'enregistré',
        timeline: caseTimeline(record, answers, audit),
        answers: answers.map((a) => ({ ...a, checked: a.findings !== null, advice: a.findings ?? [] })),
        facts: describeFacts(record.facts ?? [], new Date(record.receivedAt)),
        sla: slaStatus(record, now()),
        ...(await familyPanels(deps, req, record)),
      }),
    );
  });

  app.post('/cases/:ref/:action', { config: { role: 'technicien' } }, async (req, reply: FastifyReply) => {
    const { ref, action } = req.params as { ref: string; action: string };
    const wanted = actions[action];
    if (!wanted) return reply.code(404).type('text/plain; charset=utf-8').send('Action inconnue.');
    const record = await act(wanted, ref, actorOf(req));
    if (!record) return reply.code(404).type('text/plain; charset=utf-8').send('Dossier inconnu.');
    return reply.redirect(wanted === 'take' ? `/cases/${encodeURIComponent(ref)}` : '/cases', 303);
  });

  registerCaseMailRoutes(app, deps);
  registerQuarantineRoutes(app, deps);

  app.get('/stats', { config: { role: 'comite' } }, async (req, reply) => {
    const [asked, years] = await Promise.all([statsFor(req.query), yearsWithIndicators(db)]);
    if (!asked.ok) return refusePage(reply, asked.error);
    const s = asked.stats;
    return reply.type('text/html; charset=utf-8').send(
      statsPage({
        user: req.auth?.user,
        role: req.auth?.role,
        csrf: csrfOf(req),
        s,
        years: years.map((year) => ({ year, selected: year === s.year })),
        charts: statsCharts(s).map((c) => ({ ...c, ...chartBox(c) })),
      }),
    );
  });

  app.get('/stats.csv', { config: { role: 'comite' } }, async (req, reply) => {
    const q = req.query as { table?: string };
    const asked = await statsFor(req.query);
    if (!asked.ok) return refusePage(reply, asked.error);
    const s = asked.stats;
    const tables = statsTables(s);
    // Without `table`: every table of the range in one file, one after the other.
    const table = q.table === undefined ? null : tables.find((t) => t.key === q.table);
    if (table === undefined)
      return reply
        .code(400)
        .type('text/plain; charset=utf-8')
        .send(`Le tableau (table) est l’un de\u00a0: ${tables.map((t) => t.key).join(', ')}.`);
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${csvFileName(s, table)}"`)
      .send(table ? toCsv(table.header, table.rows) : toCsvSections(tables));
  });

  // The yearly committee's report; without a range, the last whole calendar year.
  app.get('/rapport', { config: { role: 'comite' } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const ranged = ['from', 'to', 'year', 'period'].some((k) => q[k] !== undefined);
    const asked = await statsFor(ranged ? q : { year: String(now().getUTCFullYear() - 1) });
    if (!asked.ok) return refusePage(reply, asked.error);
    return reply
      .type('text/html; charset=utf-8')
      .send(reportPage({ user: req.auth?.user, csrf: csrfOf(req), r: committeeReport(asked.stats, now()) }));
  });

  // Prometheus scrapes with a technicien account's token or HTTP Basic (docs/operations.md).
  app.get('/metrics', { config: { role: 'technicien' } }, async (_req, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  registerAuditRoutes(app, { db });

  // Bull Board's routes cannot take options: supervisors read, administrators act on jobs.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/admin/queues')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const reads = methods.every((m) => m === 'GET' || m === 'HEAD');
    route.config = { ...route.config, role: reads ? 'superviseur' : 'administrateur' };
  });
  const board = new FastifyAdapter();
  createBullBoard({
    queues: Object.values(deps.queues).map((q) => {
      const adapter = new BullMQAdapter(q, { readOnlyMode: !config.http.queueAdminWrites });
      adapter.setFormatter('data', jobDataForBoard);
      return adapter;
    }),
    serverAdapter: board,
    options: {
      uiConfig: {
        boardTitle: 'cdap-triage',
        miscLinks: [{ text: 'Retour au tableau de bord', url: '/cases' }],
        hideDocsLink: true,
        locale: { lng: 'fr-FR' },
      },
    },
  });
  // Bull Board's page asks Google for its fonts: the dashboard makes no request outside (CSP
  // would block it anyway); the system fonts do.
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.url.startsWith('/admin/queues') || typeof payload !== 'string') return payload;
    if (!String(reply.getHeader('content-type') ?? '').includes('text/html')) return payload;
    return payload.replace(/<link[^>]+fonts\.(googleapis|gstatic)\.com[^>]*>/g, '');
  });
  board.setBasePath('/admin/queues');
  await app.register(board.registerPlugin(), { prefix: '/admin/queues' });

  return app;
}

/** The web server, listening on config.http; a port it cannot take is said in French. */
export async function serveWeb(deps: WebDeps): Promise<{ app: FastifyInstance; url: string }> {
  const { host, port } = deps.config.http;
  const app = await createWebServer(deps);
  let url: string;
  try {
    url = await app.listen({ host, port });
  } catch (cause) {
    await app.close().catch(() => {});
    throw new Error(
      `le tableau de bord ne peut pas écouter sur ${host}:${port} (${(cause as Error).message}) : choisissez un port libre avec HTTP_PORT, ou lancez avec --no-web`,
      { cause },
    );
  }
  deps.log.info({ event: 'web.listening', url }, 'dashboard listening');
  return { app, url };
}
