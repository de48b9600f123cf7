import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amendConfig } from '../src/config/loadConfig.js';
import { createLogger } from '../src/log.js';
import { type Service, startService } from '../src/service.js';
import { createWebServer } from '../src/web/webServer.js';
import { fixture } from './support/analyzer.js';
import { appendMail, type DovecotServer, imapClient, startDovecot } from './support/dovecot.js';
import { folderContents, quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USER = 'technicien';
const PASSWORD = 'mot-de-passe-de-test';
const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

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
    const refs = await redis.zrange(`${prefix}:cases:all`, '0', '-1');
    const ref = refs[0] as string;
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
    expect((await service.caseStore.get(ref))?.status).toBe('open');
  });

  it('lists open cases urgent first, then oldest, with their SLA', async () => {
    const res = await fetch(`${base}/api/cases`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
    const { cases } = (await res.json()) as {
      cases: Array<{ ref: string; urgent: boolean; receivedAt: string; sla: string; dueAt: string }>;
    };
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
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(await csv.text()).toContain('standard,2');
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
      const rows = await page.$$eval('tr[data-ref]', (trs) =>
        trs.map((tr) => ({ ref: tr.getAttribute('data-ref'), urgent: tr.classList.contains('urgent') })),
      );
      expect(rows).toHaveLength(3);
      expect(rows[0]?.urgent).toBe(true);
      const urgentRef = rows[0]?.ref as string;

      await page.click(`a[href="/cases/${urgentRef}"]`);
      await page.waitForSelector('text=Marquer comme traité');
      expect(await page.textContent('h1')).toContain(urgentRef);
      // The facts read in the mail, at the top of the page, in words.
      expect(await page.textContent('ul.case-facts')).toContain(
        'Non-paiement du revenu de solidarité active depuis le 5\u00a0octobre 2026',
      );
      await page.click('text=Marquer comme traité');
      await page.waitForURL(`${base}/cases`);
      const after = await page.$$eval('tr[data-ref]', (trs) => trs.map((tr) => tr.getAttribute('data-ref')));
      expect(after).not.toContain(urgentRef);
      expect(after).toHaveLength(2);
      expect((await service.caseStore.get(urgentRef))?.status).toBe('handled');

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
      expect((await service.caseStore.get(ref))?.status).toBe('open');
      // The answer to a no-cors fetch is hidden from the page; it says when the request is over.
      await page.goto(`${attackerUrl}/fetch`);
      await page.waitForFunction(() => document.title === 'done');
      expect((await service.caseStore.get(ref))?.status).toBe('open');
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
    expect((await service.caseStore.get(ref))?.status).toBe('open');

    // The dashboard's own button: same origin, form with the session's token.
    expect(
      await post(
        `/cases/${ref}/handled`,
        { cookie, origin: own, 'content-type': FORM },
        form({ _csrf: token }),
      ),
    ).toBe(303);
    expect((await service.caseStore.get(ref))?.status).toBe('handled');
    // A script with Basic and JSON, no Origin: no token needed.
    expect(
      await post(
        `/api/cases/${scriptRef}/handled`,
        { authorization: auth, 'content-type': 'application/json' },
        '{}',
      ),
    ).toBe(200);
    expect((await service.caseStore.get(scriptRef))?.status).toBe('handled');
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
