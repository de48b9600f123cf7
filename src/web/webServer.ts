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
import { readOpenCases } from '../cases/openCases.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { SessionSigner } from './auth.js';
import { caseRow, slaStatus } from './caseLists.js';
import { computeStats, type Period, periodRange, toCsv } from './computeStats.js';
import type { Health, IntakeHealth } from './health.js';
import { LoginThrottle } from './loginThrottle.js';
import type { Metrics } from './metrics.js';
import { guardRequests, SESSION_COOKIE } from './requestGuard.js';
import { SessionStore } from './sessionStore.js';
import { appCss, casePage, casesPage, loginPage, statsJs, statsPage } from './views.js';

export interface WebDeps {
  config: Config;
  caseStore: CaseStore;
  queues: Record<string, Queue>;
  metrics: Metrics;
  health: Health;
  /** Sessions and login failures live here, under config.redis.prefix. */
  redis: Redis;
  log: Logger;
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

function isPeriod(p: unknown): p is Period {
  return p === 'week' || p === 'month' || p === 'year';
}

/**
 * The dashboard and API. Everything but /healthz (and the login page itself)
 * needs a session cookie or HTTP Basic credentials; HTML pages answer 401
 * with the login form, API and metrics with 401 and a Basic challenge.
 */
export async function createWebServer(deps: WebDeps): Promise<FastifyInstance> {
  const { config, caseStore } = deps;
  const now = deps.now ?? (() => new Date());
  const expected = { user: config.http.user, password: config.http.password };
  const signer = new SessionSigner(config.http.sessionSecret);
  const sessions = new SessionStore(deps.redis, config.redis.prefix, config.http.sessionHours * 3_600_000);
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
    expected,
    signer,
    sessions,
    throttle,
    allowedOrigins: config.http.allowedOrigins,
    queueAdminWrites: config.http.queueAdminWrites,
    log: deps.log,
  });

  // Liveness: the process answers. Readiness below checks its servers.
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
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

  app.get('/login', async (req, reply) => {
    const next = String((req.query as { next?: string }).next ?? '/cases');
    return reply.type('text/html; charset=utf-8').send(loginPage({ next, error: null, user: null }));
  });

  app.post('/login', async (req, reply) => {
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
    const { id } = await sessions.create(given.user);
    deps.log.info({ event: 'web.login' }, 'login');
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

  app.post('/logout', async (req, reply) => {
    if (req.auth?.via === 'session') await sessions.revoke(req.auth.sessionId);
    return reply
      .clearCookie(SESSION_COOKIE, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
      })
      .redirect('/login', 303);
  });

  app.get('/', async (_req, reply) => reply.redirect('/cases', 303));
  app.get('/assets/app.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(appCss));
  app.get('/assets/stats.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(statsJs),
  );
  app.get('/assets/chart.umd.min.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'max-age=86400').send(chartJs),
  );

  const csrfOf = (req: FastifyRequest): string | null =>
    req.auth?.via === 'session' ? req.auth.session.csrfToken : null;

  // A page no one could read past: the oldest 10,000 of each queue.
  const openCases = () => readOpenCases(caseStore, 10_000);

  async function casesInPeriod(
    period: Period,
  ): Promise<{ range: ReturnType<typeof periodRange>; cases: CaseRecord[] }> {
    const range = periodRange(period, now());
    const refs = await caseStore.refsBetween(range.from, new Date(range.to.getTime() + 1));
    const cases: CaseRecord[] = [];
    for (let i = 0; i < refs.length; i += 500)
      cases.push(...(await caseStore.getMany(refs.slice(i, i + 500))));
    return { range, cases };
  }

  async function markHandled(ref: string): Promise<CaseRecord | null> {
    const record = await caseStore.markHandled(ref, now());
    if (record) {
      // Out of the technicians' queue too; the case keeps its history.
      for (const name of ['priority', 'standard']) await deps.queues[name]?.remove(ref).catch(() => 0);
      deps.log.info({ event: 'web.case_handled', ref }, 'case marked handled');
    }
    return record;
  }

  app.get('/api/cases', async (req) => {
    const q = req.query as { queue?: string };
    const at = now();
    const rows = (await openCases()).map((c) => caseRow(c, at));
    const filtered =
      q.queue === 'priority' || q.queue === 'standard' ? rows.filter((r) => r.queue === q.queue) : rows;
    return { cases: filtered };
  });

  app.get('/api/cases/:ref', async (req, reply) => {
    const record = await caseStore.get((req.params as { ref: string }).ref);
    if (!record) return reply.code(404).send({ error: 'no such case' });
    return { case: record, sla: slaStatus(record, now()) };
  });

  app.post('/api/cases/:ref/handled', async (req, reply) => {
    const record = await markHandled((req.params as { ref: string }).ref);
    if (!record) return reply.code(404).send({ error: 'no such case' });
    return { case: record };
  });

  app.get('/api/stats', async (req, reply) => {
    const period = (req.query as { period?: string }).period ?? 'month';
    if (!isPeriod(period)) return reply.code(400).send({ error: 'period must be week, month or year' });
    const { range, cases } = await casesInPeriod(period);
    return computeStats(cases, range, now());
  });

  app.get('/cases', async (req, reply) => {
    const at = now();
    const rows = (await openCases()).map((c) => caseRow(c, at));
    return reply.type('text/html; charset=utf-8').send(
      casesPage({
        user: req.auth?.user,
        csrf: csrfOf(req),
        priority: rows.filter((r) => r.queue === 'priority'),
        standard: rows.filter((r) => r.queue === 'standard'),
      }),
    );
  });

  app.get('/cases/:ref', async (req, reply) => {
    const record = await caseStore.get((req.params as { ref: string }).ref);
    if (!record) return reply.code(404).type('text/plain; charset=utf-8').send('Dossier inconnu.');
    return reply.type('text/html; charset=utf-8').send(
      casePage({
        user: req.auth?.user,
        csrf: csrfOf(req),
        c: record,
        facts: describeFacts(record.facts ?? [], new Date(record.receivedAt)),
        sla: slaStatus(record, now()),
      }),
    );
  });

  app.post('/cases/:ref/handled', async (req, reply: FastifyReply) => {
    const ref = (req.params as { ref: string }).ref;
    const record = await markHandled(ref);
    if (!record) return reply.code(404).type('text/plain; charset=utf-8').send('Dossier inconnu.');
    return reply.redirect('/cases', 303);
  });

  app.get('/stats', async (req, reply) => {
    const asked = (req.query as { period?: string }).period ?? 'month';
    const period: Period = isPeriod(asked) ? asked : 'month';
    const { range, cases } = await casesInPeriod(period);
    const s = computeStats(cases, range, now());
    return reply
      .type('text/html; charset=utf-8')
      .send(statsPage({ user: req.auth?.user, csrf: csrfOf(req), s }));
  });

  app.get('/stats.csv', async (req, reply) => {
    const q = req.query as { period?: string; table?: string };
    const period: Period = isPeriod(q.period) ? q.period : 'month';
    const { range, cases } = await casesInPeriod(period);
    const s = computeStats(cases, range, now());
    const tables: Record<string, () => string> = {
      cdas: () =>
        toCsv(
          ['cdas', 'messages'],
          s.byCdas.map((r) => [r.key, r.count]),
        ),
      prestations: () =>
        toCsv(
          ['prestation', 'messages'],
          s.byPrestation.map((r) => [r.key, r.count]),
        ),
      motifs: () =>
        toCsv(
          ['motif', 'messages'],
          s.byMotif.map((r) => [r.key, r.count]),
        ),
      routes: () =>
        toCsv(
          ['file', 'messages'],
          s.byRoute.map((r) => [r.key, r.count]),
        ),
      rules: () =>
        toCsv(
          ['regle', 'messages'],
          s.byRule.map((r) => [r.key, r.count]),
        ),
      format: () =>
        toCsv(
          ['periode', 'demandes', 'sans_erreur_de_forme', 'part_pourcent'],
          s.formatOverTime.map((p) => [p.bucket, p.mails, p.withoutFormatError, p.share]),
        ),
    };
    const table = q.table && tables[q.table] ? q.table : null;
    if (!table)
      return reply.code(400).send({ error: `table must be one of ${Object.keys(tables).join(', ')}` });
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="cdap-${table}-${period}.csv"`)
      .send(`\ufeff${(tables[table] as () => string)()}`);
  });

  app.get('/metrics', async (_req, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  const board = new FastifyAdapter();
  createBullBoard({
    queues: Object.values(deps.queues).map((q) => {
      const adapter = new BullMQAdapter(q, { readOnlyMode: !config.http.queueAdminWrites });
      adapter.setFormatter('data', jobDataForBoard);
      return adapter;
    }),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'cdap-triage' } },
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
