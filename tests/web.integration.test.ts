import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '../src/cases/caseStore.js';
import type { Stats } from '../src/cases/indicators.js';
import { countOpenCases } from '../src/cases/openCases.js';
import { addCounts, emptyCounts, type MonthCounts } from '../src/cases/retention.js';
import { amendConfig } from '../src/config/loadConfig.js';
import { type Database, openDatabase } from '../src/infra/database.js';
import { createLogger } from '../src/log.js';
import { type Service, startService } from '../src/service.js';
import { createWebServer } from '../src/web/webServer.js';
import { fixture } from './support/analyzer.js';
import { appendMail, type DovecotServer, imapClient, startDovecot } from './support/dovecot.js';
import { folderContents, quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { schemaOf } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USER = 'technicien';
const PASSWORD = 'mot-de-passe-de-test';
const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/** Handlebars writes `=` in attributes as `&#x3D;`: the links as a browser reads them. */
const unescapeHtml = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

/** Logs in with the form; the session cookie as a Cookie header value. */
async function login(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body: form({ user: USER, password: PASSWORD, next: '/cases' }),
    redirect: 'manual',
  });
}

function sessionCookie(res: Response): string {
  const cookie = (res.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '';
  expect(cookie).toMatch(/^cdap_session=./);
  return cookie;
}

/** The CSRF token the dashboard's pages give a session (in the logout form). */
async function csrfToken(url: string, cookie: string): Promise<string> {
  const html = await (await fetch(`${url}/cases`, { headers: { cookie, accept: 'text/html' } })).text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  expect(token).toBeTruthy();
  return token as string;
}

const launchBrowser = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });

// An urgent mail received after two standard ones: it must still be listed first.
const MAILS = [
  'form-standard-clean.eml',
  'direct-cdas-generic-clean.eml',
  'form-urgent-rsa-substantiated.eml',
];

describe('web: dashboard, API, metrics and health (real Redis, Dovecot, browser)', () => {
  let server: DovecotServer;
  let redis: Redis;
  let service: Service;
  let base: string;
  const prefix = uniquePrefix('web');

  beforeAll(async () => {
    server = await startDovecot();
    redis = new Redis(redisUrl);
    const config = testConfig(testEnv(prefix, server, { HTTP_USER: USER, HTTP_PASSWORD: PASSWORD }), (c) => {
      c.http.port = 0;
      c.http.loginAttemptsPerMinute = 5;
    });
    service = await startService(config, quietLog(), { web: true });
    base = service.webUrl as string;
    // Received in this order, a minute apart (IMAP INTERNALDATE has one-second resolution).
    const client = imapClient(server);
    await client.connect();
    try {
      for (const [i, name] of MAILS.entries())
        await client.append('INBOX', fixture(name), [], new Date(Date.now() - (MAILS.length - i) * 60_000));
    } finally {
      await client.logout();
    }
    await waitFor('mail filed', async () => (await folderContents(server)).INBOX?.length === 0);
    await waitFor('cases queued', async () => (await service.queues.standard.getWaitingCount()) === 2);
  });

  afterAll(async () => {
    await service?.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await server?.stop();
  });

  it('refuses every route but /healthz without credentials (401)', async () => {
    const [ref] = (await service.caseStore.openRefs('standard', 0, 1)) as [string];
    const routes: Array<[string, string]> = [
      ['GET', '/'],
      ['GET', '/cases'],
      ['GET', `/cases/${ref}`],
      ['POST', `/cases/${ref}/handled`],
      ['GET', '/stats'],
      ['GET', '/stats.csv?table=cdas'],
      ['GET', '/api/cases'],
      ['GET', `/api/cases/${ref}`],
      ['POST', `/api/cases/${ref}/handled`],
      ['GET', '/api/stats'],
      ['GET', '/rapport?year=2025'],
      ['GET', '/metrics'],
      ['GET', '/readyz'],
      ['GET', '/admin/queues'],
      ['GET', '/admin/queues/api/queues'],
      ['GET', '/assets/stats.js'],
      ['GET', '/assets/chart.umd.min.js'],
      ['GET', '/no-such-page'],
    ];
    for (const [method, path] of routes) {
      const res = await fetch(base + path, { method, redirect: 'manual' });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 });
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Wrong password: still 401.
    const wrong = await fetch(`${base}/api/cases`, {
      headers: { authorization: `Basic ${btoa(`${USER}:nope`)}` },
    });
    expect(wrong.status).toBe(401);
    // The case is still open: the refused POSTs changed nothing.
    expect((await service.caseStore.get(ref))?.status).toBe('nouveau');
  });

  it('lists open cases urgent first, then oldest, with their SLA', async () => {
    const res = await fetch(`${base}/api/cases`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
    const { cases, total, limit, offset, next } = (await res.json()) as {
      cases: Array<{ ref: string; urgent: boolean; receivedAt: string; sla: string; dueAt: string }>;
      total: number;
      limit: number;
      offset: number;
      next: string | null;
    };
    expect({ total, limit, offset, next }).toEqual({ total: 3, limit: 100, offset: 0, next: null });
    expect(cases).toHaveLength(3);
    expect(cases[0]?.urgent).toBe(true);
    expect(cases.slice(1).every((c) => !c.urgent)).toBe(true);
    expect(new Date(cases[1]?.receivedAt ?? 0).getTime()).toBeLessThan(
      new Date(cases[2]?.receivedAt ?? 0).getTime(),
    );
    expect(cases.every((c) => c.sla === 'on-time' && c.dueAt)).toBe(true);
  });

  it('serves the indicators as JSON and CSV, matching what was received', async () => {
    const stats = (await (
      await fetch(`${base}/api/stats?period=week`, { headers: { authorization: auth } })
    ).json()) as {
      mails: number;
      urgent: number;
      byRoute: Array<{ key: string; count: number }>;
    };
    expect(stats.mails).toBe(3);
    expect(stats.urgent).toBe(1);
    expect(stats.byRoute).toEqual(
      expect.arrayContaining([
        { key: 'standard', count: 2 },
        { key: 'priority', count: 1 },
      ]),
    );
    const csv = await fetch(`${base}/stats.csv?table=routes&period=week`, {
      headers: { authorization: auth },
    });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await csv.text()).toContain('standard;2\r\n');
  });

  it('exposes Prometheus metrics and readiness', async () => {
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: auth } })).text();
    expect(text).toMatch(/cdap_mails_total\{route="priority",kind="cdap-form"\} 1/);
    expect(text).toMatch(/cdap_queue_depth\{queue="standard",state="waiting"\} 2/);
    expect(text).toMatch(/cdap_cases_open 3/);
    expect(text).toMatch(/cdap_intake_seconds_since_last_check\{mailbox="default"\}/);
    expect(text).toMatch(/cdap_connection_up\{server="redis"\} 1/);
    expect(text).toContain('cdap_arrival_to_routed_seconds_bucket');
    expect(text).toContain('cdap_process_cpu_seconds_total');
    const ready = await fetch(`${base}/readyz`, { headers: { authorization: auth } });
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: { redis: boolean } }).checks.redis).toBe(true);
  });

  it("shows the technicians' queues in Bull Board without addresses", async () => {
    const res = await fetch(`${base}/admin/queues/api/queues?activeQueue=standard&status=waiting&page=1`, {
      headers: { authorization: auth },
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('CDAP-');
    expect(body).not.toMatch(/@ille-et-vilaine\.fr/);
  });

  it('in a browser: log in, urgent listed first, open it, mark it handled, it leaves the list; charts render', async () => {
    const browser = await launchBrowser();
    const external: string[] = [];
    try {
      const page = await browser.newPage();
      page.on('request', (r) => {
        if (!r.url().startsWith(base)) external.push(r.url());
      });
      await page.goto(`${base}/cases`);
      await page.fill('input[name=user]', USER);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForSelector('table.cases');
      // Both queues, waiting for the answer (the tabs show one queue each).
      await page.goto(`${base}/cases?view=open`);
      const rows = await page.$$eval('tr[data-ref]', (trs) =>
        trs.map((tr) => ({ ref: tr.getAttribute('data-ref'), urgent: tr.classList.contains('urgent') })),
      );
      expect(rows).toHaveLength(3);
      expect(rows[0]?.urgent).toBe(true);
      const urgentRef = rows[0]?.ref as string;

      await page.click(`a[href="/cases/${urgentRef}"]`);
      await page.waitForSelector('text=Marquer comme répondu');
      expect(await page.textContent('h1')).toContain(urgentRef);
      // The facts read in the mail, at the top of the page, in words.
      expect(await page.textContent('ul.case-facts')).toContain(
        'Non-paiement du revenu de solidarité active depuis le 5\u00a0octobre 2026',
      );
      await page.click('text=Marquer comme répondu');
      await page.waitForURL(`${base}/cases`);
      await page.goto(`${base}/cases?view=open`);
      const after = await page.$$eval('tr[data-ref]', (trs) => trs.map((tr) => tr.getAttribute('data-ref')));
      expect(after).not.toContain(urgentRef);
      expect(after).toHaveLength(2);
      expect((await service.caseStore.get(urgentRef))?.status).toBe('répondu');

      await page.goto(`${base}/stats?period=week`);
      await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 10_000 });
      // A drawn canvas has coloured pixels; an empty one is all transparent.
      const painted = await page.$eval('#chart-prestations', (c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
        return n;
      });
      expect(painted).toBeGreaterThan(100);
      expect(await page.textContent('#fig-urgent')).toBe('1');
      expect(external).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('shows the triage queue in Bull Board with the raw mail masked', async () => {
    // Held in the triage queue (no worker takes it) so that Bull Board sees the job as intake wrote it.
    await service.queues.triage.pause();
    try {
      await appendMail(server, 'INBOX', fixture('form-allocataire-number-and-nir.eml'));
      // Intake gives triage jobs a priority: they wait in BullMQ's "prioritized" state.
      const job = await waitFor('mail queued for triage', async () => {
        const [first] = await service.queues.triage.getJobs(['prioritized', 'waiting']);
        return first;
      });
      // The queue really holds the mail: what the board must not show.
      expect(String(job.data.source)).toContain('KERVELLA');
      const res = await fetch(
        `${base}/admin/queues/api/queues?activeQueue=triage&status=${await job.getState()}&page=1`,
        { headers: { authorization: auth } },
      );
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain(String(job.id));
      expect(body).toContain('octets, masqués');
      for (const personal of ['KERVELLA', 'Lemari', 'julien.lemarie', '1975326', '1 96 02 35 288 017 32'])
        expect(body).not.toContain(personal);
    } finally {
      await service.queues.triage.resume();
    }
    await waitFor('mail triaged', async () => {
      const counts = await service.queues.triage.getJobCounts('prioritized', 'waiting');
      return Object.values(counts).every((n) => n === 0);
    });
  });

  it('in a browser: a page on another port of the same host cannot mark a case handled', async () => {
    const [ref] = (await service.caseStore.openRefs('standard', 0, 1)) as [string];
    // The attacker's pages: same site as the dashboard (127.0.0.1), so SameSite=Strict lets the cookie go.
    const pages: Record<string, string> = {
      '/form': `<form id="f" method="post" action="${base}/cases/${ref}/handled"><input name="x" value="1"></form>
<script>document.getElementById('f').submit()</script>`,
      '/fetch': `<script>fetch(${JSON.stringify(`${base}/api/cases/${ref}/handled`)}, { method: 'POST', mode: 'no-cors',
  credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{}' })
  .finally(() => { document.title = 'done'; })</script>`,
    };
    const attacker = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(pages[req.url ?? ''] ?? '');
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/cases`);
      await page.fill('input[name=user]', USER);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForSelector('table.cases');
      const posted = page.waitForResponse(
        (r) => r.url() === `${base}/cases/${ref}/handled` && r.request().method() === 'POST',
      );
      await page.goto(`${attackerUrl}/form`);
      const response = await posted;
      expect((await response.request().allHeaders()).cookie).toMatch(/cdap_session=/);
      expect(response.status()).toBe(403);
      expect((await service.caseStore.get(ref))?.status).toBe('nouveau');
      // The answer to a no-cors fetch is hidden from the page; it says when the request is over.
      await page.goto(`${attackerUrl}/fetch`);
      await page.waitForFunction(() => document.title === 'done');
      expect((await service.caseStore.get(ref))?.status).toBe('nouveau');
    } finally {
      await browser.close();
      attacker.closeAllConnections();
      attacker.close();
    }
  });

  it('refuses cross-site and token-less state changes; the dashboard form with its token still works', async () => {
    const open = await service.caseStore.openRefs('standard', 0, 10);
    const [ref, scriptRef] = open as [string, string];
    const cookie = sessionCookie(await login(base));
    const token = await csrfToken(base, cookie);
    const own = new URL(base).origin;
    const foreign = own.replace(/:(\d+)$/, ':7182');
    const post = (path: string, headers: Record<string, string>, body?: string) =>
      fetch(base + path, { method: 'POST', headers, body, redirect: 'manual' }).then((r) => r.status);

    const refused = {
      // A page on another port of the same host: the SameSite=Strict cookie goes along.
      cookieForeignOrigin: await post(
        `/cases/${ref}/handled`,
        { cookie, origin: foreign, 'content-type': FORM },
        form({ _csrf: token }),
      ),
      cookieForeignApi: await post(
        `/api/cases/${ref}/handled`,
        { cookie, origin: foreign, 'content-type': 'text/plain' },
        '{}',
      ),
      cookieNoToken: await post(`/cases/${ref}/handled`, { cookie, origin: own, 'content-type': FORM }, ''),
      cookieWrongToken: await post(
        `/cases/${ref}/handled`,
        { cookie, origin: own, 'content-type': FORM },
        form({ _csrf: `${token}x` }),
      ),
      cookieJsonNoToken: await post(
        `/api/cases/${ref}/handled`,
        { cookie, origin: own, 'content-type': 'application/json' },
        '{}',
      ),
      cookieNoOrigin: await post(
        `/cases/${ref}/handled`,
        { cookie, 'content-type': FORM },
        form({ _csrf: token }),
      ),
      // A browser that logged in with HTTP Basic sends it to every page of the site.
      basicForeignOrigin: await post(
        `/api/cases/${ref}/handled`,
        { authorization: auth, origin: foreign, 'content-type': 'application/json' },
        '{}',
      ),
      basicForeignReferer: await post(
        `/api/cases/${ref}/handled`,
        { authorization: auth, referer: `${foreign}/page`, 'content-type': 'application/json' },
        '{}',
      ),
      basicTextPlain: await post(
        `/api/cases/${ref}/handled`,
        { authorization: auth, 'content-type': 'text/plain' },
        'x',
      ),
      basicNoBody: await post(`/api/cases/${ref}/handled`, { authorization: auth }),
      cookieTextPlainWithToken: await post(
        `/api/cases/${ref}/handled`,
        { cookie, origin: own, 'content-type': 'text/plain', 'x-csrf-token': token },
        'x',
      ),
    };
    expect(refused).toEqual({
      cookieForeignOrigin: 403,
      cookieForeignApi: 403,
      cookieNoToken: 403,
      cookieWrongToken: 403,
      cookieJsonNoToken: 403,
      cookieNoOrigin: 403,
      basicForeignOrigin: 403,
      basicForeignReferer: 403,
      basicTextPlain: 415,
      basicNoBody: 415,
      cookieTextPlainWithToken: 415,
    });
    expect((await service.caseStore.get(ref))?.status).toBe('nouveau');

    // The dashboard's own button: same origin, form with the session's token.
    expect(
      await post(
        `/cases/${ref}/handled`,
        { cookie, origin: own, 'content-type': FORM },
        form({ _csrf: token }),
      ),
    ).toBe(303);
    expect((await service.caseStore.get(ref))?.status).toBe('répondu');
    // A script with Basic and JSON, no Origin: no token needed.
    expect(
      await post(
        `/api/cases/${scriptRef}/handled`,
        { authorization: auth, 'content-type': 'application/json' },
        '{}',
      ),
    ).toBe(200);
    expect((await service.caseStore.get(scriptRef))?.status).toBe('répondu');
  });

  it('logout revokes the session: the old cookie is refused', async () => {
    const cookie = sessionCookie(await login(base));
    expect((await fetch(`${base}/api/cases`, { headers: { cookie } })).status).toBe(200);
    const token = await csrfToken(base, cookie);
    const out = await fetch(`${base}/logout`, {
      method: 'POST',
      headers: { cookie, origin: new URL(base).origin, 'content-type': FORM },
      body: form({ _csrf: token }),
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect((await fetch(`${base}/api/cases`, { headers: { cookie } })).status).toBe(401);
  });

  it('over plain HTTP: no upgrade-insecure-requests, no HSTS, no Secure cookie, X-Forwarded-Proto ignored', async () => {
    const page = await fetch(`${base}/login`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(page.headers.get('strict-transport-security')).toBeNull();
    // trustProxy is off: anybody may send this header.
    const res = await login(base, { 'x-forwarded-proto': 'https' });
    expect(res.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
  });

  describe('behind a trusted proxy, with a short login lock (second web server)', () => {
    let app: FastifyInstance;
    let url: string;
    const lines: string[] = [];
    const lockPrefix = `${prefix}-lock`;
    const LOCK_AFTER = 3;

    beforeAll(async () => {
      const config = amendConfig(service.config, (c) => {
        c.redis.prefix = lockPrefix;
        c.http.trustProxy = ['127.0.0.1'];
        c.http.loginAttemptsPerMinute = LOCK_AFTER;
        c.http.loginWindowSeconds = 2;
        c.http.queueAdminWrites = true;
      });
      app = await createWebServer({
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
      url = await app.listen({ host: '127.0.0.1', port: 0 });
    });

    afterAll(async () => {
      await app?.close();
      await deleteKeys(redis, lockPrefix);
    });

    it('sets Secure and HSTS when the trusted proxy says HTTPS', async () => {
      const res = await login(url, { 'x-forwarded-proto': 'https' });
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
      const plain = await login(url);
      expect(plain.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
    });

    it('lets Bull Board write with its token from its XSRF-TOKEN cookie, and not without', async () => {
      const cookie = sessionCookie(await login(url));
      const page = await fetch(`${url}/admin/queues`, { headers: { cookie, accept: 'text/html' } });
      expect(page.status).toBe(200);
      const xsrf = /XSRF-TOKEN=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1];
      expect(xsrf).toBeTruthy();
      const put = (path: string, headers: Record<string, string>) =>
        fetch(`${url}/admin/queues/api/queues/notify/${path}`, {
          method: 'PUT',
          headers: { cookie, origin: new URL(url).origin, ...headers },
        }).then((r) => r.status);
      expect(await put('pause', {})).toBe(403);
      expect(await put('pause', { 'x-xsrf-token': `${xsrf}x` })).toBe(403);
      expect(await service.queues.notify.isPaused()).toBe(false);
      expect(await put('pause', { 'x-xsrf-token': xsrf as string })).toBe(200);
      expect(await service.queues.notify.isPaused()).toBe(true);
      expect(await put('resume', { 'x-xsrf-token': xsrf as string })).toBe(200);
      expect(await service.queues.notify.isPaused()).toBe(false);
    });

    it('throttles HTTP Basic like the form: failures logged, 429 with Retry-After, the lock holds on both paths', async () => {
      const wrong = `Basic ${Buffer.from(`${USER}:wrong-password-123`).toString('base64')}`;
      const statuses: number[] = [];
      for (let i = 0; i < LOCK_AFTER + 2; i++)
        statuses.push((await fetch(`${url}/api/cases`, { headers: { authorization: wrong } })).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      const locked = await fetch(`${url}/api/cases`, { headers: { authorization: auth } });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await login(url)).status).toBe(429);

      const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const failures = events.filter((e) => e.event === 'web.login_failed');
      expect(failures).toHaveLength(LOCK_AFTER);
      expect(failures.every((e) => e.via === 'basic' && e.level === 40)).toBe(true);
      const all = lines.join('\n');
      expect(all).not.toContain('wrong-password-123');
      expect(all).not.toContain(PASSWORD);
      expect(all).not.toContain(USER);

      // The lock ends with its window; then the form's failures lock Basic out too.
      await waitFor(
        'lock to expire',
        async () => (await fetch(`${url}/api/cases`, { headers: { authorization: auth } })).status === 200,
      );
      for (let i = 0; i < LOCK_AFTER; i++) {
        const res = await fetch(`${url}/login`, {
          method: 'POST',
          headers: { 'content-type': FORM },
          body: form({ user: USER, password: 'nope' }),
        });
        expect(res.status).toBe(401);
      }
      expect((await fetch(`${url}/api/cases`, { headers: { authorization: auth } })).status).toBe(429);
      expect(
        lines
          .map((l) => JSON.parse(l) as { event?: string; via?: string })
          .filter((e) => e.event === 'web.login_failed' && e.via === 'form'),
      ).toHaveLength(LOCK_AFTER);
    });
  });

  describe('indicators and lists in SQL, over seeded records (a schema of their own)', () => {
    let db: Database;
    let app: FastifyInstance;
    let url: string;
    const seedPrefix = `${prefix}-seed`;
    const seqs = new Map<number, number>();
    const refsBy: Record<string, string[]> = { priority: [], standard: [] };

    /** One round trip of a request: the CDAS mail that opened it, its deadline, the CAF's answer. */
    type SeedRound = { startedAt: string; dueAt?: string | null; answeredAt?: string | null };

    /**
     * One case row as the store writes it, with its round trips (case_rounds) for a request;
     * only what lists and indicators read is given. Without `rounds`, a request has one: from
     * its receipt, to `dueAt`, answered at `answeredAt`. The case's columns follow its rounds:
     * the current (last) one's deadline and answer, the first one's answer.
     */
    async function insertCase(c: {
      receivedAt: string;
      route: 'priority' | 'standard' | 'quarantine' | 'ignored';
      status?: 'nouveau' | 'répondu' | 'clos' | 'enregistré';
      urgent?: boolean;
      urgencyCheck?: string | null;
      cdas?: string | null;
      prestations?: string[];
      motif?: string;
      rules?: string[];
      lintErrors?: number;
      unreadable?: boolean;
      multipleSituations?: boolean;
      dueAt?: string | null;
      answeredAt?: string | null;
      rounds?: SeedRound[];
    }): Promise<string> {
      const received = new Date(c.receivedAt);
      const year = received.getUTCFullYear();
      const seq = (seqs.get(year) ?? 0) + 1;
      seqs.set(year, seq);
      const ref = `CDAP-${year}-${String(seq).padStart(6, '0')}`;
      const isRequest = c.route === 'priority' || c.route === 'standard';
      const rounds: SeedRound[] =
        c.rounds ??
        (isRequest ? [{ startedAt: c.receivedAt, dueAt: c.dueAt, answeredAt: c.answeredAt }] : []);
      const first = rounds[0];
      const last = rounds[rounds.length - 1];
      const dueAt = last ? (last.dueAt ?? null) : (c.dueAt ?? null);
      const answeredAt = last ? (last.answeredAt ?? null) : (c.answeredAt ?? null);
      const at = (iso: string | null | undefined) => (iso ? new Date(iso) : null);
      await db
        .insertInto('cases')
        .values({
          ref,
          year,
          seq,
          mailbox_id: 'default',
          uid_validity: '1',
          uid: year * 10_000 + seq,
          content_hash: ref,
          received_at: received,
          triaged_at: received,
          route: c.route,
          status: c.status ?? (isRequest ? (answeredAt ? 'répondu' : 'nouveau') : 'enregistré'),
          kind: 'cdap-form',
          urgent: c.urgent ?? false,
          urgency_check: c.urgencyCheck ?? null,
          cdas_id: null,
          cdas_name: c.cdas ?? null,
          motif: c.motif ?? 'autre',
          prestations: c.prestations ?? [],
          rules: c.rules ?? [],
          unreadable: c.unreadable ?? false,
          multiple_situations: c.multipleSituations ?? false,
          lint_errors: c.lintErrors ?? 0,
          lint_warnings: 0,
          backfill: false,
          due_at: at(dueAt),
          answered_at: at(answeredAt),
          first_answered_at: at(first ? first.answeredAt : c.answeredAt),
          round_trips: Math.max(1, rounds.length),
          round_started_at: last ? new Date(last.startedAt) : received,
          record: JSON.stringify({ sla: dueAt ? { dueAt, warnAt: dueAt } : null }),
        } as never)
        .execute();
      for (const [i, r] of rounds.entries())
        await sql`INSERT INTO case_rounds (ref, round, started_at, due_at, answered_at)
          VALUES (${ref}, ${i + 1}, ${new Date(r.startedAt)}, ${at(r.dueAt)}, ${at(r.answeredAt)})`.execute(
          db,
        );
      return ref;
    }

    const aggregate = (month: string, counts: Partial<MonthCounts>) =>
      sql`INSERT INTO monthly_indicators (month, counts) VALUES (${month}::date,
        ${JSON.stringify(addCounts(emptyCounts(), counts))}::jsonb)`.execute(db);

    const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
      const res = await fetch(url + path, { headers: { authorization: auth } });
      return { status: res.status, body: (await res.json()) as T };
    };

    beforeAll(async () => {
      const config = amendConfig(service.config, (c) => {
        c.redis.prefix = seedPrefix;
        c.database.schema = schemaOf(seedPrefix);
      });
      db = await openDatabase(config.database, quietLog());
      // The year 2024, hand-counted in the tests below. Deadlines: standard 10 days after
      // the round trip began, urgent 2 working days (the round's due_at).
      await insertCase({
        receivedAt: '2023-12-31T23:50:00Z',
        route: 'standard',
        answeredAt: '2024-01-02T00:00:00Z',
      });
      // January, CDAS Rennes: an urgency answered in 24 h; a standard request answered at the
      // tenth day to the minute (its due_at says 10:00, but the standard deadline is counted
      // 10 days from the start: within, and a breach of its due_at for slaBreaches).
      await insertCase({
        receivedAt: '2024-01-10T08:00:00Z',
        route: 'priority',
        urgent: true,
        urgencyCheck: 'substantiated',
        cdas: 'CDAS Rennes',
        prestations: ['RSA'],
        motif: 'non-paiement',
        dueAt: '2024-01-12T08:00:00Z',
        answeredAt: '2024-01-11T08:00:00Z',
      });
      await insertCase({
        receivedAt: '2024-01-10T15:00:00Z',
        route: 'standard',
        cdas: 'CDAS Rennes',
        prestations: ['RSA', 'APL'],
        motif: 'baisse',
        rules: ['subject', 'signature'],
        lintErrors: 2,
        dueAt: '2024-01-20T10:00:00Z',
        answeredAt: '2024-01-20T15:00:00Z',
      });
      // March, CDAS Fougères: standard answered in 3 days (then closed) and in 12 days (late),
      // one with a format error (50 % without error); CDAS Redon: an urgency (Wednesday)
      // answered after 1 working day, without format error.
      await insertCase({
        receivedAt: '2024-03-04T09:00:00Z',
        route: 'standard',
        status: 'clos',
        cdas: 'CDAS Fougères',
        prestations: ['RSA'],
        motif: 'non-paiement',
        dueAt: '2024-03-14T09:00:00Z',
        answeredAt: '2024-03-07T09:00:00Z',
      });
      await insertCase({
        receivedAt: '2024-03-05T09:00:00Z',
        route: 'standard',
        cdas: 'CDAS Fougères',
        prestations: ['APL'],
        motif: 'baisse',
        rules: ['rubric-empty'],
        lintErrors: 1,
        dueAt: '2024-03-15T09:00:00Z',
        answeredAt: '2024-03-17T09:00:00Z',
      });
      await insertCase({
        receivedAt: '2024-03-06T10:00:00Z',
        route: 'priority',
        urgent: true,
        urgencyCheck: 'substantiated',
        cdas: 'CDAS Redon',
        prestations: ['AAH'],
        motif: 'non-paiement',
        dueAt: '2024-03-08T10:00:00Z',
        answeredAt: '2024-03-07T10:00:00Z',
      });
      // April, CDAS Fougères: two round trips (answered in 48 h; the CDAS wrote again after the
      // answer, answered in 36 h), no format error (100 %); CDAS Redon: an urgency received on
      // a Friday, due Tuesday, answered Thursday after 4 working days (late), with a format error (0 %).
      await insertCase({
        receivedAt: '2024-04-02T09:00:00Z',
        route: 'standard',
        cdas: 'CDAS Fougères',
        prestations: ['RSA'],
        motif: 'autre',
        rounds: [
          {
            startedAt: '2024-04-02T09:00:00Z',
            dueAt: '2024-04-12T09:00:00Z',
            answeredAt: '2024-04-04T09:00:00Z',
          },
          {
            startedAt: '2024-04-15T09:00:00Z',
            dueAt: '2024-04-25T09:00:00Z',
            answeredAt: '2024-04-16T21:00:00Z',
          },
        ],
      });
      await insertCase({
        receivedAt: '2024-04-05T10:00:00Z',
        route: 'priority',
        urgent: true,
        urgencyCheck: 'substantiated',
        cdas: 'CDAS Redon',
        prestations: ['RSA'],
        motif: 'non-paiement',
        rules: ['rubric-missing'],
        lintErrors: 1,
        dueAt: '2024-04-09T10:00:00Z',
        answeredAt: '2024-04-11T10:00:00Z',
      });
      // June: an urgency that does not meet the definition (urgent deadline all the same),
      // answered in 36 h.
      await insertCase({
        receivedAt: '2024-06-03T09:00:00Z',
        route: 'standard',
        urgent: true,
        urgencyCheck: 'unsubstantiated',
        motif: 'explication',
        multipleSituations: true,
        rules: ['subject'],
        lintErrors: 1,
        dueAt: '2024-06-05T09:00:00Z',
        answeredAt: '2024-06-04T21:00:00Z',
      });
      // Never answered: past its deadline, and still in the standard queue (its oldest case).
      const forgotten = await insertCase({
        receivedAt: '2024-06-05T09:00:00Z',
        route: 'standard',
        cdas: 'CDAS Vitré',
        prestations: ['AAH'],
        motif: 'non-paiement',
        unreadable: true,
        dueAt: '2024-06-15T09:00:00Z',
      });
      await insertCase({ receivedAt: '2024-09-01T12:00:00Z', route: 'ignored', status: 'enregistré' });
      await insertCase({ receivedAt: '2024-12-31T23:30:00Z', route: 'quarantine', status: 'enregistré' });
      await insertCase({
        receivedAt: '2025-01-01T00:10:00Z',
        route: 'standard',
        answeredAt: '2025-01-02T00:00:00Z',
      });
      // February 2024's cases went with retention: their anonymous counts stay. Written before
      // the answer tracking (`handled`, read as answered), then merged with newer counts.
      await aggregate('2024-02-01', {
        mails: 10,
        requests: 8,
        byRoute: { standard: 6, priority: 2, ignored: 2 },
        byCdas: { 'CDAS Rennes': 5, 'CDAS Fougères': 3 },
        byPrestation: { RSA: 4, 'non indiquée': 4 },
        byMotif: { 'non-paiement': 5, autre: 3 },
        byRule: { subject: 3 },
        urgent: 2,
        urgentUnsubstantiated: 1,
        multipleSituations: 1,
        handled: 8,
        slaBreaches: 1,
        formatMails: 8,
        formatOk: 5,
        formatMailsByCdas: { 'CDAS Rennes': 5, 'CDAS Fougères': 3 },
        formatOkByCdas: { 'CDAS Rennes': 3, 'CDAS Fougères': 2 },
        // 7 settled in one round trip, 1 in three: 10 round trips.
        settled: 8,
        settledRoundTrips: 10,
        settledInOne: 7,
        settledInMore: 1,
        standardRounds: 8,
        standardRoundsWithin: 6,
        urgentRounds: 2,
        urgentRoundsWithin: 2,
      });
      await aggregate('2023-11-01', { mails: 100, requests: 100, byRoute: { standard: 100 } });
      // The open queues: 3 urgent cases (one overdue), 250 standard ones (the first 40 overdue).
      for (let i = 0; i < 3; i++)
        refsBy.priority?.push(
          await insertCase({
            receivedAt: `2026-11-0${i + 1}T10:00:00Z`,
            route: 'priority',
            urgent: true,
            dueAt: i === 0 ? '2026-11-03T10:00:00Z' : '2099-01-01T00:00:00Z',
          }),
        );
      refsBy.standard?.push(forgotten);
      for (let i = 0; i < 250; i++)
        refsBy.standard?.push(
          await insertCase({
            receivedAt: new Date(Date.UTC(2026, 9, 1) + i * 60_000).toISOString(),
            route: 'standard',
            dueAt: i < 40 ? '2026-10-11T00:00:00Z' : '2099-01-01T00:00:00Z',
          }),
        );
      // Neither is in a technician's queue: not listed, not counted.
      await insertCase({
        receivedAt: '2026-10-02T00:00:00Z',
        route: 'quarantine',
        dueAt: '2026-10-03T00:00:00Z',
      });
      await insertCase({
        receivedAt: '2026-10-02T00:00:00Z',
        route: 'standard',
        dueAt: '2026-10-03T00:00:00Z',
        answeredAt: '2026-10-04T00:00:00Z',
      });
      app = await createWebServer({
        config,
        caseStore: new CaseStore(db),
        db,
        queues: service.queues,
        metrics: service.metrics,
        redis: service.redis,
        health: {
          redis: async () => true,
          database: async () => true,
          smtp: async () => true,
          intake: async () => ({ fresh: true, secondsSinceLastCheck: {} }),
        },
        log: quietLog(),
      });
      url = await app.listen({ host: '127.0.0.1', port: 0 });
    });

    afterAll(async () => {
      await app?.close();
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schemaOf(seedPrefix))} CASCADE`.execute(db).catch(() => {});
      await db?.destroy();
      await deleteKeys(redis, seedPrefix);
    });

    it('pages the open cases in work order: total, limit, offset, next, and a cap on limit', async () => {
      type Page = {
        cases: Array<{ ref: string; queue: string; sla: string }>;
        total: number;
        limit: number;
        offset: number;
        next: string | null;
      };
      const seen: string[] = [];
      let path: string | null = '/api/cases?queue=standard';
      const pages: Array<Omit<Page, 'cases'> & { n: number }> = [];
      while (path) {
        const { status, body }: { status: number; body: Page } = await api<Page>(path);
        expect(status).toBe(200);
        pages.push({
          total: body.total,
          limit: body.limit,
          offset: body.offset,
          next: body.next,
          n: body.cases.length,
        });
        seen.push(...body.cases.map((c) => c.ref));
        path = body.next;
      }
      expect(pages).toEqual([
        { total: 251, limit: 100, offset: 0, next: '/api/cases?queue=standard&limit=100&offset=100', n: 100 },
        {
          total: 251,
          limit: 100,
          offset: 100,
          next: '/api/cases?queue=standard&limit=100&offset=200',
          n: 100,
        },
        { total: 251, limit: 100, offset: 200, next: null, n: 51 },
      ]);
      // Oldest first: the forgotten 2024 case, then the 250 in order of reception.
      expect(seen).toEqual(refsBy.standard);

      const both = await api<Page>('/api/cases?limit=5');
      expect(both.body.total).toBe(254);
      expect(both.body.cases.map((c) => c.ref)).toEqual([
        ...(refsBy.priority ?? []),
        ...(refsBy.standard ?? []).slice(0, 2),
      ]);
      expect(both.body.cases.map((c) => c.sla)).toEqual([
        'overdue',
        'on-time',
        'on-time',
        'overdue',
        'overdue',
      ]);
      expect(both.body.next).toBe('/api/cases?limit=5&offset=5');

      const all = await api<Page>('/api/cases?queue=standard&limit=500');
      expect([all.body.cases.length, all.body.next]).toEqual([251, null]);
      const refused = [];
      for (const q of ['limit=501', 'limit=0', 'limit=abc', 'offset=-1', 'queue=quarantine'])
        refused.push([q, (await api<{ error: string }>(`/api/cases?${q}`)).status]);
      expect(refused).toEqual([
        ['limit=501', 400],
        ['limit=0', 400],
        ['limit=abc', 400],
        ['offset=-1', 400],
        ['queue=quarantine', 400],
      ]);
    });

    it('shows one page of a view on /cases, with counts per tab and links to the next and previous pages', async () => {
      const page = async (path: string) => {
        const res = await fetch(url + path, { headers: { authorization: auth } });
        expect(res.status).toBe(200);
        const html = unescapeHtml(await res.text());
        const rows = [...html.matchAll(/<tr [^>]*data-ref="([^"]+)"/g)].map((m) => m[1]);
        return { html, rows };
      };
      const first = await page('/cases');
      expect(first.rows).toEqual(refsBy.priority);
      expect(first.html).toMatch(/data-view="standard">Standard <span class="count">251<\/span>/);
      const standard = await page('/cases?view=standard');
      expect(standard.rows).toEqual(refsBy.standard?.slice(0, 100));
      expect(standard.html).toContain('Dossiers 1 à 100 sur 251');
      expect(standard.html).toContain('href="/cases?view=standard&offset=100"');
      expect(standard.html).not.toContain('rel="prev"');
      const last = await page('/cases?view=standard&offset=200');
      expect(last.rows).toEqual(refsBy.standard?.slice(200));
      expect(last.html).toContain('Dossiers 201 à 251 sur 251');
      expect(last.html).toContain('href="/cases?view=standard&offset=100"');
      expect(last.html).not.toContain('rel="next"');
      expect((await fetch(`${url}/cases?offset=x`, { headers: { authorization: auth } })).status).toBe(400);
    });

    it('counts open and overdue cases for the metrics in SQL, as the lists call them', async () => {
      expect(await countOpenCases(db)).toEqual({ open: 254, overdue: 42 });
    });

    it('computes a past year from its cases, its round trips and its months emptied by retention', async () => {
      const { status, body } = await api<Stats>('/api/stats?from=2024-01-01&to=2024-12-31');
      expect(status).toBe(200);
      const months = Array.from({ length: 12 }, (_, m) => `2024-${String(m + 1).padStart(2, '0')}-01`);
      const noFlow = { mails: 0, requests: 0, urgent: 0, urgentUnsubstantiated: 0, answered: 0 };
      const noNature = { byCdas: [], byPrestation: [], byMotif: [] };
      const none = { rounds: 0, withinDeadline: 0, pending: 0, share: null };
      const unsettled = {
        settled: 0,
        average: null,
        one: 0,
        two: 0,
        threeOrMore: 0,
        settledInOneShare: null,
      };
      const noFormat = { mails: 0, withoutFormatError: 0, share: null };
      /** A year of months, `given` filled in, the others `empty`. */
      const year = (empty: object, given: Record<number, object>) =>
        months.map((month, m) => ({ month, ...empty, ...(given[m + 1] ?? {}) }));
      expect(body).toEqual({
        period: 'dates',
        year: null,
        query: 'from=2024-01-01&to=2024-12-31',
        from: '2024-01-01T00:00:00.000Z',
        to: '2024-12-31T23:59:59.999Z',
        firstDay: '2024-01-01',
        lastDay: '2024-12-31',
        months,
        granularity: 'week',
        // 11 live (9 requests, an ignored mail, a quarantined one) + February's aggregate.
        mails: 11 + 10,
        requests: 9 + 8,
        byRoute: [
          { key: 'standard', count: 6 + 6 },
          { key: 'priority', count: 3 + 2 },
          { key: 'ignored', count: 1 + 2 },
          { key: 'quarantine', count: 1 },
        ],
        byCdas: [
          { key: 'CDAS Rennes', count: 2 + 5 },
          { key: 'CDAS Fougères', count: 3 + 3 },
          { key: 'CDAS Redon', count: 2 },
          { key: 'CDAS Vitré', count: 1 },
          { key: 'non identifié', count: 1 },
        ],
        byPrestation: [
          { key: 'RSA', count: 5 + 4 },
          { key: 'non indiquée', count: 1 + 4 },
          { key: 'AAH', count: 2 },
          { key: 'APL', count: 2 },
        ],
        byMotif: [
          { key: 'non-paiement', count: 5 + 5 },
          { key: 'autre', count: 1 + 3 },
          { key: 'baisse', count: 2 },
          { key: 'explication', count: 1 },
        ],
        byRule: [
          { key: 'subject', count: 2 + 3 },
          { key: 'rubric-empty', count: 1 },
          { key: 'rubric-missing', count: 1 },
          { key: 'signature', count: 1 },
        ],
        // Rennes, Redon (×2), the unsubstantiated one in June.
        urgent: 4 + 2,
        urgentUnsubstantiated: 1 + 1,
        multipleSituations: 1 + 1,
        // All live requests but the forgotten one; February's `handled`.
        answered: 8 + 8,
        // First answers of the live cases: 24, 24, 36, 48, 72, 144, 240, 288 h → (48 + 72) / 2.
        medianHoursToFirstAnswer: 60,
        // Answered after their current due_at (January's standard, March's 12 days, April's
        // urgency) and the forgotten one; February's one.
        slaBreaches: 4 + 1,
        byMonth: year(
          { ...noFlow, ...noNature },
          {
            1: {
              mails: 2,
              requests: 2,
              urgent: 1,
              answered: 2,
              byCdas: [{ key: 'CDAS Rennes', count: 2 }],
              byPrestation: [
                { key: 'RSA', count: 2 },
                { key: 'APL', count: 1 },
              ],
              byMotif: [
                { key: 'baisse', count: 1 },
                { key: 'non-paiement', count: 1 },
              ],
            },
            2: {
              mails: 10,
              requests: 8,
              urgent: 2,
              urgentUnsubstantiated: 1,
              answered: 8,
              byCdas: [
                { key: 'CDAS Rennes', count: 5 },
                { key: 'CDAS Fougères', count: 3 },
              ],
              byPrestation: [
                { key: 'non indiquée', count: 4 },
                { key: 'RSA', count: 4 },
              ],
              byMotif: [
                { key: 'non-paiement', count: 5 },
                { key: 'autre', count: 3 },
              ],
            },
            3: {
              mails: 3,
              requests: 3,
              urgent: 1,
              answered: 3,
              byCdas: [
                { key: 'CDAS Fougères', count: 2 },
                { key: 'CDAS Redon', count: 1 },
              ],
              byPrestation: [
                { key: 'AAH', count: 1 },
                { key: 'APL', count: 1 },
                { key: 'RSA', count: 1 },
              ],
              byMotif: [
                { key: 'non-paiement', count: 2 },
                { key: 'baisse', count: 1 },
              ],
            },
            4: {
              mails: 2,
              requests: 2,
              urgent: 1,
              answered: 2,
              byCdas: [
                { key: 'CDAS Fougères', count: 1 },
                { key: 'CDAS Redon', count: 1 },
              ],
              byPrestation: [{ key: 'RSA', count: 2 }],
              byMotif: [
                { key: 'autre', count: 1 },
                { key: 'non-paiement', count: 1 },
              ],
            },
            6: {
              mails: 2,
              requests: 2,
              urgent: 1,
              urgentUnsubstantiated: 1,
              answered: 1,
              byCdas: [
                { key: 'CDAS Vitré', count: 1 },
                { key: 'non identifié', count: 1 },
              ],
              byPrestation: [
                { key: 'AAH', count: 1 },
                { key: 'non indiquée', count: 1 },
              ],
              byMotif: [
                { key: 'explication', count: 1 },
                { key: 'non-paiement', count: 1 },
              ],
            },
            9: { mails: 1 },
            12: { mails: 1 },
          },
        ),
        delays: {
          standardDueDays: 10,
          urgentDueWorkingDays: 2,
          // Round trips started in 2024. Standard: January (at the 10th day: within), March
          // (3 days: within; 12 days: late), April's two (48 h, 36 h: within), the forgotten one
          // (unanswered, past due: late) → 4 of 6; February's 6 of 8.
          // Urgent: January (24 h), March (1 working day), June (36 h) within, April's (4 working
          // days) late → 3 of 4; February's 2 of 2.
          all: {
            rounds: 6 + 4 + 10,
            withinDeadline: 4 + 3 + 8,
            pending: 0,
            share: 75,
            // Live answered round trips: 24, 24, 36, 36, 48, 72, 144, 240, 288 h.
            answered: 9,
            medianHours: 48,
            // percentile_cont: rank 0.9 × 8 = 7.2 → 240 + 0.2 × (288 − 240).
            p90Hours: 249.6,
          },
          standard: {
            rounds: 6 + 8,
            withinDeadline: 4 + 6,
            pending: 0,
            // 10 / 14.
            share: 71.4,
            // 36, 48, 72, 240, 288 h: the median is 72; rank 0.9 × 4 = 3.6 → 240 + 0.6 × 48.
            answered: 5,
            medianHours: 72,
            p90Hours: 268.8,
          },
          urgent: {
            rounds: 4 + 2,
            withinDeadline: 3 + 2,
            pending: 0,
            // 5 / 6.
            share: 83.3,
            // 24, 24, 36, 144 h: (24 + 36) / 2; rank 0.9 × 3 = 2.7 → 36 + 0.7 × (144 − 36).
            answered: 4,
            medianHours: 30,
            p90Hours: 111.6,
          },
          byMonth: months.map((month, m) => ({
            month,
            standard: {
              ...none,
              ...[
                {},
                { rounds: 1, withinDeadline: 1, share: 100 },
                { rounds: 8, withinDeadline: 6, share: 75 },
                { rounds: 2, withinDeadline: 1, share: 50 },
                { rounds: 2, withinDeadline: 2, share: 100 },
                {},
                { rounds: 1, withinDeadline: 0, share: 0 },
              ][m + 1],
            },
            urgent: {
              ...none,
              ...[
                {},
                { rounds: 1, withinDeadline: 1, share: 100 },
                { rounds: 2, withinDeadline: 2, share: 100 },
                { rounds: 1, withinDeadline: 1, share: 100 },
                { rounds: 1, withinDeadline: 0, share: 0 },
                {},
                { rounds: 1, withinDeadline: 1, share: 100 },
              ][m + 1],
            },
          })),
        },
        // Requests received in 2024 and answered or closed: the 8 live ones (April's Fougères in
        // two round trips), February's 8 (one in three) → 19 round trips for 16 situations.
        roundTrips: {
          settled: 8 + 8,
          average: 1.19,
          one: 7 + 7,
          two: 1,
          threeOrMore: 1,
          settledInOneShare: 87.5,
          byMonth: year(unsettled, {
            1: { settled: 2, average: 1, one: 2, settledInOneShare: 100 },
            2: { settled: 8, average: 1.25, one: 7, threeOrMore: 1, settledInOneShare: 87.5 },
            3: { settled: 3, average: 1, one: 3, settledInOneShare: 100 },
            4: { settled: 2, average: 1.5, one: 1, two: 1, settledInOneShare: 50 },
            6: { settled: 1, average: 1, one: 1, settledInOneShare: 100 },
          }),
        },
        // Live cases only: the unreadable one is not a format sample; ISO weeks start on Monday.
        formatOverTime: [
          { bucket: '2024-01-08', mails: 2, withoutFormatError: 1, share: 50 },
          { bucket: '2024-03-04', mails: 3, withoutFormatError: 2, share: 66.7 },
          { bucket: '2024-04-01', mails: 2, withoutFormatError: 1, share: 50 },
          { bucket: '2024-06-03', mails: 1, withoutFormatError: 0, share: 0 },
        ],
        // Alphabetical, the unidentified last; Vitré's only request is unreadable: no format to show.
        formatByCdas: [
          {
            cdas: 'CDAS Fougères',
            mails: 3 + 2 + 1,
            withoutFormatError: 2 + 1 + 1,
            share: 66.7,
            byMonth: year(noFormat, {
              2: { mails: 3, withoutFormatError: 2, share: 66.7 },
              3: { mails: 2, withoutFormatError: 1, share: 50 },
              4: { mails: 1, withoutFormatError: 1, share: 100 },
            }),
          },
          {
            cdas: 'CDAS Redon',
            mails: 2,
            withoutFormatError: 1,
            share: 50,
            byMonth: year(noFormat, {
              3: { mails: 1, withoutFormatError: 1, share: 100 },
              4: { mails: 1, withoutFormatError: 0, share: 0 },
            }),
          },
          {
            cdas: 'CDAS Rennes',
            mails: 2 + 5,
            withoutFormatError: 1 + 3,
            share: 57.1,
            byMonth: year(noFormat, {
              1: { mails: 2, withoutFormatError: 1, share: 50 },
              2: { mails: 5, withoutFormatError: 3, share: 60 },
            }),
          },
          {
            cdas: 'non identifié',
            mails: 1,
            withoutFormatError: 0,
            share: 0,
            byMonth: year(noFormat, { 6: { mails: 1, withoutFormatError: 0, share: 0 } }),
          },
        ],
        archivedMonths: ['2024-02-01'],
      });
      // The calendar year asks for the same range.
      const calendar = await api<Stats>('/api/stats?year=2024');
      expect(calendar.body).toEqual({ ...body, period: 'calendar-year', year: 2024, query: 'year=2024' });
    });

    it('leaves out of the delays a round trip not yet due, and says so', async () => {
      // November 2026: three urgencies, the first past its due_at unanswered, the two others due in 2099.
      const { body } = await api<Stats>('/api/stats?from=2026-11-01&to=2026-11-30');
      expect(body.delays.urgent).toEqual({
        rounds: 1,
        withinDeadline: 0,
        pending: 2,
        share: 0,
        answered: 0,
        medianHours: null,
        p90Hours: null,
      });
      expect(body.delays.all).toMatchObject({ rounds: 1, pending: 2, share: 0 });
      const html = await (
        await fetch(`${url}/stats?from=2026-11-01&to=2026-11-30`, { headers: { authorization: auth } })
      ).text();
      expect(html).toContain('n’est pas compté');
      expect(html).toMatch(
        /<tr><td>Urgences \(sous 2\u00a0jours ouvrés\)<\/td><td>1<\/td><td>0<\/td><td>0\u00a0%<\/td><td>2<\/td>/,
      );
    });

    it('takes any two dates; a month counts its aggregate only when wholly inside them', async () => {
      const june = await api<Stats>('/api/stats?from=2024-06-01&to=2024-06-04');
      expect(june.body).toMatchObject({
        period: 'dates',
        granularity: 'day',
        mails: 1,
        lastDay: '2024-06-04',
        formatOverTime: [{ bucket: '2024-06-03', mails: 1, withoutFormatError: 0, share: 0 }],
        archivedMonths: [],
      });
      expect((await api<Stats>('/api/stats?from=2024-02-01&to=2024-02-29')).body).toMatchObject({
        mails: 10,
        archivedMonths: ['2024-02-01'],
      });
      expect((await api<Stats>('/api/stats?from=2024-02-02&to=2024-02-29')).body).toMatchObject({
        mails: 0,
        archivedMonths: [],
      });
      const refused = [];
      for (const q of [
        'year=24',
        'year=abcd',
        'from=2024-02-30&to=2024-03-01',
        'from=2024-03-01',
        'from=2024-05-01&to=2024-04-01',
        'period=decade',
      ]) {
        const { status, body } = await api<{ error?: string }>(`/api/stats?${q}`);
        refused.push([q, status, typeof body.error]);
      }
      expect(refused.every(([, status, error]) => status === 400 && error === 'string')).toBe(true);
    });

    it('offers past years on /stats and says invalid ranges in French; the CSV follows the range', async () => {
      const res = await fetch(`${url}/stats?year=2024`, { headers: { authorization: auth } });
      expect(res.status).toBe(200);
      const html = unescapeHtml(await res.text());
      const years = [...html.matchAll(/<option value="(\d{4})"( selected)?>/g)].map(
        (m) => `${m[1]}${m[2] ?? ''}`,
      );
      expect(years).toEqual(['2026', '2025', '2024 selected', '2023']);
      expect(html).toContain('<strong id="fig-mails">21</strong>');
      expect(html).toContain('href="/stats.csv?table=routes&year=2024"');
      expect(html).toContain('href="/rapport?year=2024"');
      expect(html).toContain('id="archived"');
      const bad = await fetch(`${url}/stats?from=2024-05-01&to=2024-04-01`, {
        headers: { authorization: auth },
      });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toBe('La date de début (from) est postérieure à la date de fin (to).');
      const badCsv = await fetch(`${url}/stats.csv?table=routes&year=20x4`, {
        headers: { authorization: auth },
      });
      expect(badCsv.status).toBe(400);
      expect(await badCsv.text()).toContain('L’année');
      const unknown = await fetch(`${url}/stats.csv?table=nope&year=2024`, {
        headers: { authorization: auth },
      });
      expect([unknown.status, await unknown.text()]).toEqual([
        400,
        expect.stringContaining('Le tableau (table) est l’un de\u00a0: mois, cdas,'),
      ]);
    });

    it('exports CSV that French Excel opens: BOM, “;”, decimal comma, CRLF, French headers and file name', async () => {
      const csv = async (query: string) => {
        const res = await fetch(`${url}/stats.csv?${query}`, { headers: { authorization: auth } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        const bytes = new Uint8Array(await res.arrayBuffer());
        // UTF-8 with its byte order mark, decoded without dropping it.
        expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
        const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(1);
        expect(text.endsWith('\r\n')).toBe(true);
        expect(text.replace(/\r\n/g, '')).not.toContain('\n');
        return {
          disposition: res.headers.get('content-disposition'),
          lines: text.split('\r\n').slice(0, -1),
        };
      };
      const routes = await csv('table=routes&year=2024');
      expect(routes.disposition).toBe('attachment; filename="indicateurs-cdap-2024-par-file.csv"');
      expect(routes.lines).toEqual([
        'File;Messages',
        'standard;12',
        'prioritaire;5',
        'ignoré;3',
        'quarantaine;1',
      ]);

      const delays = await csv('table=delais&from=2024-01-01&to=2024-12-31');
      expect(delays.disposition).toBe(
        'attachment; filename="indicateurs-cdap-2024-01-01-au-2024-12-31-delais.csv"',
      );
      expect(delays.lines).toEqual([
        'Allers-retours;Comptés (répondus ou échus);Répondus dans le délai;Part dans le délai (%);Non échus, non comptés;Répondus;Délai médian (heures);90e centile (heures)',
        'standard (10\u00a0jours);14;10;71,4;0;5;72;268,8',
        'urgents (2\u00a0jours ouvrés);6;5;83,3;0;4;30;111,6',
        'ensemble;20;15;75;0;9;48;249,6',
      ]);

      const roundTrips = await csv('table=allers-retours&year=2024');
      expect(roundTrips.lines[0]).toBe(
        'Mois de réception;Situations réglées;En 1 aller-retour;En 2 allers-retours;En 3 allers-retours ou plus;Part réglée en un seul aller-retour (%);Allers-retours en moyenne',
      );
      expect(roundTrips.lines.slice(1, 5)).toEqual([
        'janvier 2024;2;2;0;0;100;1',
        'février 2024;8;7;0;1;87,5;1,25',
        'mars 2024;3;3;0;0;100;1',
        'avril 2024;2;1;1;0;50;1,5',
      ]);
      expect(roundTrips.lines.at(-1)).toBe('ensemble de la période;16;14;1;1;87,5;1,19');

      const format = await csv('table=forme-cdas&year=2024');
      expect(format.lines[0]).toBe('CDAS;Mois;Demandes lisibles;Sans erreur de forme;Part sans erreur (%)');
      expect(format.lines).toContain('CDAS Fougères;février 2024;3;2;66,7');
      expect(format.lines).toContain('CDAS Redon;avril 2024;1;0;0');
      expect(format.lines).toContain('CDAS Fougères;mai 2024;0;0;');
      expect(format.lines).toContain('CDAS Rennes;ensemble de la période;7;4;57,1');

      const months = await csv('table=mois-cdas&year=2024');
      expect(months.lines[0]).toBe(
        'CDAS;janvier 2024;février 2024;mars 2024;avril 2024;mai 2024;juin 2024;juillet 2024;août 2024;septembre 2024;octobre 2024;novembre 2024;décembre 2024;Total',
      );
      expect(months.lines[1]).toBe('CDAS Rennes;2;5;0;0;0;0;0;0;0;0;0;0;7');

      // Every table in one file, each under its title.
      const all = await csv('year=2024');
      expect(all.disposition).toBe('attachment; filename="indicateurs-cdap-2024.csv"');
      expect(all.lines[0]).toBe('Flux par mois de réception');
      expect(all.lines[1]).toBe(
        'Mois;Messages reçus;Demandes des partenaires;Urgences signalées;Urgences non justifiées;Demandes répondues',
      );
      expect(all.lines).toContain('ensemble de la période;21;17;6;2;16');
      expect(all.lines).toContain('Délais de réponse, par aller-retour commencé dans la période');
    });

    it('prints a report for the yearly committee: French, tables, SVG charts, a print style sheet', async () => {
      const res = await fetch(`${url}/rapport?year=2024`, { headers: { authorization: auth } });
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('<h1>Rapport au comité de suivi de la convention CAF – Département</h1>');
      expect(html).toContain('Année 2024, du lundi 1 janvier 2024 au mardi 31 décembre 2024.');
      for (const section of ['flows', 'urgencies', 'delays', 'round-trips', 'format'])
        expect(html).toContain(`<section id="${section}">`);
      expect(html.match(/<svg /g)?.length).toBe(8);
      // The hand-counted figures, in French.
      expect(html).toContain('21\u00a0messages reçus, dont 17\u00a0demandes des partenaires');
      expect(html).toContain('Réponses dans le délai\u00a0: 71,4\u00a0% des allers-retours standard');
      expect(html).toContain(
        'Situations réglées en un seul aller-retour\u00a0: 87,5\u00a0%\u00a0; 1,19 aller-retour',
      );
      expect(html).toContain(
        '<td>Urgences (2\u00a0jours ouvrés)</td><td>6</td><td>5</td><td>83,3\u00a0%</td><td>0</td><td>4</td><td>1,3\u00a0jour</td><td>4,7\u00a0jours</td>',
      );
      expect(html).toContain('<td>CDAS Rennes</td><td>50\u00a0%</td><td>60\u00a0%</td>');
      expect(html).not.toContain('<script');
      const css = await (await fetch(`${url}/assets/app.css`)).text();
      expect(css).toContain('@media print');
      expect(css).toContain('size:A4');
      // Without a range: the last whole year; a wrong one is said in French.
      const lastYear = new Date().getUTCFullYear() - 1;
      expect(await (await fetch(`${url}/rapport`, { headers: { authorization: auth } })).text()).toContain(
        `Année ${lastYear},`,
      );
      const bad = await fetch(`${url}/rapport?year=24`, { headers: { authorization: auth } });
      expect([bad.status, await bad.text()]).toEqual([400, expect.stringContaining('L’année')]);
      expect((await fetch(`${url}/rapport?year=2024`, { redirect: 'manual' })).status).toBe(401);
    });
  });

  it('rate-limits login attempts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'user=x&password=y',
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 3).every((s) => s === 401)).toBe(true);
    expect(statuses).toContain(429);
  });
});
