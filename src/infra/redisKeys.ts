import { createHash } from 'node:crypto';
import type { Route } from '../analysis/types.js';

/**
 * Every Redis key of the service, in one place, so that a key's shape, its owner and what may
 * be in it are read here and nowhere else. BullMQ's own keys live under `<prefix>:<queue>:…`.
 *
 * No key holds personal data in clear: addresses, subjects, login names and session ids are
 * hashed before they become part of a key.
 */

/** Where a mail was found in the mailbox (the key of "this mail was triaged"). */
export interface MailPlace {
  mailboxId: string;
  uidValidity: string;
  uid: number;
}

/** A short one-way fingerprint for key parts that would otherwise carry personal data. */
export function keyFingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

export function redisKeys(prefix: string) {
  return {
    // Cases (src/cases/caseStore.ts)
    case: (ref: string) => `${prefix}:case:${ref}`,
    mail: (m: MailPlace) => `${prefix}:mail:${m.mailboxId}:${m.uidValidity}:${m.uid}`,
    hash: (contentHash: string) => `${prefix}:hash:${contentHash}`,
    sequence: (year: number) => `${prefix}:refseq:${year}`,
    open: (route: Route) => `${prefix}:cases:open:${route}`,
    all: () => `${prefix}:cases:all`,
    filings: (mailboxId: string) => `${prefix}:filing:${mailboxId}`,
    reply: (ref: string) => `${prefix}:reply:${ref}`,
    filed: (ref: string) => `${prefix}:filed:${ref}`,
    /** Which case a mail filed at this place belongs to, written when it is moved there. */
    located: (path: string, uidValidity: string, uid: number) =>
      `${prefix}:located:${path}:${uidValidity}:${uid}`,
    /** A mail put back in the inbox by the filed-mail reconciliation: its case was lost. */
    recovered: (contentHash: string) => `${prefix}:recovered:${contentHash}`,
    /** When this store began: see CaseStore.storeEpoch. */
    epoch: () => `${prefix}:epoch`,

    // Intake (src/mailbox/)
    /** One intake process per mailbox. */
    lease: (mailboxId: string) => `${prefix}:lease:${mailboxId}`,
    /** Held by the one replica that watches for the CAF's answers. */
    answersLease: `${prefix}:lease:answers`,
    /** Set by triage to have the answer watcher look now (a follow-up may answer a mail it has not seen yet). */
    answersWake: `${prefix}:answers:wake`,
    /** UIDVALIDITY, last UID seen and last successful cycle of a mailbox. */
    intake: (mailboxId: string) => `${prefix}:intake:${mailboxId}`,
    /** A large raw mail handed from intake to triage, deleted once triaged. */
    raw: (jobId: string) => `${prefix}:raw:${jobId}`,
    /** Moves of a case's filed mail asked for by triage (escalation) or `reprocess`, done by the lease holder. */
    refilings: (mailboxId: string) => `${prefix}:refiling:${mailboxId}`,
    /** What became of one such move, for the command waiting for it. */
    refileOutcome: (requestId: string) => `${prefix}:refiled:${requestId}`,

    // Triage (src/triage/)
    backfill: (mailboxId: string) => `${prefix}:backfill:${mailboxId}`,

    // Replies (src/replies/)
    replyLock: (ref: string) => `${prefix}:replylock:${ref}`,
    /** Rate limits: one reply per case; per recipient per hour and per day; same subject per day. */
    rateCase: (ref: string) => `${prefix}:rl:case:${ref}`,
    rateHour: (recipientHash: string, hour: number) => `${prefix}:rl:h:${recipientHash}:${hour}`,
    rateDay: (recipientHash: string, day: number) => `${prefix}:rl:d:${recipientHash}:${day}`,
    rateSubject: (recipientHash: string, subjectHash: string, day: number) =>
      `${prefix}:rl:s:${recipientHash}:${subjectHash}:${day}`,

    // Web (src/web/)
    session: (sessionId: string) =>
      `${prefix}:web:session:${createHash('sha256').update(sessionId).digest('hex')}`,
    loginFailuresByAddress: (ip: string) => `${prefix}:web:login-failures:ip:${keyFingerprint(ip)}`,
    loginFailuresByUser: (user: string) => `${prefix}:web:login-failures:user:${keyFingerprint(user)}`,

    /** Every key of this deployment, for the demo reset. */
    everything: () => `${prefix}:*`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
