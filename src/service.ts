import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, Worker } from 'bullmq';
import { analyzerSettings, createAnalyzer } from './analysis/index.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { createImapClient } from './mailbox/imapClient.js';
import { IntakeStateStore } from './mailbox/intakeState.js';
import { MailboxIntake } from './mailbox/mailboxIntake.js';
import { MailboxLease } from './mailbox/mailboxLease.js';
import type { TriageJobData } from './mailbox/triageJob.js';
import { loadReplyTemplates } from './replies/renderReply.js';
import { ReplyRateLimit } from './replies/replyRateLimit.js';
import {
  createReplyScheduler,
  createReplySender,
  type NotifyJobData,
  notifyBackoff,
  type ReplyEvents,
} from './replies/sendReply.js';
import { createSmtpTransport, type MailTransport } from './replies/smtpTransport.js';
import { CaseStore } from './routing/caseStore.js';
import { QUEUE } from './routing/queueNames.js';
import { assertNoEviction, createRedis } from './routing/redisConnections.js';
import { createTriageProcessor, type WorkItem } from './routing/triageMail.js';

export interface ServiceOptions {
  /** Run the mailbox intake (IMAP). */
  intake?: boolean;
  /** Run the triage and reply workers. */
  workers?: boolean;
  replyEvents?: ReplyEvents;
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
  /** Drains in-flight jobs and closes every connection, within config.shutdownTimeoutMs. */
  stop(): Promise<void>;
}

/**
 * The composition root of the pipeline: Redis, queues, mailbox intakes and
 * triage workers. Throws before starting anything when Redis cannot keep
 * queued mail safely.
 */
export async function startService(
  config: Config,
  log: Logger,
  options: ServiceOptions = {},
): Promise<Service> {
  if (config.replies.mode === 'live' && !config.smtp.host && options.workers !== false) {
    throw new Error(
      'REPLY_MODE is live but no SMTP_HOST is set: set SMTP_HOST, or REPLY_MODE=shadow to store replies without sending.',
    );
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
      `Redis does not answer at ${config.redis.url.replace(/\/\/[^@]*@/, '//')}: start it (redis-server) or set REDIS_URL.`,
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
  const caseStore = new CaseStore(producer, prefix, retentionMs);
  const queues = {
    triage: new Queue<TriageJobData>(QUEUE.triage, { connection: producer, prefix }),
    priority: new Queue<WorkItem>(QUEUE.priority, { connection: producer, prefix }),
    standard: new Queue<WorkItem>(QUEUE.standard, { connection: producer, prefix }),
    notify: new Queue<NotifyJobData>(QUEUE.notify, { connection: producer, prefix }),
  };
  for (const q of Object.values(queues)) q.on('error', () => {});

  const workers: Worker[] = [];
  let transport: MailTransport | null = null;
  if (options.workers !== false) {
    if (config.replies.mode === 'live') transport = createSmtpTransport(config.smtp);
    const sendReply = createReplySender({
      config,
      caseStore,
      templates,
      rateLimit: new ReplyRateLimit(producer, prefix, config.replies),
      transport,
      log,
      events: options.replyEvents,
    });
    const notifyWorker = new Worker<NotifyJobData>(QUEUE.notify, sendReply, {
      connection: workerRedis,
      prefix,
      concurrency: config.replies.concurrency,
      lockDuration: config.triage.lockDurationMs,
      stalledInterval: Math.max(1000, Math.floor(config.triage.lockDurationMs / 2)),
      settings: {
        backoffStrategy: (attemptsMade: number) => notifyBackoff(attemptsMade, config.replies.retryBaseMs),
      },
    });
    notifyWorker.on('error', (err) => log.warn({ event: 'reply.worker_error', reason: err.message }));
    workers.push(notifyWorker);

    const analyze = createAnalyzer(analyzerSettings(config));
    const processor = createTriageProcessor({
      analyze,
      caseStore,
      workQueues: { priority: queues.priority, standard: queues.standard },
      replies: createReplyScheduler(queues.notify, config.replies.mode),
      config,
      log,
    });
    const worker = new Worker<TriageJobData>(QUEUE.triage, processor, {
      connection: workerRedis,
      prefix,
      concurrency: config.triage.concurrency,
      lockDuration: config.triage.lockDurationMs,
      stalledInterval: Math.max(1000, Math.floor(config.triage.lockDurationMs / 2)),
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
    workers.push(worker);
  }

  const intakes: MailboxIntake[] = [];
  if (options.intake !== false) {
    const state = new IntakeStateStore(producer, prefix);
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    for (const mailbox of config.mailboxes) {
      const intake = new MailboxIntake({
        config,
        mailbox,
        createClient: () => createImapClient(config.imap),
        triageQueue: queues.triage,
        caseStore,
        state,
        lease: new MailboxLease(producer, `${prefix}:lease:${mailbox.id}`, owner, config.intake.leaseTtlMs),
        log,
      });
      intakes.push(intake);
      intake.start();
    }
  }

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      log.info({ event: 'service.stopping' }, 'stopping: draining in-flight jobs');
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      const graceful = (async () => {
        await Promise.all(intakes.map((i) => i.stop()));
        await Promise.all(workers.map((w) => w.close()));
        await Promise.all(Object.values(queues).map((q) => q.close()));
      })();
      await Promise.race([graceful, deadline]);
      await Promise.all(workers.map((w) => w.close(true).catch(() => {})));
      transport?.close();
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
  return { config, caseStore, queues, intakes, stop };
}
