import { describe, expect, it } from 'vitest';
import { mail, RELAY, rubrics, testAnalyzer } from '../../tests/support/analyzer.js';

const analyze = testAnalyzer();

function form(
  organisme: string,
  body = rubrics({ prestations: 'RSA', commentaire: 'RSA non versé depuis le 05/11/2026.' }),
) {
  return mail(
    `Nom de votre organisme : ${organisme}\nVos nom et prénom : Essai Camille\nVotre adresse électronique : camille.essai@ille-et-vilaine.fr\nVotre message :\n${body}`,
    { From: RELAY },
  );
}

describe('detectUrgency: the keyword URGENCE DEFINIE', () => {
  const variants = [
    'URGENCE DEFINIE',
    'urgence définie',
    'URGENCE DÉFINIE',
    'Urgence-Définie',
    'URGENCE   DEFINIE',
    'URGENCE - DEFINIE',
  ];
  for (const v of variants) {
    it(`is found in the organisme field when written "${v}"`, async () => {
      const a = await analyze(form(`CDAS Maurepas ${v}`));
      expect(a.urgent).toBe(true);
      expect(a.urgency.source).toBe('organisme');
      expect(a.route).toBe('priority');
    });
  }

  it('is not "URGENCE" alone', async () => {
    const a = await analyze(form('CDAS Maurepas URGENCE'));
    expect(a.urgent).toBe(false);
    expect(a.route).toBe('standard');
  });

  it('is not the two words apart', async () => {
    const a = await analyze(
      mail(rubrics({ commentaire: 'Une urgence a été définie hier. APL depuis le 01/10/2026.' })),
    );
    expect(a.urgent).toBe(false);
  });

  it('is found in the subject, with a placement warning', async () => {
    const a = await analyze(mail(rubrics(), { Subject: 'urgence définie - APL' }));
    expect(a.urgency.source).toBe('subject');
    expect(a.lint.map((f) => f.rule)).toContain('urgency-keyword-placement');
  });

  it('is found in the body, with a placement warning', async () => {
    const a = await analyze(mail(`URGENCE DEFINIE\n${rubrics()}`));
    expect(a.urgency.source).toBe('body');
    expect(a.route).toBe('priority');
  });

  it('does not count in quoted text of a reply ("Le … a écrit :" and below)', async () => {
    const a = await analyze(
      mail(
        `Merci pour votre retour.\n\nLe 12 nov. 2026 à 10:02, Camille Essai <c@ille-et-vilaine.fr> a écrit :\nURGENCE DEFINIE\n${rubrics()}`,
      ),
    );
    expect(a.urgent).toBe(false);
  });

  it('does not count in ">" quoted lines', async () => {
    const a = await analyze(mail(`Merci.\n> URGENCE DEFINIE\n> RSA coupé`));
    expect(a.urgent).toBe(false);
  });
});

describe('detectUrgency: the keyword denied, decomposed or in guillemets', () => {
  const denied = [
    'Il ne s’agit pas d’une URGENCE DEFINIE, mais d’une question.',
    'Pas d’URGENCE DEFINIE pour ce dossier.',
    'Demande sans « URGENCE DEFINIE ».',
  ];
  for (const sentence of denied) {
    it(`does not count "${sentence}"`, async () => {
      const a = await analyze(mail(`${sentence}\n${rubrics()}`));
      expect(a.urgent).toBe(false);
      expect(a.route).toBe('standard');
    });
  }

  it('still counts the keyword after a denial that ends its clause', async () => {
    const a = await analyze(mail(`Pas de versement depuis le 05/11/2026. URGENCE DEFINIE\n${rubrics()}`));
    expect(a.urgency.source).toBe('body');
  });

  it('finds the keyword written with decomposed accents (NFD)', async () => {
    const a = await analyze(form('CDAS Maurepas URGENCE DE\u0301FINIE'));
    expect(a.urgency.source).toBe('organisme');
  });

  it('finds the keyword in guillemets with non-breaking spaces', async () => {
    const a = await analyze(form('CDAS Maurepas «\u00a0URGENCE DEFINIE\u00a0»'));
    expect(a.urgency.source).toBe('organisme');
  });
});

describe('classifyKind: the subject never turns a request into an auto-reply', () => {
  const subjects = [
    'En congé parental : PreParE non versée depuis 4 mois - URGENCE DEFINIE',
    'Absence : APL non versée depuis septembre',
    'Je suis absente, URGENCE DEFINIE pour Mme R.',
  ];
  for (const subject of subjects) {
    it(`keeps "${subject}" with the form's headings a partner's request`, async () => {
      const a = await analyze(
        mail(rubrics({ prestations: 'PreParE', commentaire: 'PreParE non versée depuis le 01/07/2026.' }), {
          Subject: subject,
        }),
      );
      expect(a.kind).toBe('direct');
      expect(a.route).not.toBe('ignored');
    });
  }

  it('still reads an out-of-office without any request by its subject', async () => {
    const a = await analyze(mail('Je suis absente jusqu’au 20 novembre.', { Subject: 'Je suis absente' }));
    expect(a.kind).toBe('auto-reply');
  });

  it('reads Auto-Submitted as a robot even when the subject carries the keyword', async () => {
    const a = await analyze(
      mail(rubrics(), { Subject: 'Réponse automatique : URGENCE DEFINIE', 'Auto-Submitted': 'auto-replied' }),
    );
    expect(a.kind).toBe('auto-reply');
    expect(a.urgent).toBe(false);
  });
});

describe('checkUrgency: the definition of urgency', () => {
  const urgent = (commentaire: string, prestations: string, date = 'Thu, 20 Nov 2026 10:00:00 +0100') =>
    analyze(mail(rubrics({ prestations, commentaire }), { Subject: 'URGENCE DEFINIE', Date: date }));

  it('does not take the opening of rights for the start of the non-payment', async () => {
    const a = await urgent(
      'Droits ouverts depuis mars 2021 ; le versement d’octobre n’est pas arrivé.',
      'APL',
    );
    expect(a.urgency.check).toBe('unsubstantiated');
    expect(a.facts.map((f) => f.kind)).toEqual(['rights-opening', 'non-payment']);
  });

  it('does not charge an APL decrease to the RSA named in the same sentence', async () => {
    const a = await urgent('RSA versé normalement, mais baisse de l’APL depuis octobre.', 'RSA, APL');
    expect(a.urgency.check).toBe('unsubstantiated');
  });

  it('accepts RSA interrupted', async () => {
    expect((await urgent('Le RSA n’a pas été versé ce mois-ci.', 'RSA')).urgency.check).toBe('substantiated');
  });
  it('accepts AAH strongly decreased', async () => {
    expect((await urgent('Forte diminution de l’AAH en novembre.', 'AAH')).urgency.check).toBe(
      'substantiated',
    );
  });
  it('accepts another benefit unpaid "depuis 4 mois"', async () => {
    expect((await urgent('L’APL n’est plus versée depuis 4 mois.', 'APL')).urgency.check).toBe(
      'substantiated',
    );
  });
  it('accepts "depuis trois mois" written in words', async () => {
    expect((await urgent('Aucun versement de l’ASF depuis trois mois.', 'ASF')).urgency.check).toBe(
      'substantiated',
    );
  });
  it('accepts a start date at least three months before the mail', async () => {
    expect((await urgent('La PPA n’est plus versée depuis le 05/08/2026.', 'PPA')).urgency.check).toBe(
      'substantiated',
    );
  });
  it('accepts a month name three months before the mail', async () => {
    expect(
      (await urgent('Non-paiement des allocations familiales depuis juillet.', 'AF')).urgency.check,
    ).toBe('substantiated');
  });
  it('accepts another benefit decreased for three months (convention: "rupture ou diminution")', async () => {
    const a = await urgent('Forte baisse des allocations familiales depuis le 10/07/2026.', 'AF');
    expect(a.urgency.check).toBe('substantiated');
  });
  it('rejects another benefit unpaid for one month, but keeps it priority', async () => {
    const a = await urgent('La PPA n’est plus versée depuis le 20/10/2026.', 'PPA');
    expect(a.urgency.check).toBe('unsubstantiated');
    expect(a.route).toBe('priority');
    expect(a.reply).toBe('ack-with-feedback');
  });
  it('rejects a start date two months before the mail', async () => {
    expect((await urgent('L’ASF n’est plus versée depuis le 25/09/2026.', 'ASF')).urgency.check).toBe(
      'unsubstantiated',
    );
  });
  it('rejects a question with no interruption at all', async () => {
    expect((await urgent('Comment est calculée la prime d’activité ?', 'PPA')).urgency.check).toBe(
      'unsubstantiated',
    );
  });
  it('reads a month without a year as the latest one before the mail', async () => {
    // "depuis décembre" in a March mail is December of the previous year: three months.
    const a = await urgent(
      'L’APL n’est plus versée depuis décembre.',
      'APL',
      'Mon, 16 Mar 2026 10:00:00 +0100',
    );
    expect(a.urgency.check).toBe('substantiated');
  });
});
