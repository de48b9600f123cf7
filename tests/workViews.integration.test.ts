import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../src/cases/caseRecord.js';
import { CaseStore, columnsOf } from '../src/cases/caseStore.js';
import type { Config } from '../src/config/schema.js';
import { type Database, openDatabase } from '../src/infra/database.js';
import { Metrics } from '../src/web/metrics.js';
import { createWebServer } from '../src/web/webServer.js';
import type { DovecotServer } from './support/dovecot.js';
import { quietLog, testConfig, testEnv } from './support/pipeline.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

/**
 * The technicians' work views (issue 15) over a dozen seeded cases of chosen
 * attributes: views and their counts, filters, search, pages; taking, giving
 * and giving back a case through its lifecycle, with the audit trail; notes;
 * the 404 page; and in a browser, list → search → open → take, at 390 px too.
 */

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USER = 'chef';
const PASSWORD = 'mot-de-passe-de-test';
const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Handlebars writes `=` in attributes as `&#x3D;`: the text as a browser reads it. */
const unescapeHtml = (html: string) =>
  html
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&')
    .replace(/&#x27;/g, "'");

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

type Seed = Partial<CaseRecord> & { receivedAt: string; route: CaseRecord['route'] };

describe('work views: tabs, filters, search, assignment, notes (real PostgreSQL and Redis)', () => {
  const prefix = uniquePrefix('workviews');
  const now = new Date();
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
  const ahead = (ms: number) => new Date(now.getTime() + ms).toISOString();
  let config: Config;
  let db: Database;
  let redis: Redis;
  let app: FastifyInstance;
  let url: string;
  let seq = 0;
  const refs: Record<string, string> = {};

  async function insertCase(name: string, seed: Seed): Promise<string> {
    seq++;
    const ref = `CDAP-${new Date(seed.receivedAt).getUTCFullYear()}-${String(seq).padStart(6, '0')}`;
    const urgent = seed.urgent ?? false;
    const record = {
      ref,
      mail: { mailboxId: 'default', uidValidity: '1', uid: seq },
      messageIdHash: null,
      contentHash: ref,
      triagedAt: seed.receivedAt,
      routeReason: 'essai',
      kind: 'cdap-form',
      unreadable: false,
      unreadableReason: null,
      urgent,
      urgencySource: urgent ? 'subject' : null,
      urgencyCheck: urgent ? 'substantiated' : null,
      urgencyReason: null,
      cdas: null,
      senderDomain: null,
      replyTo: null,
      prestations: [],
      motif: 'autre',
      multipleSituations: false,
      dmarc: null,
      lint: [],
      lintErrors: 0,
      lintWarnings: 0,
      reply: 'none',
      replySuppressed: null,
      subject: null,
      sla: null,
      status: 'nouveau',
      answeredAt: null,
      answeredBy: null,
      answerChannel: null,
      firstAnsweredAt: null,
      roundTrips: 1,
      roundStartedAt: seed.receivedAt,
      assignee: null,
      takenAt: null,
      closedAt: null,
      closedBy: null,
      followUps: [],
      backfill: false,
      replyState: null,
      ...seed,
    } as CaseRecord;
    const received = new Date(seed.receivedAt);
    await db
      .insertInto('cases')
      .values({
        ref,
        year: received.getUTCFullYear(),
        seq,
        mailbox_id: 'default',
        uid_validity: '1',
        uid: seq,
        content_hash: ref,
        received_at: received,
        triaged_at: received,
        ...columnsOf(record),
      } as never)
      .execute();
    refs[name] = ref;
    return ref;
  }

  const sla = (dueAt: string) => ({ dueAt, warnAt: new Date(new Date(dueAt).getTime() - DAY).toISOString() });
  const rennes = { id: 'rennes', name: 'CDAS Rennes Nord' };

  type Page = {
    cases: Array<{
      ref: string;
      status: string;
      assignee: string | null;
      sla: string;
      daysLeft: number | null;
    }>;
    total: number;
    limit: number;
    offset: number;
    next: string | null;
  };
  const api = async (path: string) => {
    const res = await fetch(url + path, { headers: { authorization: auth } });
    return { status: res.status, body: (await res.json()) as Page };
  };
  /** The references listed, in order, and the total. */
  const listed = async (query: string) => {
    const { status, body } = await api(`/api/cases?${query}`);
    expect(status, query).toBe(200);
    return { refs: body.cases.map((c) => c.ref), total: body.total };
  };
  const names = (...keys: string[]) => keys.map((k) => refs[k]);
  const page = async (path: string) => {
    const res = await fetch(url + path, { headers: { authorization: auth, accept: 'text/html' } });
    return { status: res.status, html: unescapeHtml(await res.text()) };
  };
  const post = (path: string, fields: Record<string, string> = {}) =>
    fetch(url + path, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': FORM },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
  const auditOf = async (ref: string) =>
    (
      await sql<{ actor: string; action: string; detail: Record<string, unknown> }>`
      SELECT actor, action, detail FROM audit_events WHERE ref = ${ref} ORDER BY id`.execute(db)
    ).rows;

  beforeAll(async () => {
    const noMailbox = { host: '127.0.0.1', port: 1, user: 'x', password: 'x' } as DovecotServer;
    config = testConfig(testEnv(prefix, noMailbox, { HTTP_USER: USER, HTTP_PASSWORD: PASSWORD }), (c) => {
      c.http.port = 0;
    });
    db = await openDatabase(config.database, quietLog());
    redis = new Redis(redisUrl);
    await sql`INSERT INTO users (login, display_name, role, disabled_at) VALUES
      ('alice', 'Alice Martin', 'technicien', NULL),
      ('bob', 'Bob Durand', 'technicien', NULL),
      ('sophie', 'Sophie Leroy', 'superviseur', NULL),
      ('zoe', 'Zoé Ancienne', 'technicien', now()),
      ('comite1', 'Membre du comité', 'comite', NULL)`.execute(db);

    await insertCase('p1', {
      receivedAt: ago(3 * DAY),
      route: 'priority',
      urgent: true,
      cdas: rennes,
      prestations: ['RSA'],
      subject: 'URGENCE DEFINIE non-paiement RSA',
      sla: sla(ahead(DAY + HOUR)),
    });
    await insertCase('p2', {
      receivedAt: ago(2 * DAY),
      route: 'priority',
      urgent: true,
      cdas: { id: 'vitre', name: 'CDAS Vitré' },
      prestations: ['AAH'],
      sla: sla(ago(HOUR)),
      status: 'pris en charge',
      assignee: 'alice',
      takenAt: ago(DAY),
    });
    await insertCase('s1', {
      receivedAt: ago(5 * DAY),
      route: 'standard',
      cdas: rennes,
      prestations: ['APL'],
      subject: 'Baisse de l’aide au logement',
      sla: sla(ahead(5 * DAY)),
      lintErrors: 1,
      lint: [{ rule: 'dates-missing', severity: 'error', message: 'Dates manquantes.' }] as never,
    });
    await insertCase('s2', {
      receivedAt: ago(4 * DAY),
      route: 'standard',
      cdas: { id: 'fougeres', name: 'CDAS Fougères' },
      prestations: ['RSA'],
      subject: 'Demande d’explication sur la prime',
      sla: sla(ago(DAY + 2 * HOUR)),
      status: 'pris en charge',
      assignee: 'alice',
      takenAt: ago(3 * DAY),
    });
    await insertCase('s3', {
      receivedAt: ago(DAY),
      route: 'standard',
      unreadable: true,
      unreadableReason: 'message trop volumineux',
      sla: sla(ahead(9 * DAY)),
    });
    await insertCase('s4', {
      receivedAt: ago(10 * DAY),
      route: 'standard',
      cdas: rennes,
      prestations: ['RSA'],
      status: 'répondu',
      answeredAt: ago(8 * DAY),
      sla: sla(ago(2 * DAY)),
    });
    await insertCase('s5', {
      receivedAt: ago(20 * DAY),
      route: 'standard',
      cdas: { id: 'vitre', name: 'CDAS Vitré' },
      status: 'clos',
      closedAt: ago(15 * DAY),
      closedBy: 'bob',
    });
    await insertCase('q1', {
      receivedAt: ago(30 * HOUR),
      route: 'quarantine',
      status: 'enregistré',
      subject: 'Interruption AAH urgente',
    });
    const confirmed = await insertCase('q2', {
      receivedAt: ago(6 * DAY),
      route: 'quarantine',
      status: 'enregistré',
    });
    await sql`INSERT INTO audit_events (actor, action, ref, detail)
      VALUES ('sophie', 'quarantaine confirmée', ${confirmed}, '{}')`.execute(db);
    await insertCase('i1', { receivedAt: ago(2 * DAY), route: 'ignored', status: 'enregistré' });
    await insertCase('s6', {
      receivedAt: '2024-06-03T09:00:00Z',
      route: 'standard',
      cdas: { id: 'malo', name: 'CDAS Saint-Malo' },
      prestations: ['PPA'],
      subject: 'Changement de situation 50% temps partiel',
      sla: sla('2024-06-13T09:00:00Z'),
    });
    await insertCase('s7', {
      receivedAt: ago(3 * HOUR),
      route: 'standard',
      cdas: rennes,
      prestations: ['AF'],
      sla: sla(ahead(10 * DAY)),
      status: 'pris en charge',
      assignee: 'bob',
      takenAt: ago(HOUR),
    });

    app = await createWebServer({
      config,
      caseStore: new CaseStore(db),
      db,
      queues: {},
      metrics: new Metrics(),
      redis,
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
    await sql`DROP SCHEMA IF EXISTS ${sql.id(config.database.schema)} CASCADE`.execute(db).catch(() => {});
    await db?.destroy();
    await deleteKeys(redis, prefix);
    redis?.disconnect();
  });

  it('lists each view in work order, and counts every tab', async () => {
    expect(await listed('view=priority')).toEqual({ refs: names('p1', 'p2'), total: 2 });
    expect(await listed('view=standard')).toEqual({ refs: names('s6', 's1', 's2', 's3', 's7'), total: 5 });
    // "Mine" is whose login asks: here the bootstrap account, which has none yet.
    expect(await listed('view=mine')).toEqual({ refs: [], total: 0 });
    expect(await listed('view=mine&assignee=alice')).toEqual({ refs: [], total: 0 });
    expect(await listed('view=review')).toEqual({ refs: names('q1', 's3'), total: 2 });
    const all = await listed('view=all');
    expect(all.total).toBe(12);
    expect(all.refs[0]).toBe(refs.s7);
    expect(all.refs.at(-1)).toBe(refs.s6);
    // Without a view, the API lists both queues waiting for the answer, as before.
    expect(await listed('')).toEqual({ refs: names('p1', 'p2', 's6', 's1', 's2', 's3', 's7'), total: 7 });

    const { html } = await page('/cases');
    const count = (view: string) =>
      Number(new RegExp(`data-view="${view}">[^<]+<span class="count">(\\d+)</span>`).exec(html)?.[1]);
    expect(['mine', 'priority', 'standard', 'review', 'all'].map(count)).toEqual([0, 2, 5, 2, 12]);
    expect(html).toContain('aria-current="page" class="current" data-view="priority"');
    expect([...html.matchAll(/<tr [^>]*data-ref="([^"]+)"/g)].map((m) => m[1])).toEqual(names('p1', 'p2'));
  });

  it('filters by status, route, CDAS, benefit, period, overdue and assignee', async () => {
    expect(await listed('view=all&status=répondu')).toEqual({ refs: names('s4'), total: 1 });
    expect(await listed('view=standard&status=clos')).toEqual({ refs: names('s5'), total: 1 });
    expect(await listed('view=standard&status=pris%20en%20charge')).toEqual({
      refs: names('s2', 's7'),
      total: 2,
    });
    expect(await listed('view=all&route=quarantine')).toEqual({ refs: names('q1', 'q2'), total: 2 });
    expect(await listed('view=all&cdas=CDAS%20Rennes%20Nord')).toEqual({
      refs: names('s7', 'p1', 's1', 's4'),
      total: 4,
    });
    expect(await listed('view=all&prestation=RSA')).toEqual({ refs: names('p1', 's2', 's4'), total: 3 });
    expect(await listed('view=all&from=2024-01-01&to=2024-12-31')).toEqual({ refs: names('s6'), total: 1 });
    expect(await listed('overdue=1')).toEqual({ refs: names('p2', 's6', 's2'), total: 3 });
    expect(await listed('view=all&assignee=alice')).toEqual({ refs: names('p2', 's2'), total: 2 });
    expect(await listed('view=standard&assignee=-')).toEqual({ refs: names('s6', 's1', 's3'), total: 3 });

    // The tabs count under the filters.
    const { html } = await page('/cases?overdue=1');
    const count = (view: string) =>
      Number(new RegExp(`data-view="${view}">[^<]+<span class="count">(\\d+)</span>`).exec(html)?.[1]);
    expect(['priority', 'standard', 'review', 'all'].map(count)).toEqual([1, 2, 0, 3]);
    expect(html).toContain('href="/cases?view=standard&overdue=1"');
    expect(html).toContain('Effacer les filtres');

    const refused: Array<[string, number]> = [];
    for (const q of [
      'status=ouvert',
      'route=inbox',
      'queue=quarantine',
      'prestation=XYZ',
      'from=2024-13-01',
      'from=2024-02-01&to=2024-01-01',
      'overdue=peut-être',
      'view=autre',
    ])
      refused.push([q, (await api(`/api/cases?${q}`)).status]);
    expect(refused.every(([, s]) => s === 400)).toBe(true);
    const bad = await page('/cases?status=ouvert');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('Le statut (status) est l’un de');
  });

  it('searches by reference (exact), CDAS name and words of the subject', async () => {
    expect(await listed(`view=all&q=${refs.s1}`)).toEqual({ refs: names('s1'), total: 1 });
    expect(await listed(`view=all&q=${refs.s1?.toLowerCase()}`)).toEqual({ refs: names('s1'), total: 1 });
    expect(await listed('view=all&q=CDAS-2024')).toEqual({ refs: [], total: 0 });
    expect(await listed('view=all&q=fougères')).toEqual({ refs: names('s2'), total: 1 });
    expect(await listed('view=all&q=logement%20aide')).toEqual({ refs: names('s1'), total: 1 });
    expect(await listed('view=all&q=logement%20prime')).toEqual({ refs: [], total: 0 });
    expect(await listed('view=all&q=AAH')).toEqual({ refs: names('q1'), total: 1 });
    // LIKE's wildcards are taken literally.
    expect(await listed('view=all&q=50%25')).toEqual({ refs: names('s6'), total: 1 });
    expect(await listed('view=all&q=5_%25')).toEqual({ refs: [], total: 0 });
    // The subject index is there when the server has pg_trgm.
    const available = await sql`SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'`.execute(db);
    const index = await sql`SELECT 1 FROM pg_indexes WHERE schemaname = ${config.database.schema}
      AND indexname = 'cases_subject_trgm'`.execute(db);
    expect(index.rows.length).toBe(available.rows.length);
    const { html } = await page(`/cases?view=all&q=${encodeURIComponent('aide logement')}`);
    expect(html).toContain(`data-ref="${refs.s1}"`);
    expect(html).toContain('value="aide logement"');
  });

  it('pages a view in SQL, the links keeping the view and filters', async () => {
    const seen: string[] = [];
    let path: string | null = '/api/cases?view=all&limit=5';
    const nexts: Array<string | null> = [];
    while (path) {
      const { body }: { body: Page } = await api(path);
      expect(body.total).toBe(12);
      seen.push(...body.cases.map((c) => c.ref));
      nexts.push(body.next);
      path = body.next;
    }
    expect(nexts).toEqual([
      '/api/cases?view=all&limit=5&offset=5',
      '/api/cases?view=all&limit=5&offset=10',
      null,
    ]);
    expect(seen).toEqual((await listed('view=all')).refs);
    const { body } = await api('/api/cases?view=all&prestation=RSA&limit=2');
    expect(body.next).toBe('/api/cases?view=all&prestation=RSA&limit=2&offset=2');

    const second = await page('/cases?view=standard&limit=2&offset=2');
    expect(second.html).toContain('Dossiers 3 à 4 sur 5');
    expect(second.html).toContain('href="/cases?view=standard&limit=2&offset=0"');
    expect(second.html).toContain('href="/cases?view=standard&limit=2&offset=4"');
  });

  it('shows deadlines in days and the counts of remarks in words', async () => {
    const { html } = await page('/cases?view=all');
    // Calendar days of Paris: how late the last hours' deadlines are depends on the time of day.
    expect(html).toMatch(/en retard (de \d\u00a0jours?|depuis aujourd’hui)</);
    expect(html).toMatch(/en retard de \d{3,}\u00a0jours</);
    expect(html).toContain('dans 5\u00a0jours');
    expect(html).toContain('1\u00a0erreur');
    expect(html).not.toContain('dates-missing');
    const caseHtml = (await page(`/cases/${refs.s1}`)).html;
    expect(caseHtml).toContain('dans 5\u00a0jours');
    expect(caseHtml).toContain('dates manquantes');
  });

  it('takes a case, gives it back (undo), gives it to a colleague: through its lifecycle, audited', async () => {
    const ref = refs.s1 as string;
    const taken = await post(`/cases/${ref}/prendre`);
    expect(taken.status).toBe(303);
    expect(taken.headers.get('location')).toBe(`/cases/${ref}?fait=pris`);
    let c = await new CaseStore(db).get(ref);
    expect([c?.status, c?.assignee]).toEqual(['pris en charge', USER]);
    const shown = (await page(`/cases/${ref}?fait=pris`)).html;
    expect(shown).toContain('Vous avez pris le dossier en charge.');
    expect(shown).toContain(`action="/cases/${ref}/rendre"`);
    expect(shown).toContain('id="undo"');
    expect(shown).toContain('data-status="pris en charge"');

    const back = await post(`/cases/${ref}/rendre`);
    expect(back.headers.get('location')).toBe(`/cases/${ref}?fait=rendu&avant=${USER}`);
    c = await new CaseStore(db).get(ref);
    expect([c?.status, c?.assignee]).toEqual(['nouveau', null]);

    const given = await post(`/cases/${ref}/attribuer`, { assignee: 'bob' });
    expect(given.headers.get('location')).toBe(`/cases/${ref}?fait=attribue&avant=-`);
    c = await new CaseStore(db).get(ref);
    expect([c?.status, c?.assignee]).toEqual(['pris en charge', 'bob']);
    const confirmation = (await page(`/cases/${ref}?fait=attribue&avant=-`)).html;
    expect(confirmation).toContain('Dossier attribué à Bob Durand.');
    expect(confirmation).toContain('Attribué à Bob Durand');
    expect(await listed('view=all&assignee=bob')).toEqual({ refs: names('s7', 's1'), total: 2 });

    expect(await auditOf(ref)).toEqual([
      { actor: USER, action: 'attribution', detail: { from: null, to: USER } },
      {
        actor: USER,
        action: 'statut',
        detail: { from: 'nouveau', to: 'pris en charge', roundTrips: 1 },
      },
      { actor: USER, action: 'attribution', detail: { from: USER, to: null } },
      {
        actor: USER,
        action: 'statut',
        detail: { from: 'pris en charge', to: 'nouveau', roundTrips: 1 },
      },
      { actor: USER, action: 'attribution', detail: { from: null, to: 'bob' } },
      {
        actor: USER,
        action: 'statut',
        detail: { from: 'nouveau', to: 'pris en charge', roundTrips: 1 },
      },
    ]);
  });

  it('refuses what cannot be done, in French', async () => {
    const taken = await post(`/cases/${refs.s7}/prendre`);
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('déjà pris en charge par Bob Durand');
    const answered = await post(`/cases/${refs.s4}/prendre`);
    expect(answered.status).toBe(409);
    for (const assignee of ['zoe', 'comite1', 'inconnu', ''])
      expect((await post(`/cases/${refs.p1}/attribuer`, { assignee })).status, assignee).toBe(400);
    expect((await new CaseStore(db).get(refs.p1 as string))?.assignee).toBeNull();
    expect((await post('/cases/CDAP-1999-000001/prendre')).status).toBe(404);
  });

  it('keeps internal notes on the case page, numbers masked, audited without their text', async () => {
    const ref = refs.p1 as string;
    const res = await post(`/cases/${ref}/notes`, {
      body: 'Appelé le CDAS : dossier 1 84 12 75 123 456 78 à revoir\nrappeler jeudi',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/cases/${ref}?fait=note#notes`);
    const { html } = await page(`/cases/${ref}?fait=note`);
    expect(html).toContain('Note ajoutée.');
    const notes = html.slice(html.indexOf('<section id="notes"'));
    expect(notes).toContain('Appelé le CDAS : dossier [numéro masqué] à revoir\nrappeler jeudi');
    expect(notes).toContain(`<strong>${USER}</strong>`);
    // The section comes right after the actions.
    expect(html.indexOf('<section id="assignment"')).toBeLessThan(html.indexOf('<h2>Historique</h2>'));
    const stored = await sql<{ body: string }>`SELECT body FROM case_notes WHERE ref = ${ref}`.execute(db);
    expect(stored.rows.map((r) => r.body).join()).not.toMatch(/84 12 75/);
    const audit = (await auditOf(ref)).filter((e) => e.action === 'note');
    expect(audit).toHaveLength(1);
    expect(Object.keys(audit[0]?.detail ?? {})).toEqual(['note']);
    expect((await post(`/cases/${ref}/notes`, { body: '   ' })).status).toBe(400);
    expect((await post('/cases/CDAP-1999-000001/notes', { body: 'x' })).status).toBe(404);
    // Deleted with their case.
    await sql`INSERT INTO case_notes (ref, author, body) VALUES (${refs.q2}, 'bob', 'à supprimer')`.execute(
      db,
    );
    await sql`DELETE FROM cases WHERE ref = ${refs.q2}`.execute(db);
    const left = await sql`SELECT 1 FROM case_notes WHERE ref = ${refs.q2}`.execute(db);
    expect(left.rows).toHaveLength(0);
  });

  it('answers an unknown page with a French page and its way back; JSON under /api', async () => {
    for (const path of ['/nulle-part', '/cases/CDAP-1999-000001']) {
      const res = await fetch(url + path, { headers: { authorization: auth, accept: 'text/html' } });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toContain('<h1>Page introuvable</h1>');
      expect(html).toContain('href="/cases"');
      expect(html).toContain('href="/stats"');
    }
    const json = await fetch(`${url}/api/nulle-part`, { headers: { authorization: auth } });
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({ error: 'not found' });
  });

  it('in a browser: list → search → open → take; readable at 390 px without horizontal scrolling', async () => {
    mkdirSync('test-results', { recursive: true });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${url}/cases`);
      await page.fill('input[name=user]', USER);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForSelector('table.cases');
      await page.click('nav.tabs a[data-view="standard"]');
      await page.waitForURL(`${url}/cases?view=standard`);
      await page.fill('input[name=q]', 'prime');
      await page.click('form.filters button[type=submit]');
      await page.waitForURL(/q=prime/);
      const rows = await page.$$eval('tr[data-ref]', (trs) => trs.map((tr) => tr.getAttribute('data-ref')));
      expect(rows).toEqual([refs.s2]);
      // s2 is alice's: search another one, nobody's.
      await page.fill('input[name=q]', refs.s3 as string);
      await page.click('form.filters button[type=submit]');
      await page.click(`a[href="/cases/${refs.s3}"]`);
      await page.waitForSelector('#take');
      await page.click('#take');
      await page.waitForSelector('div.flash');
      expect(await page.getAttribute('#case-status', 'data-status')).toBe('pris en charge');
      expect(await page.textContent('#case-status')).toContain('pris en charge');
      await page.screenshot({ path: 'test-results/work-views-take.png', fullPage: true });

      await page.setViewportSize({ width: 390, height: 844 });
      for (const path of ['/cases?view=all', `/cases/${refs.s3}`, '/nulle-part']) {
        await page.goto(url + path);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(width, path).toBeLessThanOrEqual(390);
      }
      await page.goto(`${url}/cases?view=all`);
      await page.screenshot({ path: 'test-results/work-views-390.png', fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
