/**
 * Masks the personal data that must never be stored or logged in clear: NIR
 * (social-security numbers, Corsican 2A/2B included), allocataire numbers, mail
 * addresses and the name after a civility word. Used on any free text kept with
 * a case (a subject, an SMTP error). Dates, amounts and case references stay.
 */

export const MASKED_NUMBER = '[numéro masqué]';
export const MASKED_NAME = '[nom masqué]';
export const MASKED_ADDRESS = '[adresse masquée]';

// One separator between the groups of a number as people type them:
// space, no-break space, narrow no-break space, tab, dot or hyphen — or none.
const sep = '[ \\t\\u00a0\\u202f.\\-]?';

// Sex (1, 2, or 7, 8 for a temporary number), year, month (20-42 and 50-99:
// unknown or special months), department (2A/2B for Corsica), commune, order, optional key.
const nir = new RegExp(
  `(?<!\\d)[1278]${sep}\\d{2}${sep}(?:0[1-9]|1[0-2]|[2-9]\\d)${sep}(?:\\d{2}|2[AaBb])${sep}\\d{3}${sep}\\d{3}(?:${sep}\\d{2})?(?!\\d)`,
  'g',
);

// An allocataire number (7 digits, maybe grouped "765 43 21") after the words that announce it.
const announcedNumber = new RegExp(
  `((?:\\b(?:allocataires?|alloc|num[ée]ro|num|matricule|dossier)|\\bn${sep}[°ºo]|\\bno\\.)[\\s.:°]{0,5}(?:(?:d'|d’|de\\s+l'|de\\s+l’)?allocataire[\\s.:]{0,5}|caf[\\s.:]{0,5})?)\\d(?:${sep}\\d){6}(?!\\d)`,
  'gi',
);

const longNumber = /(?<!\d)\d{7,}(?!\d)/g;

const address = /[\p{L}\p{N}._%+'-]+@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*)/gu;

// A civility word, then up to two capitalised words: the person's name.
const civility =
  /(?<![\p{L}.])((?:M\.|Mr\.?|MR\.?|Mme\.?|MME\.?|Mmes|MMES|Mlle\.?|MLLE\.?|Melle|MELLE|[Mm]adame|[Mm]onsieur|MADAME|MONSIEUR)[ \u00a0\u202f]+)\p{Lu}[\p{L}'’-]*(?:[ \u00a0\u202f]+\p{Lu}[\p{L}'’-]*)?/gu;

export function maskPersonalData(text: string): string {
  return text
    .replace(address, `${MASKED_ADDRESS}@$1`)
    .replace(nir, MASKED_NUMBER)
    .replace(announcedNumber, `$1${MASKED_NUMBER}`)
    .replace(longNumber, MASKED_NUMBER)
    .replace(civility, `$1${MASKED_NAME}`);
}

/**
 * Whether a technical identifier (a Message-ID) carries a NIR, an announced
 * allocataire number or a name after a civility word. Long digit runs alone
 * do not count: most Message-IDs carry a timestamp.
 */
export function holdsPersonalData(identifier: string): boolean {
  return (
    identifier.search(nir) !== -1 ||
    identifier.search(announcedNumber) !== -1 ||
    identifier.search(civility) !== -1
  );
}
