import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CaseStore } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import { type NotifyJobData, notifyBackoff, QUEUE } from '../infra/queues.js';
import { workerOptions } from '../infra/workers.js';
import type { Logger } from '../log.js';
import type { ReplyTemplates } from './renderReply.js';
import { ReplyLock } from './replyLock.js';
import { ReplyRateLimit } from './replyRateLimit.js';
import { createReplySender, type ReplyEvents } from './sendReply.js';
import { createSmtpTransport, type MailTransport } from './smtpTransport.js';

/** One message per 1000/rate ms up to 100/s; above, a tenth of the rate every 100 ms. */
export function outboundLimiter(perSecond: number): { max: number; duration: number } {
  return perSecond <= 100
    ? { max: 1, duration: Math.floor(1000 / perSecond) }
    : { max: Math.ceil(perSecond / 10), duration: 100 };
}

/**
 * The notify worker: sends (live) or keeps (shadow) each case's one reply.
 * `transport` is its SMTP pool in live mode, null otherwise; the caller closes
 * it after the worker.
 */
export function startReplyWorker(deps: {
  config: Config;
  caseStore: CaseStore;
  templates: ReplyTemplates;
  /** The fail-fast connection, for the rate limit and the reply lock. */
  redis: Redis;
  /** The waiting connection BullMQ workers need. */
  workerRedis: Redis;
  log: Logger;
  events: ReplyEvents;
}): { worker: Worker<NotifyJobData>; transport: MailTransport | null } {
  const { config, log } = deps;
  const prefix = config.redis.prefix;
  const transport = config.replies.mode === 'live' ? createSmtpTransport(config.smtp) : null;
  const sendReply = createReplySender({
    config,
    caseStore: deps.caseStore,
    templates: deps.templates,
    rateLimit: new ReplyRateLimit(deps.redis, prefix, config.replies),
    lock: new ReplyLock(deps.redis, prefix, config.replies.lockTtlMs),
    transport,
    log,
    events: deps.events,
  });
  const worker = new Worker<NotifyJobData>(QUEUE.notify, sendReply, {
    ...workerOptions(deps.workerRedis, prefix, config.triage.lockDurationMs),
    concurrency: config.replies.concurrency,
    settings: {
      backoffStrategy: (attemptsMade: number) => notifyBackoff(attemptsMade, config.replies.retryBaseMs),
    },
    // The outbound rate limit, shared by every replica through Redis, in short
    // windows so that no one second holds more than the limit and one window.
    limiter: outboundLimiter(config.smtp.maxMessagesPerSecond),
    maxStalledCount: 100,
  });
  // sendReply logs each outcome itself (reply.retry at warn, reply.failed at error).
  worker.on('error', (err) => log.warn({ event: 'reply.worker_error', err }, 'reply worker error'));
  return { worker, transport };
}
