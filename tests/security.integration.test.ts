import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../src/cases/caseRecord.js';
import { type Service, startService } from '../src/service.js';
import { mail, rubrics } from './support/analyzer.js';
import { appendMail, type DovecotServer, startDovecot } from './support/dovecot.js';
import {
  folderContents,
  quietLog,
  testConfig,
  testEnv,
  waitFor,
  waitForIdleQueues,
} from './support/pipeline.js';
import { caseRefsOf } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';
import { type SmtpSink, startSmtpSink } from './support/smtpSink.js';
import { startTcpProxy } from './support/tcpProxy.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUESTER = 'camille.essai@ille-et-vilaine.fr';

/** Every case of a run, oldest first. */
async function cases(service: Service, prefix: string, _redis: Redis): Promise<CaseRecord[]> {
  return service.caseStore.getMany(await caseRefsOf(prefix));
}

describe('security: follow-ups, oversize mail, outsiders (real Dovecot, Redis and SMTP)', () => {
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
    prefix = uniquePrefix('security');
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

  async function start(change: Parameters<typeof testConfig>[1] = () => {}): Promise<Service> {
    const env = testEnv(prefix, server, {
      REPLY_MODE: 'live',
      SMTP_HOST: sink.host,
      SMTP_PORT: String(sink.port),
    });
    service = await startService(testConfig(env, change), quietLog(), { web: false });
    return service;
  }

  /** Waits until the inbox is empty and `n` cases exist. */
  async function settled(s: Service, n: number): Promise<CaseRecord[]> {
    await waitFor('inbox empty', async () => ((await folderContents(server)).INBOX?.length ?? 0) === 0);
    return waitFor(`${n} case(s)`, async () => {
      const all = await cases(s, prefix, redis);
      return all.length === n ? all : null;
    });
  }

  it('backscatter: a sender header with a list of addresses gets no reply to anyone and is quarantined with the reason', async () => {
    const s = await start();
    const list = Array.from({ length: 200 }, (_, i) => `v${i}@evil${i}.example`).join(',');
    const attacks = [
      mail(rubrics(), {
        From: `"CDAS" <${list},x@ille-et-vilaine.fr>`,
        Subject: 'Gagnez un iPhone : http://evil.example/promo',
      }),
      mail(rubrics(), { From: '<victim@evil.example;@ille-et-vilaine.fr>' }),
      mail(rubrics(), { 'Reply-To': '<victim@evil.example,camille.essai@ille-et-vilaine.fr>' }),
    ];
    for (const raw of attacks) await appendMail(server, 'INBOX', Buffer.from(raw));
    // A legitimate mail after them: its reply proves the reply stage ran.
    await appendMail(server, 'INBOX', Buffer.from(mail(rubrics(), { Subject: 'Demande APL' })));
    const all = await settled(s, 4);
    await sink.waitForMessages(1, 20_000);
    // Every reply job done: no other reply is coming.
    await waitForIdleQueues(s.queues);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]?.envelope.to).toEqual([REQUESTER]);
    const quarantined = all.filter((c) => c.route === 'quarantine');
    expect(quarantined).toHaveLength(3);
    for (const c of quarantined) {
      expect(c.replyTo).toBeNull();
      expect(c.routeReason).toMatch(/adresse|en-tête/);
    }
    expect((await folderContents(server))['CDAP.Quarantaine']).toHaveLength(3);
  });

  it('a follow-up with URGENCE DEFINIE escalates a standard case: priority queue, priority folder, flagged', async () => {
    const s = await start();
    await appendMail(server, 'INBOX', Buffer.from(mail(rubrics(), { Subject: 'Demande APL' })));
    const [first] = await settled(s, 1);
    expect(first?.route).toBe('standard');
    await waitFor(
      'first mail filed',
      async () => (await folderContents(server))['CDAP.Standard']?.length === 1,
    );
    await sink.waitForMessages(1, 20_000);

    const followUp = mail(
      'URGENCE DEFINIE\nLe RSA est suspendu depuis le 1er octobre 2026, plus rien n’est versé.',
      {
        Subject: `RE: Accusé de réception [${first?.ref}]`,
        'In-Reply-To': `<${first?.ref}.ack@caf35.example.fr>`,
      },
    );
    await appendMail(server, 'INBOX', Buffer.from(followUp));
    const ref = first?.ref as string;
    const escalated = await waitFor('escalated', async () => {
      const c = await s.caseStore.get(ref);
      return c?.route === 'priority' && c.urgent && c.followUps.length === 1 ? c : null;
    });
    expect(escalated.urgencySource).toBe('body');
    expect(await s.caseStore.openRefs('priority')).toContain(ref);
    expect(await s.caseStore.openRefs('standard')).not.toContain(ref);
    const priorityJobs = await s.queues.priority.getJobs(['waiting', 'prioritized', 'delayed', 'completed']);
    expect(priorityJobs.some((j) => j.data.ref === ref)).toBe(true);
    const folders = await waitFor('both mails in the priority folder', async () => {
      const f = await folderContents(server);
      return f['CDAP.Prioritaire']?.length === 2 ? f : null;
    });
    expect(folders['CDAP.Standard'] ?? []).toHaveLength(0);
    for (const m of folders['CDAP.Prioritaire'] ?? []) expect(m.flags).toContain('\\Flagged');
    // Still one reply: a follow-up is not a new request.
    expect(sink.messages).toHaveLength(1);
  });

  it('a follow-up on an answered case reopens it as a second round trip with a fresh deadline', async () => {
    const s = await start();
    await appendMail(server, 'INBOX', Buffer.from(mail(rubrics(), { Subject: 'Demande APL' })));
    const [first] = await settled(s, 1);
    const ref = first?.ref as string;
    await s.caseStore.recordAnswer(ref, {
      at: new Date(),
      channel: 'dashboard',
      by: null,
      sourceKey: 'dashboard:1',
    });
    expect((await s.caseStore.get(ref))?.status).toBe('répondu');

    await appendMail(
      server,
      'INBOX',
      Buffer.from(mail('Bonjour, toujours rien reçu. Pouvez-vous regarder ?', { Subject: `Re: [${ref}]` })),
    );
    // The case is reopened first, then the follow-up is listed on it: wait for both.
    const reopened = await waitFor('reopened with its follow-up', async () => {
      const c = await s.caseStore.get(ref);
      return c?.status === 'nouveau' && c.followUps.length > 0 ? c : null;
    });
    expect(reopened.answeredAt).toBeNull();
    expect(reopened.firstAnsweredAt).not.toBeNull();
    expect(reopened.roundTrips).toBe(2);
    expect(reopened.followUps).toHaveLength(1);
    expect(new Date(reopened.sla?.dueAt ?? 0).getTime()).toBeGreaterThanOrEqual(
      new Date(first?.sla?.dueAt ?? 0).getTime(),
    );
    expect(await s.caseStore.openRefs('standard')).toContain(ref);
  });

  it('a reference written in the subject by someone else than the requester opens a new request', async () => {
    const s = await start();
    await appendMail(server, 'INBOX', Buffer.from(mail(rubrics(), { Subject: 'Demande APL' })));
    const [first] = await settled(s, 1);
    const ref = first?.ref as string;
    await appendMail(
      server,
      'INBOX',
      Buffer.from(
        mail(rubrics({ motif: 'demande d’explication' }), {
          From: 'Dominique Autre <dominique.autre@ille-et-vilaine.fr>',
          Subject: `Autre famille, voir aussi [${ref}]`,
        }),
      ),
    );
    const all = await settled(s, 2);
    expect((await s.caseStore.get(ref))?.followUps).toHaveLength(0);
    expect(all.map((c) => c.ref)).toContain(ref);
    expect(all.find((c) => c.ref !== ref)?.status).toBe('nouveau');
  });

  it('a busy address gets every acknowledgement: past its hourly limit, replies wait instead of being dropped', async () => {
    const s = await start((c) => {
      c.replies.perRecipientPerHour = 2;
    });
    for (const motif of ['non-paiement', 'demande d’explication', 'baisse du montant']) {
      await appendMail(
        server,
        'INBOX',
        Buffer.from(mail(rubrics({ motif }), { Subject: `Demande ${motif}` })),
      );
    }
    const all = await settled(s, 3);
    await sink.waitForMessages(2, 20_000);
    const delayed = await waitFor('one reply deferred', async () => {
      const jobs = await s.queues.notify.getDelayed();
      return jobs.length === 1 ? jobs : null;
    });
    expect(delayed[0]?.delay ?? 0).toBeGreaterThan(0);
    const held = await s.caseStore.get(String(delayed[0]?.id));
    expect(held?.replyState?.status ?? 'none').not.toBe('suppressed');
    expect(sink.messages).toHaveLength(2);
    expect(all).toHaveLength(3);
  });

  it('a slow IMAP connection keeps its mailbox lease: a second replica never watches the mailbox at the same time', async () => {
    // The greeting comes after 2 lease lifetimes (3 s each in tests): the lease must be renewed while connecting.
    const proxy = await startTcpProxy(server.port);
    proxy.delayMs = 6000;
    const env = testEnv(prefix, server, { IMAP_PORT: String(proxy.port) });
    const leaseKey = `${prefix}:lease:default`;
    const replicas: Service[] = [];
    // The intake's connections only: the answer watcher would open its own through the proxy.
    const intakeOnly = () =>
      testConfig(env, (c) => {
        c.answers.watch = false;
      });
    try {
      const first = await startService(intakeOnly(), quietLog(), { web: false });
      replicas.push(first);
      // The first replica holds the lease and its connection is open, its greeting on the way.
      const owner = await waitFor('first replica connecting', async () =>
        proxy.connections() === 1 ? redis.get(leaseKey) : null,
      );
      const second = await startService(intakeOnly(), quietLog(), { web: false });
      replicas.push(second);
      let secondConnected = false;
      second.intakes[0]?.on('connected', () => {
        secondConnected = true;
      });
      // Until the first replica watches the mailbox, the lease must stay its own, renewed
      // (its time to live going up again) rather than left to expire.
      const owners = new Set<string | null>();
      let renewals = 0;
      let lastTtl = Number.POSITIVE_INFINITY;
      await waitFor(
        'first replica watching the mailbox',
        async () => {
          const [held, ttl] = await Promise.all([redis.get(leaseKey), redis.pttl(leaseKey)]);
          owners.add(held);
          if (ttl > lastTtl) renewals++;
          lastTtl = ttl;
          // Only the greeting is slow: once it is on its way, what the server says next comes at once.
          if (renewals > 0) proxy.delayMs = 0;
          return first.intakes[0]?.active;
        },
        30_000,
        50,
      );
      expect(renewals).toBeGreaterThanOrEqual(2);
      expect([...owners]).toEqual([owner]);
      expect(secondConnected).toBe(false);
      expect(second.intakes[0]?.active).toBe(false);
    } finally {
      for (const r of replicas) await r.stop();
      await proxy.stop();
    }
  }, 60_000);

  it('an oversize urgent request reaches the priority queue and gets an acknowledgement saying how to send documents', async () => {
    const s = await start((c) => {
      c.intake.maxDownloadBytes = 64 * 1024;
    });
    const big = mail(`${rubrics({ motif: 'non-paiement', prestations: 'RSA' })}\n${'A'.repeat(200 * 1024)}`, {
      Subject: 'URGENCE DEFINIE RSA coupé',
    });
    await appendMail(server, 'INBOX', Buffer.from(big));
    const [c] = await settled(s, 1);
    expect(c?.route).toBe('priority');
    expect(c?.status).toBe('nouveau');
    expect(c?.routeReason).toMatch(/trop volumineux/);
    await waitFor(
      'filed in priority',
      async () => (await folderContents(server))['CDAP.Prioritaire']?.length === 1,
    );
    await sink.waitForMessages(1, 20_000);
    const reply = await simpleParser(sink.messages[0]?.raw as Buffer);
    expect(reply.text).toMatch(/dépasse la taille que nous pouvons recevoir/);
    expect(reply.text).toMatch(/transmettreundocument/);
    expect(sink.messages[0]?.envelope.to).toEqual([REQUESTER]);
  });
});
