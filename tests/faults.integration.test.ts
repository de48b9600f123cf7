import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pgClient from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashMessageId } from '../src/cases/caseRecord.js';
import { projectRoot } from '../src/config/loadConfig.js';
import type { Config, Draft } from '../src/config/schema.js';
import { createLogger } from '../src/log.js';
import { looksUrgent } from '../src/mailbox/looksUrgent.js';
import { outboundLimiter } from '../src/replies/replyWorker.js';
import { type Service, startService } from '../src/service.js';
import { fixture } from './support/analyzer.js';
import { appendMail, type DovecotServer, imapClient, startDovecot } from './support/dovecot.js';
import {
  appendAll,
  expected,
  fixtureNames,
  folderContents,
  messageIdOf,
  quietLog,
  testConfig,
  testEnv,
  waitFor,
  waitForIdleQueues,
} from './support/pipeline.js';
import { type PrivatePostgres, startPrivatePostgres } from './support/postgres.js';
import { caseRecordsOf, caseRefsOf, queryRecords, schemaOf, testDatabaseUrl } from './support/records.js';
import { type PrivateRedis, startPrivateRedis, uniquePrefix } from './support/redis.js';
import { type SmtpSink, startSmtpSink } from './support/smtpSink.js';
import { startTcpProxy } from './support/tcpProxy.js';

/**
 * Longer than every delay after which the service or its libraries try again — BullMQ's 15 s
 * run-retry delay twice over, ioredis's 2 s reconnection cap many times — so that the service
 * must resume by itself after having given up at least once. FAULT_LONG_OUTAGE_S=600 for more.
 */
const LONG_OUTAGE_S = Number(process.env.FAULT_LONG_OUTAGE_S ?? 40);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Arrival pace of mail that keeps coming while a fault is injected. */
const ARRIVAL_PACE_MS = 40;

/** A distinct copy of a fixture (new Message-ID), so identical bytes are not deduplicated. */
function variant(name: string, tag: string): Buffer {
  const raw = fixture(name).toString('latin1');
  return Buffer.from(raw.replace(/^(Message-ID:\s*<)/im, `$1${tag}.`), 'latin1');
}

function mailsFrom(names: string[], tag: string): Array<{ name: string; raw: Buffer }> {
  return names.map((name, i) => ({ name, raw: variant(name, `${tag}${i}`) }));
}

const replyNames = fixtureNames.filter((n) => expected[n]?.reply !== 'none');
const silentNames = fixtureNames.filter((n) => expected[n]?.reply === 'none');

/** Every mail in exactly one triage folder, none left in INBOX. */
async function assertFiledOnce(server: DovecotServer, mails: Array<{ raw: Buffer }>) {
  const folders = await folderContents(server);
  expect(folders.INBOX).toHaveLength(0);
  const filed = Object.entries(folders)
    .filter(([path]) => path.startsWith('CDAP.'))
    .flatMap(([, items]) => items.map((m) => m.messageId));
  for (const m of mails) expect(filed.filter((id) => id === messageIdOf(m.raw))).toHaveLength(1);
  expect(filed).toHaveLength(mails.length);
}

/** The cases in PostgreSQL (the prefix's schema at `url`), by the Message-ID of the mail that opened them. */
async function casesByMessageId(
  prefix: string,
  url?: string,
): Promise<Map<string, Array<{ ref: string; replySuppressed: string | null }>>> {
  const out = new Map<string, Array<{ ref: string; replySuppressed: string | null }>>();
  for (const c of await caseRecordsOf(prefix, url)) {
    const id = c.messageIdHash ?? '?';
    out.set(id, [...(out.get(id) ?? []), { ref: c.ref, replySuppressed: c.replySuppressed }]);
  }
  return out;
}

/** References of our replies (in their Message-ID), with the mails each answered. */
function originalsByReference(sink: SmtpSink): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of sink.messages) {
    const raw = m.raw.toString('latin1');
    const ref = /^Message-ID:\s*<(CDAP-\d{4}-\d{6})\./im.exec(raw)?.[1] ?? '?';
    const original = /^In-Reply-To:\s*(\S+)/im.exec(raw)?.[1] ?? '?';
    out.set(ref, new Set([...(out.get(ref) ?? []), original]));
  }
  return out;
}

/** Replies by the Message-ID they answer: each wanted one exactly `copies` times. */
function repliesByOriginal(sink: SmtpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sink.messages) {
    const id = /^In-Reply-To:\s*(\S+)/im.exec(m.raw.toString('latin1'))?.[1] ?? '?';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

function faultConfig(env: NodeJS.ProcessEnv, change: (c: Draft<Config>) => void = () => {}): Config {
  return testConfig(env, (c) => {
    c.replies.retryBaseMs = 300;
    c.replies.perRecipientPerHour = 10_000;
    c.replies.perRecipientPerDay = 10_000;
    c.smtp.maxMessagesPerSecond = 200;
    c.smtp.timeoutMs = 3000;
    // A reply whose send was cut short goes again after seconds, not the production 15 s + 20 s.
    c.replies.lockTtlMs = 3000;
    c.replies.pendingGraceMs = 2000;
    // Intents a crash or a Redis restart left undispatched go out within seconds, not 15 s.
    c.cases.outboxSweepMs = 500;
    change(c);
  });
}

describe('faults (each with its own Dovecot, Redis and SMTP on loopback)', () => {
  let server: DovecotServer;
  let redis: PrivateRedis;
  let sink: SmtpSink;
  let service: Service | null = null;
  const children: ChildProcess[] = [];
  let prefix = '';
  /** The database of the service under test: the run's, or a private cluster's (PostgreSQL faults). */
  let dbUrl = '';

  beforeEach(async () => {
    dbUrl = testDatabaseUrl();
    server = await startDovecot();
    redis = await startPrivateRedis({ appendonly: true });
    sink = await startSmtpSink();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await service?.stop().catch(() => {});
    service = null;
    await sink?.stop();
    await redis?.destroy();
    await server?.stop();
  });

  function env(extra: NodeJS.ProcessEnv = {}) {
    prefix = uniquePrefix('fault');
    return testEnv(prefix, server, {
      DATABASE_URL: dbUrl,
      REDIS_URL: redis.url,
      REPLY_MODE: 'live',
      SMTP_HOST: sink.host,
      SMTP_PORT: String(sink.port),
      ...extra,
    });
  }

  async function expectAllHandled(mails: Array<{ name: string; raw: Buffer }>, timeoutMs = 60_000) {
    const wanted = mails.filter((m) => expected[m.name]?.reply !== 'none');
    await waitFor(
      'all filed',
      async () => (await folderContents(server)).INBOX?.length === 0,
      timeoutMs,
      250,
    );
    await sink.waitForMessages(wanted.length, timeoutMs);
    // Every triage and reply job done: a second case or reply would have come by now.
    await waitForIdleQueues({ url: redis.url, prefix }, timeoutMs);
    await assertFiledOnce(server, mails);
    // Filed is not enough: a mail filed without a case is out of every queue, seen by nobody.
    const cases = await casesByMessageId(prefix, dbUrl);
    for (const m of mails)
      expect({
        mail: m.name,
        cases: cases.get(hashMessageId(messageIdOf(m.raw) ?? ''))?.length ?? 0,
      }).toEqual({
        mail: m.name,
        cases: 1,
      });
    const replies = repliesByOriginal(sink);
    for (const m of wanted)
      expect({
        mail: m.name,
        replies: replies.get(messageIdOf(m.raw) ?? ''),
        // Why not, when it was not answered: a case reopened from its folder is never answered.
        suppressed: cases.get(hashMessageId(messageIdOf(m.raw) ?? ''))?.[0]?.replySuppressed ?? null,
      }).toEqual({ mail: m.name, replies: 1, suppressed: null });
    expect(sink.messages).toHaveLength(wanted.length);
    // One reference, one request: a reference (and reply Message-ID) given to two mails would
    // send a CDAS's answer, and its follow-ups, to another family's case.
    for (const [ref, originals] of originalsByReference(sink))
      expect({ ref, originals: originals.size }).toEqual({ ref, originals: 1 });
    // Each reply answers the mail of a committed case: its reference is that mail's case.
    const refOfMail = new Map([...cases].map(([hash, found]) => [hash, found[0]?.ref]));
    for (const [ref, originals] of originalsByReference(sink))
      for (const original of originals) expect(refOfMail.get(hashMessageId(original))).toBe(ref);
  }

  it('Redis stopped under load, past the reply lock and grace: intake pauses without moving mail, then everything flows once', async () => {
    const events: string[] = [];
    const log = createLogger({
      level: 'warn',
      stream: { write: (line: string) => void events.push(String(JSON.parse(line).event)) },
    });
    const failedChecks = () => events.filter((e) => e === 'intake.cycle_failed').length;
    const config = faultConfig(env());
    service = await startService(config, log);
    const first = mailsFrom(replyNames.slice(0, 15), 'r30a');
    const during = mailsFrom([...replyNames.slice(15, 25), ...silentNames.slice(0, 5)], 'r30b');
    await appendAll(
      server,
      first.map((m) => m.raw),
    );
    await waitFor('some triaged', async () => sink.messages.length >= 3, 20_000, 50);
    await redis.stop();
    const stoppedAt = Date.now();
    await appendAll(
      server,
      during.map((m) => m.raw),
    );
    // Intake looked at the mailbox twice since the last mail came, and gave up for want of Redis.
    const failedBefore = failedChecks();
    await waitFor('two failed mailbox checks', async () => failedChecks() >= failedBefore + 2, 60_000, 50);
    // Long enough for the reply locks taken before to expire, and a 'pending' send to be past its grace.
    const outlast = config.replies.lockTtlMs + config.replies.pendingGraceMs;
    await sleep(Math.max(0, stoppedAt + outlast - Date.now()));
    // Nothing that arrived during the outage was moved: no triage, no filing.
    const inbox = (await folderContents(server)).INBOX?.map((m) => m.messageId) ?? [];
    for (const m of during) expect(inbox).toContain(messageIdOf(m.raw));
    await redis.restart();
    await expectAllHandled([...first, ...during]);
  }, 150_000);

  it(
    `Redis stopped for ${LONG_OUTAGE_S} s while idle: the service resumes by itself`,
    async () => {
      service = await startService(faultConfig(env()), quietLog());
      await waitFor('connected', async () => service?.intakes[0]?.active);
      await redis.stop();
      await sleep(LONG_OUTAGE_S * 1000);
      await redis.restart();
      const mails = mailsFrom(replyNames.slice(0, 10), 'rlong');
      await appendAll(
        server,
        mails.map((m) => m.raw),
      );
      await expectAllHandled(mails);
    },
    (LONG_OUTAGE_S + 120) * 1000,
  );

  it('Redis killed and restarted from its append-only file mid-run: no mail lost, no duplicate case or reply', async () => {
    service = await startService(faultConfig(env()), quietLog());
    const mails = mailsFrom([...replyNames.slice(0, 40), ...silentNames.slice(0, 10)], 'raof');
    const appending = (async () => {
      for (const m of mails) {
        await appendMail(server, 'INBOX', m.raw);
        await sleep(ARRIVAL_PACE_MS);
      }
    })();
    await waitFor('some replies', async () => sink.messages.length >= 5, 20_000, 20);
    await redis.kill();
    // Back once the service has seen it gone.
    await waitFor('Redis seen gone', async () => service?.redis.status !== 'ready', 20_000, 20);
    await redis.restart();
    await appending;
    await expectAllHandled(mails);
  }, 150_000);

  /** The work items waiting in the technicians' queues (job id: case reference), sorted. */
  async function workItemRefs(): Promise<string[]> {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 3 });
    const queues = ['priority', 'standard'].map((name) => new Queue(name, { connection, prefix }));
    try {
      const jobs = (await Promise.all(queues.map((q) => q.getJobs(['wait', 'prioritized'])))).flat();
      return jobs.map((j) => String(j.id)).sort();
    } finally {
      await Promise.all(queues.map((q) => q.close()));
      connection.disconnect();
    }
  }

  /** The open cases a technician must see in a queue, sorted. */
  async function openPartnerRefs(): Promise<string[]> {
    return (await caseRecordsOf(prefix, dbUrl))
      .filter((c) => c.status === 'nouveau' && (c.route === 'priority' || c.route === 'standard'))
      .map((c) => c.ref)
      .sort();
  }

  it('Redis restarted from an append-only file 1.5 s behind (its last queue writes lost): the intake rescan and the outbox sweep repair them — every mail one case, no reference reused, one reply each, every open case queued', async () => {
    service = await startService(faultConfig(env()), quietLog());
    await waitFor('connected', async () => service?.intakes[0]?.active);
    const names = [...replyNames, ...silentNames.slice(0, 20)];
    const mails = mailsFrom(
      Array.from({ length: 100 }, (_, i) => names[(i * 7) % names.length] as string),
      'loss',
    );
    const appendAll = async (some: typeof mails) => {
      for (const m of some) {
        await appendMail(server, 'INBOX', m.raw);
        await sleep(ARRIVAL_PACE_MS);
      }
    };
    // Mail flows (triaged, answered) before the clock starts, whatever the machine's load.
    await appendAll(mails.slice(0, 30));
    await waitFor('replies flowing', async () => sink.messages.length >= 3, 60_000, 20);
    const repliedBefore = sink.messages.length;
    const appending = appendAll(mails.slice(30));
    await waitFor('later mail flowing', async () => sink.messages.length >= repliedBefore + 2, 60_000, 20);
    // The disk as it was 1.5 s before the crash: appendfsync everysec can lose that much
    // (a killed process loses nothing from the page cache, so the loss is made by hand).
    // The cases are in PostgreSQL: what goes is queue state (triage and reply jobs, work
    // items, the intake position, reply locks), which the intake's rescan and the outbox's
    // redispatch on Redis's new run id must make good.
    const older = await redis.copyAof();
    await sleep(1500);
    await redis.restartFrom(older);
    await appending;
    await expectAllHandled(mails, 90_000);
    await waitFor('every open case back in its queue', async () => {
      const [queued, open] = [await workItemRefs(), await openPartnerRefs()];
      return open.length > 0 && open.every((ref) => queued.includes(ref));
    });
  }, 150_000);

  it('host crash (service and Redis lost together, Redis back from an older file): the cases stay in PostgreSQL — none opened again, no second reply, the technicians’ queues get their work items back', async () => {
    const e = env();
    service = await startService(faultConfig(e), quietLog());
    await waitFor('connected', async () => service?.intakes[0]?.active);
    // The Redis disk before these mails arrived: their triage and reply jobs, work items
    // and the intake position are lost with the host.
    const older = await redis.copyAof();
    const mails = mailsFrom(replyNames.slice(0, 6), 'host');
    await appendAll(
      server,
      mails.map((m) => m.raw),
    );
    await expectAllHandled(mails);
    const open = await openPartnerRefs();
    expect(open.length).toBeGreaterThan(0);
    const before = await caseRefsOf(prefix, dbUrl);
    // The outbox has seen this Redis run (it remembers it in the database).
    await waitFor(
      'Redis run recorded',
      async () =>
        (await queryRecords(prefix, "SELECT 1 FROM store_meta WHERE key = 'redis_run_id'", [], dbUrl))
          .length === 1,
    );
    await service.stop();
    service = null;
    await redis.restartFrom(older);
    expect(await workItemRefs()).toEqual([]);

    service = await startService(faultConfig(e), quietLog());
    await waitFor(
      'work items back',
      async () => {
        const queued = await workItemRefs();
        return open.every((ref) => queued.includes(ref));
      },
      60_000,
      250,
    );
    await waitForIdleQueues({ url: redis.url, prefix });
    await assertFiledOnce(server, mails);
    expect(await caseRefsOf(prefix, dbUrl)).toEqual(before);
    expect(sink.messages).toHaveLength(mails.length);
  }, 150_000);

  it('a mail leaves INBOX only after the filing delay (intake.filingDelayMs) since its case was committed', async () => {
    service = await startService(
      faultConfig(env(), (c) => {
        c.intake.filingDelayMs = 8000;
      }),
      quietLog(),
    );
    const [mail] = mailsFrom(['form-standard-clean.eml'], 'gate');
    const id = messageIdOf((mail as { raw: Buffer }).raw) ?? '';
    await appendMail(server, 'INBOX', (mail as { raw: Buffer }).raw);
    await waitFor(
      'case written',
      async () => (await casesByMessageId(prefix, dbUrl)).get(hashMessageId(id)),
      30_000,
      50,
    );
    // Its case is committed, but the delay (a replica's lag, say) has not passed: the mail is still in INBOX.
    expect((await folderContents(server)).INBOX?.map((m) => m.messageId)).toContain(id);
    await waitFor('filed', async () => (await folderContents(server)).INBOX?.length === 0, 60_000, 250);
    await assertFiledOnce(server, [mail as { raw: Buffer }]);
  }, 90_000);

  it('IMAP connection reset during IDLE: reconnects with backoff and catches up', async () => {
    const proxy = await startTcpProxy(server.port);
    let idling = false;
    proxy.inspectClient = (chunk) => {
      if (/ IDLE\r\n/.test(chunk.toString('latin1'))) idling = true;
      return 'forward';
    };
    try {
      service = await startService(faultConfig(env({ IMAP_PORT: String(proxy.port) })), quietLog());
      await waitFor('intake in IDLE', async () => service?.intakes[0]?.active && idling);
      proxy.resetAll();
      const mails = mailsFrom(replyNames.slice(0, 8), 'reset');
      await appendAll(
        server,
        mails.map((m) => m.raw),
      );
      await expectAllHandled(mails);
    } finally {
      await proxy.stop();
    }
  }, 90_000);

  it('IMAP silent black hole longer than the socket timeout: the dead connection is dropped, intake catches up', async () => {
    const proxy = await startTcpProxy(server.port);
    try {
      const config = faultConfig(env({ IMAP_PORT: String(proxy.port) }), (c) => {
        c.intake.socketTimeoutMs = 3000;
        c.intake.watchdogIntervalMs = 2000;
        c.intake.watchdogTimeoutMs = 2000;
        c.intake.reconcileIntervalMs = 2000;
      });
      service = await startService(config, quietLog());
      await waitFor('connected', async () => service?.intakes[0]?.active);
      proxy.mode = 'blackhole';
      const mails = mailsFrom(replyNames.slice(0, 8), 'hole');
      await appendAll(
        server,
        mails.map((m) => m.raw),
      );
      // The silent connection is given up (and new attempts go nowhere either).
      await waitFor('silent connection dropped', async () => service?.intakes[0]?.active === false, 60_000);
      expect((await folderContents(server)).INBOX).toHaveLength(mails.length);
      proxy.mode = 'pass';
      await expectAllHandled(mails);
    } finally {
      await proxy.stop();
    }
  }, 90_000);

  it('SMTP connection dropped after DATA: retried, delivered; at most one extra copy, same Message-ID', async () => {
    const proxy = await startTcpProxy(sink.port);
    let dropped = 0;
    proxy.inspectClient = (chunk) => {
      if (dropped === 0 && chunk.includes('\r\n.\r\n')) {
        dropped++;
        return 'drop-after-reply';
      }
      return 'forward';
    };
    try {
      service = await startService(faultConfig(env({ SMTP_PORT: String(proxy.port) })), quietLog());
      const [mail] = mailsFrom(['form-standard-clean.eml'], 'drop');
      await appendMail(server, 'INBOX', (mail as { raw: Buffer }).raw);
      await waitFor('delivered after the retry', async () => sink.messages.length >= 2, 30_000);
      const s = service;
      const [ref] = await s.caseStore.refsBetween(new Date(0), new Date(Date.now() + 86_400_000));
      await waitFor(
        'reply recorded as sent',
        async () => (await s.caseStore.get(ref as string))?.replyState?.status === 'sent',
      );
      // Its job is over: no third copy is coming.
      await waitForIdleQueues(s.queues);
      // The server took the first copy before vanishing: the retry repeats the same message.
      expect(dropped).toBe(1);
      expect(sink.messages).toHaveLength(2);
      const ids = sink.messages.map((m) => /^Message-ID:\s*(\S+)/im.exec(m.raw.toString('latin1'))?.[1]);
      expect(ids[0]).toBe(ids[1]);
      expect(await s.queues.notify.getFailedCount()).toBe(0);
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it('SMTP relay that drops the connection after every DATA: two copies at most, then the reply is failed, visibly', async () => {
    const proxy = await startTcpProxy(sink.port);
    let dropped = 0;
    proxy.inspectClient = (chunk) => {
      if (chunk.includes('\r\n.\r\n')) {
        dropped++;
        return 'drop-after-reply';
      }
      return 'forward';
    };
    try {
      service = await startService(faultConfig(env({ SMTP_PORT: String(proxy.port) })), quietLog());
      const [mail] = mailsFrom(['form-standard-clean.eml'], 'dropalways');
      await appendMail(server, 'INBOX', (mail as { raw: Buffer }).raw);
      const s = service;
      await waitFor('reply failed', async () => (await s.queues.notify.getFailedCount()) === 1, 40_000);
      // Failed for good, nothing of it left to run: a third copy would have been sent by now.
      await waitForIdleQueues(s.queues);
      expect(dropped).toBe(2);
      expect(sink.messages).toHaveLength(2);
      const [job] = await s.queues.notify.getFailed();
      const record = await s.caseStore.get(String(job?.id));
      expect(record?.replyState?.status).toBe('failed');
      expect(record?.replyState?.reasonCode).toBe('uncertain');
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it('very slow SMTP server: the send times out, is retried, and the reply is delivered', async () => {
    const proxy = await startTcpProxy(sink.port);
    proxy.delayMs = 5000;
    try {
      service = await startService(
        faultConfig(env({ SMTP_PORT: String(proxy.port) }), (c) => {
          c.smtp.timeoutMs = 1500;
        }),
        quietLog(),
      );
      const [mail] = mailsFrom(['form-standard-clean.eml'], 'slow');
      await appendMail(server, 'INBOX', (mail as { raw: Buffer }).raw);
      const s = service;
      // The first send gave up waiting for the server and was put back for a retry.
      await waitFor(
        'send timed out, retry planned',
        async () => {
          const [ref] = await s.caseStore.refsBetween(new Date(0), new Date(Date.now() + 86_400_000));
          const state = ref ? (await s.caseStore.get(ref))?.replyState : null;
          return (
            state?.status === 'pending' &&
            state.reasonCode === 'retry' &&
            /^ETIMEDOUT/.test(state.reason ?? '')
          );
        },
        30_000,
      );
      expect(sink.messages).toHaveLength(0);
      proxy.delayMs = 0;
      await sink.waitForMessages(1, 30_000);
      expect(await service.queues.notify.getFailedCount()).toBe(0);
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it('1,000 mails at once: urgent mail triaged and answered first, outbound rate limit holds, memory stays bounded', async () => {
    // Urgent mail the intake's hint recognises, behind a backlog it does not take for urgent.
    const urgentNames = fixtureNames.filter(
      (n) => expected[n]?.route === 'priority' && expected[n]?.reply !== 'none' && looksUrgent(fixture(n)),
    );
    const standard = fixtureNames.filter(
      (n) => expected[n]?.route === 'standard' && expected[n]?.reply !== 'none' && !looksUrgent(fixture(n)),
    );
    const mails = [
      ...Array.from({ length: 980 }, (_, i) => ({
        name: standard[i % standard.length] as string,
        raw: Buffer.alloc(0),
      })),
      ...Array.from({ length: 20 }, (_, i) => ({
        name: urgentNames[i % urgentNames.length] as string,
        raw: Buffer.alloc(0),
      })),
    ].map((m, i) => ({ ...m, raw: variant(m.name, `burst${i}`) }));
    // The urgent mails are the last to arrive.
    const client = imapClient(server);
    await client.connect();
    const urgentUids = new Set<number>();
    for (const [i, m] of mails.entries()) {
      const appended = await client.append('INBOX', m.raw);
      if (i >= 980 && appended && appended.uid !== undefined) urgentUids.add(appended.uid);
    }
    await client.logout();
    expect(urgentUids.size).toBe(20);

    // Triage and replies held until all their jobs are queued: the order in which the jobs
    // are then taken shows their priorities alone, whatever the machine's speed.
    const e = env();
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 3 });
    const triageQueue = new Queue('triage', { connection, prefix });
    const notifyQueue = new Queue('notify', { connection, prefix });
    const queued = async (q: Queue) => {
      const counts = await q.getJobCounts('wait', 'prioritized');
      return (counts.wait ?? 0) + (counts.prioritized ?? 0);
    };
    /** Jobs in the order they were taken (BullMQ's event stream), each once. */
    const takenOrder = async (name: string) => {
      const taken: string[] = [];
      for (const [, fields] of await connection.xrange(`${prefix}:${name}:events`, '-', '+')) {
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
        const id = f.get('jobId');
        if (f.get('event') === 'active' && id && !taken.includes(id)) taken.push(id);
      }
      return taken;
    };

    const rate = 25;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 100);
    try {
      await triageQueue.pause();
      await notifyQueue.pause();
      service = await startService(
        faultConfig(e, (c) => {
          c.smtp.maxMessagesPerSecond = rate;
          c.smtp.maxConnections = 2;
        }),
        quietLog(),
      );
      await waitFor(
        'all 1,000 handed to triage',
        async () => (await queued(triageQueue)) === 1000,
        300_000,
        250,
      );
      await triageQueue.resume();
      await waitFor(
        'all 1,000 filed',
        async () => (await folderContents(server)).INBOX?.length === 0,
        600_000,
        1000,
      );
      await waitFor(
        'all 1,000 replies queued',
        async () => (await queued(notifyQueue)) === 1000,
        300_000,
        250,
      );
      await notifyQueue.resume();
      await sink.waitForMessages(150, 300_000);
    } finally {
      clearInterval(sampler);
      await triageQueue.close();
      await notifyQueue.close();
    }

    // Triage took the 20 mails the intake marked urgent before any of the backlog.
    const triaged = await takenOrder('triage');
    expect(triaged).toHaveLength(1000);
    const firstTriaged = triaged.slice(0, 20).map((id) => Number(id.split('-').at(-1)));
    expect(new Set(firstTriaged)).toEqual(urgentUids);
    // The reply worker took the 20 urgent cases' replies (job id: case reference) first.
    const answered = await takenOrder('notify');
    const firstAnswered = await service.caseStore.getMany(answered.slice(0, 20));
    expect(firstAnswered.map((c) => c.urgent)).toEqual(Array(20).fill(true));
    const urgentIds = new Set(mails.slice(980).map((m) => messageIdOf(m.raw)));
    const inReplyTo = sink.messages.map((m) => /^In-Reply-To:\s*(\S+)/im.exec(m.raw.toString('latin1'))?.[1]);
    expect(inReplyTo.filter((id) => urgentIds.has(id ?? ''))).toHaveLength(20);
    connection.disconnect();

    const times = sink.messages.map((m) => m.receivedAt).sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while ((times[i] as number) - (times[j] as number) >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    // Any one second holds about the limit: one limiter window more, and BullMQ's
    // window boundaries are not exact to the millisecond. A slower machine only sends less.
    expect(worst).toBeLessThanOrEqual(Math.ceil(rate * 1.2) + outboundLimiter(rate).max);
    expect(peakRss).toBeLessThan(900 * 1024 * 1024);
  }, 900_000);

  describe('process killed at each step (SIGKILL at a failpoint), then restarted', () => {
    function runService(e: NodeJS.ProcessEnv): ChildProcess {
      const child = spawn(process.execPath, [join(projectRoot, 'bin', 'cdap-triage.js'), 'run', '--no-web'], {
        env: { ...process.env, ...e },
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      children.push(child);
      return child;
    }
    function fastConfigFile(oneReplyAtATime = false): string {
      const file = join(mkdtempSync(join(tmpdir(), 'cdap-fault-')), 'config.yaml');
      writeFileSync(
        file,
        [
          'intake: { reconcileIntervalMs: 2000, leaseTtlMs: 3000, maxBackoffMs: 1000 }',
          'triage: { lockDurationMs: 3000 }',
          `replies: { retryBaseMs: 300, perRecipientPerHour: 10000, perRecipientPerDay: 10000, lockTtlMs: 3000, pendingGraceMs: 2000${oneReplyAtATime ? ', concurrency: 1' : ''} }`,
          ...(oneReplyAtATime ? ['smtp: { maxConnections: 1 }'] : []),
          // Intents a kill left undispatched after their commit go out within seconds.
          'cases: { outboxSweepMs: 500 }',
          'shutdownTimeoutMs: 3000',
        ].join('\n'),
      );
      return file;
    }

    async function crashThenRestart(
      failpoint: string,
      mails: Array<{ name: string; raw: Buffer }>,
      extra: NodeJS.ProcessEnv = {},
      oneReplyAtATime = false,
    ) {
      await appendAll(
        server,
        mails.map((m) => m.raw),
      );
      const e = env({ CONFIG_FILE: fastConfigFile(oneReplyAtATime), ...extra });
      const crashing = runService({ ...e, CDAP_FAILPOINT: failpoint, CDAP_FAILPOINT_AFTER: '1' });
      const signal = await new Promise<string | null>((resolve) =>
        crashing.once('exit', (_c, s) => resolve(s)),
      );
      expect(signal).toBe('SIGKILL');
      runService(e);
    }

    it('after handing mail to triage, before anything moved: every mail once', async () => {
      const mails = mailsFrom([...replyNames.slice(0, 12), ...silentNames.slice(0, 4)], 'fp1');
      await crashThenRestart('intake.after-handover', mails);
      await expectAllHandled(mails);
    }, 90_000);

    it('between the MOVE and forgetting the filing: every mail filed once, one case each', async () => {
      // Replies off: a kill at a random moment of replying is the next test's subject.
      const mails = mailsFrom(replyNames.slice(0, 12), 'fp2');
      await crashThenRestart('intake.after-move', mails, { REPLY_MODE: 'off' });
      await waitFor('all filed', async () => (await folderContents(server)).INBOX?.length === 0, 60_000, 250);
      // Nothing left to triage or file: a second copy would be there by now.
      await waitForIdleQueues({ url: redis.url, prefix });
      await assertFiledOnce(server, mails);
      expect(sink.messages).toHaveLength(0);
    }, 90_000);

    it('after SMTP accepted a reply, before the job completed: that one reply goes twice, same Message-ID; all others once', async () => {
      // One reply in flight at a time, so exactly one is caught between the server's 250 and our record.
      const mails = mailsFrom(replyNames.slice(0, 6), 'fp3');
      await crashThenRestart('reply.after-smtp-accepted', mails, {}, true);
      await waitFor('all filed', async () => (await folderContents(server)).INBOX?.length === 0, 60_000, 250);
      // The resend waits for the dead sender's reply lock and grace period (replies.*) to pass.
      await sink.waitForMessages(mails.length + 1, 120_000);
      await waitForIdleQueues({ url: redis.url, prefix });
      const counts = [...repliesByOriginal(sink).values()].sort();
      expect(counts).toEqual([...Array(mails.length - 1).fill(1), 2]);
      const ids = sink.messages.map((m) => /^Message-ID:\s*(\S+)/im.exec(m.raw.toString('latin1'))?.[1]);
      expect(new Set(ids).size).toBe(mails.length);
      await assertFiledOnce(server, mails);
    }, 240_000);

    it('between the commit of a case and the dispatch of its intents: the outbox dispatches its work item and its reply after the restart, exactly one reply each', async () => {
      const mails = mailsFrom([...replyNames.slice(0, 10), ...silentNames.slice(0, 3)], 'fpc');
      await crashThenRestart('triage.after-commit', mails);
      await expectAllHandled(mails);
      // Nothing left undispatched: work intents go once dispatched, reply intents once the reply is final.
      await waitFor(
        'outbox drained',
        async () =>
          (await queryRecords<{ n: number }>(prefix, 'SELECT count(*)::int AS n FROM outbox', [], dbUrl))[0]
            ?.n === 0,
        60_000,
        250,
      );
      const queued = await workItemRefs();
      for (const ref of await openPartnerRefs()) expect(queued).toContain(ref);
    }, 120_000);
  });

  describe('PostgreSQL faults (a private cluster on its own port: the machine’s is never stopped)', () => {
    let pg: PrivatePostgres;
    const HTTP_USER = 'exploitant';
    const HTTP_PASSWORD = 'mot-de-passe-de-test';
    const auth = {
      authorization: `Basic ${Buffer.from(`${HTTP_USER}:${HTTP_PASSWORD}`).toString('base64')}`,
    };

    beforeEach(async () => {
      pg = await startPrivatePostgres();
      dbUrl = pg.url;
    });
    afterEach(async () => {
      // The service first, while its database still answers.
      await service?.stop().catch(() => {});
      service = null;
      await pg?.destroy();
    });

    /** A service with its web (for /readyz and the case pages) on this cluster. */
    async function startWithWeb(
      change: (c: Draft<Config>) => void = () => {},
      log = quietLog(),
    ): Promise<Service> {
      const config = faultConfig(env({ HTTP_USER, HTTP_PASSWORD }), (c) => {
        c.http.port = 0;
        change(c);
      });
      service = await startService(config, log, { web: true });
      return service;
    }

    async function readyz(s: Service) {
      const res = await fetch(`${s.webUrl}/readyz`, { headers: auth });
      return {
        status: res.status,
        body: (await res.json()) as { checks: { database: boolean }; reasons: string[] },
      };
    }

    /** Every case of the mails, read through the API a technician's tools use. */
    async function expectCasesReadable(s: Service, mails: Array<{ raw: Buffer }>) {
      const refs = await caseRefsOf(prefix, dbUrl);
      expect(refs).toHaveLength(mails.length);
      for (const ref of refs) {
        const res = await fetch(`${s.webUrl}/api/cases/${ref}`, { headers: auth });
        expect({ ref, status: res.status }).toEqual({ ref, status: 200 });
        expect(((await res.json()) as { case: { ref: string } }).case.ref).toBe(ref);
      }
    }

    /** Mails appended one by one, `paceMs` apart, while the fault is injected. */
    function arriving(mails: Array<{ raw: Buffer }>, paceMs = ARRIVAL_PACE_MS): Promise<void> {
      return (async () => {
        for (const m of mails) {
          await appendMail(server, 'INBOX', m.raw);
          await sleep(paceMs);
        }
      })();
    }

    it('PostgreSQL stopped 30 s during a burst: triage pauses and retries, the mail stays in INBOX, nothing answered while it is away, /readyz says why, then it resumes by itself', async () => {
      const s = await startWithWeb();
      const first = mailsFrom(replyNames.slice(0, 15), 'pg30a');
      const during = mailsFrom([...replyNames.slice(15, 25), ...silentNames.slice(0, 5)], 'pg30b');
      await appendAll(
        server,
        first.map((m) => m.raw),
      );
      await waitFor('some answered', async () => sink.messages.length >= 3, 30_000, 50);
      await pg.stop();
      const stoppedAt = Date.now();
      // Mail keeps arriving through the outage.
      const appending = arriving(during, 1000);
      const { status, body } = await readyz(s);
      expect(status).toBe(503);
      expect(body.checks.database).toBe(false);
      expect(body.reasons.join(' ')).toMatch(/PostgreSQL ne répond pas/);
      // A reply whose send had begun may finish; after that, none goes until the database is back.
      await sleep(5000);
      const repliedDuring = sink.messages.length;
      await appending;
      await sleep(Math.max(0, stoppedAt + 30_000 - Date.now()));
      expect(sink.messages).toHaveLength(repliedDuring);
      // Nothing that arrived during the outage was moved: it has no case.
      const inbox = (await folderContents(server)).INBOX?.map((m) => m.messageId) ?? [];
      for (const m of during) expect(inbox).toContain(messageIdOf(m.raw));
      await pg.start();
      await expectAllHandled([...first, ...during], 120_000);
      await expectCasesReadable(s, [...first, ...during]);
      await waitFor('ready again', async () => (await readyz(s)).body.checks.database);
    }, 240_000);

    for (const how of ['stop', 'kill'] as const) {
      it(how === 'stop'
        ? 'PostgreSQL restarted mid-run (fast shutdown, started at once): every mail handled once, every reply sent once'
        : 'PostgreSQL killed (kill -9) mid-run and started again through crash recovery: every mail handled once, every reply sent once', async () => {
        const s = await startWithWeb();
        const mails = mailsFrom([...replyNames.slice(0, 40), ...silentNames.slice(0, 10)], `pg${how}`);
        const appending = arriving(mails);
        await waitFor('some replies', async () => sink.messages.length >= 5, 30_000, 20);
        if (how === 'stop') await pg.stop();
        else await pg.kill();
        await pg.start();
        await appending;
        await expectAllHandled(mails, 120_000);
        await expectCasesReadable(s, mails);
      }, 240_000);
    }

    it('the pool exhausted by slow queries (2 connections, another client holding a lock the service needs): errors retried, every mail handled once', async () => {
      const poolTimeouts: string[] = [];
      const log = createLogger({
        level: 'warn',
        stream: {
          write: (line: string) => {
            const entry = JSON.parse(line) as { event?: string; err?: { message?: string } };
            if (/timeout exceeded when trying to connect/.test(entry.err?.message ?? ''))
              poolTimeouts.push(String(entry.event));
          },
        },
      });
      const s = await startWithWeb((c) => {
        c.database.poolSize = 2;
        c.database.connectionTimeoutMs = 300;
      }, log);
      await waitFor('connected', async () => s.intakes[0]?.active);
      const mails = mailsFrom([...replyNames.slice(0, 30), ...silentNames.slice(0, 10)], 'pgpool');
      // Every new case takes the next reference: held here, each triage waits on it with a
      // connection of the pool, and whatever else the service asks for finds none free.
      const locker = new pgClient.Client({
        connectionString: dbUrl,
        options: `-c search_path=${schemaOf(prefix)}`,
      });
      locker.on('error', () => {});
      await locker.connect();
      try {
        const hold = async (ms: number) => {
          await locker.query('BEGIN');
          await locker.query('LOCK TABLE ref_sequences IN ACCESS EXCLUSIVE MODE');
          await sleep(ms);
          await locker.query('COMMIT');
        };
        await hold(0); // the table exists: the service migrated the schema
        const appending = arriving(mails, 20);
        for (let i = 0; i < 3; i++) {
          await hold(4000);
          await sleep(1000);
        }
        await appending;
      } finally {
        await locker.end().catch(() => {});
      }
      await expectAllHandled(mails, 120_000);
      await expectCasesReadable(s, mails);
      // The pool was exhausted indeed: operations gave up waiting for a connection, and were retried.
      expect(poolTimeouts.length).toBeGreaterThan(0);
    }, 240_000);
  });
});
