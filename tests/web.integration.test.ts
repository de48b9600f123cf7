import { Redis } from 'ioredis';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService } from '../src/service.js';
import { fixture } from './support/analyzer.js';
import { appendMail, type DovecotServer, startDovecot } from './support/dovecot.js';
import { folderContents, quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USER = 'technicien';
const PASSWORD = 'mot-de-passe-de-test';
const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

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
    for (const name of MAILS) {
      await appendMail(server, 'INBOX', fixture(name));
      // Distinct arrival times, one second apart (IMAP INTERNALDATE has one-second resolution).
      await new Promise((r) => setTimeout(r, 1100));
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
    expect(new Date(cases[1]?.receivedAt ?? 0).getTime()).toBeLessThanOrEqual(
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

  it('shows no mail bytes nor addresses in Bull Board job data', async () => {
    const res = await fetch(`${base}/admin/queues/api/queues?activeQueue=standard&status=waiting&page=1`, {
      headers: { authorization: auth },
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('CDAP-');
    expect(body).not.toMatch(/@ille-et-vilaine\.fr/);
  });

  it('in a browser: log in, urgent listed first, open it, mark it handled, it leaves the list; charts render', async () => {
    const browser = await chromium.launch({
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
