import type { Rule } from './ruleContext.js';

const separation =
  /\bsepar(?:ation|ee|e|es|ees|ent)\b|\bdivorc|\bse\s+sont\s+quittes\b|rupture\s+(?:conjugale|familiale|du\s+couple)/;
const withChildren = /\benfants?\b|\bfils\b|\bfilles?\b|\bgarde\b|\basf\b|soutien\s+familial|\bmineurs?\b/;
const death = /\bdeces\b|\bdecede(?:e|s|es)?\b|\bdecedee?\b|\bmort(?:e)?\s+(?:de|du|d')|\bveuf|\bveuve\b/;
const firstChildAlone =
  /(?:naissance|arrivee|grossesse)[^.\n]{0,80}(?:monoparental|isolee?|seule?\b|parent\s+seul|mere\s+seule|pere\s+seul)|(?:monoparental|isolee?|seule?\b|mere\s+seule|parent\s+seul)[^.\n]{0,80}(?:naissance|premier\s+enfant|1er\s+enfant|enceinte|grossesse)|grossesse\s+isolee/;

/** BP-send 7: family events the CAF social service accompanies. */
export const checkFamilyEvent: Rule = ({ own }) => {
  const event =
    (separation.test(own) && withChildren.test(own)) || death.test(own) || firstChildAlone.test(own);
  return event
    ? [
        {
          rule: 'family-event-social-service',
          severity: 'info',
          message:
            'Votre message mentionne un événement familial (séparation avec enfants, naissance d’un premier enfant dans une famille monoparentale, ou décès d’un parent ou d’un enfant). Le service social de la CAF peut accompagner la famille : vous pouvez le solliciter directement à l’adresse accompagnement-social@caf35.caf.fr (bonne pratique n°7).',
        },
      ]
    : [];
};
