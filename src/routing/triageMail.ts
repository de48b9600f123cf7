import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { Analyzer } from '../analysis/analyzeMail.js';
import { carriesLoopHeader } from '../analysis/classifyKind.js';
import type { Analysis } from '../analysis/types.js';
import { unreadable } from '../analysis/unreadable.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { TriageJobData } from '../mailbox/triageJob.js';
import type { BackfillWindows } from './backfillWindows.js';
import { buildCase, type CaseRecord, type MailRef } from './caseRecord.js';
import type { CaseStore, FolderKey } from './caseStore.js';
import type { ByteBudget, RawMailStore } from './rawMailStore.js';
import type { SenderVerifier } from './verifySender.js';

/** What the technicians' queues carry: enough to sort and show, no personal data. */
export interface WorkItem {
  ref: string;
  receivedAt: string;
  urgent: boolean;
  urgencyCheck: CaseRecord['urgencyCheck'];
  cdas: string | null;
  prestations: string[];
  dueAt: string | null;
  lintErrors: number;
  unreadable: boolean;
}

/** The step after triage that answers the CDAS (the replies stage); absent when replies are off. */
export interface ReplyScheduler {
  schedule(record: CaseRecord): Promise<void>;
}

/** Observers of triage, for metrics; they must not throw. */
export interface TriageEvents {
  onTriaged?(record: CaseRecord, mail?: { loopHeader: boolean }): void;
}

export interface TriageDeps {
  analyze: Analyzer;
  caseStore: CaseStore;
  workQueues: { priority: Queue<WorkItem>; standard: Queue<WorkItem> };
  replies: ReplyScheduler | null;
  config: Pick<Config, 'cases' | 'intake'>;
  log: Logger;
  /** Large raw mails, stored apart from their job. */
  rawMail?: RawMailStore;
  /** Bytes of mail analysed at once in this process. */
  budget?: ByteBudget;
  /** Periods declared by `cdap-triage backfill`: never answered. */
  backfill?: BackfillWindows;
  /** mailauth verification, when the deployment enables it. */
  verifySender?: SenderVerifier | null;
  events?: TriageEvents;
  now?: () => Date;
}

const referenceInSubject = /\[(CDAP-\d{4}-\d{6})\]/;
const referenceInMessageId = /<(CDAP-\d{4}-\d{6})\.[^>]*>/;

/** The case a mail follows up on: our reference in its subject, or one of our replies in its thread. */
export function followedReference(analysis: Analysis): string | null {
  const inSubject = analysis.subject ? referenceInSubject.exec(analysis.subject)?.[1] : undefined;
  if (inSubject) return inSubject;
  for (const id of [analysis.inReplyTo, ...analysis.references]) {
    const ref = id ? referenceInMessageId.exec(id)?.[1] : undefined;
    if (ref) return ref;
  }
  return null;
}

export function folderFor(record: Pick<CaseRecord, 'route' | 'unreadable'>): FolderKey {
  if (record.route === 'standard' && record.unreadable) return 'errors';
  return record.route;
}

/** Too large to download: a case all the same, in quarantine, saying why. */
function oversizeAnalysis(size: number, limit: number): Analysis {
  const reason = `message of ${size} bytes is over the ${limit}-byte download limit: not downloaded`;
  return { ...unreadable(reason, Buffer.alloc(0)), route: 'quarantine', routeReason: reason };
}

export function workItem(c: CaseRecord): WorkItem {
  return {
    ref: c.ref,
    receivedAt: c.receivedAt,
    urgent: c.urgent,
    urgencyCheck: c.urgencyCheck,
    cdas: c.cdas?.name ?? null,
    prestations: c.prestations,
    dueAt: c.sla?.dueAt ?? null,
    lintErrors: c.lintErrors,
    unreadable: c.unreadable,
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

  async function ensureDownstream(record: CaseRecord): Promise<void> {
    if (record.status === 'open' && (record.route === 'priority' || record.route === 'standard')) {
      // Job id = case reference: adding twice is a no-op.
      await deps.workQueues[record.route].add('case', workItem(record), {
        jobId: record.ref,
        removeOnComplete: { age: deps.config.cases.retentionDays * 86_400 },
        removeOnFail: false,
      });
    }
    if (deps.replies && record.reply !== 'none' && record.replySuppressed === null) {
      await deps.replies.schedule(record);
    }
  }

  return async function triageMail(job: Job<TriageJobData>): Promise<{ ref: string; outcome: string }> {
    const release = await (deps.budget?.acquire(job.data.size) ?? Promise.resolve(() => {}));
    try {
      const result = await triageOne(job);
      // Triaged: the large raw mail kept apart is not needed any more.
      if (job.data.rawKey) await deps.rawMail?.delete(job.data.rawKey);
      return result;
    } finally {
      release();
    }
  };

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

  async function triageOne(job: Job<TriageJobData>): Promise<{ ref: string; outcome: string }> {
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
        if (own) await ensureDownstream(record);
      }
      return { ref: known, outcome: 'existing' };
    }

    const raw = d.oversize ? Buffer.alloc(0) : await loadRaw(d);
    const loopHeader = carriesLoopHeader(raw); // before analysis, which may move the buffer to its thread
    let analysis = d.oversize
      ? oversizeAnalysis(d.size, deps.config.intake.maxDownloadBytes)
      : await deps.analyze(raw, { receivedAt, consume: !deps.verifySender });
    if (
      deps.verifySender &&
      (analysis.route === 'priority' || analysis.route === 'standard') &&
      !analysis.unreadable
    ) {
      const dmarc = await deps.verifySender(raw);
      analysis = { ...analysis, authentication: { dmarc, source: 'mailauth' } };
      if (dmarc === 'fail') {
        // The From domain's owner says this mail is not theirs: a person looks, nobody is answered.
        analysis = {
          ...analysis,
          route: 'quarantine',
          routeReason: 'authentification DMARC en échec',
          reply: 'none',
        };
        deps.log.warn(
          { event: 'triage.dmarc_fail', mailbox: d.mailboxId },
          'sender failed DMARC: quarantined',
        );
      }
    }

    // Only a partner's mail joins a case: robots, strangers and forged senders do
    // not get filed beside a family's request by quoting its (guessable) reference.
    const partner = analysis.route === 'priority' || analysis.route === 'standard';
    const followed = partner ? followedReference(analysis) : null;
    if (followed) {
      const parent = await deps.caseStore.get(followed);
      if (parent) {
        await deps.caseStore.attachFollowUp(followed, mail, d.contentHash, receivedAt, {
          uidValidity: d.uidValidity,
          uid: d.uid,
          folder: folderFor(parent),
          flagged: parent.urgent && parent.route === 'priority',
        });
        deps.log.info(
          { event: 'triage.follow_up', ref: followed, mailbox: d.mailboxId },
          'follow-up attached',
        );
        return { ref: followed, outcome: 'follow-up' };
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
    });
    const folder = folderFor(draft);
    const created = await deps.caseStore.createCase(draft, {
      uidValidity: d.uidValidity,
      uid: d.uid,
      folder,
      flagged: draft.urgent && draft.route === 'priority',
    });

    if (created.outcome === 'duplicate') {
      // The same bytes already made a case (UIDVALIDITY resync, duplicate delivery):
      // this copy was filed beside it in the same step, and nothing else happens.
      deps.log.info(
        { event: 'triage.duplicate', ref: created.ref, mailbox: d.mailboxId },
        'same mail seen again',
      );
      return { ref: created.ref, outcome: 'duplicate' };
    }
    const record = await deps.caseStore.get(created.ref);
    if (record) {
      await ensureDownstream(record);
      if (created.outcome === 'created') deps.events?.onTriaged?.(record, { loopHeader });
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
