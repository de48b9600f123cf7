/**
 * Finding "Label : value" lines — the form's fields and the four rubrics — in
 * folded text. A label starts a line (after optional bullets or markdown
 * emphasis) and is followed by a colon or a table-cell separator, or stands
 * alone on its line with the value below.
 */

// A label also starts after a table-cell separator, and after "Votre message :"
// when the form puts the first rubric on the same line. Each run of blanks
// follows a non-blank mark: two runs side by side would try every way of
// sharing a long run of spaces between them (quadratic time).
const lineStart =
  '(?:^|\\n|\\|)[ \\t]*(?:(?:votre\\s+)?message[ \\t]*:[ \\t]*)?(?:[-*•·>#]+[ \\t]*)?(?:(?:\\*\\*|__)[ \\t]*)?';
const separator = '(?:\\*\\*|__)?[ \\t]*(?:(?:[:|=][ \\t]*)+|(?=\\n|$))';

export interface LabelMatch {
  name: string;
  /** Where the label starts (start of its line content). */
  start: number;
  /** Where its value starts. */
  valueStart: number;
}

export function labelPattern(names: Record<string, string>): RegExp {
  const alternatives = Object.entries(names)
    .map(([name, source]) => `(?<${name}>${source})`)
    .join('|');
  return new RegExp(`${lineStart}(?:${alternatives})${separator}`, 'g');
}

/** All label occurrences, in text order. */
export function findLabels(folded: string, pattern: RegExp): LabelMatch[] {
  const found: LabelMatch[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(folded); m !== null; m = pattern.exec(folded)) {
    const groups = m.groups ?? {};
    const name = Object.keys(groups).find((key) => groups[key] !== undefined);
    if (!name) continue;
    const labelText = groups[name] ?? '';
    const start = m.index + m[0].indexOf(labelText);
    found.push({ name, start, valueStart: m.index + m[0].length });
    if (m[0].length === 0) pattern.lastIndex++;
  }
  return found;
}

/** A value that says nothing: "...", "…", "-", punctuation or blanks. */
export function isEmptyValue(value: string): boolean {
  return /^[\s.…\-_|:*•·"'()]*$/.test(value);
}

const signature =
  /\n[ \t]*(?:--[ \t]*\n|(?:bien\s+|tres\s+|tres\s+bien\s+)?cordialement|bien\s+a\s+vous|(?:sinceres\s+|meilleures\s+)?salutations|en\s+vous\s+remerciant|(?:je\s+vous\s+)?remercie|merci\s+(?:d'avance|par\s+avance|de\s+votre|pour\s+votre|beaucoup)|bonne\s+(?:fin\s+de\s+)?(?:journee|soiree|semaine))/;

/** Where a value ends: before the signature, if one starts inside it. */
export function valueEnd(folded: string, from: number, to: number): number {
  signature.lastIndex = 0;
  const m = signature.exec(folded.slice(from, to));
  return m ? from + m.index : to;
}

const blank = /\s/;

/**
 * Trims `value` of the characters `strip` accepts, at both ends. A loop, not
 * `/[\s|]+$/`: that pattern rescans a long inner run of blanks from each of its
 * characters (quadratic time).
 */
export function trimBy(value: string, stripStart: (c: string) => boolean, stripEnd = stripStart): string {
  let start = 0;
  let end = value.length;
  while (start < end && stripStart(value[start] ?? '')) start++;
  while (end > start && stripEnd(value[end - 1] ?? '')) end--;
  return value.slice(start, end);
}

/** Separators around a field's value: blanks, table bars, and a leading colon. */
export function trimSeparators(value: string): string {
  return trimBy(
    value,
    (c) => c === '|' || c === ':' || blank.test(c),
    (c) => c === '|' || blank.test(c),
  );
}

// A template example is short: bounded, so an unclosed "(ex" does not scan the rest of the mail.
const templateExample = /\((?:ex|exemple|par exemple|e\.g)\b[^)]{0,300}\)/gi;

/** Trims a value sliced from the original text; table separators and template examples go. */
export function cleanValue(value: string): string {
  const lines = trimSeparators(value.replace(templateExample, ''))
    .split('\n')
    .map((line) =>
      trimBy(
        line,
        () => false,
        (c) => c === ' ' || c === '\t',
      ),
    );
  return lines.join('\n').trim();
}
