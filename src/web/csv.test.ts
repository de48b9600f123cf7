import { describe, expect, it } from 'vitest';
import { toCsv, toCsvSections } from './csv.js';

describe('CSV for French Excel', () => {
  it('starts with a byte order mark, separates with ";", ends lines with CRLF, writes a decimal comma', () => {
    expect(
      toCsv(
        ['Mois', 'Part (%)'],
        [
          ['janvier 2024', 66.7],
          ['février 2024', 100],
          ['mars 2024', null],
        ],
      ),
    ).toBe('\ufeffMois;Part (%)\r\njanvier 2024;66,7\r\nfévrier 2024;100\r\nmars 2024;\r\n');
  });

  it('quotes what holds a separator, a quote or a line end, and defuses formulas', () => {
    expect(
      toCsv(['a'], [['x;y'], ['dit "non"'], ['deux\nlignes'], ['=1+1'], ['+33 6'], ['-2'], ['@SUM(A1)']]),
    ).toBe(
      '\ufeffa\r\n"x;y"\r\n"dit ""non"""\r\n"deux\nlignes"\r\n\'=1+1\r\n\'+33 6\r\n\'-2\r\n\'@SUM(A1)\r\n',
    );
    // A negative number is a number, not a formula.
    expect(toCsv(['n'], [[-1.5]])).toBe('\ufeffn\r\n-1,5\r\n');
  });

  it('puts several tables in one file, each under its title, an empty line between them', () => {
    expect(
      toCsvSections([
        { title: 'Par CDAS', header: ['CDAS', 'Demandes'], rows: [['CDAS Rennes', 7]] },
        { title: 'Par motif', header: ['Motif', 'Demandes'], rows: [] },
      ]),
    ).toBe('\ufeffPar CDAS\r\nCDAS;Demandes\r\nCDAS Rennes;7\r\n\r\nPar motif\r\nMotif;Demandes\r\n');
  });
});
