import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../src/cases/caseRecord.js';
import { type Service, startService } from '../src/service.js';
import { mail, rubrics } from './support/analyzer.js';
import { appendMail, type DovecotServer, imapClient, startDovecot } from './support/dovecot.js';
import { folderContents, quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { caseRefsOf } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';
import { type SmtpSink, startSmtpSink } from './support/smtpSink.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TECHNICIAN = 'dominique.technicienne@caf35.example.fr';

/** A date header as mail clients write it, to the second. */
function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/** A technician's answer as their mail client leaves it in the sent folder. */
function answer(
  headers: Record<string, string>,
  body = 'Bonjour,\nVotre demande porte sur l’aide au logement : elle est versée de nouveau depuis le 5 novembre 2026.\nCordialement,\nD. Morvan',
): string {
  return mail(body, {
    From: `Dominique Technicienne <${TECHNICIAN}>`,
    To: 'camille.essai@ille-et-vilaine.fr',
    Date: rfc2822(new Date()),
    ...headers,
  });
}

describe('answers: the CAF’s answer seen in the mailbox (real Dovecot, Redis, PostgreSQL and SMTP)', () => {
  let server: DovecotServer;
  let redis: Redis;
  let sink: SmtpSink;
  let service: Service | null = null;
  let prefix = '';
  const prefixes: string[] = [];

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  beforeEach(async () => {
    server = await startDovecot();
    sink = await startSmtpSink();
    prefix = uniquePrefix('answers');
    prefixes.push(prefix);
  });
  afterEach(async () => {
    await service?.stop();
    service = null;
    await sink?.stop();
    await server?.stop();
  });
  afterAll(async () => {
    for (const p of prefixes) await deleteKeys(redis, p);
    redis.disconnect();
  });

  async function start(pollMs = 300): Promise<Service> {
    const env = testEnv(prefix, server, {
      REPLY_MODE: 'live',
      SMTP_HOST: sink.host,
      SMTP_PORT: String(sink.port),
    });
    service = await startService(
      testConfig(env, (c) => {
        c.answers.pollMs = pollMs;
      }),
      quietLog(),
      { web: false },
    );
    return service;
  }

  /** A CDAS request, triaged, filed and acknowledged. */
  async function request(
    s: Service,
    subject = 'Demande APL',
    messageId = `<req-${Date.now()}@cdas.example>`,
  ) {
    const before = (await caseRefsOf(prefix)).length;
    await appendMail(
      server,
      'INBOX',
      Buffer.from(mail(rubrics(), { Subject: subject, 'Message-ID': messageId })),
    );
    const ref = await waitFor('the case', async () => (await caseRefsOf(prefix))[before]);
    await waitFor('filed', async () => (await s.caseStore.filedAt(ref)) !== null);
    await waitFor('acknowledged', async () => (await s.caseStore.get(ref))?.replyState?.status === 'sent');
    return { ref, messageId };
  }

  const caseOf = (s: Service, ref: string) => s.caseStore.get(ref) as Promise<CaseRecord>;

  it('a technician’s reply in the sent folder with In-Reply-To answers the case at its date; the same mail seen again adds nothing', async () => {
    const s = await start();
    const { ref, messageId } = await request(s);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    await appendMail(
      server,
      'Sent',
      answer({ Subject: 'RE: Demande APL', 'In-Reply-To': messageId, Date: rfc2822(at) }),
    );
    const answered = await waitFor('répondu', async () => {
      const c = await caseOf(s, ref);
      return c.status === 'répondu' ? c : null;
    });
    expect(answered.answeredAt).toBe(at.toISOString());
    expect(answered.answeredBy).toBe(TECHNICIAN);
    expect(answered.answerChannel).toBe('sent-folder');
    expect(answered.roundTrips).toBe(1);
    // It follows the answering practices: nothing to advise.
    expect((await s.caseStore.answersOf(ref))[0]?.findings).toEqual([]);
    // Out of the technicians' list.
    expect(await s.caseStore.openRefs('standard')).not.toContain(ref);
    // The audit trail has the change, by the technician's address.
    const audit = await s.caseStore.auditOf(ref);
    expect(
      audit.some((e) => e.action === 'statut' && e.detail.to === 'répondu' && e.actor === TECHNICIAN),
    ).toBe(true);
    // Another copy of the same answer (same Message-ID, another UID) adds nothing once read.
    const copy = await appendMail(
      server,
      'Sent',
      answer({
        Subject: 'RE: Demande APL',
        'In-Reply-To': messageId,
        'Message-ID': '<same@caf35.example.fr>',
      }),
    );
    await waitFor('the copy answered once', async () => (await s.caseStore.answersOf(ref)).length === 2);
    await appendMail(
      server,
      'Sent',
      answer({
        Subject: 'RE: Demande APL',
        'In-Reply-To': messageId,
        'Message-ID': '<same@caf35.example.fr>',
      }),
    );
    await waitFor('the second copy read', async () => {
      const r = await sql<{
        last_uid: string;
      }>`SELECT last_uid FROM answer_watch WHERE path = 'sent:Sent'`.execute(s.db);
      return Number(r.rows[0]?.last_uid) > (copy.uid ?? 0);
    });
    expect(await s.caseStore.answersOf(ref)).toHaveLength(2);
    // The first answer stays the round trip's answer.
    expect((await caseOf(s, ref)).answeredAt).toBe(at.toISOString());
  });

  it('a reply that names the case only by the reference in its subject answers it; our acknowledgement in the sent folder does not', async () => {
    const s = await start();
    const { ref } = await request(s);
    // Our own acknowledgement, as a shared mailbox's client may keep a copy of it.
    const ack = String(sink.messages[0]?.raw ?? '');
    expect(ack).toContain(ref);
    await appendMail(server, 'Sent', ack);
    const other = await request(s, 'Demande RSA', `<other-${Date.now()}@cdas.example>`);
    // The watcher has read the acknowledgement by the time it answers the next case: wait for a later mail to be read.
    await appendMail(
      server,
      'Sent',
      answer(
        { Subject: `Votre demande [${other.ref}]`, 'Message-ID': `<x-${Date.now()}@caf35.example.fr>` },
        'Bonjour,\nVotre demande porte sur le RSA de la famille : il est versé depuis le 5 novembre 2026.\nCordialement',
      ),
    );
    await waitFor('the second case answered', async () => (await caseOf(s, other.ref)).status === 'répondu');
    expect((await caseOf(s, ref)).status).toBe('nouveau');
    expect(await s.caseStore.answersOf(ref)).toHaveLength(0);
    const answered = await caseOf(s, other.ref);
    expect(answered.answerChannel).toBe('sent-folder');
    // Checked against the answering practices: advice kept for the technician, by rule.
    const [kept] = await s.caseStore.answersOf(other.ref);
    expect(kept?.findings?.map((f) => f.rule)).toEqual(['answer-signature', 'answer-acronyms']);
  });

  it('\\Answered set on the filed request by another mail client marks the case answered', async () => {
    const s = await start();
    const { ref } = await request(s);
    const filed = (await s.caseStore.filedAt(ref)) as { path: string; uid: number };
    const before = Date.now();
    const client = imapClient(server);
    await client.connect();
    try {
      await client.mailboxOpen(filed.path);
      await client.messageFlagsAdd(String(filed.uid), ['\\Answered'], { uid: true });
    } finally {
      await client.logout();
    }
    const answered = await waitFor('répondu', async () => {
      const c = await caseOf(s, ref);
      return c.status === 'répondu' ? c : null;
    });
    expect(answered.answerChannel).toBe('answered-flag');
    expect(new Date(answered.answeredAt as string).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('a CDAS follow-up after the answer reopens the case as a second round trip, with a fresh deadline', async () => {
    const s = await start();
    const { ref, messageId } = await request(s);
    const first = await caseOf(s, ref);
    const answerId = `<answer-${Date.now()}@caf35.example.fr>`;
    await appendMail(server, 'Sent', answer({ 'In-Reply-To': messageId, 'Message-ID': answerId }));
    await waitFor('répondu', async () => (await caseOf(s, ref)).status === 'répondu');
    // The CDAS answers the technician's mail (its thread, no reference in the subject).
    await new Promise((r) => setTimeout(r, 1100)); // a later second: IMAP dates are to the second
    await appendMail(
      server,
      'INBOX',
      Buffer.from(
        mail('Merci, mais rien n’a été versé ce mois-ci.', {
          Subject: 'RE: Demande APL',
          'In-Reply-To': answerId,
        }),
      ),
    );
    const reopened = await waitFor('reopened', async () => {
      const c = await caseOf(s, ref);
      return c.roundTrips === 2 ? c : null;
    });
    expect(reopened.status).toBe('nouveau');
    expect(reopened.answeredAt).toBeNull();
    expect(reopened.firstAnsweredAt).not.toBeNull();
    expect(reopened.followUps).toHaveLength(1);
    expect(new Date(reopened.sla?.dueAt ?? 0).getTime()).toBeGreaterThan(
      new Date(first.sla?.dueAt ?? 0).getTime(),
    );
    expect(await s.caseStore.openRefs('standard')).toContain(ref);
    // The second answer closes the second round trip (written a second later at least: IMAP dates are to the second).
    await new Promise((r) => setTimeout(r, 1100));
    await appendMail(server, 'Sent', answer({ 'In-Reply-To': answerId, Subject: 'RE: RE: Demande APL' }));
    const again = await waitFor('répondu again', async () => {
      const c = await caseOf(s, ref);
      return c.status === 'répondu' ? c : null;
    });
    expect(again.roundTrips).toBe(2);
    expect(await s.caseStore.answersOf(ref)).toHaveLength(2);
  });

  it('a follow-up before the answer is seen still counts after it: the order of events decides, not the order they are read', async () => {
    const s = await start();
    const { ref, messageId } = await request(s);
    // The answer is written first, the CDAS replies a second later; the watcher is slower than triage.
    await s.stop();
    service = null;
    const answeredAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const answerId = `<answer-${Date.now()}@caf35.example.fr>`;
    await appendMail(
      server,
      'Sent',
      answer({ 'In-Reply-To': messageId, 'Message-ID': answerId, Date: rfc2822(answeredAt) }),
    );
    await new Promise((r) => setTimeout(r, 1100));
    await appendMail(
      server,
      'INBOX',
      Buffer.from(mail('Toujours rien reçu.', { Subject: `RE: [${ref}]`, 'In-Reply-To': answerId })),
    );
    const s2 = await start();
    const c = await waitFor('two round trips', async () => {
      const r = await caseOf(s2, ref);
      return r.roundTrips === 2 && r.followUps.length === 1 ? r : null;
    });
    expect(c.status).toBe('nouveau');
    expect(c.firstAnsweredAt).toBe(answeredAt.toISOString());
  });

  it('a follow-up answering a technician’s mail the watcher has not read yet waits for it, and joins its case', async () => {
    // Looks a minute apart: only the follow-up's request for a look can find the answer in time.
    const s = await start(60_000);
    const { ref, messageId } = await request(s);
    const answerId = `<answer-${Date.now()}@caf35.example.fr>`;
    await appendMail(server, 'Sent', answer({ 'In-Reply-To': messageId, 'Message-ID': answerId }));
    await new Promise((r) => setTimeout(r, 1100));
    await appendMail(
      server,
      'INBOX',
      Buffer.from(
        mail('Merci. Et pour le mois prochain ?', { Subject: 'RE: Demande APL', 'In-Reply-To': answerId }),
      ),
    );
    const c = await waitFor('the follow-up on its case', async () => {
      const r = await caseOf(s, ref);
      return r.followUps.length === 1 ? r : null;
    });
    expect(c.roundTrips).toBe(2);
    expect(c.status).toBe('nouveau');
    expect(c.firstAnsweredAt).not.toBeNull();
    await waitFor('inbox empty', async () => ((await folderContents(server)).INBOX?.length ?? 0) === 0);
    expect(await caseRefsOf(prefix)).toEqual([ref]);
  });

  it('a follow-up with URGENCE DEFINIE after the answer reopens the case urgent, in the priority queue and folder', async () => {
    const s = await start();
    const { ref, messageId } = await request(s);
    const answerId = `<answer-${Date.now()}@caf35.example.fr>`;
    await appendMail(server, 'Sent', answer({ 'In-Reply-To': messageId, 'Message-ID': answerId }));
    await waitFor('répondu', async () => (await caseOf(s, ref)).status === 'répondu');
    await new Promise((r) => setTimeout(r, 1100));
    await appendMail(
      server,
      'INBOX',
      Buffer.from(
        mail('URGENCE DEFINIE\nLe RSA est suspendu depuis le 1er octobre 2026, plus rien n’est versé.', {
          Subject: 'RE: Demande APL',
          'In-Reply-To': answerId,
        }),
      ),
    );
    const escalated = await waitFor('reopened urgent', async () => {
      const c = await caseOf(s, ref);
      return c.route === 'priority' && c.roundTrips === 2 ? c : null;
    });
    expect(escalated.urgent).toBe(true);
    expect(escalated.status).toBe('nouveau');
    expect(await s.caseStore.openRefs('priority')).toContain(ref);
    await waitFor('both mails in the priority folder', async () => {
      const f = await folderContents(server);
      return f['CDAP.Prioritaire']?.length === 2 && (f['CDAP.Standard'] ?? []).length === 0;
    });
  });
});
