import { foldText } from '../../analysis/foldText.js';
import { URGENCY_KEYWORD } from '../../analysis/textPatterns.js';
import { frenchList } from '../../labels/formats.js';
import { acronymMeanings, partnerNames } from '../acronymMeanings.js';
import type { AnswerRule } from './answerContext.js';

// Capitals of 2 to 6 letters standing alone ("CD35", "caf35" are not words); PreParE is spelt mixed.
const capitals = /(?<![\p{L}\p{N}])(?:\p{Lu}{2,6}|PreParE)(?![\p{L}\p{N}])/gu;
const addresses = /\S+@\S+|\bhttps?:\/\/\S+|\bwww\.\S+/giu;
const keyword = new RegExp(URGENCY_KEYWORD.source, 'g');
// I to XXXIX: "article IV", "chapitre II".
const romanNumeral = /^X{0,3}(?:IX|IV|V?I{0,3})$/;
const vowels = /[aeiouy]/g;
/** How far before an acronym its context is read (a title, a first name, spaces). */
const NEAR = 40;

/**
 * French words one may type in capitals ("NE PAS", "OUI", "MARS") or start a
 * sentence with ("Votre"): not acronyms, and not a first name before a surname.
 */
const words = new Set(
  (
    'le la les de du des un une et ou en au aux ne pas se sa ses son il ils elle on nous vous est sont ' +
    'ete oui non mme mlle mr mm nb ps ok sur par pour dans avec sans plus que qui ce cet ces cette mais ' +
    'donc car lui leur leurs tres bien ni si je tu me te ma mon mes ta ton tes vos votre nos notre ici fin ' +
    'lors tout tous selon depuis apres avant entre vers chez afin comme puis aussi ' +
    'janv fev fevr mars avr avril mai juin juil aout sept oct nov dec lun mar mer jeu ven sam dim'
  ).split(' '),
);

// A surname in capitals follows a title, an initial or a first name: "Mme DURAND", "J. MARTIN", "Julie DURAND".
const titleBefore =
  /\b(?:m|mme|mlle|mr|madame|monsieur|mademoiselle|famille|foyer|epoux|epouse|conjointe?|nee?)\.?\s+$/;
const initialBefore = /(?<![\p{L}\p{N}])\p{Lu}\.\s*$/u;
const firstNameBefore = /(?<![\p{L}\p{N}])(\p{Lu}\p{Ll}+)\s+$/u;

/** A line typed in capitals: only the acronyms known to be acronyms count there. */
function shouted(line: string): boolean {
  const letters = line.replace(/\P{L}/gu, '');
  return letters.length >= 12 && letters.replace(/\P{Lu}/gu, '').length / letters.length > 0.6;
}

/** "revenu de solidarité active (RSA)": the acronym right after its name in full, as the labels write it. */
function explainedBefore(folded: string, at: number, acronym: string): boolean {
  const meaning = acronymMeanings[acronym];
  if (!meaning || folded[at - 1] !== '(') return false;
  // Only the few characters the name can take: a long line is not read again for each acronym.
  return folded
    .slice(Math.max(0, at - 1 - meaning.length - NEAR), at - 1)
    .trimEnd()
    .endsWith(foldText(meaning));
}

function afterName(before: string): boolean {
  if (titleBefore.test(foldText(before)) || initialBefore.test(before)) return true;
  const first = firstNameBefore.exec(before)?.[1];
  return first !== undefined && !words.has(foldText(first));
}

/** An unknown word of capitals is taken for an acronym when short or unpronounceable ("CESF", not "RENNES"). */
function unknownAcronym(token: string, before: string, inShoutedLine: boolean): boolean {
  const folded = foldText(token);
  if (inShoutedLine || words.has(folded) || romanNumeral.test(token) || afterName(before)) return false;
  return token.length <= 3 || (folded.match(vowels)?.length ?? 0) <= 1;
}

function blank(m: string): string {
  return ' '.repeat(m.length);
}

function acronymsIn(line: string, found: Set<string>): void {
  // The keyword URGENCE DEFINIE is found on the folded line: same length, same place.
  const kept = line.replace(addresses, blank);
  let text = '';
  let last = 0;
  for (const m of foldText(kept).matchAll(keyword)) {
    text += kept.slice(last, m.index) + blank(m[0]);
    last = m.index + m[0].length;
  }
  text += kept.slice(last);
  const folded = foldText(text);
  const inShoutedLine = shouted(text);
  for (const m of text.matchAll(capitals)) {
    const token = m[0];
    if (partnerNames.has(token) || found.has(token)) continue;
    if (explainedBefore(folded, m.index, token)) continue;
    const known = acronymMeanings[token] !== undefined;
    const before = text.slice(Math.max(0, m.index - NEAR), m.index);
    if (known || unknownAcronym(token, before, inShoutedLine)) found.add(token);
  }
}

/**
 * BP-reply 3: « bannir les sigles » — the CDAS worker does not speak the
 * CAF's vocabulary. Read in the message itself: neither the greeting's name
 * nor the signature block (function, service, address) count.
 */
export const checkAcronyms: AnswerRule = ({ answer }) => {
  const found = new Set<string>();
  for (const line of answer.prose) acronymsIn(line.text, found);
  if (found.size === 0) return [];
  const all = [...found];
  const known = all.filter((a) => acronymMeanings[a] !== undefined);
  const unknown = all.filter((a) => acronymMeanings[a] === undefined);
  const asks: string[] = [];
  if (known.length) {
    asks.push(`Merci d’écrire ${frenchList(known.map((a) => `« ${acronymMeanings[a]} » plutôt que ${a}`))}.`);
  }
  if (unknown.length) {
    asks.push(
      `Merci d’écrire ${known.length ? 'aussi ' : ''}en toutes lettres ce que ${unknown.length > 1 ? 'signifient' : 'signifie'} ${frenchList(unknown)}.`,
    );
  }
  const what = all.length === 1 ? `un sigle (${all[0]})` : `des sigles (${all.join(', ')})`;
  return [
    {
      rule: 'answer-acronyms',
      severity: 'warning',
      message: `Votre réponse contient ${what} : « le vocabulaire de la CAF n’est pas celui du CDAS ». ${asks.join(' ').replace(/\.$/, '')} (réponse au CDAS, bonne pratique n°3).`,
    },
  ];
};
