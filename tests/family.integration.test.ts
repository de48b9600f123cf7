import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashMessageId } from '../src/cases/caseRecord.js';
import { familyKeysOf } from '../src/cases/familyKeys.js';
import { type Service, startService } from '../src/service.js';
import { mail, RELAY, rubrics } from './support/analyzer.js';
import { appendMail, type DovecotServer, imapClient, startDovecot } from './support/dovecot.js';
import { quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { caseRefsOf, everyRowAsText, queryRecords } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';
import { type SmtpSink, startSmtpSink } from './support/smtpSink.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USER = 'superviseuse';
const PASSWORD = 'mot-de-passe-de-test';
const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

/** An invented family: its allocataire number and NIR (sex 2, 1991, March, Ille-et-Vilaine). */
const ALLOCATAIRE = '8123457';
const NIR = '2910335238047';
const NIR_KEY = '61';

/** The CDAP form, its "Numéro allocataire" field filled. */
const formMail = mail(
  [
    'Message envoyé depuis le formulaire de contact de CDAP Mon Compte Partenaire.',
    '',
    'Nom de votre organisme : CDAS Maurepas',
    'Vos nom et prénom : Essai Camille',
    'Votre adresse électronique : camille.essai@ille-et-vilaine.fr',
    `Numéro allocataire (facultatif) : ${ALLOCATAIRE}`,
    'Votre message :',
    rubrics(),
  ].join('\n'),
  {
    From: `"CDAP Mon Compte Partenaire" <${RELAY}>`,
    Subject: 'Formulaire de contact',
    'Message-ID': '<famille-a@caf35.example.fr>',
  },
);
/** A direct mail naming both: the allocataire number (grouped) and the NIR with its key. */
const bothMail = mail(
  rubrics({
    commentaire: `Allocataire n° ${ALLOCATAIRE.slice(0, 3)} ${ALLOCATAIRE.slice(3, 5)} ${ALLOCATAIRE.slice(5)}, NIR ${NIR.replace(/^(\d)(\d\d)(\d\d)(\d\d)(\d{3})(\d{3})$/, '$1 $2 $3 $4 $5 $6')} ${NIR_KEY} : l’APL n’est plus versée depuis le 05/10/2026.`,
  }),
  { Subject: 'Demande APL suite', 'Message-ID': '<famille-b@ille-et-vilaine.fr>' },
);
/** Another mail naming the NIR only, written in one block without its key. */
const nirMail = mail(
  rubrics({
    commentaire: `Pour la personne (NIR ${NIR}) : le RSA n’est plus versé depuis le 05/10/2026.`,
    prestations: 'RSA',
  }),
  {
    Subject: 'Demande RSA',
    'Message-ID': '<famille-c@ille-et-vilaine.fr>',
  },
);
/** Sent from a personal address, answer asked at the work address: quarantined. */
const QUARANTINE_REPLY_TO = 'dominique.essai@ille-et-vilaine.fr';
const strangerMail = mail(rubrics(), {
  From: 'Dominique Essai <dominique.essai@courriel-perso.example>',
  'Reply-To': QUARANTINE_REPLY_TO,
  Subject: 'Demande APL (adresse personnelle)',
  'Message-ID': '<quarantaine-1@courriel-perso.example>',
});
const strangerMail2 = mail(rubrics(), {
  From: 'Inconnu <quelquun@ailleurs.example>',
  Subject: 'Autre demande',
  'Message-ID': '<quarantaine-2@ailleurs.example>',
});

describe('family history, quarantine review, the mail and the answer in the dashboard (real Dovecot, SMTP, PostgreSQL, Redis)', () => {
  let server: DovecotServer;
  let sink: SmtpSink;
  let redis: Redis;
  let service: Service;
  let base: string;
  const prefix = uniquePrefix('family');
  const refs: Record<string, string> = {};

  const get = (path: string) => fetch(base + path, { headers: { authorization: auth, accept: 'text/html' } });
  const post = (path: string, fields: Record<string, string> = {}) =>
    fetch(base + path, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': FORM },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
  const sentTo = (address: string) => sink.messages.filter((m) => m.envelope.to.includes(address));

  beforeAll(async () => {
    server = await startDovecot();
    sink = await startSmtpSink();
    redis = new Redis(redisUrl);
    const env = testEnv(prefix, server, {
      REPLY_MODE: 'live',
      SMTP_HOST: sink.host,
      SMTP_PORT: String(sink.port),
      HTTP_USER: USER,
      HTTP_PASSWORD: PASSWORD,
    });
    service = await startService(
      testConfig(env, (c) => {
        c.http.port = 0;
        c.answers.pollMs = 300;
      }),
      quietLog(),
      { web: true },
    );
    base = service.webUrl as string;
    // A sent folder as mail clients name it.
    const client = imapClient(server);
    await client.connect();
    await client.mailboxCreate('Sent').catch(() => {});
    await client.logout();
    const mails: Array<[string, string]> = [
      ['form', formMail],
      ['both', bothMail],
      ['nir', nirMail],
      ['stranger', strangerMail],
      ['stranger2', strangerMail2],
    ];
    for (const [i, [name, raw]] of mails.entries()) {
      await appendMail(server, 'INBOX', raw);
      refs[name] = await waitFor(name, async () => (await caseRefsOf(prefix))[i]);
      await waitFor(
        `${name} filed`,
        async () => (await service.caseStore.filedAt(refs[name] as string)) !== null,
      );
    }
  });

  afterAll(async () => {
    await service?.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await server?.stop();
    await sink?.stop();
  });

  it('links the cases of one family through keyed hashes: field, text, with or without the NIR key', async () => {
    const key = service.config.cases.familyKeySecret;
    const [byNumber, byNir] = familyKeysOf({ allocataireNumbers: [ALLOCATAIRE], nirs: [NIR] }, key);
    const rows = await queryRecords<{ ref: string; family_keys: string[] }>(
      prefix,
      'SELECT ref, family_keys FROM cases ORDER BY received_at, ref',
    );
    const keysOf = (ref: string) => rows.find((r) => r.ref === ref)?.family_keys ?? [];
    expect(keysOf(refs.form as string)).toEqual([byNumber]);
    expect(keysOf(refs.both as string).sort()).toEqual([byNumber, byNir].sort());
    expect(keysOf(refs.nir as string)).toEqual([byNir]);
    expect(keysOf(refs.stranger as string)).toEqual([]);

    // The form's page lists the other two (the NIR-only case through the mail naming both).
    const html = await (await get(`/cases/${refs.form}`)).text();
    expect(html).toContain('Historique de la famille');
    const history = /<section id="family-history">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
    expect(history).toContain(`href="/cases/${refs.both}"`);
    expect(history).toContain(`href="/cases/${refs.nir}"`);
    expect(history).not.toContain(`href="/cases/${refs.stranger}"`);
    expect(history).toContain('postérieur');
    const earlier = /<section id="family-history">([\s\S]*?)<\/section>/.exec(
      await (await get(`/cases/${refs.nir}`)).text(),
    )?.[1];
    expect(earlier).toContain(`href="/cases/${refs.form}"`);
    expect(earlier).toContain('antérieur');
  });

  it('keeps no clear allocataire number nor NIR in any row of any table, nor in Redis', async () => {
    const rows = await everyRowAsText(prefix);
    const hits = rows.filter((r) => {
      const digits = r.replace(/[\s.\u00a0-]/g, '');
      return digits.includes(NIR) || digits.includes(ALLOCATAIRE);
    });
    expect(hits.slice(0, 3)).toEqual([]);
    for (const k of await redis.keys(`${prefix}:*`)) {
      const type = await redis.type(k);
      const values =
        type === 'string'
          ? [(await redis.get(k)) ?? '']
          : type === 'hash'
            ? Object.values(await redis.hgetall(k))
            : [];
      for (const v of values) expect(v.replace(/[\s.-]/g, '')).not.toContain(NIR);
    }
  });

  it('shows the mail read live, audits each reading, and says so when it is gone', async () => {
    const html = await (await get(`/cases/${refs.form}`)).text();
    const shown = /<section id="case-mail">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
    expect(shown).toContain('Motif(s) de la demande');
    expect(shown).toContain('Lu à l’instant dans la boîte aux lettres');
    const audit = await service.caseStore.auditOf(refs.form as string);
    expect(audit.filter((e) => e.action === 'lecture du message').length).toBeGreaterThanOrEqual(2);

    // The second quarantined mail deleted by hand from its folder.
    const at = await service.caseStore.filedAt(refs.stranger2 as string);
    const client = imapClient(server);
    await client.connect();
    const lock = await client.getMailboxLock(at?.path as string);
    await client.messageDelete(String(at?.uid), { uid: true });
    lock.release();
    await client.logout();
    const gone = await (await get(`/cases/${refs.stranger2}`)).text();
    expect(gone).toMatch(/id="mail-missing">Le message n’est plus dans/);
  });

  it('a supervisor releases a quarantined mail: triaged as a request, filed, acknowledged exactly once, audited', async () => {
    const ref = refs.stranger as string;
    expect((await service.caseStore.get(ref))?.route).toBe('quarantine');
    expect(await (await get(`/cases/${ref}`)).text()).toContain('Libérer comme demande');
    // Pressed twice at once, then once more.
    const both = await Promise.all([
      post(`/cases/${ref}/quarantaine/liberer`),
      post(`/cases/${ref}/quarantaine/liberer`),
    ]);
    for (const res of both) expect(res.status).toBe(303);
    const again = await post(`/cases/${ref}/quarantaine/liberer`);
    expect(again.headers.get('location')).toContain('avis=deja-liberee');
    const released = await waitFor('acknowledged', async () => {
      const c = await service.caseStore.get(ref);
      return c?.replyState?.status === 'sent' ? c : null;
    });
    expect(released.route).toBe('standard');
    expect(released.status).toBe('nouveau');
    expect(sentTo(QUARANTINE_REPLY_TO)).toHaveLength(1);
    await waitFor('filed in the standard folder', async () =>
      (await service.caseStore.filedAt(ref))?.path.endsWith(service.config.folders.standard),
    );
    expect(await service.caseStore.openRefs('standard')).toContain(ref);
    const audit = await service.caseStore.auditOf(ref);
    expect(audit.filter((e) => e.action === 'libération de quarantaine')).toHaveLength(1);
    expect(audit.find((e) => e.action === 'libération de quarantaine')?.actor).toBe(USER);
    expect(sentTo(QUARANTINE_REPLY_TO)).toHaveLength(1);
  });

  it('a supervisor confirms a quarantine: it stays, the decision is audited', async () => {
    const ref = refs.stranger2 as string;
    const res = await post(`/cases/${ref}/quarantaine/confirmer`);
    expect(res.status).toBe(303);
    expect((await service.caseStore.get(ref))?.route).toBe('quarantine');
    const audit = await service.caseStore.auditOf(ref);
    expect(audit.filter((e) => e.action === 'quarantaine confirmée').map((e) => e.actor)).toEqual([USER]);
  });

  it('the composer checks, sends threaded from the partner address, files a copy, and counts the answer once', async () => {
    const ref = refs.form as string;
    const record = await service.caseStore.get(ref);
    const to = record?.replyTo as string;
    const page = await (await get(`/cases/${ref}`)).text();
    expect(page).toContain(`value="${to}"`);
    expect(page).toContain(`[${ref}]`);
    // An address outside the partner domains is refused.
    const outside = await post(`/cases/${ref}/reponse`, {
      to: 'x@ailleurs.example',
      subject: 'RE',
      body: 'Bonjour',
      action: 'envoyer',
    });
    expect(outside.status).toBe(400);
    const draft = randomUUID();
    const body =
      'Bonjour,\n\nVotre demande porte sur l’aide au logement de la famille : elle est versée de nouveau depuis le 5 novembre 2026.\n\nCordialement,\nD. Morvan';
    const checked = await post(`/cases/${ref}/reponse`, {
      to,
      subject: `RE: Formulaire de contact [${ref}]`,
      body,
      draft,
      action: 'verifier',
    });
    expect(checked.status).toBe(200);
    expect(await checked.text()).toContain('id="composer-advice"');
    const before = sentTo(to).length;
    const sent = await post(`/cases/${ref}/reponse`, {
      to,
      subject: `RE: Formulaire de contact [${ref}]`,
      body,
      draft,
      action: 'envoyer',
    });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toContain('avis=envoyee');
    // Pressed again: nothing more goes out.
    await post(`/cases/${ref}/reponse`, {
      to,
      subject: `RE: Formulaire de contact [${ref}]`,
      body,
      draft,
      action: 'envoyer',
    });
    expect(sentTo(to).length).toBe(before + 1);
    const out = await simpleParser((sentTo(to).at(-1) as { raw: Buffer }).raw);
    expect(out.inReplyTo).toBe('<famille-a@caf35.example.fr>');
    expect([out.references].flat()).toContain('<famille-a@caf35.example.fr>');
    expect(out.subject).toBe(`RE: Formulaire de contact [${ref}]`);
    expect(out.from?.value[0]?.address).toBe('partenaires.caf35@caf35.example.fr');

    const answered = await service.caseStore.get(ref);
    expect(answered?.status).toBe('répondu');
    expect(answered?.answerChannel).toBe('dashboard');
    const audit = await service.caseStore.auditOf(ref);
    expect(audit.filter((e) => e.action === 'réponse envoyée')).toHaveLength(1);
    // The copy in the sent folder, read by the answer watcher, adds no second answer.
    const sentUid = await waitFor('copy in Sent', async () => {
      const client = imapClient(server);
      await client.connect();
      try {
        const lock = await client.getMailboxLock('Sent');
        try {
          const found = await client.search({ header: { 'message-id': `${draft}.reponse` } }, { uid: true });
          return found && found.length > 0 ? found[0] : null;
        } finally {
          lock.release();
        }
      } finally {
        await client.logout();
      }
    });
    await waitFor('watcher read the sent folder', async () => {
      const r = await queryRecords<{ last_uid: string }>(
        prefix,
        "SELECT last_uid FROM answer_watch WHERE path = 'sent:Sent'",
      );
      return Number(r[0]?.last_uid ?? 0) >= (sentUid as number);
    });
    const answers = await service.caseStore.answersOf(ref);
    expect(answers).toHaveLength(1);
    expect(answers[0]?.channel).toBe('dashboard');
    expect(answers[0]?.by).toBe(USER);
    const r = await queryRecords<{ source_key: string }>(
      prefix,
      'SELECT source_key FROM answers WHERE ref = $1',
      [ref],
    );
    expect(r[0]?.source_key).toBe(hashMessageId(`<${draft}.reponse@caf35.example.fr>`));
  });

  it('in a browser: log in, search the case, read it, answer from the composer; the case is answered', async () => {
    const ref = refs.nir as string;
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/cases`);
      await page.fill('input[name=user]', USER);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.click('nav.tabs a[data-view="all"]');
      await page.fill('input[name=q]', ref);
      await page.click('form.filters button[type=submit]');
      await page.click(`a[href="/cases/${ref}"]`);
      await page.waitForSelector('#composer textarea[name=body]');
      await page.fill(
        '#composer textarea[name=body]',
        'Bonjour,\nVous nous interrogez sur le revenu de solidarité active de la personne : il est de nouveau versé depuis le 5 novembre 2026.\nCordialement,\nC. Morvan',
      );
      await page.click('#composer button[value=envoyer]');
      await page.waitForLoadState('load');
      const answered = await waitFor('answered from the composer', async () => {
        const c = await service.caseStore.get(ref);
        return c?.status === 'répondu' ? c : null;
      });
      expect(answered.answerChannel).toBe('dashboard');
      await page.goto(`${base}/cases/${ref}`);
      expect(await page.getAttribute('#case-status', 'data-status')).toBe('répondu');
      await page.screenshot({ path: 'test-results/composer-answered.png', fullPage: true });
    } finally {
      await browser.close();
    }
  }, 90_000);
});
