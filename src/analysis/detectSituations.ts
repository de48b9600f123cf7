import type { RubricName } from './types.js';

/**
 * BP-send 1: one situation per mail. Several situations show as several
 * distinct allocataire numbers or NIRs, an enumeration ("Situation 1 …
 * Situation 2"), or the rubric block written twice.
 */
export interface SituationSignals {
  allocataireNumbers: number;
  nirs: number;
  enumeration: boolean;
  repeatedRubrics: boolean;
}

// Seven digits standing alone (convention example: 9999999); phone numbers are
// written in pairs and NIRs are longer, so neither matches.
const allocataireNumber = /(?<![\d/.,-])\d{7}(?![\d/.,]\d|\d)/g;
// After the word "allocataire", 6 to 8 digits also count (some staff pad or drop one).
const labelledNumber = /allocataire[^\d\n]{0,25}?(?<!\d)(\d[\d ]{4,9}\d)(?!\d)/g;
// NIR: sex, year, month, department (2A/2B for Corsica), commune, order, optional key.
const nir =
  /(?<![\da-z])([12])[ .]?(\d{2})[ .]?(0[1-9]|1[0-2]|[2-9]\d)[ .]?(\d{2}|2a|2b)[ .]?(\d{3})[ .]?(\d{3})(?:[ .]?(\d{2}))?(?![\da-z])/g;

const enumerated =
  /\b(?:situation|dossier|famille|demande)\s*(?:n\s*[°o]\.?\s*|numero\s*)?(\d|[a-d](?=\s*[:)-]))\b/g;
const ordinal =
  /\b(premiere|1ere|1re|1er|deuxieme|2eme|2e|2nde|seconde|second|troisieme|3eme|3e)\s+(?:situation|dossier|famille)\b/g;
const counted = /\b(?:deux|2|trois|3|quatre|4|plusieurs)\s+(?:situations|familles|dossiers\s+differents)\b/;

/**
 * Another household announced in prose, without numbers: "je vous signale
 * aussi la situation de Mme B.", "une autre famille", "qui n'a rien à voir".
 * A spouse, a child or "M. et Mme" stay one household.
 */
const household = '(?:mme|m|mr|mlle|madame|monsieur|mademoiselle)\\b\\.?';
const kinOf =
  '(?:son|sa|ses|leur|leurs)\\s+(?:conjoint|conjointe|epoux|epouse|mari|femme|compagnon|compagne|concubin|concubine|enfant|fils|fille|mere|pere|parent)';
const anotherHousehold = new RegExp(
  [
    `\\b(?:une?\\s+autre|seconde?|deuxieme)\\s+(?:situation|famille|foyer|allocataire|menage|personne\\s+(?:accompagnee|suivie))\\b`,
    `(?:\\b(?:signale|signaler|evoque|evoquer|mentionne|soumets|soumettre|ajoute|transmets)\\b[^.\\n]{0,20}\\b(?:aussi|egalement)\\b|\\b(?:par\\s+ailleurs|en\\s+outre|autre\\s+chose|d'autre\\s+part)\\b)[^.\\n]{0,50}\\b(?:la\\s+situation|le\\s+dossier|la\\s+demande)\\s+(?:de|d')\\s*(?!${kinOf})${household}`,
    `\\b${household}[^.\\n]{0,60}\\b(?:qui\\s+)?n'a\\s+(?:rien|aucun\\s+lien)\\s+a\\s+voir\\b`,
    `\\b(?:sans\\s+(?:aucun\\s+)?(?:lien|rapport)|rien\\s+a\\s+voir)\\s+avec\\s+(?:la\\s+)?(?:premiere|precedente|situation\\s+(?:ci-dessus|precedente)|famille\\s+(?:ci-dessus|precedente)|(?:le|la)\\s+(?:dossier|famille|situation)\\s+(?:ci-dessus|precedente?))`,
  ].join('|'),
);

/** The numbers that identify a family, without spaces: for counting distinct ones. */
export function identifiers(folded: string): { allocataires: Set<string>; nirs: Set<string> } {
  const allocataires = new Set<string>();
  for (const m of folded.matchAll(allocataireNumber)) allocataires.add(m[0]);
  for (const m of folded.matchAll(labelledNumber)) {
    const digits = (m[1] ?? '').replace(/ /g, '');
    if (digits.length >= 6 && digits.length <= 8) allocataires.add(digits);
  }
  const nirs = new Set<string>();
  for (const m of folded.matchAll(nir)) nirs.add(m.slice(1, 7).join(''));
  return { allocataires, nirs };
}

export function detectSituations(
  folded: string,
  formAllocataire: string | null,
  rubricCounts: Record<RubricName, number>,
): SituationSignals {
  const { allocataires, nirs } = identifiers(folded);
  const fieldDigits = formAllocataire?.replace(/\D/g, '');
  if (fieldDigits && fieldDigits.length >= 6 && fieldDigits.length <= 8) allocataires.add(fieldDigits);

  const numbered = new Set(Array.from(folded.matchAll(enumerated), (m) => m[1]));
  const ordinals = new Set(Array.from(folded.matchAll(ordinal), (m) => m[1]));
  const enumeration =
    numbered.size >= 2 ||
    ordinals.size >= 2 ||
    [...ordinals].some((o) => o !== 'premiere' && o !== '1ere' && o !== '1re' && o !== '1er') ||
    counted.test(folded) ||
    anotherHousehold.test(folded);

  return {
    allocataireNumbers: allocataires.size,
    nirs: nirs.size,
    enumeration,
    repeatedRubrics: rubricCounts.motif > 1 || rubricCounts.prestations > 1 || rubricCounts.commentaire > 1,
  };
}

export function isMultiple(signals: SituationSignals): boolean {
  return signals.allocataireNumbers > 1 || signals.nirs > 1 || signals.enumeration || signals.repeatedRubrics;
}
