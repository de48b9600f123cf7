import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CaseStore } from './cases/caseStore.js';
import type { CaseOutbox } from './cases/outbox.js';
import type { Config } from './config/schema.js';
import type { Database } from './infra/database.js';
import { QUEUE, type Queues } from './infra/queues.js';
import type { Logger } from './log.js';
import type { RawMailStore } from './mailbox/rawMailStore.js';
import type { RefileRequests } from './mailbox/refileRequests.js';
import type { ReplyTemplates } from './replies/renderReply.js';
import { startReplyWorker } from './replies/replyWorker.js';
import type { ReplyEvents } from './replies/sendReply.js';
import type { MailTransport } from './replies/smtpTransport.js';
import { startTriageWorker } from './triage/triageWorker.js';
import type { Metrics } from './web/metrics.js';

export interface Workers {
  /** The reply worker's SMTP pool (live mode), to verify for /readyz; null otherwise. */
  transport: MailTransport | null;
  /** Lets in-flight jobs end. */
  drain(): Promise<void>;
  /** Stops the workers now (after drain, or when it took too long), then the analysis threads and SMTP. */
  close(): Promise<void>;
}

/** The triage and reply workers of one process, counted in `metrics`. */
export async function startWorkers(deps: {
  config: Config;
  caseStore: CaseStore;
  db: Database;
  outbox: CaseOutbox;
  queues: Queues;
  rawMail: RawMailStore;
  /** Where triage asks the lease holder to move an escalated case's mail. */
  refiles: RefileRequests;
  templates: ReplyTemplates;
  /** The fail-fast connection, and the waiting one BullMQ workers need. */
  redis: Redis;
  workerRedis: Redis;
  log: Logger;
  metrics: Metrics;
  /** Told of every reply outcome besides the metrics (tests). */
  replyEvents?: ReplyEvents;
  analysisWorkerFile?: string;
}): Promise<Workers> {
  const { metrics, replyEvents } = deps;
  const reply = startReplyWorker({
    ...deps,
    events: {
      onOutcome(outcome, reason, record) {
        metrics.replied(outcome, reason, record);
        replyEvents?.onOutcome?.(outcome, reason, record);
      },
      onDeferred(reason, record) {
        metrics.replyDeferred(reason);
        replyEvents?.onDeferred?.(reason, record);
      },
    },
  });
  metrics.countDeadLetters(reply.worker, QUEUE.notify);
  const triage = await startTriageWorker({
    ...deps,
    events: { onTriaged: (record, mail) => metrics.triaged(record, mail) },
  });
  metrics.countDeadLetters(triage.worker, QUEUE.triage);
  const workers: Worker[] = [reply.worker, triage.worker];
  return {
    transport: reply.transport,
    async drain() {
      await Promise.all(workers.map((w) => w.close()));
    },
    async close() {
      await Promise.all(workers.map((w) => w.close(true).catch(() => {})));
      await triage.close().catch(() => {});
      reply.transport?.close();
    },
  };
}
