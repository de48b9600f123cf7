import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fact } from '../src/analysis/types.js';
import { fixture, fixturesDir, testAnalyzer } from './support/analyzer.js';

interface Expected {
  kind: string;
  route: string;
  reply: string;
  urgent: boolean;
  urgencySource: string | null;
  urgencyCheck: string | null;
  multipleSituations: boolean;
  rules: string[];
  note: string;
  /** When given: the facts read, each as {kind, date?, months?, prestation?, before?, after?}, in reading order. */
  facts?: Array<Record<string, unknown>>;
}

/** A fact as fixtures write it: its role and values, not the words quoted nor the date's precision. */
function comparable(fact: Fact): Record<string, unknown> {
  const { text: _text, precision: _precision, ...rest } = fact;
  return rest;
}

const expected = JSON.parse(readFileSync(join(fixturesDir, 'expected.json'), 'utf8')) as Record<
  string,
  Expected
>;
const analyze = testAnalyzer();

describe('fixtures: each invented CDAS mail gets the decision written in fixtures/expected.json', () => {
  it('has an expectation for every .eml and an .eml for every expectation', () => {
    const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.eml'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`${file}: ${want.note}`, async () => {
      const a = await analyze(fixture(file));
      expect({
        kind: a.kind,
        route: a.route,
        reply: a.reply,
        urgent: a.urgent,
        urgencySource: a.urgency.source,
        urgencyCheck: a.urgency.check,
        multipleSituations: a.multipleSituations,
        rules: [...new Set(a.lint.map((f) => f.rule))].sort(),
      }).toEqual({
        kind: want.kind,
        route: want.route,
        reply: want.reply,
        urgent: want.urgent,
        urgencySource: want.urgencySource,
        urgencyCheck: want.urgencyCheck,
        multipleSituations: want.multipleSituations,
        rules: [...want.rules].sort(),
      });
      if (want.facts) expect(a.facts.map(comparable)).toEqual(want.facts);
    });
  }
});
