import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startService } from '../src/service.js';
import { fixture, testAnalyzer } from './support/analyzer.js';
import { appendMail, type DovecotServer, startDovecot } from './support/dovecot.js';
import {
  appendAll,
  expected,
  fixtureNames,
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

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const analyze = testAnalyzer();

function replyEnv(prefix: string, server: DovecotServer, sink: SmtpSink) {
  return testEnv(prefix, server, {
    REPLY_MODE: 'live',
    SMTP_HOST: sink.host,
    SMTP_PORT: String(sink.port),
    SMTP_SECURE: 'false',
    SMTP_FROM: 'CAF 35 - Relations partenaires <partenaires.caf35@caf35.example.fr>',
  });
}

const fast = (c: Parameters<Parameters<typeof testConfig>[1] & object>[0]) => {
  c.replies.retryBaseMs = 200;
};

describe('replies: one templated answer per request (real Dovecot, Redis and SMTP)', () => {
  let server: DovecotServer;
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  beforeEach(async () => {
    server = await startDovecot();
  });
  afterEach(async () => {
    await server?.stop();
  });
  afterAll(async () => {
    for (const p of prefixes) {
      await deleteKeys(redis, p);
    }
    redis.disconnect();
  });

  it('answers exactly the mails that call for it, once, to the right address, with loop-safe headers', async () => {
    const sink = await startSmtpSink();
    const prefix = uniquePrefix('replies');
    prefixes.push(prefix);
    const service = await startService(testConfig(replyEnv(prefix, server, sink), fast), quietLog());
    try {
      await appendAll(server, fixtureNames.map(fixture));
      const wanted = fixtureNames.filter((n) => expected[n]?.reply !== 'none');
      await sink.waitForMessages(wanted.length, 120_000);
      await waitFor('all filed', async () => (await folderContents(server)).INBOX?.length === 0, 60_000);
      // Every mail triaged and every reply job done: the others got no answer, and none will come.
      await waitForIdleQueues(service.queues);
      expect(sink.messages).toHaveLength(wanted.length);

      const byInReplyTo = new Map<string, Awaited<ReturnType<typeof simpleParser>>>();
      for (const m of sink.messages) {
        const parsed = await simpleParser(m.raw);
        byInReplyTo.set(parsed.inReplyTo ?? '', parsed);
      }
      for (const name of wanted) {
        const a = await analyze(fixture(name));
        const reply = byInReplyTo.get(a.messageId ?? '');
        expect(reply, `${name} got a reply`).toBeDefined();
        if (!reply) continue;
        const to = Array.isArray(reply.to) ? reply.to[0] : reply.to;
        expect(to?.value[0]?.address?.toLowerCase()).toBe(a.replyTo);
        expect(reply.subject).toMatch(/^Accusé de réception de votre demande.* \[CDAP-\d{4}-\d{6}\]$/);
        expect(reply.headers.get('auto-submitted')).toBe('auto-replied');
        expect(reply.headers.get('x-auto-response-suppress')).toBe('All');
        expect(reply.headers.get('x-cdap-triage-loop')).toMatch(/^CDAP-/);
        expect(reply.messageId).toMatch(/^<CDAP-\d{4}-\d{6}\.ack@caf35\.example\.fr>$/);
        expect(String(reply.references ?? '')).toContain(a.messageId ?? 'none');
        expect(reply.text).toContain('Nous avons bien reçu votre demande');
        expect(reply.html).toContain('Nous avons bien reçu votre demande');
      }
      // A relay form mail is answered at the form's address, not the robot's.
      const relayed = sink.messages.filter((m) => m.envelope.to.includes('cdap-formulaire@caf35.example.fr'));
      expect(relayed).toHaveLength(0);

      // Our own reply coming back (a forward, a misconfigured rule) is recognised and not answered.
      const first = sink.messages[0]?.raw as Buffer;
      await appendMail(server, 'INBOX', first);
      await waitFor('loop mail filed', async () => (await folderContents(server)).INBOX?.length === 0);
      await waitForIdleQueues(service.queues);
      expect(sink.messages).toHaveLength(wanted.length);
    } finally {
      await service.stop();
      await sink.stop();
    }
  }, 180_000);

  it('retries a 4xx and delivers once', async () => {
    let calls = 0;
    const sink = await startSmtpSink({
      respond: () => (++calls === 1 ? { code: 451, message: '4.3.0 Try again later' } : null),
    });
    const prefix = uniquePrefix('replies4xx');
    prefixes.push(prefix);
    const service = await startService(testConfig(replyEnv(prefix, server, sink), fast), quietLog());
    try {
      await appendMail(server, 'INBOX', fixture('form-standard-clean.eml'));
      await sink.waitForMessages(1, 20_000);
      // The job ended with that delivery: no other attempt is coming.
      await waitForIdleQueues(service.queues);
      expect(sink.rejected).toHaveLength(1);
      expect(sink.messages).toHaveLength(1);
      const [ref] = await caseRefsOf(prefix);
      expect((await service.caseStore.get(ref as string))?.replyState?.status).toBe('sent');
    } finally {
      await service.stop();
      await sink.stop();
    }
  });

  it('fails a 5xx at once: the job is failed, the case says why, no retry storm', async () => {
    const sink = await startSmtpSink({
      respond: () => ({ code: 550, message: '5.1.1 Mailbox unavailable' }),
    });
    const prefix = uniquePrefix('replies5xx');
    prefixes.push(prefix);
    const service = await startService(testConfig(replyEnv(prefix, server, sink), fast), quietLog());
    try {
      await appendMail(server, 'INBOX', fixture('form-standard-clean.eml'));
      await waitFor('job failed', async () => (await service.queues.notify.getFailedCount()) === 1, 20_000);
      // Failed for good: nothing of it is left to run, so no retry can come.
      await waitForIdleQueues(service.queues);
      expect(sink.rejected).toHaveLength(1);
      expect(sink.messages).toHaveLength(0);
      const [ref] = await caseRefsOf(prefix);
      const record = await service.caseStore.get(ref as string);
      expect(record?.replyState?.status).toBe('failed');
      expect(record?.replyState?.reasonCode).toBe('refused');
      expect(record?.replyState?.reason).toMatch(/^550/);
    } finally {
      await service.stop();
      await sink.stop();
    }
  });

  it('never answers mail older than the backfill age, but files it', async () => {
    const sink = await startSmtpSink();
    const prefix = uniquePrefix('backfill');
    prefixes.push(prefix);
    const client = (await import('./support/dovecot.js')).imapClient(server);
    await client.connect();
    // Received ten days ago (INTERNALDATE), found at first start.
    await client.append(
      'INBOX',
      fixture('form-standard-clean.eml'),
      [],
      new Date(Date.now() - 10 * 86_400_000),
    );
    await client.logout();
    const service = await startService(testConfig(replyEnv(prefix, server, sink), fast), quietLog());
    try {
      await waitFor('filed', async () => (await folderContents(server))['CDAP.Standard']?.length === 1);
      await waitForIdleQueues(service.queues);
      expect(sink.messages).toHaveLength(0);
      const [ref] = await caseRefsOf(prefix);
      expect((await service.caseStore.get(ref as string))?.replySuppressed).toBe('backfill');
    } finally {
      await service.stop();
      await sink.stop();
    }
  });
});
