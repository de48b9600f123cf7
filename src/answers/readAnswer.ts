import { foldText } from '../analysis/foldText.js';
import { quoteStart } from '../analysis/quotedText.js';
import { CLOSING, GREETING } from './politeness.js';
import { readSignature, type Signature } from './readSignature.js';

/**
 * An answer cut into what the rules look at: the technician's own lines (the
 * quoted request below "Le … a écrit :" or "-----Message d'origine-----" and
 * `>` lines left out), its greeting, its closing formula, its signature, and
 * the message itself between them.
 */

export interface AnswerLine {
  /** The line as written, trimmed. */
  text: string;
  /** The same, folded (see foldText): same length, so indexes match. */
  folded: string;
  /** The line follows a blank line (or starts the answer). */
  paragraph: boolean;
}

export interface PlacedSignature extends Signature {
  /** Index in `lines` of the line that holds it. */
  line: number;
}

export interface AnswerText {
  lines: AnswerLine[];
  /** Index of the line that opens with a greeting, or null. */
  greeting: number | null;
  /** Index of the (last) line that holds a closing formula, or null. */
  closing: number | null;
  signature: PlacedSignature | null;
  /**
   * The message itself: its lines down to the closing formula (that line cut
   * after the formula), without the signature block, its function line,
   * address and telephone.
   */
  prose: AnswerLine[];
  /** The prose's sentences, folded; a wrapped line does not cut a sentence, a bullet starts one. */
  sentences: string[];
}

// A greeting is the answer's first line; the second when a reference line comes first.
const GREETING_LINES = 2;
// A closing is looked for this far from the end: a signature block may follow it
// (name, function, service, address, telephone, mail).
const CLOSING_LINES = 8;
// The identity is among the few lines after the closing formula…
const LINES_AFTER_CLOSING = 4;
// …or, without a closing formula, among the last lines.
const LAST_LINES = 3;

/** A mail client's signature delimiter "-- ". */
const delimiterLine = /^--$/;
/** Rules drawn with dashes or underscores (Outlook puts one above the quoted mail). */
const ruleLine = /^[-_=*~\s]+$/;
/** Where a line holding an identity splits: "J. Martin - Technicienne conseil", "J. Martin, CAF". */
const pieceSeparator = /\s+[-–—|/]\s+|\s*[,;()]\s*/;
/** A sentence ends after . ! or ?, not after an initial ("Madame D. depuis…"). */
const sentenceEnd = /(?<=[.!?])(?<!(?:^|[\s('-])\p{L}\.)\s+/u;
const bullet = /^(?:[-•*–·]|\d+[.)])\s/;

function ownLines(text: string): { lines: AnswerLine[]; delimiter: number | null } {
  const normal = text.normalize('NFC').replace(/\r\n?/g, '\n');
  const own = normal.slice(0, quoteStart(foldText(normal)));
  const lines: AnswerLine[] = [];
  let delimiter: number | null = null;
  let paragraph = true;
  for (const raw of own.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('>')) {
      paragraph = true;
      continue;
    }
    if (delimiterLine.test(line)) {
      delimiter ??= lines.length;
      paragraph = true;
      continue;
    }
    if (ruleLine.test(line)) {
      paragraph = true;
      continue;
    }
    lines.push({ text: line, folded: foldText(line), paragraph });
    paragraph = false;
  }
  return { lines, delimiter };
}

function findSignature(
  lines: AnswerLine[],
  closing: number | null,
  closingEnd: number,
  from: number,
): PlacedSignature | null {
  const candidates: Array<{ line: number; text: string }> = [];
  if (closing !== null) {
    const rest = lines[closing]?.text.slice(closingEnd) ?? '';
    candidates.push({ line: closing, text: rest });
    for (let i = closing + 1; i < Math.min(lines.length, closing + 1 + LINES_AFTER_CLOSING); i++) {
      candidates.push({ line: i, text: lines[i]?.text ?? '' });
    }
  } else {
    for (let i = Math.max(from, lines.length - LAST_LINES); i < lines.length; i++) {
      candidates.push({ line: i, text: lines[i]?.text ?? '' });
    }
  }
  for (const { line, text } of candidates) {
    for (const piece of text.split(pieceSeparator)) {
      const signature = piece.trim() ? readSignature(piece) : null;
      if (signature) return { ...signature, line };
    }
  }
  return null;
}

function sentencesOf(prose: AnswerLine[]): string[] {
  const blocks: string[] = [];
  for (const line of prose) {
    if (line.paragraph || bullet.test(line.folded) || blocks.length === 0) blocks.push(line.folded);
    else blocks[blocks.length - 1] += ` ${line.folded}`;
  }
  return blocks.flatMap((b) => b.split(sentenceEnd)).filter((s) => s.trim());
}

export function readAnswer(text: string): AnswerText {
  const { lines, delimiter } = ownLines(text);
  const end = delimiter ?? lines.length;

  let greeting: number | null = null;
  for (let i = 0; i < Math.min(GREETING_LINES, end); i++) {
    if (GREETING.test(lines[i]?.folded ?? '')) {
      greeting = i;
      break;
    }
  }
  const bodyStart = greeting === null ? 0 : greeting + 1;

  let closing: number | null = null;
  let closingEnd = 0;
  for (let i = end - 1; i >= Math.max(bodyStart, end - CLOSING_LINES); i--) {
    const m = CLOSING.exec(lines[i]?.folded ?? '');
    if (m) {
      closing = i;
      closingEnd = m.index + m[0].length;
      break;
    }
  }

  const signature = findSignature(lines, closing, closingEnd, bodyStart);

  let proseEnd = end;
  if (closing !== null) proseEnd = Math.min(proseEnd, closing + 1);
  if (signature && signature.line !== closing) proseEnd = Math.min(proseEnd, signature.line);
  const prose = lines
    .slice(0, proseEnd)
    .map((line, i) =>
      i === closing
        ? { ...line, text: line.text.slice(0, closingEnd), folded: line.folded.slice(0, closingEnd) }
        : line,
    );
  return { lines, greeting, closing, signature, prose, sentences: sentencesOf(prose) };
}
