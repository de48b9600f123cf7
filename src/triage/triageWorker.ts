import { availableParallelism } from 'node:os';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createIsolatedAnalyzer } from '../analysis/isolatedAnalyzer.js';
import { analyzerSettings } from '../analysis/settings.js';
import { AnswerWatchMark } from '../answers/answerWatchMark.js';
import type { CaseStore } from '../cases/caseStore.js';
import type { CaseOutbox } from '../cases/outbox.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../infra/database.js';
import { QUEUE, type Queues, type TriageJobData, triageBackoff } from '../infra/queues.js';
import { Semaphore } from '../infra/semaphore.js';
import { logFailedAttempts, workerOptions } from '../infra/workers.js';
import type { Logger } from '../log.js';
import type { RawMailStore } from '../mailbox/rawMailStore.js';
import { createRefiler } from '../mailbox/refileCase.js';
import type { RefileRequests } from '../mailbox/refileRequests.js';
import { createReplyScheduler } from '../replies/sendReply.js';
import { BackfillWindows } from './backfillWindows.js';
import { createTriageProcessor, type TriageEvents } from './triageMail.js';
import { createSenderVerifier } from './verifySender.js';

/**
 * The triage worker: analysis (in worker threads when analysis.isolate), the
 * case, its work item and its reply job. close() ends the analysis threads,
 * after the worker is closed.
 */
export async function startTriageWorker(deps: {
  config: Config;
  caseStore: CaseStore;
  /** The store of record, for the answer watcher's marks. */
  db: Database;
  outbox: CaseOutbox;
  queues: Queues;
  rawMail: RawMailStore;
  refiles: RefileRequests;
  /** The fail-fast connection, for the backfill windows. */
  redis: Redis;
  /** The waiting connection BullMQ workers need. */
  workerRedis: Redis;
  log: Logger;
  events: TriageEvents;
  /** Worker module of the isolated analyzer (tests replace it with a misbehaving one). */
  analysisWorkerFile?: string;
}): Promise<{ worker: Worker<TriageJobData>; close(): Promise<void> }> {
  const { config, log, queues } = deps;
  const isolated = config.analysis.isolate
    ? createIsolatedAnalyzer(analyzerSettings(config), {
        threads: Math.max(1, Math.min(config.analysis.threads, availableParallelism())),
        hardTimeLimitMs: config.analysis.hardTimeLimitMs,
        maxHeapMb: config.analysis.workerMaxHeapMb,
        workerFile: deps.analysisWorkerFile,
      })
    : null;
  // In-process analysis loads the parser here; isolated analysis only in its thread.
  const analyze =
    isolated?.analyze ??
    (await import('../analysis/analyzeMail.js')).createAnalyzer(analyzerSettings(config));
  const processor = createTriageProcessor({
    analyze,
    caseStore: deps.caseStore,
    workQueues: { priority: queues.priority, standard: queues.standard },
    outbox: deps.outbox,
    // Replies off: no reply intent is written with the case, no reply job is added.
    replies: config.replies.mode === 'off' ? null : createReplyScheduler(queues.notify, config.replies.mode),
    config,
    log,
    events: deps.events,
    refile: createRefiler(deps.caseStore, deps.refiles),
    answers: config.answers.watch
      ? {
          mark: new AnswerWatchMark(deps.db, deps.redis, config.redis.prefix),
          // A few looks' time: past it, the watcher is not running, and the mail is a new request.
          maxWaitMs: Math.max(30_000, 3 * config.answers.pollMs),
        }
      : null,
    backfill: new BackfillWindows(deps.redis, config.redis.prefix),
    rawMail: deps.rawMail,
    // One of the largest mails at a time (small ones still flow beside it).
    budget: new Semaphore(Math.max(32 * 1024 * 1024, config.intake.maxDownloadBytes + 1024 * 1024)),
    verifySender:
      config.senderVerification.mode === 'mailauth'
        ? createSenderVerifier({ trustReceived: config.senderVerification.trustReceived })
        : null,
  });
  const worker = new Worker<TriageJobData>(QUEUE.triage, processor, {
    ...workerOptions(deps.workerRedis, config.redis.prefix, config.triage.lockDurationMs),
    concurrency: config.triage.concurrency,
    // A crash-looping host must not turn a mail into a failed job: it waits in INBOX for triage.
    maxStalledCount: 100,
    settings: { backoffStrategy: (attemptsMade: number) => triageBackoff(attemptsMade) },
  });
  worker.on('error', (err) => log.warn({ event: 'triage.worker_error', err }, 'triage worker error'));
  logFailedAttempts(worker, log, 'triage.job_failed');
  return {
    worker,
    async close() {
      await isolated?.close();
    },
  };
}
