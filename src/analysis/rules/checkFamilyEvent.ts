import type { Rule } from './ruleContext.js';

const separation =
  /\bsepar(?:ation|ee|e|es|ees|ent)\b|\bdivorc|\bse\s+sont\s+quittes\b|rupture\s+(?:conjugale|familiale|du\s+couple)/;
const withChildren = /\benfants?\b|\bfils\b|\bfilles?\b|\bgarde\b|\basf\b|soutien\s+familial|\bmineurs?\b/;
// BP-send 7 names the death of a parent or a child, not any death in the family.
const kin =
  '(?<!grand[- ])(?<!beau[- ])(?<!belle[- ])(?:pere|mere|parent|conjoint|conjointe|epoux|epouse|mari|compagnon|compagne|enfant|fils|fille|bebe|nourrisson)s?';
const died = '(?:deces|decede(?:e|s|es)?|mort(?:e)?)';
const death = new RegExp(
  `\\b${died}\\b[^.\\n]{0,60}\\b${kin}\\b|\\b${kin}\\b[^.\\n]{0,40}\\b${died}\\b|\\bveuf|\\bveuve\\b|\\borphelin`,
);
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
