import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { AnswerWatcher } from './answers/answerWatcher.js';
import { AnswerWatchMark } from './answers/answerWatchMark.js';
import { checkAnswerPractices } from './answers/checkAnswerPractices.js';
import { CaseStore } from './cases/caseStore.js';
import { startMaintenance } from './cases/maintenance.js';
import { CaseOutbox, startOutboxSweep } from './cases/outbox.js';
import { deleteExpiredCases } from './cases/retention.js';
import { assertServiceConfig } from './config/checkServiceConfig.js';
import type { Config } from './config/schema.js';
import { type Database, openDatabase } from './infra/database.js';
import { createQueues, type Queues } from './infra/queues.js';
import { connectRedis } from './infra/redis.js';
import { redisKeys } from './infra/redisKeys.js';
import type { Logger } from './log.js';
import { createImapClient } from './mailbox/imapClient.js';
import { IntakeStateStore } from './mailbox/intakeState.js';
import { MailboxIntake } from './mailbox/mailboxIntake.js';
import { MailboxLease } from './mailbox/mailboxLease.js';
import { RawMailStore } from './mailbox/rawMailStore.js';
import { RefileRequests } from './mailbox/refileRequests.js';
import { loadReplyTemplates } from './replies/renderReply.js';
import { createReplyScheduler, type ReplyEvents } from './replies/sendReply.js';
import { enqueueWork, syncWork } from './triage/enqueueWork.js';
import { createHealth } from './web/health.js';
import { metricSources } from './web/metricSources.js';
import { Metrics } from './web/metrics.js';
import { startWorkers, type Workers } from './workers.js';

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
  /** The store of record (PostgreSQL). */
  db: Database;
  queues: Queues;
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
 * The composition root of the pipeline: Redis, queues, mailbox intakes,
 * workers, maintenance and the web. Throws before starting anything when the
 * configuration cannot run or Redis cannot keep queued mail safely.
 */
export async function startService(
  config: Config,
  log: Logger,
  options: ServiceOptions = {},
): Promise<Service> {
  assertServiceConfig(config, { workers: options.workers !== false, localDemo: options.localDemo ?? false });
  // Fail on a broken template now, not on the first reply.
  const templates = loadReplyTemplates(config.replies.templatesDir, config.replies.signature);
  const db = await openDatabase(config.database, log);
  const { producer, worker: workerRedis } = await connectRedis(config.redis.url, log).catch(
    async (err: unknown) => {
      await db.destroy();
      throw err;
    },
  );

  if (!config.cases.familyKeySecret) {
    log.warn(
      { event: 'service.no_family_key' },
      'CDAP_FAMILY_KEY is not set: cases are not linked to their family history',
    );
  }
  const prefix = config.redis.prefix;
  const retentionMs = config.cases.retentionDays * 86_400_000;
  const caseStore = new CaseStore(db, { log, sla: config.cases });
  // The store's first start, kept: filed mail older than that is not checked for a case.
  await caseStore.storeEpoch();
  const rawMail = new RawMailStore(producer, prefix);
  const refiles = new RefileRequests(producer, prefix);
  const queues = createQueues(producer, prefix);
  const metrics = new Metrics();
  const outbox = new CaseOutbox(
    db,
    caseStore,
    {
      enqueueWork: (record) => enqueueWork(queues, record, config.cases.retentionDays),
      scheduleReply:
        config.replies.mode === 'off'
          ? null
          : createReplyScheduler(queues.notify, config.replies.mode).schedule,
    },
    log,
  );
  // What most parts need: handed to each as it is.
  const core = { config, log, caseStore, db, outbox, queues, metrics, redis: producer };
  const workers: Workers | null =
    options.workers === false
      ? null
      : await startWorkers({ ...core, ...options, rawMail, refiles, templates, workerRedis });

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

  const answerWatcher =
    options.intake !== false && config.answers.watch
      ? new AnswerWatcher({
          config,
          createClient: () => createImapClient(config.imap, config.intake.socketTimeoutMs),
          caseStore,
          db,
          lease: new MailboxLease(
            producer,
            redisKeys(prefix).answersLease,
            `${hostname()}:${process.pid}:answers`,
            config.intake.leaseTtlMs,
          ),
          checkAnswer: checkAnswerPractices,
          mark: new AnswerWatchMark(db, producer, prefix),
          onAnswer: async (answer, settled) => {
            metrics.answered(answer.channel, settled, answer.findings);
            await syncWork(queues, settled, config.cases.retentionDays);
          },
          log,
        })
      : null;
  answerWatcher?.start();

  const health = createHealth({ ...core, state, transport: workers?.transport ?? null });
  metrics.watch(metricSources({ ...core, health, intakes: intakeOf }));
  const workQueues = [queues.priority, queues.standard];
  const onFailure = metrics.maintenanceFailed.bind(metrics);
  const maintenance = startMaintenance({
    ...core,
    deleteExpired: (before) => deleteExpiredCases(db, before),
    closeAnswered: async (before) => {
      const closed = await caseStore.closeAnsweredBefore(before, new Date());
      return closed.length;
    },
    autoCloseMs: config.answers.autoCloseDays * 86_400_000,
    workQueues,
    retentionMs,
    onFailure,
  });
  const redisRunId = async () => /^run_id:(\w+)/m.exec(await producer.info('server'))?.[1] ?? 'unknown';
  const sweep =
    options.workers === false
      ? null
      : startOutboxSweep(outbox, redisRunId, log, config.cases.outboxSweepMs, () =>
          metrics.maintenanceFailed('outbox-sweep'),
        );

  let web: FastifyInstance | null = null;
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      log.info({ event: 'service.stopping' }, 'stopping: draining in-flight jobs');
      maintenance.stop();
      sweep?.stop();
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      const graceful = (async () => {
        await web?.close();
        await Promise.all([...intakes.map((i) => i.stop()), answerWatcher?.stop()]);
        await workers?.drain();
        await Promise.all(Object.values(queues).map((q) => q.close()));
      })();
      await Promise.race([graceful, deadline]);
      await workers?.close();
      health.close();
      for (const connection of [producer, workerRedis]) connection.disconnect();
      await db.destroy().catch(() => {});
      log.info({ event: 'service.stopped' }, 'stopped');
    })();
    return stopping;
  };

  let webUrl: string | null = null;
  if (options.web) {
    // Loaded only when served: Fastify and Bull Board stay out of worker-only processes.
    const { serveWeb } = await import('./web/webServer.js');
    ({ app: web, url: webUrl } = await serveWeb({ ...core, health }).catch(async (err: unknown) => {
      await stop();
      throw err;
    }));
  }

  const mailboxes = config.mailboxes.map((m) => m.id);
  log.info({ event: 'service.started', mailboxes, concurrency: config.triage.concurrency }, 'started');
  return { config, caseStore, db, queues, intakes, metrics, redis: producer, webUrl, stop };
}
