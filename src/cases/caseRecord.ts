import { createHash } from 'node:crypto';
import { categorizeMotif, type MotifCategory } from '../analysis/categorizeMotif.js';
import { maskPersonalData } from '../analysis/maskPersonalData.js';
import type {
  Analysis,
  Fact,
  Finding,
  MailKind,
  PrestationCode,
  ReplyDecision,
  Route,
} from '../analysis/types.js';

import { computeSla, type Sla, type SlaSettings } from './computeSla.js';
import type { AnswerChannel, CaseStatus } from './lifecycle.js';

/** Where in the mailbox a mail was found. */
export interface MailRef {
  mailboxId: string;
  uidValidity: string;
  uid: number;
}

/**
 * A case: what technicians and operators see of one request. It keeps no
 * NIR, no allocataire number, no names: only what routing, answering and the
 * yearly indicators need. The reply address is kept to answer.
 */
export interface CaseRecord {
  ref: string;
  mail: MailRef;
  /**
   * sha256 of the mail's Message-ID: enough to recognise a mail in a thread;
   * the value itself can carry names or numbers (some clients build it from the subject).
   */
  messageIdHash: string | null;
  contentHash: string;
  receivedAt: string;
  triagedAt: string;
  route: Route;
  routeReason: string;
  kind: MailKind;
  unreadable: boolean;
  unreadableReason: string | null;
  urgent: boolean;
  urgencySource: Analysis['urgency']['source'];
  urgencyCheck: Analysis['urgency']['check'];
  urgencyReason: string | null;
  cdas: { id: string; name: string } | null;
  senderDomain: string | null;
  replyTo: string | null;
  prestations: PrestationCode[];
  motif: MotifCategory;
  multipleSituations: boolean;
  /**
   * The dates, durations and amounts read in the request, with their role and
   * benefit (no names: see readFacts). Absent on cases made before they were read.
   */
  facts?: Fact[];
  /**
   * Keyed hashes of the family's allocataire numbers and NIRs (familyKeys.ts):
   * cases sharing one are about the same family. Never the numbers.
   */
  familyKeys?: string[];
  /** DMARC verdict on the From domain when sender verification is on. */
  dmarc: string | null;
  lint: Finding[];
  lintErrors: number;
  lintWarnings: number;
  reply: ReplyDecision;
  /** Why no reply goes out although the analysis asked for one; null when nothing holds it back. */
  replySuppressed: ReplySuppression | null;
  /** Subject with NIR, numbers and addresses masked. */
  subject: string | null;
  sla: Sla | null;
  status: CaseStatus;
  /** The CAF's answer to the current round trip: when, by which work address, seen where. */
  answeredAt: string | null;
  answeredBy: string | null;
  answerChannel: AnswerChannel | null;
  /** The first answer ever (the request's own delay). */
  firstAnsweredAt: string | null;
  /** 1, and one more for each CDAS follow-up that came after an answer. */
  roundTrips: number;
  roundStartedAt: string;
  /** The technician who took the case, and when. */
  assignee: string | null;
  takenAt: string | null;
  /** The last closing, and who closed (null: closed automatically after the answer). */
  closedAt: string | null;
  closedBy: string | null;
  followUps: Array<{ receivedAt: string; mail: MailRef }>;
  backfill: boolean;
  /** What became of the reply; null until the replies stage looked at it. */
  replyState: ReplyState | null;
}

export type { CaseStatus } from './lifecycle.js';

/**
 * Why no reply goes out although the analysis asked for one: `backfill`, mail
 * older than the service or past `intake.replyMaxAgeHours`; `reprocess`, a
 * case analysed again by hand; `recovered`, a mail whose first case Redis lost
 * (whether it was answered is unknown).
 */
export type ReplySuppression = 'backfill' | 'reprocess' | 'recovered';

/** How a reply ended, as kept on the case and counted in metrics. */
export type ReplyOutcome = 'sent' | 'shadow' | 'suppressed' | 'failed';

/** Where a reply stands: ended, or `pending` while it is being sent or waits for a retry. */
export type ReplyStatus = ReplyOutcome | 'pending';

/**
 * Why a reply ended as it did, or why it is pending. Suppressed: a case's
 * ReplySuppression, `no-reply-decided`, `recipient-not-allowed`,
 * `rate-limited`. Failed: `template` (a template error), `refused` (the SMTP
 * server refused, or kept failing past `replies.maxRetryHours`), `uncertain`
 * (connection lost twice after sending). Pending: `sending`, `retry`.
 */
export type ReplyReasonCode =
  | ReplySuppression
  | 'no-reply-decided'
  | 'recipient-not-allowed'
  | 'rate-limited'
  | 'template'
  | 'refused'
  | 'uncertain'
  | 'sending'
  | 'retry';

/** A reply's reason: its code, and the detail a person may need (the limit, the server's answer, the template error). */
export interface ReplyReason {
  code: ReplyReasonCode;
  detail?: string | null;
  /** The SMTP reply code or the transport's error code (`550`, `ECONNECTION`), for `refused`, `uncertain` and `retry`. */
  serverCode?: string;
}

export interface ReplyState {
  status: ReplyStatus;
  /** Why; null for a reply sent or stored in shadow mode. */
  reasonCode: ReplyReasonCode | null;
  /**
   * The detail that goes with the code, for a person: a limit's name, the
   * server's answer (its code first), a template error. Records written before
   * `reasonCode` existed hold their whole reason here (see readReplyState).
   */
  reason: string | null;
  at: string | null;
  messageId: string | null;
  /** The text part as sent, for the case page. */
  text: string | null;
  /** Sends whose connection was lost after the message left (it may have arrived). */
  uncertainSends?: number;
}

const suppressedCodes: ReadonlySet<string> = new Set<ReplyReasonCode>([
  'backfill',
  'reprocess',
  'recovered',
  'no-reply-decided',
  'recipient-not-allowed',
]);

/**
 * A stored reply state. Records written before `reasonCode` existed kept one
 * text ("rate-limited:same-subject-day", "template: …", "550: …"): their code
 * is read from it here, once, so that nothing else parses a reason.
 */
export function readReplyState(json: string): ReplyState {
  const state = JSON.parse(json) as ReplyState;
  if (state.reasonCode !== undefined) return state;
  const text = state.reason;
  const legacy = (code: ReplyReasonCode | null, reason: string | null): ReplyState => ({
    ...state,
    reasonCode: code,
    reason,
  });
  if (text === null || text === undefined) return legacy(null, null);
  if (suppressedCodes.has(text) || text === 'sending') return legacy(text as ReplyReasonCode, null);
  const prefixed = /^(rate-limited:|template: |uncertain: |retry after )(.*)$/s.exec(text);
  if (prefixed) {
    const codes: Record<string, ReplyReasonCode> = {
      'rate-limited:': 'rate-limited',
      'template: ': 'template',
      'uncertain: ': 'uncertain',
      'retry after ': 'retry',
    };
    return legacy(codes[prefixed[1] as string] ?? null, prefixed[2] ?? null);
  }
  return legacy(state.status === 'failed' ? 'refused' : null, text);
}

export function hashMessageId(messageId: string): string {
  return createHash('sha256').update(messageId.trim().toLowerCase()).digest('hex').slice(0, 32);
}

export interface CaseInput {
  analysis: Analysis;
  mail: MailRef;
  contentHash: string;
  receivedAt: Date;
  backfill: boolean;
  now: Date;
  sla: SlaSettings;
  /** The family's keys (familyKeysOf); none when no secret is configured. */
  familyKeys?: string[];
}

/** Everything of a case but its reference, which Redis allocates. */
export function buildCase(input: CaseInput): Omit<CaseRecord, 'ref'> {
  const { analysis: a } = input;
  const open = a.route === 'priority' || a.route === 'standard';
  const address = a.sender.address;
  return {
    mail: input.mail,
    messageIdHash: a.messageId ? hashMessageId(a.messageId) : null,
    contentHash: input.contentHash,
    receivedAt: input.receivedAt.toISOString(),
    triagedAt: input.now.toISOString(),
    route: a.route,
    routeReason: a.routeReason,
    kind: a.kind,
    unreadable: a.unreadable,
    unreadableReason: a.unreadableReason,
    urgent: a.urgent,
    urgencySource: a.urgency.source,
    urgencyCheck: a.urgency.check,
    urgencyReason: a.urgency.reason,
    cdas: a.sender.cdas ? { id: a.sender.cdas.id, name: a.sender.cdas.name } : null,
    senderDomain: address ? address.slice(address.lastIndexOf('@') + 1) : null,
    // Kept to answer a partner; a stranger's or a robot's address is not kept (no one answers them).
    replyTo: open ? a.replyTo : null,
    prestations: a.prestations,
    motif: categorizeMotif(a.rubrics.motif.value),
    multipleSituations: a.multipleSituations,
    facts: a.facts,
    familyKeys: input.familyKeys ?? [],
    dmarc: a.authentication.dmarc,
    lint: a.lint,
    lintErrors: a.lint.filter((f) => f.severity === 'error').length,
    lintWarnings: a.lint.filter((f) => f.severity === 'warning').length,
    reply: a.reply,
    replySuppressed: input.backfill && a.reply !== 'none' ? 'backfill' : null,
    subject: a.subject ? maskPersonalData(a.subject).slice(0, 300) : null,
    sla: open ? computeSla(input.receivedAt, a.urgent, input.sla) : null,
    status: open ? 'nouveau' : 'enregistré',
    answeredAt: null,
    answeredBy: null,
    answerChannel: null,
    firstAnsweredAt: null,
    roundTrips: 1,
    roundStartedAt: input.receivedAt.toISOString(),
    assignee: null,
    takenAt: null,
    closedAt: null,
    closedBy: null,
    followUps: [],
    backfill: input.backfill,
    replyState: null,
  };
}
