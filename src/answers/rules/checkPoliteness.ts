import type { AnswerRule } from './answerContext.js';

/** BP-reply 3: « ne pas oublier les formules de politesse » — at the start… */
export const checkGreeting: AnswerRule = ({ answer }) =>
  answer.greeting !== null
    ? []
    : [
        {
          rule: 'answer-greeting',
          severity: 'warning',
          message:
            'Votre réponse ne commence pas par une formule de politesse. Merci de saluer le professionnel du CDAS (« Bonjour », « Madame, Monsieur », « Chère collègue »…) avant d’en venir à la demande (réponse au CDAS, bonne pratique n°3).',
        },
      ];

/** "Cdlt", "Cdt": an abbreviation, not a polite formula. */
const abbreviatedClosing = /^cdl?t\b/;

/** …and at the end. */
export const checkClosing: AnswerRule = ({ answer }) => {
  if (answer.closing !== null) return [];
  // The abbreviation as typed ("Cdlt", "CDT"): the folded line has the same length.
  const typed = answer.lines.find((l) => abbreviatedClosing.test(l.folded));
  const abbreviated = typed ? typed.text.slice(0, typed.folded.search(/\W|$/)) : null;
  return [
    {
      rule: 'answer-closing',
      severity: 'warning',
      message: abbreviated
        ? `Votre réponse se termine par « ${abbreviated} » : une abréviation n’est pas une formule de politesse. Merci d’écrire en entier « Cordialement » ou « Bien à vous » avant votre signature (réponse au CDAS, bonne pratique n°3).`
        : 'Votre réponse ne se termine pas par une formule de politesse. Merci d’en ajouter une avant votre signature (« Cordialement », « Bien à vous »…) (réponse au CDAS, bonne pratique n°3).',
    },
  ];
};
