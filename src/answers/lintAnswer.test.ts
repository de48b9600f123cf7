import { describe, expect, it } from 'vitest';
import { type AnsweredRequest, type AnswerFinding, type AnswerRuleId, lintAnswer } from './lintAnswer.js';

/** The parts of an answer; each case changes one, the others follow the good practices. */
interface Parts {
  greeting: string;
  body: string;
  closing: string;
  signature: string;
}

const good: Parts = {
  greeting: 'Bonjour Madame,',
  body:
    'Vous nous interrogez sur le non-paiement de l’aide personnalisée au logement de Monsieur K. depuis le 05/10/2026.\n\n' +
    'Le versement est interrompu depuis le 05/10/2026 : l’attestation de loyer de septembre ne nous est pas parvenue. ' +
    'Dès sa réception, le dossier sera réexaminé et le rappel versé.',
  closing: 'Je reste à votre disposition.\nCordialement,',
  signature: 'C. Lebrun\nTechnicienne conseil',
};

function answer(parts: Partial<Parts> = {}): string {
  const p = { ...good, ...parts };
  return [p.greeting, p.body, p.closing, p.signature].filter(Boolean).join('\n\n');
}

const urgentRsa: AnsweredRequest = { urgent: true, urgencyCheck: 'substantiated', prestations: ['RSA'] };
const unjustified: AnsweredRequest = {
  urgent: true,
  urgencyCheck: 'unsubstantiated',
  prestations: ['PPA'],
};

function rules(findings: AnswerFinding[]): AnswerRuleId[] {
  return [...new Set(findings.map((f) => f.rule))].sort();
}

/** Each row: an answer, and whether the rule must fire on it. */
const cases: Array<{
  rule: AnswerRuleId;
  fires: boolean;
  why: string;
  text: string;
  request?: AnsweredRequest;
}> = [
  // answer-greeting
  { rule: 'answer-greeting', fires: true, why: 'starts with the answer', text: answer({ greeting: '' }) },
  { rule: 'answer-greeting', fires: false, why: '« Bonjour Madame »', text: answer() },
  {
    rule: 'answer-greeting',
    fires: false,
    why: '« Madame, Monsieur »',
    text: answer({ greeting: 'Madame, Monsieur,' }),
  },
  {
    rule: 'answer-greeting',
    fires: false,
    why: '« Chère collègue »',
    text: answer({ greeting: 'Chère collègue,' }),
  },

  // answer-reformulation
  {
    rule: 'answer-reformulation',
    fires: true,
    why: 'goes straight to the facts',
    text: answer({ body: 'Le dossier est à jour depuis le 05/10/2026 et le paiement a repris.' }),
  },
  {
    rule: 'answer-reformulation',
    fires: true,
    why: '« je vous informe » is the answer speaking, not the request restated',
    text: answer({ body: 'Je vous informe que le dossier est complet depuis le 05/10/2026.' }),
  },
  {
    rule: 'answer-reformulation',
    fires: false,
    why: '« Suite à votre demande concernant »',
    text: answer({
      body: 'Suite à votre demande concernant l’aide au logement de Monsieur K., le dossier est complet depuis le 05/10/2026.',
    }),
  },
  {
    rule: 'answer-reformulation',
    fires: false,
    why: '« Vous nous avez sollicités concernant »',
    text: answer({
      body: 'Vous nous avez sollicités concernant l’allocation de soutien familial de Madame R. Le dossier est complet.',
    }),
  },
  {
    rule: 'answer-reformulation',
    fires: false,
    why: '« Vous souhaitez savoir », the greeting on the same line',
    text: answer({
      greeting: '',
      body: 'Bonjour, vous souhaitez savoir pourquoi la prime d’activité a baissé en octobre 2026. Les ressources déclarées ont augmenté.',
    }),
  },
  {
    rule: 'answer-reformulation',
    fires: false,
    why: '« Votre demande porte sur »',
    text: answer({
      body: 'Votre demande porte sur le montant des allocations familiales. Il tient compte des trois enfants.',
    }),
  },

  // answer-acronyms
  {
    rule: 'answer-acronyms',
    fires: true,
    why: 'a benefit acronym',
    text: answer({
      body: 'Vous nous interrogez sur l’APL de Monsieur K. Le dossier est complet.',
    }),
  },
  {
    rule: 'answer-acronyms',
    fires: true,
    why: 'an unknown acronym (short, unpronounceable)',
    text: answer({
      body: 'Vous nous interrogez sur le dossier de Monsieur K. La CESF peut l’accompagner.',
    }),
  },
  {
    rule: 'answer-acronyms',
    fires: true,
    why: 'a known acronym in a line typed in capitals',
    text: answer({
      body: 'Vous nous interrogez sur le dossier de Monsieur K.\nRAPPEL : LE RSA EST VERSÉ LE 5 DU MOIS',
    }),
  },
  {
    rule: 'answer-acronyms',
    fires: false,
    why: 'the partners’ names CAF, CDAS, CDAP are tolerated',
    text: answer({
      body: 'Vous nous interrogez sur le dossier de Monsieur K. La CAF a bien reçu le message du CDAS par CDAP Mon Compte Partenaire.',
    }),
  },
  {
    rule: 'answer-acronyms',
    fires: false,
    why: 'the acronym after its name in full',
    text: answer({
      body: 'Vous nous interrogez sur l’allocation aux adultes handicapés (AAH) de Madame R. Le dossier est complet.',
    }),
  },
  {
    rule: 'answer-acronyms',
    fires: false,
    why: 'surnames, roman numerals, months, shouted words, the keyword and addresses',
    text: answer({
      body:
        'Vous nous interrogez sur la situation de Mme DURAND et de J. MARTIN (URGENCE DEFINIE).\n' +
        'Voir le chapitre II de la convention, MARS 2026.\n' +
        'RAPPEL : LA LOI PRÉVOIT UN DÉLAI DE TROIS MOIS\n' +
        'Les pièces vont à transmettreundocument.caf35@info-caf.fr.',
    }),
  },
  {
    rule: 'answer-acronyms',
    fires: false,
    why: 'acronyms in the quoted request and in the signature block do not count',
    text:
      answer({ signature: 'C. Lebrun\nTechnicienne conseil CAF - pôle RSA AAH' }) +
      '\n\nLe 20/11/2026 à 10:02, Camille Essai <camille.essai@ille-et-vilaine.fr> a écrit :\n' +
      '> Motif de la demande : non-paiement\n> Prestation(s) concernée(s) : APL, PPA, ASF\n',
  },

  // answer-dates
  {
    rule: 'answer-dates',
    fires: true,
    why: 'an interruption without a date',
    text: answer({
      body: 'Vous nous interrogez sur l’aide au logement de Monsieur K. Le versement est interrompu faute d’attestation de loyer.',
    }),
  },
  {
    rule: 'answer-dates',
    fires: true,
    why: 'an opening of rights without a date',
    text: answer({
      body: 'Vous nous interrogez sur l’allocation de soutien familial de Madame R. Les droits ont été ouverts après réception du jugement.',
    }),
  },
  {
    rule: 'answer-dates',
    fires: true,
    why: 'a period without its dates',
    text: answer({
      body: 'Vous nous interrogez sur la prime d’activité de Madame R. Elle n’est pas due pour la période concernée.',
    }),
  },
  {
    rule: 'answer-dates',
    fires: false,
    why: 'dated: « depuis le 05/10/2026 »',
    text: answer(),
  },
  {
    rule: 'answer-dates',
    fires: false,
    why: 'dated: « à compter du 1er mars 2026 », « du 01/01/2026 au 31/03/2026 »',
    text: answer({
      body:
        'Vous nous interrogez sur la prime d’activité de Madame R. Les droits sont ouverts à compter du 1er mars 2026. ' +
        'Elle n’est pas due pour la période du 01/01/2026 au 31/03/2026.',
    }),
  },
  {
    rule: 'answer-dates',
    fires: false,
    why: 'the date in the next sentence; an interruption denied',
    text: answer({
      body:
        'Vous nous interrogez sur l’aide au logement de Monsieur K. Son versement est suspendu. Il reprendra en décembre 2026. ' +
        'Les allocations familiales n’ont pas été interrompues.',
    }),
  },

  // answer-signature
  {
    rule: 'answer-signature',
    fires: true,
    why: 'no identity at all',
    text: answer({ signature: '' }),
  },
  {
    rule: 'answer-signature',
    fires: true,
    why: 'a service, not a person',
    text: answer({ signature: 'Le service des prestations\nCAF d’Ille-et-Vilaine' }),
  },
  {
    rule: 'answer-signature',
    fires: true,
    why: 'first name in full',
    text: answer({ signature: 'Claire Lebrun' }),
  },
  {
    rule: 'answer-signature',
    fires: false,
    why: '« C.Lebrun »',
    text: answer({ signature: 'C.Lebrun' }),
  },
  {
    rule: 'answer-signature',
    fires: false,
    why: '« C LEBRUN » with the function on the same line',
    text: answer({ signature: 'C LEBRUN - Technicienne conseil CAF' }),
  },
  {
    rule: 'answer-signature',
    fires: false,
    why: '« J.-P. Le Goff » after a signature delimiter',
    text: answer({ signature: '-- \nJ.-P. Le Goff\nTechnicien conseil\nCAF d’Ille-et-Vilaine' }),
  },
  {
    rule: 'answer-signature',
    fires: false,
    why: 'on the closing line',
    text: answer({ closing: 'Cordialement, C. Lebrun', signature: '' }),
  },

  // answer-closing
  { rule: 'answer-closing', fires: true, why: 'no closing formula', text: answer({ closing: '' }) },
  { rule: 'answer-closing', fires: true, why: '« Cdlt »', text: answer({ closing: 'Cdlt' }) },
  {
    rule: 'answer-closing',
    fires: false,
    why: '« Bien à vous »',
    text: answer({ closing: 'Bien à vous,' }),
  },
  {
    rule: 'answer-closing',
    fires: false,
    why: 'a formal closing',
    text: answer({
      closing: 'Je vous prie d’agréer, Madame, l’expression de mes salutations distinguées.',
    }),
  },

  // answer-unblocking
  {
    rule: 'answer-unblocking',
    fires: true,
    why: 'urgent RSA, no unblocking said',
    request: urgentRsa,
    text: answer({
      body: 'Vous nous interrogez sur le revenu de solidarité active de Madame R., interrompu depuis le 05/11/2026 faute de déclaration trimestrielle.',
    }),
  },
  {
    rule: 'answer-unblocking',
    fires: false,
    why: 'urgent RSA, unblocking asked',
    request: urgentRsa,
    text: answer({
      body:
        'Vous nous interrogez sur le revenu de solidarité active de Madame R., interrompu depuis le 05/11/2026. ' +
        'J’ai demandé ce jour au service compétent le déblocage de la situation.',
    }),
  },
  {
    rule: 'answer-unblocking',
    fires: false,
    why: 'urgent, but no minimum social benefit concerned',
    request: { urgent: true, urgencyCheck: 'substantiated', prestations: ['APL'] },
    text: answer(),
  },
  {
    rule: 'answer-unblocking',
    fires: false,
    why: 'the request is not urgent',
    request: { urgent: false, urgencyCheck: null, prestations: ['AAH'] },
    text: answer(),
  },
  { rule: 'answer-unblocking', fires: false, why: 'no request known', text: answer() },

  // answer-urgency-refusal
  {
    rule: 'answer-urgency-refusal',
    fires: true,
    why: 'unsubstantiated urgency, the answer is silent about it',
    request: unjustified,
    text: answer(),
  },
  {
    rule: 'answer-urgency-refusal',
    fires: true,
    why: 'says it is not an urgency without saying why',
    request: unjustified,
    text: answer({
      body: `${good.body}\n\nCette situation ne relève pas de l’urgence.`,
    }),
  },
  {
    rule: 'answer-urgency-refusal',
    fires: false,
    why: 'says it is not an urgency, and why',
    request: unjustified,
    text: answer({
      body: `${good.body}\n\nCette situation ne relève pas de l’urgence au sens de la convention, car la prime d’activité n’est interrompue que depuis un mois.`,
    }),
  },
  {
    rule: 'answer-urgency-refusal',
    fires: false,
    why: 'the urgency meets the definition',
    request: { ...urgentRsa, prestations: ['APL'] },
    text: answer(),
  },
];

describe('lintAnswer: each rule', () => {
  it.each(cases)('$rule fires=$fires: $why', ({ rule, fires, text, request }) => {
    expect(rules(lintAnswer(text, request)).includes(rule)).toBe(fires);
  });
});

describe('lintAnswer: whole answers', () => {
  it('the answer the cases start from follows every practice', () => {
    expect(lintAnswer(answer())).toEqual([]);
  });

  it('a complete good answer to an urgent request gets no finding', () => {
    const text = [
      'Bonjour Madame,',
      '',
      'Vous nous avez sollicités concernant le revenu de solidarité active de Madame R., qui n’est plus versé',
      'depuis le 05/11/2026.',
      '',
      'Le versement a été interrompu le 05/11/2026 : la déclaration trimestrielle de ressources',
      'd’août à octobre 2026 ne nous est pas parvenue. Madame R. peut la faire en ligne sur caf.fr,',
      'dans l’espace « Mon compte ». Nous avons demandé ce jour au service compétent le déblocage',
      'de la situation ; le rappel sera versé dès réception de la déclaration.',
      '',
      'Je reste à votre disposition pour tout complément.',
      '',
      'Bien cordialement,',
      '',
      'C. Lebrun',
      'Technicienne conseil - CAF d’Ille-et-Vilaine',
      '',
      'Le 20/11/2026 à 10:02, Camille Essai <camille.essai@ille-et-vilaine.fr> a écrit :',
      '> Nom de votre organisme : CDAS de Redon URGENCE DEFINIE',
      '> Motif de la demande : non-paiement',
      '> Prestation(s) concernée(s) : RSA',
    ].join('\r\n');
    expect(lintAnswer(text, urgentRsa)).toEqual([]);
  });

  it('a hasty answer misses several practices, errors first', () => {
    const text = 'Le RSA est suspendu, il faut envoyer la DTR.\nCdlt\nClaire Lebrun';
    const findings = lintAnswer(text, urgentRsa);
    expect(rules(findings)).toEqual([
      'answer-acronyms',
      'answer-closing',
      'answer-dates',
      'answer-greeting',
      'answer-reformulation',
      'answer-signature',
      'answer-unblocking',
    ]);
    expect(findings[0]?.severity).toBe('error');
    expect(findings.findIndex((f) => f.severity === 'warning')).toBe(1);
    const acronyms = findings.find((f) => f.rule === 'answer-acronyms')?.message ?? '';
    expect(acronyms).toContain('«\u00a0revenu de solidarité active\u00a0» plutôt que RSA');
    expect(acronyms).toContain('«\u00a0déclaration trimestrielle de ressources\u00a0» plutôt que DTR');
    expect(acronyms).toMatch(/^Votre réponse contient des sigles \(RSA, DTR\)\u00a0:/);
    expect(findings.find((f) => f.rule === 'answer-signature')).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('«\u00a0C. Lebrun\u00a0»'),
    });
  });

  it('an answer with no identity at all gets an error, one with a full name a warning', () => {
    const severity = (signature: string) =>
      lintAnswer(answer({ signature })).find((f) => f.rule === 'answer-signature')?.severity;
    expect(severity('')).toBe('error');
    expect(severity('Claire Lebrun')).toBe('warning');
    expect(severity('LEBRUN Claire')).toBe('warning');
    expect(severity('Mme Lebrun')).toBe('warning');
    expect(severity('Madame Claire Lebrun')).toBe('warning');
    expect(severity('LEBRUN C.')).toBeUndefined();
  });

  it('names each benefit of an urgent request, with its article', () => {
    const both: AnsweredRequest = { urgent: true, urgencyCheck: null, prestations: ['AAH', 'RSA'] };
    const message = lintAnswer(answer(), both).find((f) => f.rule === 'answer-unblocking')?.message;
    expect(message).toContain(
      'concerne le revenu de solidarité active (RSA) et l’allocation aux adultes handicapés (AAH).',
    );
  });

  it('lists the topics left without a date', () => {
    const message = lintAnswer(
      answer({
        body: 'Vous nous interrogez sur Madame R. Les droits sont ouverts. Le versement est interrompu.',
      }),
    ).find((f) => f.rule === 'answer-dates')?.message;
    expect(message).toMatch(/^Votre réponse parle de l’ouverture des droits et d’un non-paiement sans date/);
  });

  it('reads an Outlook reply: the original message below its header does not count', () => {
    const text = `${answer()}\r\n\r\n-----Message d'origine-----\r\nDe : Camille Essai\r\nEnvoyé : jeudi 20 novembre 2026 10:02\r\nObjet : APL non versée\r\n\r\nBonjour, l’APL n’est plus versée. Cdlt\r\n`;
    expect(lintAnswer(text)).toEqual([]);
  });

  it('writes every message with French typography', () => {
    const all = cases.flatMap(({ text, request }) => lintAnswer(text, request));
    expect(new Set(all.map((f) => f.rule)).size).toBe(8);
    for (const { message } of all) {
      expect(message).not.toMatch(/ [:;?!»]|« /);
      expect(message).not.toMatch(/\w'\w/);
      expect(message).toMatch(/\(.*bonne pratique n°\d\)\.$/);
    }
  });

  // Its speed is the analyzer benchmark's business; here, that hostile text gets an answer, one finding per rule.
  it('answers on a hostile text, one finding per rule at most', () => {
    const hostile = [
      `${'\n'.repeat(100_000)}${'A '.repeat(50_000)}${'droits '.repeat(20_000)}`,
      `Bonjour,\n${'Le dossier de Monsieur K. est interrompu. '.repeat(5_000)}`,
      Array.from(
        { length: 20_000 },
        (_, i) => `mot ${String.fromCharCode(65 + (i % 26), 65 + (Math.floor(i / 26) % 26), 81)}`,
      ).join(' '),
    ];
    for (const text of hostile) {
      const rules = lintAnswer(text).map((f) => f.rule);
      expect(rules.length).toBeGreaterThan(0);
      expect(new Set(rules).size).toBe(rules.length);
    }
  });
});
