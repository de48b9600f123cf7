import { describe, expect, it } from 'vitest';
import { mail, RELAY, rubrics, testAnalyzer } from '../../../tests/support/analyzer.js';
import type { RuleId } from '../types.js';

const analyze = testAnalyzer();

async function ruleIds(raw: string): Promise<RuleId[]> {
  const a = await analyze(raw);
  return [...new Set(a.lint.map((f) => f.rule))].sort();
}

/** Each row: a mail, and whether the rule must fire on it. */
const cases: Array<{ rule: RuleId; fires: boolean; why: string; raw: string }> = [
  { rule: 'rubric-missing', fires: false, why: 'all four headings present', raw: mail(rubrics()) },
  {
    rule: 'rubric-missing',
    fires: true,
    why: 'no commentaire heading',
    raw: mail('Motif de la demande : non-paiement\nPrestation(s) concernée(s) : APL depuis le 01/09/2026\n'),
  },
  { rule: 'rubric-empty', fires: true, why: 'motif left as "..."', raw: mail(rubrics({ motif: '...' })) },
  {
    rule: 'rubric-empty',
    fires: true,
    why: 'prestations left as "…"',
    raw: mail(rubrics({ prestations: '…' })),
  },
  {
    rule: 'rubric-empty',
    fires: true,
    why: 'commentaire left as "-"',
    raw: mail(rubrics({ commentaire: '-' })),
  },
  {
    rule: 'rubric-empty',
    fires: false,
    why: 'spécificités may stay empty',
    raw: mail(rubrics({ specificites: '' })),
  },
  {
    rule: 'multiple-situations',
    fires: true,
    why: 'two distinct allocataire numbers',
    raw: mail(rubrics({ commentaire: 'Dossiers 1234567 et 7654321, APL non versée depuis le 01/10/2026.' })),
  },
  {
    rule: 'multiple-situations',
    fires: false,
    why: 'the same number twice is one situation',
    raw: mail(
      rubrics({ commentaire: 'Dossier 1234567 (rappel : 1234567), APL non versée depuis le 01/10/2026.' }),
    ),
  },
  {
    rule: 'multiple-situations',
    fires: true,
    why: 'two distinct NIRs',
    raw: mail(
      rubrics({ commentaire: 'NIR 2 85 06 75 123 456 78 et 1 79 12 35 238 014 55. Depuis le 01/10/2026.' }),
    ),
  },
  {
    rule: 'multiple-situations',
    fires: true,
    why: 'Situation 1 / Situation 2 enumeration',
    raw: mail(
      rubrics({ commentaire: 'Situation 1 : APL non versée depuis le 01/10/2026.\nSituation 2 : ASF.' }),
    ),
  },
  {
    rule: 'multiple-situations',
    fires: true,
    why: 'the rubric block written twice',
    raw: mail(`${rubrics()}\n\n${rubrics({ prestations: 'ASF' })}`),
  },
  {
    rule: 'urgency-keyword-placement',
    fires: true,
    why: 'keyword only in the subject',
    raw: mail(rubrics({ prestations: 'RSA', commentaire: 'RSA non versé depuis le 05/11/2026.' }), {
      Subject: 'URGENCE DEFINIE RSA',
    }),
  },
  {
    rule: 'urgency-keyword-placement',
    fires: false,
    why: 'the word "urgence" alone is not the keyword',
    raw: mail(rubrics(), { Subject: 'Urgence : APL' }),
  },
  {
    rule: 'urgency-unsubstantiated',
    fires: true,
    why: 'PPA unpaid for one month does not meet the definition',
    raw: mail(
      rubrics({ prestations: 'PPA', commentaire: 'La PPA n’est plus versée depuis le 20/10/2026.' }),
      {
        Subject: 'URGENCE DEFINIE',
      },
    ),
  },
  {
    rule: 'urgency-unsubstantiated',
    fires: false,
    why: 'AAH decreased meets the definition',
    raw: mail(
      rubrics({
        motif: 'baisse',
        prestations: 'AAH',
        commentaire: 'Forte baisse de l’AAH en novembre 2026.',
      }),
      {
        Subject: 'URGENCE DEFINIE',
      },
    ),
  },
  {
    rule: 'vocabulary-suspension',
    fires: true,
    why: '"suspendue" used',
    raw: mail(rubrics({ commentaire: 'L’APL est suspendue depuis le 01/10/2026.' })),
  },
  { rule: 'vocabulary-suspension', fires: false, why: '"non-paiement" used', raw: mail(rubrics()) },
  {
    rule: 'dates-missing',
    fires: true,
    why: 'non-payment without any date',
    raw: mail(rubrics({ commentaire: 'L’APL n’est plus versée. Pourquoi ?' })),
  },
  {
    rule: 'dates-missing',
    fires: false,
    why: 'a duration counts as a date',
    raw: mail(rubrics({ commentaire: 'L’APL n’est plus versée depuis 4 mois.' })),
  },
  {
    rule: 'dates-missing',
    fires: false,
    why: 'no non-payment asked about',
    raw: mail(rubrics({ motif: 'demande d’explication', commentaire: 'Comment est calculée l’APL ?' })),
  },
  {
    rule: 'prestation-unknown',
    fires: true,
    why: 'the prestation heading names no benefit',
    raw: mail(rubrics({ prestations: 'la CAF' })),
  },
  {
    rule: 'prestation-unknown',
    fires: false,
    why: 'full name "prime d’activité" is known',
    raw: mail(rubrics({ prestations: 'prime d’activité' })),
  },
  {
    rule: 'family-event-social-service',
    fires: true,
    why: 'separation with children',
    raw: mail(
      rubrics({
        commentaire: 'Séparation en septembre 2026, deux enfants à charge. APL depuis le 01/10/2026.',
      }),
    ),
  },
  {
    rule: 'family-event-social-service',
    fires: true,
    why: 'death of a parent',
    raw: mail(rubrics({ commentaire: 'Décès du père le 02/10/2026.' })),
  },
  { rule: 'family-event-social-service', fires: false, why: 'no family event', raw: mail(rubrics()) },
  {
    rule: 'family-event-social-service',
    fires: false,
    why: 'the death of a grandmother is not a BP-send 7 event',
    raw: mail(rubrics({ commentaire: 'Suite au décès de sa grand-mère le 02/10/2026, Madame a déménagé.' })),
  },
  {
    rule: 'specificity-documents-recipient',
    fires: true,
    why: 'person without a home',
    raw: mail(rubrics({ specificites: 'sans domicile fixe, domiciliée au CCAS' })),
  },
  {
    rule: 'specificity-documents-recipient',
    fires: false,
    why: 'the template example "(ex : allophone…)" is not a specificity',
    raw: mail(rubrics({ specificites: '... (ex : allophone, sans domicile fixe...)' })),
  },
  {
    rule: 'family-event-social-service',
    fires: false,
    why: 'separated, but the couple has no child',
    raw: mail(
      rubrics({ commentaire: 'Madame est séparée, le couple n’a pas d’enfant. APL depuis le 01/10/2026.' }),
    ),
  },
  {
    rule: 'family-event-social-service',
    fires: true,
    why: 'the death of a baby said in other words',
    raw: mail(rubrics({ commentaire: 'Leur bébé est décédé en septembre. APL depuis le 01/10/2026.' })),
  },
  {
    rule: 'family-event-social-service',
    fires: true,
    why: '"a perdu son mari"',
    raw: mail(rubrics({ commentaire: 'Madame a perdu son mari le 3 octobre 2026.' })),
  },
  {
    rule: 'specificity-documents-recipient',
    fires: true,
    why: 'allophone in other words ("ne comprend que le tamoul")',
    raw: mail(rubrics({ specificites: 'ne comprend que le tamoul' })),
  },
  {
    rule: 'specificity-documents-recipient',
    fires: false,
    why: 'an ordinary postal address after "domiciliée"',
    raw: mail(rubrics({ commentaire: 'Madame est domiciliée au 8 rue des Lilas depuis le 01/07/2026.' })),
  },
  {
    rule: 'specificity-documents-recipient',
    fires: true,
    why: 'domiciliation at the CCAS',
    raw: mail(rubrics({ specificites: 'domiciliée au CCAS de Vitré' })),
  },
  {
    rule: 'vocabulary-suspension',
    fires: false,
    why: 'suspension denied ("n’a jamais été suspendue")',
    raw: mail(rubrics({ commentaire: 'L’APL n’a jamais été suspendue, mais elle a baissé le 01/10/2026.' })),
  },
  {
    rule: 'dates-missing',
    fires: true,
    why: 'the opening of rights alone does not date the non-payment',
    raw: mail(
      rubrics({ commentaire: 'Droits ouverts le 1er mars 2021, l’APL n’est plus versée. Pourquoi ?' }),
    ),
  },
  {
    rule: 'multiple-situations',
    fires: true,
    why: 'another household announced in prose',
    raw: mail(
      rubrics({
        commentaire:
          'APL non versée depuis le 01/10/2026. Je vous signale aussi la situation de Mme B., qui n’a rien à voir.',
      }),
    ),
  },
  {
    rule: 'multiple-situations',
    fires: false,
    why: 'the spouse is the same household',
    raw: mail(
      rubrics({
        commentaire:
          'APL non versée depuis le 01/10/2026. Je vous signale aussi la situation de son conjoint.',
      }),
    ),
  },
];

describe('lint rules', () => {
  for (const c of cases) {
    it(`${c.rule} ${c.fires ? 'fires' : 'stays silent'}: ${c.why}`, async () => {
      const ids = await ruleIds(c.raw);
      if (c.fires) expect(ids).toContain(c.rule);
      else expect(ids).not.toContain(c.rule);
    });
  }

  it('orders findings errors first, then warnings, then tips', async () => {
    const a = await analyze(
      mail(rubrics({ motif: '...', commentaire: 'APL suspendue.', specificites: 'allophone' })),
    );
    const rank = { error: 0, warning: 1, info: 2 };
    const order = a.lint.map((f) => rank[f.severity]);
    expect(order).toEqual([...order].sort());
    expect(a.lint.map((f) => f.rule)).toEqual(
      expect.arrayContaining(['rubric-empty', 'vocabulary-suspension', 'specificity-documents-recipient']),
    );
  });

  it('gives each finding a French message that names the good practice', async () => {
    const a = await analyze(mail('Bonjour, l’APL est suspendue. Merci.'));
    expect(a.lint.length).toBeGreaterThan(3);
    for (const f of a.lint) expect(f.message).toMatch(/bonne pratique n°\d/);
  });

  it('reads a relay form mail for its rubrics like a direct one', async () => {
    const raw = mail(
      `Nom de votre organisme : CDAS Cleunay\nVos nom et prénom : Essai Camille\nVotre adresse électronique : camille.essai@ille-et-vilaine.fr\nVotre message :\n${rubrics()}`,
      { From: RELAY },
    );
    expect(await ruleIds(raw)).toEqual([]);
  });
});
