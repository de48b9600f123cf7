import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mail, testAnalyzer } from '../../tests/support/analyzer.js';
import { cleanValue, trimSeparators } from './fieldLabels.js';
import { foldText } from './foldText.js';
import { normalizePrestations, prestationsInText } from './normalizePrestations.js';
import { ownText, quoteStart } from './quotedText.js';
import { readFormFields } from './readFormFields.js';
import { readRubrics } from './readRubrics.js';
import { ANY_DATE, DECREASE, NON_PAYMENT, URGENCY_KEYWORD } from './textPatterns.js';

/**
 * Text handling must stay linear in the size of the mail: the patterns that
 * used to rescan a run of blank lines (or spaces) from each of its characters
 * took 17 s on 20,000 newlines and would take hours on the megabyte inputs
 * below. No time is asserted: a quadratic regression shows as the test
 * timing out, far past what the linear code needs.
 */

/** Fragments that made the old patterns backtrack, repeated to build an input. */
const units = [
  '\n',
  ' ',
  '\t',
  ' \t\n',
  ' \n \n',
  '>',
  '> \n',
  '> > ',
  'le x a ',
  'le 12 nov. a\n',
  ' a ecrit ',
  'on x wrote ',
  '| ',
  '|\n',
  '||',
  'de :\n',
  'de : x\n\n',
  '-',
  '--- ',
  '*',
  '** ',
  'motif ',
  'numero ',
  'numero allocataire ',
  'votre ',
  'message : ',
  'prime ',
  'verse ',
  'ne plus ',
  '(ex ',
  'urgence-',
  'a',
];
const ends = ['', '\n', 'x', 'motif : ', 'de : x\n', 'le ', 'verse', '\nnumero', '(ex'];

function build(prefix: string, unit: string, size: number, suffix: string): string {
  return prefix + unit.repeat(Math.ceil(size / unit.length)) + suffix;
}

/** Everything the analyzer does with the body text in these modules. */
function handle(text: string): void {
  const folded = foldText(text);
  const end = quoteStart(folded);
  const own = ownText(folded);
  expect(end).toBeLessThanOrEqual(folded.length);
  expect(own.length).toBe(end);
  readFormFields(text.slice(0, end), own);
  const { rubrics } = readRubrics(text, own, own.length);
  for (const r of Object.values(rubrics)) if (r.value !== null) expect(r.value).toBe(r.value.trim());
  cleanValue(text);
  trimSeparators(text);
  for (const pattern of [NON_PAYMENT, ANY_DATE, DECREASE, URGENCY_KEYWORD]) pattern.test(own);
  normalizePrestations(own);
  prestationsInText(text, own);
}

describe('text handling is linear on pathological input (up to ~1 MB)', () => {
  it.each(units)(
    'one megabyte of %j',
    (unit) => {
      for (const [prefix, suffix] of [
        ['', 'x'],
        ['\n', '\n'],
      ] as const) {
        handle(build(prefix, unit, 1_000_000, suffix));
      }
    },
    60_000,
  );

  it('mixes of fragments and ends, of growing size', () => {
    const input = fc
      .record({
        prefix: fc.constantFrom(...ends),
        unit: fc.array(fc.constantFrom(...units), { minLength: 1, maxLength: 4 }).map((u) => u.join('')),
        size: fc.constantFrom(1_000, 30_000, 300_000, 1_000_000),
        suffix: fc.constantFrom(...ends),
      })
      .map(({ prefix, unit, size, suffix }) => build(prefix, unit, size, suffix));
    fc.assert(
      fc.property(input, (text) => handle(text)),
      { numRuns: 40 },
    );
  }, 120_000);

  const analyze = testAnalyzer();
  it.each(['\n', ' \t\n', '> \n', '|\n', 'le 12 nov. a\n', 'de : x\n\n', '(ex ', 'ne plus '])(
    'the whole analyzer on a megabyte of %j gives an answer',
    async (unit) => {
      const a = await analyze(mail(build('Motif : x\n', unit, 1_000_000, 'x')));
      expect(a.unreadable).toBe(false);
      expect(a.route).toBe('standard');
    },
    60_000,
  );
});
