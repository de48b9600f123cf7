import { URGENCY_KEYWORD } from './textPatterns.js';
import type { UrgencySource } from './types.js';

export interface UrgencyInput {
  /** Folded "Nom de votre organisme" value, where BP-urgent 3 asks for the keyword. */
  organisme: string | null;
  subject: string;
  /** Folded body without quoted text. */
  ownBody: string;
}

const keyword = new RegExp(URGENCY_KEYWORD.source, 'g');
/**
 * The keyword denied in its clause: "pas d'URGENCE DEFINIE", "sans « URGENCE
 * DEFINIE »", "ce n'est pas une urgence definie", "hors URGENCE DEFINIE".
 * Read on the words just before it, within the clause.
 */
const deniedBefore =
  /(?:\b(?:pas|sans|aucune|non|ni|hors|plus)\b|\bn'(?:est|etait|y\s+a)\b[^.;!?\n]{0,20}\bpas\b)[\s"'(-]*(?:(?:d'une?|de|d'|en|une|la|l'|le|mot-cle|mot\s+cle|caractere|s'agit|encore|vraiment|reellement|considere|comme|relevant|situation|d')[\s"'(-]*){0,4}$/;

function stated(folded: string): boolean {
  for (const m of folded.matchAll(keyword)) {
    const before = folded.slice(Math.max(0, m.index - 60), m.index);
    const clause = before.slice(before.search(/[^.;!?\n]*$/));
    if (!deniedBefore.test(clause)) return true;
  }
  return false;
}

/**
 * Finds the keyword URGENCE DEFINIE and says where: the organisme field first
 * (the channel the convention defines), then the subject, then the body.
 * Quoted text of a reply never counts: it is not in `ownBody`; nor does the
 * keyword denied in its clause ("il ne s'agit pas d'une URGENCE DEFINIE").
 */
export function detectUrgency(input: UrgencyInput): UrgencySource | null {
  if (input.organisme && stated(input.organisme)) return 'organisme';
  if (stated(input.subject)) return 'subject';
  if (stated(input.ownBody)) return 'body';
  return null;
}
