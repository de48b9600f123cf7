import { URGENCY_KEYWORD } from './textPatterns.js';
import type { UrgencySource } from './types.js';

export interface UrgencyInput {
  /** Folded "Nom de votre organisme" value, where BP-urgent 3 asks for the keyword. */
  organisme: string | null;
  subject: string;
  /** Folded body without quoted text. */
  ownBody: string;
}

/**
 * Finds the keyword URGENCE DEFINIE and says where: the organisme field first
 * (the channel the convention defines), then the subject, then the body.
 * Quoted text of a reply never counts: it is not in `ownBody`.
 */
export function detectUrgency(input: UrgencyInput): UrgencySource | null {
  if (input.organisme && URGENCY_KEYWORD.test(input.organisme)) return 'organisme';
  if (URGENCY_KEYWORD.test(input.subject)) return 'subject';
  if (URGENCY_KEYWORD.test(input.ownBody)) return 'body';
  return null;
}
