import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DelayedError, type Job, type Queue, UnrecoverableError } from 'bullmq';
import { LOOP_HEADER } from '../analysis/classifyKind.js';
import { domainAllowed } from '../analysis/identifySender.js';
import { maskPersonalData } from '../analysis/maskPersonalData.js';
import type { CaseRecord, ReplyOutcome, ReplyReason, ReplyState } from '../cases/caseRecord.js';
import type { CaseStore } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import { isPermanent, mayHaveBeenDelivered } from '../infra/errors.js';
import { failpoint } from '../infra/failpoint.js';
import { type NotifyJobData, notifyJobOptions } from '../infra/queues.js';
import { type Logger, maskAddress } from '../log.js';
import type { ReplyScheduler } from '../triage/triageMail.js';
import { composeReply, formatMailbox } from './composeReply.js';
import type { ReplyTemplates } from './renderReply.js';
import { ReplyBusyError, type ReplyLock } from './replyLock.js';
import type { DeferringLimit, ReplyRateLimit } from './replyRateLimit.js';
import type { MailTransport } from './smtpTransport.js';

/** One plain `local@domain`: no list, group, comment, display name or space. */
export function isOneMailbox(address: string): boolean {
  return /^[^\s@,;:<>()[\]"\\]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i.test(
    address,
  );
}

/** The bare address of a From header value such as `CAF <partenaires@caf35.fr>`. */
function envelopeFrom(from: string): string {
  return /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(from)?.[1] ?? from.trim();
}

export interface ReplyEvents {
  onOutcome?(outcome: ReplyOutcome, reason: ReplyReason | null, record: CaseRecord): void;
  /** A reply put off by a per-recipient rate limit, to be sent later. */
  onDeferred?(limit: DeferringLimit, record: CaseRecord): void;
}

/** Our Message-ID for a case's reply: fixed, so a retry is the same message and follow-ups find the case. */
export function replyMessageId(ref: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'cdap-triage.invalid';
  return `<${ref}.ack@${domain}>`;
}

/**
 * How long a process remembers the replies it sent: longer than a database
 * outage the sender waits out to record the outcome, so that a
 * reply whose record was lost is not sent a second time by this process.
 */
const SENT_MEMORY_MS = 10 * 60_000;

/** Adds the reply job of a case; its id is the case reference, so it is added once. */
export function createReplyScheduler(
  queue: Queue<NotifyJobData>,
  mode: Config['replies']['mode'],
): ReplyScheduler {
  return {
    async schedule(record, inReplyTo) {
      if (mode === 'off') return;
      await queue.add(
        'reply',
        { ref: record.ref, inReplyTo: inReplyTo ?? null },
        notifyJobOptions(record.ref, record.urgent),
      );
    },
  };
}

export interface SendReplyDeps {
  config: Pick<Config, 'replies' | 'allowedDomains' | 'redis'>;
  caseStore: CaseStore;
  templates: ReplyTemplates;
  rateLimit: ReplyRateLimit;
  lock: ReplyLock;
  /** null in shadow mode. */
  transport: MailTransport | null;
  log: Logger;
  events?: ReplyEvents;
  now?: () => Date;
}

/**
 * Sends the one reply of a case. Idempotent: the outcome is written on the
 * case, and a job that finds it there does nothing. The one ambiguous moment —
 * the server accepted the mail and the process died before writing so — ends
 * in a second send of the same message (same Message-ID), never in none.
 */
export function createReplySender(deps: SendReplyDeps) {
  const now = deps.now ?? (() => new Date());
  /** Replies this process sent lately (a Map keeps insertion order: oldest first). */
  const sentHere = new Map<string, number>();
  const rememberSent = (ref: string) => {
    const forgetBefore = Date.now() - SENT_MEMORY_MS;
    for (const [r, at] of sentHere) {
      if (at >= forgetBefore && sentHere.size < 50_000) break;
      sentHere.delete(r);
    }
    sentHere.set(ref, Date.now());
  };
  // The From header, written once: the configured sender does not change.
  const sender = formatMailbox(deps.config.replies.from);
  const { outboxDir } = deps.config.replies;

  /**
   * Writes the outcome, retrying while the database is away: once a reply was sent,
   * failing here would make the job run again and send it twice.
   */
  async function record(ref: string, state: ReplyState): Promise<void> {
    const deadline = Date.now() + 10 * 60_000;
    for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await deps.caseStore.setReplyState(ref, state);
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async function settle(
    c: CaseRecord,
    outcome: ReplyOutcome,
    reason: ReplyReason | null,
    extra: Partial<ReplyState> = {},
  ) {
    await record(c.ref, {
      status: outcome,
      reasonCode: reason?.code ?? null,
      reason: reason?.detail ?? null,
      at: now().toISOString(),
      messageId: extra.messageId ?? null,
      text: extra.text ?? null,
    });
    deps.events?.onOutcome?.(outcome, reason, c);
    // A reply failed for good is the last attempt of its job: someone must look (CdapRepliesFailing).
    deps.log[outcome === 'failed' ? 'error' : 'info'](
      {
        event: `reply.${outcome}`,
        ref: c.ref,
        reason: reason?.code ?? null,
        detail: reason?.detail ?? undefined,
        recipient: maskAddress(c.replyTo),
      },
      `reply ${outcome}`,
    );
  }

  return async function sendReply(job: Job<NotifyJobData>, jobToken?: string): Promise<ReplyOutcome> {
    const token = await deps.lock.acquire(job.data.ref);
    // Another execution of this job still runs: try again later (a retry, not a failure).
    if (!token) throw new ReplyBusyError(`reply ${job.data.ref} is being sent by another worker`);
    // Kept alive while we work, so that after a crash it frees itself within one TTL.
    const heartbeat = setInterval(
      () => void deps.lock.extend(job.data.ref, token).catch(() => {}),
      Math.floor(deps.lock.ttlMs / 3),
    );
    try {
      return await sendOnce(job, token, jobToken);
    } finally {
      clearInterval(heartbeat);
      await deps.lock.release(job.data.ref, token).catch(() => {});
    }
  };

  async function sendOnce(job: Job<NotifyJobData>, token: string, jobToken?: string): Promise<ReplyOutcome> {
    // Sent by this process a moment ago: either its record still waits for the database
    // (BullMQ handed the job out again meanwhile), or the store lost the
    // record (restored from an older copy). It went; do not send it twice.
    const sentAt = sentHere.get(job.data.ref);
    if (sentAt !== undefined) {
      const state = await deps.caseStore.getReplyState(job.data.ref).catch(() => null);
      if (state?.status !== 'sent') {
        await record(job.data.ref, {
          status: 'sent',
          reasonCode: null,
          reason: null,
          at: new Date(sentAt).toISOString(),
          messageId: replyMessageId(job.data.ref, deps.config.replies.from),
          text: state?.text ?? null,
        });
      }
      return 'sent';
    }
    const c = await deps.caseStore.get(job.data.ref);
    if (!c) return 'suppressed'; // expired after retention
    const done = c.replyState;
    // 'pending' means a send started and its end was never recorded: the one
    // ambiguous case, answered by sending the same message again — once the
    // sender has had time to record it (it may be waiting out a database outage).
    if (done && done.status !== 'pending') return done.status;
    if (done?.at && now().getTime() - new Date(done.at).getTime() < deps.config.replies.pendingGraceMs) {
      throw new ReplyBusyError(`reply ${c.ref} was being sent a moment ago; checking again later`);
    }

    if (c.reply === 'none' || c.replySuppressed) {
      await settle(c, 'suppressed', { code: c.replySuppressed ?? 'no-reply-decided' });
      return 'suppressed';
    }
    const to = c.replyTo;
    // Checked again here, whatever the analyzer said: a list or a group in one
    // string would be split into several recipients by the mailer.
    if (!to || !isOneMailbox(to) || !domainAllowed(to, deps.config.allowedDomains)) {
      await settle(c, 'suppressed', { code: 'recipient-not-allowed' });
      return 'suppressed';
    }
    let rendered: ReturnType<ReplyTemplates['render']>;
    try {
      rendered = deps.templates.render(c);
    } catch (err) {
      // A template mistake will not fix itself: fail, visibly, instead of retrying for a day.
      await settle(c, 'failed', { code: 'template', detail: (err as Error).message.slice(0, 200) });
      throw new UnrecoverableError(`reply ${c.ref}: template error: ${(err as Error).message}`);
    }
    // Only mail that does not read as a request can be a loop: a partner's mail
    // with the form's headings or the urgency keyword is never dropped, at most deferred.
    // (The form robot writes the same subject on every mail: it says nothing either.)
    const requestShaped = c.urgent || c.lint.filter((f) => f.rule === 'rubric-missing').length < 4;
    const topic =
      c.kind === 'cdap-form' || requestShaped
        ? null
        : (c.subject ?? '').replace(/^(?:\s*(?:re|tr|fwd?)\s*:\s*)+/i, '');
    const admitted = await deps.rateLimit.admit(c.ref, to, topic, now());
    if (!admitted.ok && admitted.final) {
      deps.log.warn({
        event: 'reply.rate_limited',
        ref: c.ref,
        limit: admitted.limit,
        recipient: maskAddress(to),
      });
      await settle(c, 'suppressed', { code: 'rate-limited', detail: admitted.limit });
      return 'suppressed';
    }
    if (!admitted.ok) {
      // A busy address, not a loop: the acknowledgement waits for the next window.
      deps.log.warn(
        {
          event: 'reply.deferred',
          ref: c.ref,
          limit: admitted.limit,
          until: admitted.retryAt.toISOString(),
          recipient: maskAddress(to),
        },
        'reply deferred by the per-address limit',
      );
      deps.events?.onDeferred?.(admitted.limit, c);
      if (!jobToken)
        throw new ReplyBusyError(`reply ${c.ref} deferred until ${admitted.retryAt.toISOString()}`);
      await job.moveToDelayed(admitted.retryAt.getTime(), jobToken);
      throw new DelayedError();
    }

    const messageId = replyMessageId(c.ref, deps.config.replies.from);
    const inReplyTo = job.data.inReplyTo ?? null;
    const raw = composeReply(
      {
        from: deps.config.replies.from,
        to,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        messageId,
        inReplyTo: inReplyTo ?? undefined,
        references: inReplyTo ? [inReplyTo] : undefined,
        headers: {
          // RFC 3834: an automatic answer; Exchange: send no out-of-office back; ours: loop guard.
          'Auto-Submitted': 'auto-replied',
          'X-Auto-Response-Suppress': 'All',
          [LOOP_HEADER]: c.ref,
        },
      },
      sender,
      now(),
    );
    // The envelope names the one recipient: nothing in a header can add another.
    const message = { envelope: { from: envelopeFrom(deps.config.replies.from), to: [to] }, raw };

    if (deps.config.replies.mode === 'shadow' || !deps.transport) {
      await mkdir(outboxDir, { recursive: true });
      await writeFile(join(outboxDir, `${c.ref}.eml`), raw);
      await settle(c, 'shadow', null, { messageId, text: rendered.text });
      return 'shadow';
    }

    const ageHours = (now().getTime() - job.timestamp) / 3_600_000;
    try {
      await record(c.ref, {
        status: 'pending',
        reasonCode: 'sending',
        reason: null,
        at: now().toISOString(),
        messageId,
        text: null,
        uncertainSends: done?.uncertainSends ?? 0,
      });
      // Still ours after the write (which may have waited out a Redis outage)? If not, another
      // worker took over and must be the only one to send.
      if (!(await deps.lock.extend(c.ref, token))) {
        throw new ReplyBusyError(
          `reply ${c.ref}: lock lost while waiting for Redis, another worker took over`,
        );
      }
      await deps.transport.sendMail(message);
      rememberSent(c.ref);
      failpoint('reply.after-smtp-accepted');
    } catch (err) {
      if (err instanceof ReplyBusyError) throw err;
      const e = err as { responseCode?: number; code?: string; message?: string };
      const serverCode = String(e.responseCode ?? e.code ?? 'error');
      // Server answers often quote the recipient address: masked before it is stored or logged.
      const reason = maskPersonalData(`${serverCode}: ${(e.message ?? '').slice(0, 200)}`);
      if (isPermanent(err, 'smtp') || ageHours >= deps.config.replies.maxRetryHours) {
        await settle(c, 'failed', { code: 'refused', detail: reason, serverCode });
        throw new UnrecoverableError(`reply ${c.ref} refused: ${reason}`);
      }
      // A connection lost once the message was on its way may have delivered it:
      // one more try, never more, so a relay that always drops makes two copies, not ten.
      const uncertainSends = (done?.uncertainSends ?? 0) + (mayHaveBeenDelivered(err) ? 1 : 0);
      if (uncertainSends >= 2) {
        await settle(c, 'failed', { code: 'uncertain', detail: reason, serverCode });
        throw new UnrecoverableError(`reply ${c.ref}: connection lost twice after sending, not tried again`);
      }
      // Nothing was sent (or one uncertain copy): the retry needs no grace period.
      await record(c.ref, {
        status: 'pending',
        reasonCode: 'retry',
        reason,
        at: null,
        messageId,
        text: null,
        uncertainSends,
      });
      deps.log.warn(
        { event: 'reply.retry', ref: c.ref, attempt: job.attemptsMade + 1, reason },
        'reply will be retried',
      );
      throw err;
    }
    await settle(c, 'sent', null, { messageId, text: rendered.text });
    return 'sent';
  }
}
