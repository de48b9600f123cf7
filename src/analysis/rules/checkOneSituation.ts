import type { Rule } from './ruleContext.js';

/** BP-send 1: one situation per mail, as many mails as situations. */
export const checkOneSituation: Rule = ({ multipleSituations, situations }) => {
  if (!multipleSituations) return [];
  const seen =
    situations.allocataireNumbers > 1
      ? `${situations.allocataireNumbers} numéros d’allocataire différents`
      : situations.nirs > 1
        ? `${situations.nirs} numéros de sécurité sociale différents`
        : situations.repeatedRubrics
          ? 'les rubriques répétées plusieurs fois'
          : 'plusieurs situations annoncées';
  return [
    {
      rule: 'multiple-situations',
      severity: 'error',
      message: `Votre message semble concerner plusieurs situations (${seen}). Votre demande est bien enregistrée ; pour les prochaines, merci d’envoyer un message par situation, afin que chacune soit traitée sans attendre les autres (bonne pratique n°1).`,
    },
  ];
};
