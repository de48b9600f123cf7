import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, fixturesDir, testAnalyzer } from '../../tests/support/analyzer.js';
import type { Analysis } from './types.js';

const analyze = testAnalyzer();
const routes = new Set(['priority', 'standard', 'quarantine', 'ignored']);
const replies = new Set(['ack', 'ack-with-feedback', 'none']);

function assertValid(a: Analysis) {
  expect(routes.has(a.route)).toBe(true);
  expect(replies.has(a.reply)).toBe(true);
  if (a.unreadable) expect(a.route).toBe('standard');
  if (a.route === 'ignored' || a.route === 'quarantine') expect(a.reply).toBe('none');
}

const fixtures = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.eml'))
  .map((f) => fixture(f));

describe('analyzeMail never throws and always routes', () => {
  it('on arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        assertValid(await analyze(Buffer.from(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  it('on mutated fixtures (bytes flipped, cut, spliced)', async () => {
    expect(fixtures.length).toBeGreaterThan(0);
    const mutation = fc.record({
      index: fc.nat(fixtures.length - 1),
      cut: fc.double({ min: 0, max: 1, noNaN: true }),
      flips: fc.array(
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })),
        {
          maxLength: 20,
        },
      ),
      splice: fc.string({ maxLength: 200 }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ index, cut, flips, splice }) => {
        const source = fixtures[index] ?? Buffer.alloc(0);
        const bytes = Buffer.from(source.subarray(0, Math.floor(source.length * (0.2 + 0.8 * cut))));
        for (const [at, value] of flips) if (bytes.length) bytes[Math.floor(at * (bytes.length - 1))] = value;
        const at = Math.floor(bytes.length * cut);
        const mutated = Buffer.concat([bytes.subarray(0, at), Buffer.from(splice), bytes.subarray(at)]);
        assertValid(await analyze(mutated));
      }),
      { numRuns: 300 },
    );
  });

  it('flags a message over the size limit unreadable, routed standard', async () => {
    const huge = Buffer.alloc(27 * 1024 * 1024, 'a');
    const a = await analyze(huge);
    expect(a.unreadable).toBe(true);
    expect(a.unreadableReason).toMatch(/over the .* limit/);
    expect(a.route).toBe('standard');
  });
});
