import { describe, expect, it } from 'vitest';
import { foldText } from './foldText.js';
import { readFacts } from './readFacts.js';
import type { Fact, PrestationCode } from './types.js';

const mailDate = new Date('2026-11-20T09:00:00Z');

function facts(text: string, rubric: PrestationCode[] = [], aboutCut = false): Array<Omit<Fact, 'text'>> {
  return readFacts({
    folded: foldText(text),
    original: text,
    mailDate,
    rubricPrestations: rubric,
    aboutCut,
  }).map(({ text: _text, ...rest }) => rest);
}

describe('readFacts', () => {
  it('tells the opening of rights from the start of the non-payment', () => {
    expect(
      facts('Droits ouverts depuis mars 2021 ; le versement d’octobre n’est pas arrivé.', ['APL']),
    ).toEqual([
      { kind: 'rights-opening', date: '2021-03-01', precision: 'month', prestation: 'APL' },
      { kind: 'non-payment', date: '2026-10-01', precision: 'month', prestation: 'APL' },
    ]);
  });

  it('gives a month written alone the latest year not after the mail', () => {
    expect(facts('L’APL n’est plus versée depuis décembre.')).toEqual([
      { kind: 'non-payment', date: '2025-12-01', precision: 'month', prestation: 'APL' },
    ]);
  });

  it('reads "début septembre", "le 05/11", "le mois dernier" and a duration in words', () => {
    expect(facts('ASF non versée depuis début septembre.')[0]).toMatchObject({ date: '2026-09-01' });
    expect(facts('ASF non versée depuis le 05/11.')[0]).toMatchObject({
      date: '2026-11-05',
      precision: 'day',
    });
    expect(facts('ASF non versée depuis le mois dernier.')[0]).toMatchObject({
      date: expect.stringMatching(/^2026-10-/),
    });
    expect(facts('Plus aucun versement depuis trois mois.', ['PPA'])).toEqual([
      { kind: 'non-payment', months: 3, prestation: 'PPA' },
    ]);
  });

  it('gives each cut the benefit of its own clause', () => {
    expect(facts('RSA versé normalement, mais baisse de l’APL depuis septembre.', ['RSA', 'APL'])).toEqual([
      { kind: 'decrease', date: '2026-09-01', precision: 'month', prestation: 'APL' },
    ]);
  });

  it('reads a denied cut as no cut', () => {
    expect(facts('Pas de baisse de l’AAH, elle n’a jamais été suspendue.', ['AAH'])).toEqual([]);
  });

  it('reads a period, the last payment and the amounts of a decrease', () => {
    expect(facts('AF non versées du 01/05/2026 au 31/08/2026.', ['AF']).map((f) => f.kind)).toEqual([
      'period-start',
      'period-end',
      'non-payment',
    ]);
    expect(facts('Dernier versement reçu le 5 août 2026.', ['CF'])).toEqual([
      { kind: 'last-payment', date: '2026-08-05', precision: 'day', prestation: 'CF' },
    ]);
    expect(facts('L’AAH est passée de 900 € à 450,50 €.', ['AAH'])).toContainEqual({
      kind: 'decrease',
      before: 900,
      after: 450.5,
      prestation: 'AAH',
    });
  });

  it('reads amounts written with a thousands space, and an age is not a duration', () => {
    expect(facts('L’AAH est passée de 1 033 € à 412 € depuis octobre.', ['AAH'])).toEqual([
      {
        kind: 'decrease',
        date: '2026-10-01',
        precision: 'month',
        before: 1033,
        after: 412,
        prestation: 'AAH',
      },
    ]);
    expect(facts('L’ARS n’a pas été versée pour sa fille de 16 ans.', ['ARS'])).toEqual([
      { kind: 'non-payment', prestation: 'ARS' },
    ]);
  });

  it('keeps a negation on its own verb: "n’a pas compris le rappel reçu" is no non-payment', () => {
    expect(facts('Elle n’a pas compris le montant du rappel d’APL reçu le 05/11/2026.', ['APL'])).toEqual([
      { kind: 'other', date: '2026-11-05', precision: 'day', prestation: 'APL' },
    ]);
  });

  it('keeps the family’s name out of the words it quotes', () => {
    const text = 'Madame Quéméner a des droits ouverts depuis mars 2021.';
    const [fact] = readFacts({
      folded: foldText(text),
      original: text,
      mailDate,
      rubricPrestations: [],
      aboutCut: false,
    });
    expect(fact?.text).not.toMatch(/Quéméner/);
    expect(fact?.text).toMatch(/droits ouverts depuis mars 2021/);
  });

  it('keeps the identifiers of the family out of the words it quotes', () => {
    const text = 'Dossier 1234567 : APL non versée depuis le 14/07/2026.';
    for (const f of readFacts({
      folded: foldText(text),
      original: text,
      mailDate,
      rubricPrestations: [],
      aboutCut: false,
    }))
      expect(f.text).not.toMatch(/1234567/);
  });
});
