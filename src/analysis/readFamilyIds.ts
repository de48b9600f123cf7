import type { FamilyIds } from './types.js';

/**
 * The numbers that name the family a request is about, normalised so that
 * the same number written two ways is one: the allocataire number (digits
 * only) and the NIR (13 characters, Corsica's 2A/2B in capitals, without its
 * key, which some write and some do not). Kept in memory only: triage turns
 * them into keyed hashes (src/cases/familyKeys.ts) and drops them.
 */

// After the words that announce it; 6 to 8 digits, grouped or not (some staff pad or drop one).
const announcedAllocataire =
  /(?:\ballocataire|\bn\s*[°o]\.?\s*(?:d')?alloc(?:ataire)?|\bnum(?:ero)?\.?\s*(?:d')?alloc(?:ataire)?|\bmatricule(?:\s+caf)?|\bn(?:umero|\s*[°o])\.?\s+caf)\b[^\d\n]{0,25}?(?<![\d])(\d(?:[ .]?\d){5,7})(?![\d])/g;

// Sex (1, 2; 7, 8 for a temporary number), year, month, department (2A/2B), commune, order, optional key.
const nir =
  /(?<![\da-z])([1278])[ .-]?(\d{2})[ .-]?(0[1-9]|1[0-2]|[2-9]\d)[ .-]?(\d{2}|2a|2b)[ .-]?(\d{3})[ .-]?(\d{3})(?:[ .-]?(\d{2}))?(?![\da-z])/g;

/** At most this many of each: a mail listing a whole caseload links to none of it by mistake. */
const MAX_EACH = 4;

function digitsOf(value: string): string {
  return value.replace(/\D/g, '');
}

/**
 * `foldedOwn`: the folded subject and own text (no quoted history);
 * `formNumber`: the form's "Numéro allocataire" field as written.
 */
export function readFamilyIds(foldedOwn: string, formNumber: string | null): FamilyIds {
  const allocataires = new Set<string>();
  const fromForm = formNumber ? digitsOf(formNumber) : '';
  if (fromForm.length >= 6 && fromForm.length <= 8) allocataires.add(fromForm);
  for (const m of foldedOwn.matchAll(announcedAllocataire)) {
    const digits = digitsOf(m[1] ?? '');
    if (digits.length >= 6 && digits.length <= 8) allocataires.add(digits);
  }
  const nirs = new Set<string>();
  for (const m of foldedOwn.matchAll(nir)) nirs.add(m.slice(1, 7).join('').toUpperCase());
  return {
    allocataireNumbers: [...allocataires].slice(0, MAX_EACH),
    nirs: [...nirs].slice(0, MAX_EACH),
  };
}
