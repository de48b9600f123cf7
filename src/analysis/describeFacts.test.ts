import { describe, expect, it } from 'vitest';
import { describeFacts, elapsed } from './describeFacts.js';

const NBSP = '\u00a0';
const NNBSP = '\u202f';
const received = new Date('2026-11-17T09:00:00Z');

describe('describeFacts', () => {
  it('says the non-payment with its elapsed time, then the opening of rights, on one line per benefit', () => {
    const lines = describeFacts(
      [
        {
          kind: 'rights-opening',
          date: '2021-03-01',
          precision: 'day',
          prestation: 'APL',
          text: 'droits ouverts',
        },
        { kind: 'non-payment', date: '2026-07-14', precision: 'day', prestation: 'APL', text: 'non versée' },
      ],
      received,
    );
    expect(lines).toEqual([
      `Non-paiement de l’aide au logement depuis le 14${NBSP}juillet 2026, soit 4${NBSP}mois et 3${NBSP}jours${NNBSP}; droits ouverts le 1er${NBSP}mars 2021`,
    ]);
  });

  it('writes a month given alone as a month, durations with their plural, amounts with a decimal comma', () => {
    const lines = describeFacts(
      [
        {
          kind: 'non-payment',
          date: '2026-08-01',
          precision: 'month',
          prestation: 'PPA',
          text: 'depuis août',
        },
        { kind: 'decrease', before: 912.5, after: 450, prestation: 'AAH', text: 'passée de' },
        { kind: 'non-payment', months: 1, prestation: 'ASF', text: 'depuis un mois' },
      ],
      received,
    );
    expect(lines).toEqual([
      'Non-paiement de la prime d’activité depuis août 2026',
      `Baisse de l’allocation aux adultes handicapés de 912,50${NBSP}€ à 450${NBSP}€`,
      `Non-paiement de l’allocation de soutien familial depuis 1${NBSP}mois`,
    ]);
  });

  it('puts facts without a known benefit last and says when a non-payment has no date', () => {
    const lines = describeFacts(
      [
        { kind: 'non-payment', text: 'n’est plus versé' },
        {
          kind: 'last-payment',
          date: '2026-09-05',
          precision: 'day',
          prestation: 'RSA',
          text: 'dernier versement',
        },
      ],
      received,
    );
    expect(lines).toEqual([
      `Dernier versement du revenu de solidarité active reçu le 5${NBSP}septembre 2026`,
      'Non-paiement, sans date indiquée',
    ]);
  });

  it('says a non-payment read from a period once, from its start to its end', () => {
    const lines = describeFacts(
      [
        { kind: 'period-start', date: '2026-06-01', precision: 'day', prestation: 'ASF', text: 'du' },
        { kind: 'period-end', date: '2026-09-30', precision: 'day', prestation: 'ASF', text: 'au' },
        {
          kind: 'non-payment',
          date: '2026-06-01',
          precision: 'day',
          months: 4,
          prestation: 'ASF',
          text: 'non versée',
        },
      ],
      received,
    );
    expect(lines).toEqual([
      `Non-paiement de l’allocation de soutien familial du 1er${NBSP}juin 2026 au 30${NBSP}septembre 2026, soit 4${NBSP}mois`,
    ]);
  });

  it('counts elapsed time in calendar months, then days, and in years beyond twelve months', () => {
    expect(elapsed('2026-07-14', received)).toBe(`4${NBSP}mois et 3${NBSP}jours`);
    expect(elapsed('2026-11-16', received)).toBe(`1${NBSP}jour`);
    expect(elapsed('2025-09-17', received)).toBe(`1${NBSP}an et 2${NBSP}mois`);
    expect(elapsed('2026-12-01', received)).toBeNull();
  });
});
