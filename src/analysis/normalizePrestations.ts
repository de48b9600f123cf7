import type { PrestationCode } from './types.js';

/** Benefit full names as staff write them (folded, no accents), by the CAF's code. */
const names: Array<[PrestationCode, string]> = [
  ['RSA', 'revenu\\s+de\\s+solidarite(?:\\s+active)?'],
  ['AAH', "allocation\\s+(?:aux\\s+|d'|pour\\s+)?adultes?\\s+handicapee?s?"],
  ['PPA', "prime\\s+(?:(?:d'|de\\s+l'|a\\s+l')\\s*)?activite"],
  [
    'APL',
    'aide\\s+personnalisee\\s+au\\s+logement|aides?\\s+(?:au|aux)\\s+logements?|allocations?\\s+(?:de\\s+)?logements?(?!\\s+(?:a\\s+caractere\\s+)?(?:familial|social))',
  ],
  ['ALF', 'allocation\\s+(?:de\\s+)?logement\\s+(?:a\\s+caractere\\s+)?familial'],
  ['ALS', 'allocation\\s+(?:de\\s+)?logement\\s+(?:a\\s+caractere\\s+)?social'],
  ['ASF', 'allocation\\s+de\\s+soutien\\s+familial|soutien\\s+familial'],
  ['AF', 'allocations?\\s+familiales'],
  ['CF', 'complement\\s+familial'],
  [
    'PAJE',
    "prestation\\s+d'accueil\\s+du\\s+jeune\\s+enfant|allocation\\s+de\\s+base|prime\\s+(?:a\\s+la\\s+)?naissance",
  ],
  ['AEEH', "allocation\\s+d'education\\s+de\\s+l'enfant\\s+handicape"],
  ['ARS', 'allocation\\s+de\\s+rentree\\s+scolaire|rentree\\s+scolaire'],
  ['AJPP', 'allocation\\s+journaliere\\s+de\\s+presence\\s+parentale'],
  ['PreParE', "prestation\\s+partagee\\s+d'education"],
  [
    'CMG',
    'complement\\s+(?:de\\s+libre\\s+choix\\s+du\\s+|du\\s+libre\\s+choix\\s+du\\s+)?mode\\s+de\\s+garde',
  ],
];

/** A benefit as written in the prestation rubric: its code (any case) or its full name. */
const rubricPatterns = names.map(
  ([code, fullName]) =>
    [
      code,
      new RegExp(`\\b${code.toLowerCase()}\\b|${code === 'APL' ? '\\bal\\b|' : ''}${fullName}`),
    ] as const,
);

/** Codes named in the (folded) prestation rubric, in the order of the list above. */
export function normalizePrestations(folded: string): PrestationCode[] {
  return rubricPatterns.filter(([, pattern]) => pattern.test(folded)).map(([code]) => code);
}

/** Codes written in capitals in free text (where "af" or "al" could be ordinary words). */
const upperCodes = /\b(RSA|AAH|PPA|APL|ALF|ALS|ASF|AF|CF|PAJE|AEEH|ARS|AJPP|CMG|PreParE)\b/g;
const fullNamePatterns = names.map(([code, fullName]) => [code, new RegExp(fullName)] as const);

/** Benefits mentioned in running text: capital codes and full names. */
export function prestationsInText(text: string, folded: string): PrestationCode[] {
  const found = new Set<PrestationCode>();
  for (const m of text.matchAll(upperCodes)) found.add(m[1] as PrestationCode);
  for (const [code, pattern] of fullNamePatterns) if (pattern.test(folded)) found.add(code);
  return names.map(([code]) => code).filter((code) => found.has(code));
}
