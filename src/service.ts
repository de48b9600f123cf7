import { randomUUID } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createIsolatedAnalyzer, type IsolatedAnalyzer } from './analysis/isolatedAnalyzer.js';
import { analyzerSettings } from './analysis/settings.js';
import { JOURNAL_CHECK_MS } from './cases/caseJournal.js';
import { CaseStore } from './cases/caseStore.js';
import { senderVerificationProblem } from './config/checkSenderVerification.js';
import { ConfigError } from './config/loadConfig.js';
import type { Config } from './config/schema.js';
import {
  type NotifyJobData,
  notifyBackoff,
  QUEUE,
  type TriageJobData,
  triageBackoff,
  type WorkItem,
} from './infra/queues.js';
import { assertNoEviction, createRedis } from './infra/redis.js';
import { redisKeys } from './infra/redisKeys.js';
import type { Logger } from './log.js';
import { createImapClient } from './mailbox/imapClient.js';
import { IntakeStateStore } from './mailbox/intakeState.js';
import { MailboxIntake } from './mailbox/mailboxIntake.js';
import { MailboxLease } from './mailbox/mailboxLease.js';
import { ByteBudget, RawMailStore } from './mailbox/rawMailStore.js';
import { createRefiler } from './mailbox/refileCase.js';
import { RefileRequests } from './mailbox/refileRequests.js';
import { loadReplyTemplates } from './replies/renderReply.js';
import { ReplyLock } from './replies/replyLock.js';
import { ReplyRateLimit } from './replies/replyRateLimit.js';
import { createReplyScheduler, createReplySender, type ReplyEvents } from './replies/sendReply.js';
import { createSmtpTransport, type MailTransport } from './replies/smtpTransport.js';
import { BackfillWindows } from './triage/backfillWindows.js';
import { createTriageProcessor } from './triage/triageMail.js';
import { createSenderVerifier } from './triage/verifySender.js';
import { Metrics } from './web/metrics.js';

export interface ServiceOptions {
  /** Serve the dashboard, API, metrics and health on config.http. */
  web?: boolean;
  /** Run the mailbox intake (IMAP). */
  intake?: boolean;
  /** Run the triage and reply workers. */
  workers?: boolean;
  /** Worker module of the isolated analyzer (tests replace it with a misbehaving one). */
  analysisWorkerFile?: string;
  replyEvents?: ReplyEvents;
  /** The local demo (its own Dovecot and SMTP sink): sender verification is not required. */
  localDemo?: boolean;
}

export interface Service {
  config: Config;
  caseStore: CaseStore;
  queues: {
    triage: Queue<TriageJobData>;
    priority: Queue<WorkItem>;
    standard: Queue<WorkItem>;
    notify: Queue<NotifyJobData>;
  };
  intakes: MailboxIntake[];
  metrics: Metrics;
  /** The fail-fast Redis connection, for operator commands. */
  redis: Redis;
  /** The dashboard's address, when the web is served. */
  webUrl: string | null;
  /** Drains in-flight jobs and closes every connection, within config.shutdownTimeoutMs. */
  stop(): Promise<void>;
}

/**
 * The composition root of the pipeline: Redis, queues, mailbox intakes and
 * triage workers. Throws before starting anything when Redis cannot keep
 * queued mail safely.
 */
/** One message per 1000/rate ms up to 100/s; above, a tenth of the rate every 100 ms. */
export function outboundLimiter(perSecond: number): { max: number; duration: number } {
  return perSecond <= 100
    ? { max: 1, duration: Math.floor(1000 / perSecond) }
    : { max: Math.ceil(perSecond / 10), duration: 100 };
}

export async function startService(
  config: Config,
  log: Logger,
  options: ServiceOptions = {},
): Promise<Service> {
  if (config.replies.mode === 'live' && !config.smtp.host && options.workers !== false) {
    throw new Error(
      'REPLY_MODE vaut live mais SMTP_HOST n’est pas défini : définissez SMTP_HOST, ou REPLY_MODE=shadow pour garder les réponses sans les envoyer.',
    );
  }
  if (options.workers !== false) {
    const problem = senderVerificationProblem(config, options.localDemo ?? false);
    if (problem) throw new ConfigError(problem);
  }
  // Fail on a broken template now, not on the first reply.
  const templates = loadReplyTemplates(config.replies.templatesDir, config.replies.signature);
  const producer = createRedis(config.redis.url, 'producer');
  producer.on('error', (err) =>
    log.warn({ event: 'redis.error', reason: err.message }, 'Redis connection error'),
  );
  const workerRedis = createRedis(config.redis.url, 'worker');
  workerRedis.on('error', () => {});
  try {
    await producer.ping();
  } catch (cause) {
    producer.disconnect();
    workerRedis.disconnect();
    throw new Error(
      `Redis ne répond pas à ${config.redis.url.replace(/\/\/[^@]*@/, '//')} : démarrez-le (redis-server) ou définissez REDIS_URL.`,
      { cause },
    );
  }
  try {
    await assertNoEviction(producer);
  } catch (err) {
    producer.disconnect();
    workerRedis.disconnect();
    throw err;
  }

  const prefix = config.redis.prefix;
  const retentionMs = config.cases.retentionDays * 86_400_000;
  const caseStore = new CaseStore(producer, prefix, retentionMs, { log });
  // The store's first start, kept: filed mail older than that is not checked for a case.
  await caseStore.storeEpoch();
  const rawMail = new RawMailStore(producer, prefix);
  const refiles = new RefileRequests(producer, prefix);
  const queues = {
    triage: new Queue<TriageJobData>(QUEUE.triage, { connection: producer, prefix }),
    priority: new Queue<WorkItem>(QUEUE.priority, { connection: producer, prefix }),
    standard: new Queue<WorkItem>(QUEUE.standard, { connection: producer, prefix }),
    notify: new Queue<NotifyJobData>(QUEUE.notify, { connection: producer, prefix }),
  };
  for (const q of Object.values(queues)) q.on('error', () => {});

  const metrics = new Metrics();
  const workers: Worker[] = [];
  // A job whose worker stops renewing its lock (crash, Redis away) goes back to the queue.
  const workerBase = {
    connection: workerRedis,
    prefix,
    lockDuration: config.triage.lockDurationMs,
    stalledInterval: Math.max(1000, Math.floor(config.triage.lockDurationMs / 2)),
  };
  let isolated: IsolatedAnalyzer | null = null;
  let transport: MailTransport | null = null;
  if (options.workers !== false) {
    if (config.replies.mode === 'live') transport = createSmtpTransport(config.smtp);
    const sendReply = createReplySender({
      config,
      caseStore,
      templates,
      rateLimit: new ReplyRateLimit(producer, prefix, config.replies),
      lock: new ReplyLock(producer, prefix, 15_000),
      transport,
      log,
      events: {
        onOutcome(outcome, reason, record) {
          metrics.replied(outcome, reason, record);
          options.replyEvents?.onOutcome?.(outcome, reason, record);
        },
        onDeferred(reason, record) {
          metrics.replyDeferred(reason);
          options.replyEvents?.onDeferred?.(reason, record);
        },
      },
    });
    const notifyWorker = new Worker<NotifyJobData>(QUEUE.notify, sendReply, {
      ...workerBase,
      concurrency: config.replies.concurrency,
      settings: {
        backoffStrategy: (attemptsMade: number) => notifyBackoff(attemptsMade, config.replies.retryBaseMs),
      },
      // The outbound rate limit, shared by every replica through Redis, in short
      // windows so that no one second holds more than the limit and one window.
      limiter: outboundLimiter(config.smtp.maxMessagesPerSecond),
      maxStalledCount: 100,
    });
    notifyWorker.on('error', (err) => log.warn({ event: 'reply.worker_error', reason: err.message }));
    metrics.countDeadLetters(notifyWorker, QUEUE.notify);
    workers.push(notifyWorker);

    if (config.analysis.isolate) {
      isolated = createIsolatedAnalyzer(analyzerSettings(config), {
        threads: Math.max(1, Math.min(config.analysis.threads, availableParallelism())),
        hardTimeLimitMs: config.analysis.hardTimeLimitMs,
        maxHeapMb: config.analysis.workerMaxHeapMb,
        workerFile: options.analysisWorkerFile,
      });
    }
    // In-process analysis loads the parser here; isolated analysis only in its thread.
    const analyze =
      isolated?.analyze ??
      (await import('./analysis/analyzeMail.js')).createAnalyzer(analyzerSettings(config));
    const processor = createTriageProcessor({
      analyze,
      caseStore,
      workQueues: { priority: queues.priority, standard: queues.standard },
      replies: createReplyScheduler(queues.notify, config.replies.mode),
      config,
      log,
      events: { onTriaged: (record, mail) => metrics.triaged(record, mail) },
      refile: createRefiler(caseStore, refiles),
      backfill: new BackfillWindows(producer, prefix),
      rawMail,
      // One of the largest mails at a time (small ones still flow beside it).
      budget: new ByteBudget(Math.max(32 * 1024 * 1024, config.intake.maxDownloadBytes + 1024 * 1024)),
      verifySender:
        config.senderVerification.mode === 'mailauth'
          ? createSenderVerifier({ trustReceived: config.senderVerification.trustReceived })
          : null,
    });
    const worker = new Worker<TriageJobData>(QUEUE.triage, processor, {
      ...workerBase,
      concurrency: config.triage.concurrency,
      // A crash-looping host must not turn a mail into a failed job: it waits in INBOX for triage.
      maxStalledCount: 100,
      settings: { backoffStrategy: (attemptsMade: number) => triageBackoff(attemptsMade) },
    });
    worker.on('error', (err) =>
      log.warn({ event: 'triage.worker_error', reason: err.message }, 'triage worker error'),
    );
    worker.on('failed', (job, err) =>
      log.error({
        event: 'triage.job_failed',
        jobId: job?.id,
        attempts: job?.attemptsMade,
        reason: err.message,
      }),
    );
    metrics.countDeadLetters(worker, QUEUE.triage);
    workers.push(worker);
  }

  const state = new IntakeStateStore(producer, prefix);
  const leaseKey = redisKeys(prefix).lease;
  const intakes: MailboxIntake[] = [];
  const intakeOf = new Map<string, MailboxIntake>();
  if (options.intake !== false) {
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    for (const mailbox of config.mailboxes) {
      const intake = new MailboxIntake({
        config,
        mailbox,
        createClient: () => createImapClient(config.imap, config.intake.socketTimeoutMs),
        triageQueue: queues.triage,
        caseStore,
        state,
        lease: new MailboxLease(producer, leaseKey(mailbox.id), owner, config.intake.leaseTtlMs),
        rawMail,
        refiles,
        log,
      });
      intakes.push(intake);
      intakeOf.set(mailbox.id, intake);
      intake.start();
    }
  }

  // Health, shared by /readyz and the connection gauges. The mailbox counts as
  // reachable when some replica checked it recently: only one holds its lease.
  const staleAfterSeconds = (3 * config.intake.reconcileIntervalMs) / 1000;
  const intakeAges = async () => {
    const at = Date.now();
    const ages: Record<string, number | null> = {};
    for (const m of config.mailboxes) {
      const last = await state.lastCheckAt(m.id);
      ages[m.id] = last ? Math.round((at - last.getTime()) / 1000) : null;
    }
    return ages;
  };
  let smtpVerified: { at: number; ok: boolean } = { at: 0, ok: false };
  const verifier =
    transport ??
    (config.replies.mode === 'live' && config.smtp.host ? createSmtpTransport(config.smtp) : null);
  const health = {
    redis: async () => (await producer.ping()) === 'PONG',
    imap: async () => Object.values(await intakeAges()).every((a) => a !== null && a <= staleAfterSeconds),
    smtp: async () => {
      if (!verifier) return true;
      if (Date.now() - smtpVerified.at > 30_000) {
        const ok = await Promise.race([
          verifier.verify().then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref()),
        ]);
        smtpVerified = { at: Date.now(), ok };
      }
      return smtpVerified.ok;
    },
    intakeAges,
  };
  metrics.watch({
    queues,
    openCases: async () => {
      const refs = [
        ...(await caseStore.openRefs('priority', 0, 100_000)),
        ...(await caseStore.openRefs('standard', 0, 100_000)),
      ];
      const at = Date.now();
      let overdue = 0;
      for (let i = 0; i < refs.length; i += 500) {
        for (const c of await caseStore.getMany(refs.slice(i, i + 500))) {
          if (c.sla && new Date(c.sla.dueAt).getTime() < at) overdue++;
        }
      }
      return { open: refs.length, overdue };
    },
    secondsSinceLastCheck: intakeAges,
    staleAfterSeconds,
    leaseHeld: async () => {
      const held: Record<string, boolean> = {};
      for (const m of config.mailboxes) held[m.id] = (await producer.exists(leaseKey(m.id))) === 1;
      return held;
    },
    activeIntakes: () => Object.fromEntries([...intakeOf].map(([id, i]) => [id, i.active])),
    connections: async () => ({
      redis: producer.status === 'ready',
      imap: await health.imap().catch(() => false),
      smtp: await health.smtp().catch(() => false),
    }),
  });

  let web: import('fastify').FastifyInstance | null = null;
  let webUrl: string | null = null;
  if (options.web) {
    // Loaded only when served: Fastify and Bull Board stay out of worker-only processes.
    const { createWebServer } = await import('./web/webServer.js');
    web = await createWebServer({ config, caseStore, queues, metrics, health, redis: producer, log });
    try {
      webUrl = await web.listen({ host: config.http.host, port: config.http.port });
    } catch (cause) {
      await Promise.all(Object.values(queues).map((q) => q.close().catch(() => {})));
      await Promise.all(workers.map((w) => w.close(true).catch(() => {})));
      await Promise.all(intakes.map((i) => i.stop().catch(() => {})));
      producer.disconnect();
      workerRedis.disconnect();
      throw new Error(
        `le tableau de bord ne peut pas écouter sur ${config.http.host}:${config.http.port} (${(cause as Error).message}) : choisissez un port libre avec HTTP_PORT, ou lancez avec --no-web`,
        { cause },
      );
    }
    log.info({ event: 'web.listening', url: webUrl }, 'dashboard listening');
  }

  // Retention: case keys expire by themselves; their index entries and the work
  // items of cases nobody marked handled go with them.
  const maintenance = setInterval(
    () => {
      const before = Date.now() - retentionMs;
      void caseStore.pruneIndexes(new Date()).catch(() => {});
      for (const q of [queues.priority, queues.standard])
        void q.clean(retentionMs, 1000, 'wait').catch(() => {});
      log.debug({ event: 'service.maintenance', before: new Date(before).toISOString() });
    },
    60 * 60 * 1000,
  );
  maintenance.unref();
  // Cases this process wrote lately and Redis lost (restart from an older AOF,
  // failover to a late replica) are written back with their own reference.
  const journalCheck = setInterval(() => {
    void caseStore.restoreVanished().catch(() => {});
  }, JOURNAL_CHECK_MS);
  journalCheck.unref();

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      log.info({ event: 'service.stopping' }, 'stopping: draining in-flight jobs');
      clearInterval(maintenance);
      clearInterval(journalCheck);
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      const graceful = (async () => {
        await web?.close();
        await Promise.all(intakes.map((i) => i.stop()));
        await Promise.all(workers.map((w) => w.close()));
        await Promise.all(Object.values(queues).map((q) => q.close()));
      })();
      await Promise.race([graceful, deadline]);
      await Promise.all(workers.map((w) => w.close(true).catch(() => {})));
      await isolated?.close().catch(() => {});
      transport?.close();
      if (verifier !== transport) verifier?.close();
      producer.disconnect();
      workerRedis.disconnect();
      log.info({ event: 'service.stopped' }, 'stopped');
    })();
    return stopping;
  };

  log.info(
    {
      event: 'service.started',
      mailboxes: config.mailboxes.map((m) => m.id),
      concurrency: config.triage.concurrency,
    },
    'cdap-triage started',
  );
  return { config, caseStore, queues, intakes, metrics, redis: producer, webUrl, stop };
}
