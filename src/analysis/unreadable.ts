import type { Analysis, Rubrics } from './types.js';

const noRubrics = (): Rubrics => ({
  motif: { present: false, value: null },
  prestations: { present: false, value: null },
  commentaire: { present: false, value: null },
  specificites: { present: false, value: null },
});

/** What an unreadable analysis keeps of the raw mail. */
export interface MailHead {
  messageId: string | null;
}

/**
 * Reads the little an unreadable analysis keeps. Done before the mail is moved
 * to a worker thread: afterwards its buffer is detached and cannot be read.
 */
export function readHead(raw: Buffer): MailHead {
  // Keep the Message-ID when it can be read, so the case can still be threaded.
  const head = raw.subarray(0, 65536).toString('latin1');
  return { messageId: /^message-id:\s*(<[^>\r\n]{1,250}>)/im.exec(head)?.[1] ?? null };
}

/**
 * The analysis of a mail that could not be read: routed standard so that a
 * technician sees it, with the reason. Kept apart from the parser so that
 * processes which analyse in worker threads need not load it.
 */
export function unreadable(reason: string, mail: Buffer | MailHead): Analysis {
  const { messageId } = Buffer.isBuffer(mail) ? readHead(mail) : mail;
  return {
    messageId,
    subject: null,
    date: null,
    kind: 'direct',
    unreadable: true,
    unreadableReason: reason,
    sender: { address: null, allowed: false, cdas: null, via: 'from', problem: null },
    replyTo: null,
    inReplyTo: null,
    references: [],
    fields: { organisme: null, nomPrenom: null, adresseElectronique: null, numeroAllocataire: null },
    family: { allocataireNumbers: [], nirs: [] },
    rubrics: noRubrics(),
    prestations: [],
    urgent: false,
    urgency: { source: null, check: null, reason: null },
    facts: [],
    multipleSituations: false,
    attachments: [],
    authentication: { dmarc: null, source: null },
    lint: [],
    route: 'standard',
    routeReason: `illisible : ${reason}`,
    reply: 'none',
  };
}
