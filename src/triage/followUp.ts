import type { Analysis } from '../analysis/types.js';
import type { CaseRecord } from '../cases/caseRecord.js';

/**
 * Follow-ups: a later mail of a request (a reply in our thread, or our reference in its subject)
 * joins its case instead of opening a new one, and may escalate or reopen it.
 */

const referenceInSubject = /\[?(CDAP-\d{4}-\d{6})\]?/;
const referenceInMessageId = /<(CDAP-\d{4}-\d{6})\.[^>]*>/;

/** How a mail names the case it follows up on. */
export interface FollowedReference {
  ref: string;
  /** `thread`: it answers one of our own messages (In-Reply-To/References); `subject`: the reference is only written in its subject. */
  via: 'thread' | 'subject';
}

/** The case a mail follows up on: one of our replies in its thread, else our reference in its subject. */
export function followedReference(analysis: Analysis): FollowedReference | null {
  for (const id of [analysis.inReplyTo, ...analysis.references]) {
    const ref = id ? referenceInMessageId.exec(id)?.[1] : undefined;
    if (ref) return { ref, via: 'thread' };
  }
  const inSubject = analysis.subject ? referenceInSubject.exec(analysis.subject)?.[1] : undefined;
  return inSubject ? { ref: inSubject, via: 'subject' } : null;
}

/**
 * References are sequential, so anyone can guess one: a reference written in
 * a subject joins the case only when the requester writes it. A reply in our
 * own thread proves it followed our message.
 */
export function mayFollowUp(followed: FollowedReference, analysis: Analysis, parent: CaseRecord): boolean {
  if (followed.via === 'thread') return true;
  const requester = parent.replyTo?.toLowerCase();
  if (!requester) return false;
  return [analysis.sender.address, analysis.replyTo].some((a) => a?.toLowerCase() === requester);
}

/** What a later mail of a request did to its case: attached only, made urgent, or reopened. */
export type FollowUpOutcome = 'follow-up' | 'escalated' | 'reopened';

/**
 * What an escalating follow-up changes on its case: the convention's keyword
 * makes the request urgent, checked against the definition on what the
 * follow-up says, and moves it to the priority queue. Its deadline and
 * round trips are the lifecycle's (cases/lifecycle.ts).
 */
export function applyFollowUp(c: CaseRecord, analysis: Analysis): CaseRecord {
  return {
    ...c,
    urgent: true,
    route: 'priority',
    routeReason: 'relance avec le mot-clé URGENCE DEFINIE',
    urgencySource: analysis.urgency.source,
    urgencyCheck: analysis.urgency.check,
    urgencyReason: analysis.urgency.reason,
    prestations: [...new Set([...c.prestations, ...analysis.prestations])],
  };
}
