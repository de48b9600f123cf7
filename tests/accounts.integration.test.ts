import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amendConfig } from '../src/config/loadConfig.js';
import type { Config, Draft } from '../src/config/schema.js';
import { createLogger } from '../src/log.js';
import { type Service, startService } from '../src/service.js';
import type { Role } from '../src/web/accounts/roles.js';
import { UserStore } from '../src/web/accounts/userStore.js';
import { createWebServer } from '../src/web/webServer.js';
import { runCli } from './support/cli.js';
import type { DovecotServer } from './support/dovecot.js';
import { quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'amorce';
const ADMIN_PASSWORD = 'mot-de-passe-d-amorce';
const PASSWORD = 'un-mot-de-passe-solide';
const FORM = 'application/x-www-form-urlencoded';
const ROLES: Role[] = ['technicien', 'superviseur', 'administrateur', 'comite'];
/** One account per role, and the login of each. */
const loginOf = (role: Role) => `test-${role}`;
const basic = (user: string, password = PASSWORD) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

type Expected = Role | 'public';
/**
 * Every route of the dashboard and what it needs. A route missing here fails
 * the completeness test below: add it, with its role.
 */
const MATRIX: Array<{ method: string; path: string; route: string; needs: Expected }> = [
  { method: 'GET', path: '/healthz', route: '/healthz', needs: 'public' },
  { method: 'GET', path: '/login', route: '/login', needs: 'public' },
  { method: 'POST', path: '/login', route: '/login', needs: 'public' },
  { method: 'GET', path: '/assets/app.css', route: '/assets/app.css', needs: 'public' },
  { method: 'GET', path: '/', route: '/', needs: 'comite' },
  { method: 'POST', path: '/logout', route: '/logout', needs: 'comite' },
  { method: 'GET', path: '/assets/stats.js', route: '/assets/stats.js', needs: 'comite' },
  { method: 'GET', path: '/assets/chart.umd.min.js', route: '/assets/chart.umd.min.js', needs: 'comite' },
  { method: 'GET', path: '/stats', route: '/stats', needs: 'comite' },
  { method: 'GET', path: '/stats.csv?table=cdas', route: '/stats.csv', needs: 'comite' },
  { method: 'GET', path: '/api/stats', route: '/api/stats', needs: 'comite' },
  { method: 'GET', path: '/rapport?year=2025', route: '/rapport', needs: 'comite' },
  { method: 'GET', path: '/cases', route: '/cases', needs: 'technicien' },
  { method: 'GET', path: '/cases/CDAP-2000-000001', route: '/cases/:ref', needs: 'technicien' },
  { method: 'POST', path: '/cases/CDAP-2000-000001/take', route: '/cases/:ref/:action', needs: 'technicien' },
  { method: 'GET', path: '/api/cases', route: '/api/cases', needs: 'technicien' },
  { method: 'GET', path: '/api/cases/CDAP-2000-000001', route: '/api/cases/:ref', needs: 'technicien' },
  {
    method: 'POST',
    path: '/api/cases/CDAP-2000-000001/take',
    route: '/api/cases/:ref/:action',
    needs: 'technicien',
  },
  {
    method: 'POST',
    path: '/cases/CDAP-2000-000001/prendre',
    route: '/cases/:ref/prendre',
    needs: 'technicien',
  },
  {
    method: 'POST',
    path: '/cases/CDAP-2000-000001/rendre',
    route: '/cases/:ref/rendre',
    needs: 'technicien',
  },
  {
    method: 'POST',
    path: '/cases/CDAP-2000-000001/attribuer',
    route: '/cases/:ref/attribuer',
    needs: 'superviseur',
  },
  { method: 'POST', path: '/cases/CDAP-2000-000001/notes', route: '/cases/:ref/notes', needs: 'technicien' },
  {
    method: 'POST',
    path: '/cases/CDAP-2000-000001/reponse',
    route: '/cases/:ref/reponse',
    needs: 'technicien',
  },
  {
    method: 'POST',
    path: '/cases/CDAP-2000-000001/quarantaine/liberer',
    route: '/cases/:ref/quarantaine/liberer',
    needs: 'superviseur',
  },
  {
    method: 'POST',
    path: '/cases/CDAP-2000-000001/quarantaine/confirmer',
    route: '/cases/:ref/quarantaine/confirmer',
    needs: 'superviseur',
  },
  { method: 'GET', path: '/metrics', route: '/metrics', needs: 'technicien' },
  { method: 'GET', path: '/readyz', route: '/readyz', needs: 'technicien' },
  { method: 'GET', path: '/audit', route: '/audit', needs: 'superviseur' },
  { method: 'GET', path: '/audit.csv', route: '/audit.csv', needs: 'superviseur' },
  { method: 'GET', path: '/admin/queues', route: '/admin/queues', needs: 'superviseur' },
  {
    method: 'GET',
    path: '/admin/queues/api/queues',
    route: '/admin/queues/api/queues',
    needs: 'superviseur',
  },
  {
    method: 'PUT',
    path: '/admin/queues/api/queues/pas-de-file/pause',
    route: '/admin/queues/api/queues/:queueName/pause',
    needs: 'administrateur',
  },
];
const RANK: Record<Expected, number> = {
  public: 0,
  comite: 1,
  technicien: 2,
  superviseur: 3,
  administrateur: 4,
};
function allowed(role: Role, needs: Expected): boolean {
  if (needs === 'public' || needs === 'comite') return true;
  return role !== 'comite' && RANK[role] >= RANK[needs];
}

/** The paths of printRoutes' tree, each with its methods. */
function routesOf(app: FastifyInstance): Array<{ path: string; methods: string[] }> {
  const out: Array<{ path: string; methods: string[] }> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m =
      /^((?:[│ ] {3})*)[├└]── (\S*) \(([^)]+)\)$/.exec(line) ?? /^((?:[│ ] {3})*)[├└]── (\S*)$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2] ?? '');
    if (m[3]) out.push({ path: stack.join(''), methods: m[3].split(',').map((s) => s.trim()) });
  }
  return out;
}

describe('accounts, roles and audit (real Redis and PostgreSQL)', () => {
  const prefix = uniquePrefix('accounts');
  let redis: Redis;
  let service: Service;
  let users: UserStore;
  let base: string;
  let env: NodeJS.ProcessEnv;
  let app: FastifyInstance;
  let url: string;
  const lines: string[] = [];

  const cli = (args: string[], input?: string) => runCli(args, { ...process.env, ...env }, input);

  function secondServer(change: (c: Draft<Config>) => void) {
    const config = amendConfig(service.config, change);
    return createWebServer({
      config,
      caseStore: service.caseStore,
      db: service.db,
      queues: service.queues,
      metrics: service.metrics,
      redis: service.redis,
      health: {
        redis: async () => true,
        database: async () => true,
        smtp: async () => true,
        intake: async () => ({ fresh: true, secondsSinceLastCheck: {} }),
      },
      log: createLogger({ level: 'info', stream: { write: (line: string) => void lines.push(line) } }),
    });
  }

  async function login(at: string, user: string, password = PASSWORD, headers: Record<string, string> = {}) {
    const res = await fetch(`${at}/login`, {
      method: 'POST',
      headers: { 'content-type': FORM, ...headers },
      body: new URLSearchParams({ user, password, next: '/cases' }).toString(),
      redirect: 'manual',
    });
    return { res, cookie: (res.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '' };
  }

  beforeAll(async () => {
    redis = new Redis(redisUrl);
    const noImap = { host: '127.0.0.1', port: 1, user: 'nobody', password: 'x' } as DovecotServer;
    env = testEnv(prefix, noImap, { HTTP_USER: ADMIN, HTTP_PASSWORD: ADMIN_PASSWORD });
    const config = testConfig(env, (c) => {
      c.http.port = 0;
      c.http.loginAttemptsPerMinute = 100;
    });
    service = await startService(config, quietLog(), { web: true, intake: false, workers: false });
    base = service.webUrl as string;
    users = new UserStore(service.db);
    for (const role of ROLES)
      await users.create({ login: loginOf(role), displayName: role, role, password: PASSWORD }, 'test');
    app = await secondServer((c) => {
      c.redis.prefix = `${prefix}-2`;
      c.http.trustProxy = ['127.0.0.1'];
      c.http.loginAttemptsPerMinute = 3;
      c.http.loginWindowSeconds = 30;
      c.http.idleMinutes = 0.002;
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await service?.stop();
    await deleteKeys(redis, prefix, `${prefix}-2`);
    redis.disconnect();
  });

  it('declares a role on every route: the matrix below covers each one', () => {
    const declared = new Set(MATRIX.map((r) => r.route));
    const found = routesOf(app);
    expect(found.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/cases/:ref', '/api/cases/:ref/:action']),
    );
    const missing = found
      .filter((r) => !declared.has(r.path) && !r.path.startsWith('/admin/queues'))
      .map((r) => `${r.methods.join(',')} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('role matrix: each role × each route → 200-level, 403 or, without login, 401', async () => {
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const who of [...ROLES, null] as const) {
      for (const r of MATRIX) {
        // The login form answers for itself (401 on wrong credentials); logout would end nothing here.
        if (r.method === 'POST' && (r.path === '/login' || (r.path === '/logout' && who !== null))) continue;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (who) headers.authorization = basic(loginOf(who));
        const res = await fetch(base + r.path, {
          method: r.method,
          headers,
          body: r.method === 'GET' ? undefined : r.path === '/login' ? '{}' : '{}',
          redirect: 'manual',
        });
        await res.arrayBuffer();
        // Past the guard, the route answers for itself: 200, 404 (no such case), 503 (readiness)…
        const got =
          res.status === 401 ? '401' : res.status === 403 ? '403' : res.status === 500 ? '500' : 'passes';
        const want =
          r.needs === 'public' ? 'passes' : who === null ? '401' : allowed(who, r.needs) ? 'passes' : '403';
        outcomes.push(
          `${who ?? 'anonyme'} ${r.method} ${r.path} → ${got === 'passes' && want === 'passes' ? 'passes' : got}`,
        );
        expected.push(`${who ?? 'anonyme'} ${r.method} ${r.path} → ${want}`);
      }
    }
    expect(outcomes).toEqual(expected);
  });

  it('refuses a page to a role with a French 403 page, and JSON on the API', async () => {
    const comite = basic(loginOf('comite'));
    const page = await fetch(`${base}/cases`, { headers: { authorization: comite, accept: 'text/html' } });
    expect(page.status).toBe(403);
    const html = await page.text();
    expect(html).toContain('Accès refusé');
    expect(html).toContain('rôle comité');
    const api = await fetch(`${base}/api/cases`, { headers: { authorization: comite } });
    expect(api.status).toBe(403);
    expect(await api.json()).toEqual({ error: 'forbidden: this needs the role technicien' });
    // The committee lands on the indicators.
    const home = await fetch(`${base}/`, { headers: { authorization: comite }, redirect: 'manual' });
    expect(home.headers.get('location')).toBe('/stats');
  });

  it('the bootstrap administrator of HTTP_USER/HTTP_PASSWORD logs in like an account', async () => {
    const { res, cookie } = await login(base, ADMIN, ADMIN_PASSWORD);
    expect(res.status).toBe(303);
    expect((await fetch(`${base}/audit`, { headers: { cookie } })).status).toBe(200);
    expect(
      (await fetch(`${base}/api/cases`, { headers: { authorization: basic(ADMIN, ADMIN_PASSWORD) } })).status,
    ).toBe(200);
  });

  it('ends the open session of a disabled account at its next request, and of a changed password', async () => {
    await users.create(
      { login: 'a-desactiver', displayName: 'x', role: 'technicien', password: PASSWORD },
      'test',
    );
    const { cookie } = await login(base, 'a-desactiver');
    expect((await fetch(`${base}/api/cases`, { headers: { cookie } })).status).toBe(200);
    const off = await cli(['utilisateurs', 'désactiver', 'a-desactiver']);
    expect(off.code).toBe(0);
    expect(off.out).toContain('désactivé');
    expect((await fetch(`${base}/api/cases`, { headers: { cookie } })).status).toBe(401);
    // Nor may it log in again, by the form or HTTP Basic.
    expect((await login(base, 'a-desactiver')).res.status).toBe(401);
    expect(
      (await fetch(`${base}/api/cases`, { headers: { authorization: basic('a-desactiver') } })).status,
    ).toBe(401);

    // A new password (which enables the account again) ends the sessions opened with the old one.
    const again = await cli(['utilisateurs', 'mot-de-passe', 'a-desactiver'], 'un-autre-mot-de-passe\n');
    expect(again.code).toBe(0);
    const fresh = await login(base, 'a-desactiver', 'un-autre-mot-de-passe');
    expect(fresh.res.status).toBe(303);
    expect((await fetch(`${base}/api/cases`, { headers: { cookie: fresh.cookie } })).status).toBe(200);
    expect((await cli(['utilisateurs', 'mot-de-passe', 'a-desactiver'], 'encore-un-autre-mot\n')).code).toBe(
      0,
    );
    expect((await fetch(`${base}/api/cases`, { headers: { cookie: fresh.cookie } })).status).toBe(401);
  });

  it('ends a session left idle longer than http.idleMinutes', async () => {
    const { cookie } = await login(url, loginOf('technicien'));
    expect(cookie).toMatch(/^cdap_session=./);
    // 0.002 minute: polled every 300 ms, the session is idle longer than that between two uses.
    await waitFor(
      'idle session to end',
      async () => (await fetch(`${url}/api/cases`, { headers: { cookie } })).status === 401,
      10_000,
      300,
    );
  });

  it('throttles failed logins per account, whatever the address, without the login in the logs', async () => {
    const user = loginOf('superviseur');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await login(url, user, 'mauvais-mot-de-passe', { 'x-forwarded-for': `10.0.0.${i + 1}` })).res.status,
      );
    expect(statuses).toEqual([401, 401, 401, 429]);
    // The right password, from yet another address, waits too; another account does not.
    expect((await login(url, user, PASSWORD, { 'x-forwarded-for': '10.0.0.9' })).res.status).toBe(429);
    expect(
      (await login(url, loginOf('administrateur'), PASSWORD, { 'x-forwarded-for': '10.0.0.9' })).res.status,
    ).toBe(303);
    const all = lines.join('\n');
    expect(all).toContain('web.login_failed');
    expect(all).not.toContain(user);
    expect(all).not.toContain('mauvais-mot-de-passe');
  });

  it('CLI: adds accounts with the password from stdin, refuses short ones and unknown roles, lists them', async () => {
    const added = await cli(
      ['utilisateurs', 'ajouter', 'mdupont', '--role', 'comité', '--nom', 'Marie Dupont'],
      `${PASSWORD}\n`,
    );
    expect({ code: added.code, out: added.out }).toEqual({
      code: 0,
      out: 'Compte «\u00a0mdupont\u00a0» créé, rôle comité.\n',
    });
    expect((await fetch(`${base}/api/stats`, { headers: { authorization: basic('mdupont') } })).status).toBe(
      200,
    );
    const short = await cli(['utilisateurs', 'ajouter', 'court', '--role', 'technicien'], 'trop-court\n');
    expect(short.code).toBe(1);
    expect(short.err).toContain('au moins 12 caractères');
    const role = await cli(['utilisateurs', 'ajouter', 'x-role', '--role', 'chef'], `${PASSWORD}\n`);
    expect(role.code).toBe(2);
    expect(role.err).toContain('n’est pas un rôle');
    const twice = await cli(['utilisateurs', 'ajouter', 'mdupont', '--role', 'technicien'], `${PASSWORD}\n`);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('existe déjà');
    const unknown = await cli(['utilisateurs', 'désactiver', 'personne']);
    expect(unknown.code).toBe(1);
    const list = await cli(['utilisateurs', 'lister']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/mdupont +Marie Dupont +comité +actif +non +jamais/);
    expect(list.out).not.toContain('$argon2');
    // The password is nowhere but hashed with argon2id.
    const rows = await service.db
      .selectFrom('users' as never)
      .select(['password_hash' as never])
      .execute();
    expect(
      rows.every((r) => String((r as { password_hash: string }).password_hash).startsWith('$argon2id$')),
    ).toBe(true);
  });

  it('CLI: an API token, shown once, works as Bearer until the account is disabled', async () => {
    await users.create(
      { login: 'supervision', displayName: 'Prometheus', role: 'technicien', password: PASSWORD },
      'test',
    );
    const made = await cli(['utilisateurs', 'jeton', 'supervision']);
    expect(made.code).toBe(0);
    const token = made.out.trim();
    expect(token).toMatch(/^cdap_[\w-]{43}$/);
    const bearer = { authorization: `Bearer ${token}` };
    expect((await fetch(`${base}/metrics`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`${base}/audit`, { headers: bearer })).status).toBe(403);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(
      401,
    );
    expect((await cli(['utilisateurs', 'désactiver', 'supervision'])).code).toBe(0);
    expect((await fetch(`${base}/metrics`, { headers: bearer })).status).toBe(401);
  });

  it('keeps an audit trail of logins and account changes, for supervisors, as a page and a French CSV', async () => {
    const sup = basic(loginOf('superviseur'));
    await login(base, loginOf('technicien'));
    await login(base, loginOf('technicien'), 'pas-le-bon-mot');
    const page = await fetch(`${base}/audit?actor=${loginOf('technicien')}`, {
      headers: { authorization: sup },
    });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('connexion');
    const csv = await fetch(`${base}/audit.csv`, { headers: { authorization: sup } });
    // fetch's text() drops a BOM: read the bytes.
    const text = Buffer.from(await csv.arrayBuffer()).toString('utf8');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(text.startsWith('\ufeffdate;acteur;action;dossier;détail\r\n')).toBe(true);
    expect(text).toContain(';compte désactivé;');
    expect(text).toContain(';échec de connexion;');
    expect(text).not.toContain('pas-le-bon-mot');
    expect(text).not.toContain(PASSWORD);
    const bad = await fetch(`${base}/audit?from=2026-13-01`, { headers: { authorization: sup } });
    expect(bad.status).toBe(400);
  });
});
