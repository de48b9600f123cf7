/**
 * The polite formulas of an answer (BP-reply 3: « ne pas oublier les formules
 * de politesse »), as regular expressions over folded text (see foldText).
 */

/** An opening: "Bonjour", "Madame, Monsieur", "Chère collègue"… at the start of a line. */
export const GREETING =
  /^(?:bonjour|bonsoir|madame|monsieur|mademoiselle|mesdames|messieurs|(?:cher|chere|chers|cheres)\s+(?:collegue|partenaire|madame|monsieur|\p{L}))/u;

/**
 * A closing formula, anywhere on its line ("Je reste à votre disposition.
 * Cordialement,"). "Cdlt" does not count: an abbreviation is not a polite formula.
 */
export const CLOSING = new RegExp(
  [
    '\\b(?:bien\\s+|tres\\s+)?cordialement\\b',
    '\\bbien\\s+a\\s+vous\\b',
    '\\bsalutations\\b',
    "\\b(?:veuillez|je\\s+vous\\s+prie\\s+d'|nous\\s+vous\\s+prions\\s+d')\\s*agreer\\b",
    '\\brespectueusement\\b',
    '\\b(?:bonne|belle)\\s+(?:fin\\s+de\\s+)?(?:journee|soiree|semaine|apres-midi)\\b',
    '\\bavec\\s+(?:mes|nos)\\s+remerciements\\b',
  ].join('|'),
);
