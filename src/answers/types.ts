/**
 * The answers stage's contract: a CAF technician's answer to a CDAS in, the
 * good practices it misses out (convention annex, « Répondre à un mail d'un
 * CDAS via CDAP MonComptePartenaire » and « Les situations urgentes d'accès
 * aux droits »).
 */
import type { Analysis, PrestationCode } from '../analysis/types.js';

export type AnswerRuleId =
  | 'answer-reformulation'
  | 'answer-acronyms'
  | 'answer-greeting'
  | 'answer-closing'
  | 'answer-signature'
  | 'answer-dates'
  | 'answer-unblocking'
  | 'answer-urgency-refusal';

export interface AnswerFinding {
  rule: AnswerRuleId;
  severity: 'error' | 'warning';
  /** What the CAF technician reads, in French. */
  message: string;
}

/** What the answer needs to know of the request it answers (read from its `Analysis`). */
export interface AnsweredRequest {
  /** The request carried the keyword URGENCE DEFINIE. */
  urgent: boolean;
  /** Whether the urgency meets the convention's definition; null when not urgent or not checked. */
  urgencyCheck: Analysis['urgency']['check'];
  prestations: PrestationCode[];
}
