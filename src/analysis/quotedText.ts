/**
 * Separates what the sender wrote from the text they quote: `>` lines, and
 * everything from a reply header ("Le … a écrit :", "-----Message d'origine-----",
 * an Outlook "De : / Envoyé :" block) down. Works on folded text (see foldText).
 */

const replyHeaders = [
  // "Le 12 nov. 2026 à 10:02, Camille <x@y> a écrit :" — may wrap over two lines
  /^\s*le\s[^\n]{0,200}(?:\n[^\n]{0,200})?\sa\s+ecrit\s*:?\s*$/m,
  /^\s*on\s[^\n]{0,200}(?:\n[^\n]{0,200})?\swrote\s*:?\s*$/m,
  /^\s*-{2,}\s*(?:message d'origine|original message|message original)\s*-{2,}/m,
  // Outlook: "De : X" then "Envoyé : …" within the next lines
  /^\s*(?:\*\s*)?(?:de|from)\s*:[^\n]*\n\s*(?:\*\s*)?(?:envoye|sent|date)\s*:/m,
];

/** Index in `folded` where quoted text starts (its length when none). */
export function quoteStart(folded: string): number {
  let cut = folded.length;
  for (const header of replyHeaders) {
    const m = header.exec(folded);
    if (m && m.index < cut) cut = m.index;
  }
  return cut;
}

/** The sender's own lines: text above the reply header, `>` lines blanked. */
export function ownText(folded: string): string {
  const head = folded.slice(0, quoteStart(folded));
  if (!head.includes('>')) return head;
  // Blank quoted lines instead of removing them, so indexes still match the original.
  return head.replace(/^[ \t]*>[^\n]*/gm, (line) => ' '.repeat(line.length));
}
