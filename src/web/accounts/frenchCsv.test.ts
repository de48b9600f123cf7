import { describe, expect, it } from 'vitest';
import { frenchCsv } from './frenchCsv.js';

describe('frenchCsv', () => {
  it('writes a BOM, semicolons and CRLF, quotes what needs it and defuses formulas', () => {
    expect(
      frenchCsv(
        ['a', 'b'],
        [
          ['x;y', '=SOMME(A1)'],
          ['dit "oui"', 3],
        ],
      ),
    ).toBe('\ufeffa;b\r\n"x;y";\'=SOMME(A1)\r\n"dit ""oui""";3\r\n');
  });
});
