import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Analyzer } from '../analysis/analyzeMail.js';
import { carriesLoopHeader } from '../analysis/classifyKind.js';
import { withVerifiedDmarc } from '../analysis/decideRoute.js';
import type { Analysis } from '../analysis/types.js';
import { readHead, unreadable } from '../analysis/unreadable.js';
import type { AnswerWatchMark } from '../answers/answerWatchMark.js';
import { buildCase, type CaseRecord, hashMessageId, type MailRef } from '../cases/caseRecord.js';
import type { CaseStore, CreateOutcome, FolderKey } from '../cases/caseStore.js';
import { familyKeysOf } from '../cases/familyKeys.js';
import { isAwaiting } from '../cases/lifecycle.js';
import type { Config } from '../config/schema.js';
import { failpoint } from '../infra/failpoint.js';
import { type TriageJobData, workItemJobOptions } from '../infra/queues.js';
import type { Semaphore } from '../infra/semaphore.js';
import { formatMegabytes } from '../labels/formats.js';
import type { Logger } from '../log.js';
import type { RawMailStore } from '../mailbox/rawMailStore.js';
import type { BackfillWindows } from './backfillWindows.js';
import { enqueueWork, type WorkQueues, workItem } from './enqueueWork.js';
import {
  applyFollowUp,
  type FollowedReference,
  type FollowUpOutcome,
  followedReference,
  mayFollowUp,
} from './followUp.js';
import type { SenderVerifier } from './verifySender.js';

/** The step after triage that answers the CDAS (the replies stage); absent when replies are off. */
export interface ReplyScheduler {
  /** `inReplyTo`: the mail's Message-ID, to thread the reply (null when the mail's bytes are gone). */
  schedule(record: CaseRecord, inReplyTo?: string | null): Promise<void>;
}

/** Observers of triage, for metrics; they must not throw. */
export interface TriageEvents {
  onTriaged?(record: CaseRecord, mail?: { loopHeader: boolean }): void;
}

export interface TriageDeps {
  analyze: Analyzer;
  caseStore: CaseStore;
  /** Dispatches a new case's intents (work item, reply job) once its transaction is committed. */
  outbox: {
    dispatchCreated(record: CaseRecord, replyIntent: boolean, inReplyTo: string | null): Promise<void>;
  };
  workQueues: WorkQueues;
  replies: ReplyScheduler | null;
  config: Pick<Config, 'cases' | 'intake'>;
  log: Logger;
  /** Large raw mails, stored apart from their job. */
  rawMail?: RawMailStore;
  /**
   * Caps the bytes of mail analysed at once in this process, so that a few
   * 20 MB mails arriving together are taken one after the other, not side by side.
   */
  budget?: Semaphore;
  /** Periods declared by `cdap-triage backfill`: never answered. */
  backfill?: BackfillWindows;
  /** mailauth verification, when the deployment enables it. */
  verifySender?: SenderVerifier | null;
  events?: TriageEvents;
  /**
   * The answer watcher's marks, when it runs: a mail answering an unknown
   * Message-ID waits up to maxWaitMs for a look at the sent folders.
   */
  answers?: { mark: Pick<AnswerWatchMark, 'watchedSince' | 'wake'>; maxWaitMs: number } | null;
  /** Moves a case's own mail to another folder (an escalated follow-up); absent in tests without a mailbox. */
  refile?: (ref: string, folder: FolderKey, flagged: boolean) => Promise<void>;
  now?: () => Date;
}

/** What triage did with a mail: a case opened, recognised (same mail, same bytes), or a follow-up. */
export type TriageOutcome = CreateOutcome['outcome'] | FollowUpOutcome;

/** The triage job's result (BullMQ keeps it as the job's return value). */
export interface TriageResult {
  ref: string;
  outcome: TriageOutcome;
}

/** How long a mail waiting for the answer watcher sleeps between two looks at its mark. */
const ANSWER_WAIT_STEP_MS = 500;

/** The log event of each follow-up outcome. */
const followUpEvents: Record<FollowUpOutcome, string> = {
  'follow-up': 'triage.follow_up',
  escalated: 'triage.escalated',
  reopened: 'triage.reopened',
};

export function folderFor(record: Pick<CaseRecord, 'route' | 'unreadable'>): FolderKey {
  if (record.route === 'standard' && record.unreadable) return 'errors';
  return record.route;
}

/**
 * Too large to download: understood from its headers alone. A partner's
 * request still reaches the technicians — priority when its subject says
 * URGENCE DEFINIE — and the CDAS learns at once how to send documents
 * (sending practice n°6); robots and strangers stay where they belong.
 */
export function oversizeAnalysis(fromHeaders: Analysis | null, size: number, limit: number): Analysis {
  const mo = formatMegabytes(size);
  const reason = `message trop volumineux (${mo}) : non téléchargé, à lire dans la boîte aux lettres`;
  if (!fromHeaders || fromHeaders.unreadable) {
    return { ...unreadable(reason, Buffer.alloc(0)), route: 'standard', routeReason: reason };
  }
  if (fromHeaders.route === 'ignored' || fromHeaders.route === 'quarantine') {
    return { ...fromHeaders, routeReason: `${fromHeaders.routeReason} ; ${reason}` };
  }
  return {
    ...fromHeaders,
    route: fromHeaders.urgent ? 'priority' : 'standard',
    routeReason: reason,
    urgency: fromHeaders.urgent
      ? {
          source: fromHeaders.urgency.source,
          check: null,
          reason: 'Message trop volumineux : l’urgence n’a pas pu être vérifiée sur son texte.',
        }
      : fromHeaders.urgency,
    lint: [
      {
        rule: 'attachments-channel',
        severity: 'warning',
        message: `Votre message (${mo}) dépasse la taille que nous pouvons recevoir (${formatMegabytes(limit)}) : il a été transmis tel quel à un technicien, sans être lu automatiquement. Merci d’envoyer les documents à l’adresse transmettreundocument.caf35@info-caf.fr : en objet, uniquement le numéro d’allocataire ou le numéro de sécurité sociale ; aucun texte dans le message ; 4 à 5 documents au maximum par envoi (bonne pratique n°6).`,
      },
    ],
    reply: 'ack-with-feedback',
  };
}

/**
 * Triage of one mail: analyze, open the case (or recognise the mail as one
 * already seen), put it in the technicians' queue, ask for its filing and
 * its reply. Every step is idempotent, so a retried or re-delivered job
 * never makes a second case, queue entry or reply.
 */
export function createTriageProcessor(deps: TriageDeps) {
  const now = deps.now ?? (() => new Date());

  async function ensureDownstream(record: CaseRecord, inReplyTo: string | null = null): Promise<void> {
    await enqueueWork(deps.workQueues, record, deps.config.cases.retentionDays);
    if (deps.replies && record.reply !== 'none' && record.replySuppressed === null) {
      await deps.replies.schedule(record, inReplyTo);
    }
  }

  /**
   * A later mail of an existing request: filed beside it and listed on it.
   * It may change the case: the keyword URGENCE DEFINIE escalates a standard
   * case to the priority queue (and its mail to the priority folder), and a
   * mail after the CAF's answer opens another round trip with a fresh deadline.
   */
  async function followUp(
    parent: CaseRecord,
    analysis: Analysis,
    mail: MailRef,
    d: TriageJobData,
    receivedAt: Date,
  ): Promise<TriageResult> {
    const escalates = analysis.urgent && !(parent.urgent && parent.route === 'priority');
    const { before, after, attached } = await deps.caseStore.attachFollowUp(
      parent.ref,
      mail,
      d.contentHash,
      receivedAt,
      (record) => ({
        uidValidity: d.uidValidity,
        uid: d.uid,
        folder: folderFor(record),
        flagged: record.urgent && record.route === 'priority',
      }),
      {
        messageIdHash: analysis.messageId ? hashMessageId(analysis.messageId) : null,
        escalates,
        change: escalates ? (c) => applyFollowUp(c, analysis) : undefined,
      },
    );
    const escalated = attached && after.route !== before.route;
    const reopened = after.roundTrips > before.roundTrips;
    if (attached && isAwaiting(after.status) && (escalated || reopened || !isAwaiting(before.status))) {
      // The technicians' queue shows the case again, in its place.
      if (escalated) await deps.workQueues.standard.remove(after.ref).catch(() => 0);
      await deps.workQueues[after.route === 'priority' ? 'priority' : 'standard'].add(
        'case',
        workItem(after),
        workItemJobOptions(
          `${after.ref}.suite-${after.followUps.length + 1}`,
          deps.config.cases.retentionDays,
        ),
      );
    }
    if (escalated && deps.refile) {
      // The case is already in the priority queue; its folder is for people
      // reading the mailbox, so a request that could not be written is reported, not retried.
      await deps
        .refile(after.ref, folderFor(after), true)
        .catch((err: unknown) =>
          deps.log.warn(
            { event: 'triage.refile_failed', ref: after.ref, err },
            'escalated case left in its folder',
          ),
        );
    }
    const outcome: FollowUpOutcome = escalated ? 'escalated' : reopened ? 'reopened' : 'follow-up';
    deps.log.info(
      {
        event: followUpEvents[outcome],
        ref: parent.ref,
        mailbox: d.mailboxId,
        roundTrips: after.roundTrips,
      },
      'follow-up attached',
    );
    return { ref: parent.ref, outcome };
  }

  return async function triageMail(job: Job<TriageJobData>, token?: string): Promise<TriageResult> {
    const release = await (deps.budget?.acquire(job.data.size) ?? Promise.resolve(() => {}));
    try {
      const result = await triageOne(job, token);
      // Triaged: the large raw mail kept apart is not needed any more.
      if (job.data.rawKey) await deps.rawMail?.delete(job.data.rawKey);
      return result;
    } finally {
      release();
    }
  };

  /**
   * The case a partner's mail follows up on: our reference in its thread or
   * subject, else a Message-ID of the case's thread (the request, a
   * follow-up, or the CAF's answer written from a technician's mail client).
   */
  async function followedCase(analysis: Analysis): Promise<FollowedReference | null> {
    const named = followedReference(analysis);
    if (named?.via === 'thread') return named;
    const ids = [analysis.inReplyTo, ...analysis.references].filter((id): id is string => Boolean(id));
    const inThread = await deps.caseStore.refForMessageIds(ids.map(hashMessageId));
    return inThread ? { ref: inThread, via: 'thread' } : named;
  }

  /** The mail's Message-ID, read from its bytes; null when they are gone. */
  async function messageIdOf(d: TriageJobData): Promise<string | null> {
    try {
      return readHead(await loadRaw(d)).messageId;
    } catch {
      return null;
    }
  }

  async function loadRaw(d: TriageJobData): Promise<Buffer> {
    if (d.source !== null) return Buffer.from(d.source, 'latin1');
    if (d.rawKey && deps.rawMail) {
      const raw = await deps.rawMail.get(d.rawKey);
      if (raw) return raw;
      // Lost with Redis data: fail this job; the intake's rescan downloads the mail again.
      throw new UnrecoverableError(`raw mail ${d.rawKey} is missing from Redis`);
    }
    return Buffer.alloc(0);
  }

  async function triageOne(job: Job<TriageJobData>, token?: string): Promise<TriageResult> {
    const d = job.data;
    const mail: MailRef = { mailboxId: d.mailboxId, uidValidity: d.uidValidity, uid: d.uid };
    const receivedAt = new Date(d.internalDate);

    const known = await deps.caseStore.refForMail(mail);
    if (known) {
      // Seen before (a retried job, a rescan): make sure it gets filed and
      // queued; all of it is idempotent, and a MOVE of a mail already moved does nothing.
      const record = await deps.caseStore.get(known);
      const own =
        record !== null && record.mail.uid === mail.uid && record.mail.uidValidity === mail.uidValidity;
      if (record) {
        await deps.caseStore.addFiling(d.mailboxId, {
          uidValidity: d.uidValidity,
          uid: d.uid,
          folder: folderFor(record),
          flagged: record.urgent && record.route === 'priority',
          ownRef: own ? record.ref : undefined,
        });
        // Its reply job may have been lost with Redis data: added again, threaded like the first.
        if (own) await ensureDownstream(record, await messageIdOf(d));
      }
      return { ref: known, outcome: 'existing' };
    }

    const raw = await loadRaw(d);
    const loopHeader = carriesLoopHeader(raw); // before analysis, which may move the buffer to its thread
    let analysis = d.oversize
      ? oversizeAnalysis(
          raw.length > 0
            ? await deps.analyze(Buffer.concat([raw, Buffer.from('\r\n')]), { receivedAt })
            : null,
          d.size,
          deps.config.intake.maxDownloadBytes,
        )
      : await deps.analyze(raw, { receivedAt, consume: !deps.verifySender });
    if (
      deps.verifySender &&
      // An oversize mail's body was not downloaded: its DKIM signature cannot be checked.
      !d.oversize &&
      (analysis.route === 'priority' || analysis.route === 'standard') &&
      !analysis.unreadable
    ) {
      const dmarc = await deps.verifySender(raw);
      // The From domain's owner may say this mail is not theirs: then a person looks, nobody is answered.
      analysis = withVerifiedDmarc(analysis, dmarc);
      if (analysis.route === 'quarantine') {
        deps.log.warn(
          { event: 'triage.dmarc_fail', mailbox: d.mailboxId },
          'sender failed DMARC: quarantined',
        );
      }
    }

    // Only a partner's mail joins a case: robots, strangers and forged senders do
    // not get filed beside a family's request by quoting its (guessable) reference.
    const partner = analysis.route === 'priority' || analysis.route === 'standard';
    const followed = partner ? await followedCase(analysis) : null;
    if (partner && !followed && (analysis.inReplyTo || analysis.references.length > 0) && deps.answers) {
      // It answers a mail we do not know: maybe a technician's answer the watcher has not read
      // yet. It waits (a little) for a look at the sent folders that began after it arrived.
      const waited = now().getTime() - job.timestamp;
      if (waited < deps.answers.maxWaitMs && token && !(await deps.answers.mark.watchedSince(receivedAt))) {
        await deps.answers.mark.wake();
        await job.moveToDelayed(Date.now() + ANSWER_WAIT_STEP_MS, token);
        throw new DelayedError();
      }
    }
    if (followed) {
      const parent = await deps.caseStore.get(followed.ref);
      if (parent && mayFollowUp(followed, analysis, parent)) {
        return followUp(parent, analysis, mail, d, receivedAt);
      }
    }

    const ageHours = (now().getTime() - receivedAt.getTime()) / 3_600_000;
    const backfill =
      ageHours > deps.config.intake.replyMaxAgeHours ||
      ((await deps.backfill?.covers(d.mailboxId, receivedAt)) ?? false);
    const draft = buildCase({
      analysis,
      mail,
      contentHash: d.contentHash,
      receivedAt,
      backfill,
      now: now(),
      sla: deps.config.cases,
      familyKeys: familyKeysOf(analysis.family, deps.config.cases.familyKeySecret),
    });
    const folder = folderFor(draft);
    // One transaction: the case, its mail and bytes, its filing, and its intents (work item,
    // reply) in the outbox. What happens in Redis and in the mailbox comes after the commit.
    const created = await deps.caseStore.createCase(
      draft,
      {
        uidValidity: d.uidValidity,
        uid: d.uid,
        folder,
        flagged: draft.urgent && draft.route === 'priority',
      },
      { replies: deps.replies !== null, inReplyTo: analysis.messageId },
    );

    if (created.outcome === 'duplicate') {
      // The same bytes already made a case (UIDVALIDITY resync, duplicate delivery):
      // this copy was filed beside it in the same step, and nothing else happens.
      deps.log.info(
        { event: 'triage.duplicate', ref: created.ref, mailbox: d.mailboxId },
        'same mail seen again',
      );
      return { ref: created.ref, outcome: 'duplicate' };
    }
    const record = created.outcome === 'created' ? created.record : await deps.caseStore.get(created.ref);
    if (record) {
      // A crash here leaves committed intents undispatched: the outbox sweep dispatches them.
      failpoint('triage.after-commit');
      if (created.outcome === 'created') {
        await deps.outbox.dispatchCreated(record, created.replyIntent, analysis.messageId);
        deps.events?.onTriaged?.(record, { loopHeader });
      } else await ensureDownstream(record, analysis.messageId);
    }
    deps.log.info(
      {
        event: 'triage.case_opened',
        ref: created.ref,
        outcome: created.outcome,
        mailbox: d.mailboxId,
        route: draft.route,
        kind: draft.kind,
        urgent: draft.urgent,
        urgencyCheck: draft.urgencyCheck,
        rules: draft.lint.map((f) => f.rule),
        unreadable: draft.unreadable,
        backfill,
        cdas: draft.cdas?.id ?? null,
      },
      'mail triaged',
    );
    return { ref: created.ref, outcome: created.outcome };
  }
}
