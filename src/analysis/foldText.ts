/**
 * Folding for matching: lower case, accents removed, typographic quotes and
 * spaces made plain — one character out for each character in, so that a match
 * found in the folded text can be sliced out of the original with the same indexes.
 */

const special: Record<string, string> = {
  '\u2019': "'",
  '\u2018': "'",
  '\u02bc': "'",
  '\u00b4': "'",
  '`': "'",
  '\u00a0': ' ',
  '\u202f': ' ',
  '\u2009': ' ',
  '\u2007': ' ',
  '\u2013': '-',
  '\u2014': '-',
  '\u2011': '-',
  '\u2010': '-',
  '\u00ab': '"',
  '\u00bb': '"',
  '\u201c': '"',
  '\u201d': '"',
  '\u0153': 'œ',
  '\u00e6': 'æ',
  '\uff1a': ':',
  '\u00ba': 'o',
};

const cache = new Map<string, string>();

function foldChar(c: string): string {
  const known = special[c];
  if (known !== undefined) return known;
  let folded = cache.get(c);
  if (folded === undefined) {
    const base = c.normalize('NFD').replace(/\p{M}+/gu, '');
    folded = base.length === 1 ? base : c;
    cache.set(c, folded);
  }
  return folded;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point: only non-ASCII needs folding.
const nonAscii = /[^\x00-\x7f]|`/g;

export function foldText(text: string): string {
  let lower = text.toLowerCase();
  if (lower.length !== text.length) {
    // Rare letters (e.g. 'İ') grow when lower-cased: fold them one by one to keep indexes.
    lower = Array.from(text, (c) => {
      const l = c.toLowerCase();
      return l.length === c.length ? l : c;
    }).join('');
  }
  return lower.replace(nonAscii, foldChar);
}
