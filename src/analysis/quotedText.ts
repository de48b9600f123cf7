/**
 * Separates what the sender wrote from the text they quote: `>` lines, and
 * everything from a reply header ("Le … a écrit :", "-----Message d'origine-----",
 * an Outlook "De : / Envoyé :" block) down. Works on folded text (see foldText).
 *
 * The text is scanned line by line and each pattern sees one or two lines at
 * most: a multiline `^\s*…` pattern restarts at every line of a run of blank
 * lines and rescans it, which takes minutes on a mail of newlines.
 */

// A reply header line is short; longer lines are prose (and would cost more to test).
const MAX_HEADER_LINE = 1000;

// "Le 12 nov. 2026 à 10:02, Camille <x@y> a écrit :" — may wrap over two lines
const wroteHeaders = [
  /^[ \t]*le\s[^\n]{0,200}(?:\n[^\n]{0,200})?\sa\s+ecrit\s*:?\s*$/,
  /^[ \t]*on\s[^\n]{0,200}(?:\n[^\n]{0,200})?\swrote\s*:?\s*$/,
];
const wroteStart = /^[ \t]*(?:le|on)\s/;
const originalMessage =
  /^[ \t]*-{2,}[ \t]*(?:message d'origine|original message|message original)[ \t]*-{2,}/;
// Outlook: "De : X" then "Envoyé : …" on the next line that is not blank
const outlookFrom = /^[ \t]*(?:\*[ \t]*)?(?:de|from)[ \t]*:/;
const outlookSent = /^[ \t]*(?:\*[ \t]*)?(?:envoye|sent|date)[ \t]*:/;

interface Line {
  start: number;
  text: string;
}

function linesOf(folded: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const end = folded.indexOf('\n', start);
    lines.push({ start, text: folded.slice(start, end === -1 ? folded.length : end) });
    if (end === -1) return lines;
    start = end + 1;
  }
}

function opensQuote(lines: Line[], i: number, nextFilled: number): boolean {
  const line = lines[i]?.text ?? '';
  if (line.length > MAX_HEADER_LINE) return false;
  if (wroteStart.test(line)) {
    const next = lines[i + 1]?.text;
    const candidates =
      next !== undefined && next.length <= MAX_HEADER_LINE ? [line, `${line}\n${next}`] : [line];
    if (candidates.some((c) => wroteHeaders.some((header) => header.test(c)))) return true;
  }
  if (line.includes('--') && originalMessage.test(line)) return true;
  if (outlookFrom.test(line)) {
    const sent = lines[nextFilled]?.text ?? '';
    if (sent.length <= MAX_HEADER_LINE && outlookSent.test(sent)) return true;
  }
  return false;
}

/** Index in `folded` where quoted text starts (its length when none). */
export function quoteStart(folded: string): number {
  const lines = linesOf(folded);
  // The next line that is not blank, for each line: found in one backward pass.
  const nextFilled = new Array<number>(lines.length);
  let filled = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    nextFilled[i] = filled;
    if ((lines[i]?.text ?? '').trim()) filled = i;
  }
  for (let i = 0; i < lines.length; i++) {
    if (opensQuote(lines, i, nextFilled[i] ?? lines.length)) return lines[i]?.start ?? folded.length;
  }
  return folded.length;
}

/** The sender's own lines: text above the reply header, `>` lines blanked. */
export function ownText(folded: string): string {
  const head = folded.slice(0, quoteStart(folded));
  if (!head.includes('>')) return head;
  // Blank quoted lines instead of removing them, so indexes still match the original.
  return head.replace(/^[ \t]*>[^\n]*/gm, (line) => ' '.repeat(line.length));
}
