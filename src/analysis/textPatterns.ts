/**
 * The French vocabulary the rules look for, as regular expressions over folded
 * text (lower case, no accents: see foldText). Kept in one place so that the
 * rules agree on what "non-paiement" or "a date" means.
 */

export const MONTHS = [
  'janvier',
  'fevrier',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'aout',
  'septembre',
  'octobre',
  'novembre',
  'decembre',
] as const;

const monthAbbrev = '(?:janv?|fevr?|mars|avr|mai|juin|juil|aout|sept?|oct|nov|dec)\\.?';
export const MONTH_NAME = `(?:${MONTHS.join('|')})`;

export const NUMBER_WORDS: Record<string, number> = {
  un: 1,
  une: 1,
  deux: 2,
  trois: 3,
  quatre: 4,
  cinq: 5,
  six: 6,
  sept: 7,
  huit: 8,
  neuf: 9,
  dix: 10,
  onze: 11,
  douze: 12,
  quinze: 15,
  vingt: 20,
};
export const NUMBER = `(?:\\d{1,3}|${Object.keys(NUMBER_WORDS).join('|')})`;

export function numberValue(token: string): number {
  return NUMBER_WORDS[token] ?? Number.parseInt(token, 10);
}

const payWord =
  '(?:verse|versee|verses|versees|versement|versements|percu|percue|percus|percues|percoit|percevait|recu|recue|recus|recues|recoit|touche|touchee|touches|paye|payee|payes|payees|paiement|paiements|vire|viree|virement)';

/**
 * A benefit that is not, or no longer, paid: the convention's "non-paiement",
 * and the ways staff write it ("n'est plus versée", "aucun versement", "suspendu"…).
 */
export const NON_PAYMENT = new RegExp(
  [
    `non[\\s-]*${payWord}`,
    '\\bimpayee?s?\\b',
    '\\binterrompue?s?\\b',
    '\\binterruption',
    "\\brupture\\s+(?:de|du|des|d')\\s*(?:versement|paiement|droit|ressource|prestation|rsa|aah)",
    `\\bplus\\s+(?:de\\s+|aucun\\s+)?(?:${payWord}|rien)`,
    `\\b(?:aucun|aucune|absence\\s+de|pas\\s+de|sans)\\s+(?:${payWord})`,
    `\\b(?:n'|ne\\s)[^.\\n]{0,40}?\\b(?:plus|pas|rien|jamais|aucun)\\b[^.\\n]{0,50}?\\b${payWord}\\b`,
    // No two blank runs side by side: they would share a long run of spaces every possible way.
    `\\b${payWord}\\s+(?:n'|ne\\s+)?(?:(?:est|sont|a|ont)\\s*)?(?:plus|pas)\\b`,
    '\\bsuspen(?:du|due|dus|dues|sion|sions|dre)\\b',
    '\\bbloquee?s?\\b',
    '\\bblocage\\b',
    '\\bcoupee?s?\\b',
    '\\bcoupure\\b',
    "\\barret(?:e|ee|es|ees)?\\s+(?:du|de|des|d')\\s*(?:versement|paiement|droit|prestation|rsa|aah)",
    '\\b(?:fin|fermeture|cloture)\\s+(?:de|des|du)\\s+droits?',
    '\\bradiee?s?\\b',
    '\\bradiation\\b',
  ].join('|'),
);

/** A strong decrease of a benefit (counts for RSA/AAH). */
export const DECREASE =
  /\bbaisse|\bdiminu(?:e|ee|es|ees|tion|tions)\b|\breduction|\breduite?s?\b|\bpasse(?:e|s)?\s+de\s+\d/;

/** Any date or time reference (BP-send 2: give the dates). */
export const ANY_DATE = new RegExp(
  [
    '\\b(?:0?[1-9]|[12]\\d|3[01])[/.-](?:0?[1-9]|1[0-2])(?:[/.-](?:\\d{4}|\\d{2}))?\\b',
    `\\b(?:1er|\\d{1,2})\\s+${monthAbbrev}`,
    `\\b${MONTH_NAME}\\b`,
    '\\b(?:19|20)\\d{2}\\b',
    `\\b${NUMBER}\\s+(?:mois|semaines?|jours|ans?|annees?|mensualites|echeances)\\b`,
    '\\b(?:mois|semaine|annee)\\s+derni(?:er|ere)\\b',
    '\\bce\\s+mois\\b',
    '\\bdepuis\\s+(?:la\\s+)?rentree\\b',
  ].join('|'),
);

/** The keyword of BP-urgent 3, whatever the case, accents, spaces or hyphens. */
export const URGENCY_KEYWORD = /(?<![a-z])urgence[\s\-_.]*definie(?![a-z])/;
