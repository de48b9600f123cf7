/**
 * The technician's identity at the end of an answer (BP-reply 3: « mentionner
 * son identité en fin de réponse (1ère lettre du prénom + nom) »), read from
 * one piece of a line: "J. Martin", "J.Martin", "J MARTIN", "J.-P. Le Goff",
 * "MARTIN J." are the convention's form; "Julie Martin" names the person in
 * full; "Mme Martin" gives the surname only.
 */
import { foldText } from '../analysis/foldText.js';

export type SignatureKind = 'initial' | 'full-name' | 'surname';

export interface Signature {
  kind: SignatureKind;
  /** The identity as written. */
  text: string;
  /** "J. Martin" for a full name: what the convention asks for instead. */
  suggestion: string | null;
}

const TITLE = String.raw`(?:M\.|Mme\.?|Mlle\.?|Mr\.?|Madame|Monsieur|Mademoiselle)`;
// One word of a surname: "Martin", "MARTIN", "Dupont-Durand", "D'Almeida".
const WORD = String.raw`\p{Lu}[\p{L}'’]+(?:-\p{Lu}[\p{L}'’]+)*`;
const PARTICLES = String.raw`(?:(?:de|du|des|la|le|van|von|ben|el)\s+|d['’])*`;
const SURNAME = String.raw`${WORD}(?:\s+${PARTICLES}${WORD}){0,2}`;
const UPPER_SURNAME = String.raw`\p{Lu}{2,}(?:[-\s]\p{Lu}{2,}){0,2}`;
// "J", "J.", "J.-P.", "JP"
const INITIALS = String.raw`\p{Lu}(?:\.?\s*-?\s*\p{Lu})?`;
// A first name is not a title: "Mme Lebrun" gives no first name.
const FIRST_NAME = String.raw`(?!(?:Mme|Mlle|Mr|Madame|Monsieur|Mademoiselle)\b)\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?`;

const initialThenName = new RegExp(
  String.raw`^(?:${TITLE}\s+)?${INITIALS}(?:\.\s*|\s+)(${SURNAME})\.?$`,
  'u',
);
const nameThenInitial = new RegExp(String.raw`^(${UPPER_SURNAME})\s+${INITIALS}\.?$`, 'u');
const firstThenName = new RegExp(String.raw`^(?:${TITLE}\s+)?(${FIRST_NAME})\s+(${SURNAME})\.?$`, 'u');
const nameThenFirst = new RegExp(String.raw`^(${UPPER_SURNAME})\s+(${FIRST_NAME})\.?$`, 'u');
const titleThenName = new RegExp(String.raw`^${TITLE}\s+(${SURNAME})\.?$`, 'u');

/**
 * Words of a function, a service or a place, and polite words: "Technicienne
 * Conseil", "Service Prestations", "Bien Cordialement" or "Saint Malo" are not
 * someone's name.
 */
const notNames = new Set([
  'technicien',
  'technicienne',
  'conseil',
  'conseiller',
  'conseillere',
  'gestionnaire',
  'agent',
  'service',
  'services',
  'caf',
  'cdas',
  'cdap',
  'pole',
  'cellule',
  'responsable',
  'accueil',
  'equipe',
  'partenaire',
  'partenaires',
  'prestation',
  'prestations',
  'direction',
  'departement',
  'caisse',
  'allocations',
  'familiales',
  'cordialement',
  'salutations',
  'bien',
  'merci',
  'bonne',
  'belle',
  'journee',
  'madame',
  'monsieur',
  'mademoiselle',
  'saint',
  'sainte',
  'cedex',
  'ille',
  'vilaine',
  'urgence',
  'definie',
]);

const leadingTitle = new RegExp(String.raw`^${TITLE}\s+`, 'u');

/** The words after the title are a name: no function, no place, no second title ("Madame Monsieur"). */
function looksLikeName(words: string): boolean {
  return !foldText(words.replace(leadingTitle, ''))
    .split(/[\s'-]+/)
    .some((w) => notNames.has(w));
}

/** The identity written in `piece` (one part of a line, trimmed), or null. */
export function readSignature(piece: string): Signature | null {
  const text = piece.trim();
  if (text.length > 60 || !looksLikeName(text)) return null;
  if (initialThenName.test(text) || nameThenInitial.test(text)) {
    return { kind: 'initial', text, suggestion: null };
  }
  const full = firstThenName.exec(text);
  if (full?.[1] && full[2]) {
    return { kind: 'full-name', text, suggestion: `${full[1].charAt(0)}. ${full[2]}` };
  }
  const reversed = nameThenFirst.exec(text);
  if (reversed?.[1] && reversed[2]) {
    return {
      kind: 'full-name',
      text,
      suggestion: `${reversed[2].charAt(0)}. ${reversed[1]}`,
    };
  }
  if (titleThenName.test(text)) return { kind: 'surname', text, suggestion: null };
  return null;
}
