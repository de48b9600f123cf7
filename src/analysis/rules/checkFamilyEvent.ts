import type { Rule } from './ruleContext.js';

const separation =
  /\bsepar(?:ation|ee|e|es|ees|ent)\b|\bdivorc|\bse\s+sont\s+quittes\b|rupture\s+(?:conjugale|familiale|du\s+couple)|\b(?:a|ont)\s+quitte\s+(?:le\s+)?(?:domicile\s+conjugal|son\s+conjoint|sa\s+conjointe|son\s+mari|sa\s+femme|son\s+compagnon|sa\s+compagne)/;
const withChildren = /\benfants?\b|\bfils\b|\bfilles?\b|\bgarde\b|\basf\b|soutien\s+familial|\bmineurs?\b/;
/** Children denied: "le couple n'a pas d'enfant", "sans enfant", "aucun enfant à charge". */
const noChildren =
  /\b(?:pas|plus|sans|aucun|ni)\s+(?:d'|de\s+|d'autres?\s+)?enfants?\b|\bn'(?:a|ont|avait|avaient)\s+(?:jamais\s+|pas\s+|plus\s+)?eu\s+d'enfants?\b|\benfants?\s+(?:majeurs?\s+)?(?:n'est|ne\s+sont)\s+plus\s+a\s+charge/g;
// BP-send 7 names the death of a parent or a child, not any death in the family.
const kin =
  '(?<!grand[- ])(?<!beau[- ])(?<!belle[- ])(?:pere|mere|parent|papa|maman|conjoint|conjointe|epoux|epouse|mari|femme|compagnon|compagne|concubin|concubine|enfant|fils|fille|bebe|nourrisson|nouveau-ne|petit\\s+garcon|petite\\s+fille)s?';
const died = '(?:deces|decede(?:e|s|es)?|mort(?:e|s|es)?|mort-nee?|perinatal)';
// Said in other words: "a perdu son fils", "la perte de leur bébé", "en deuil de son mari".
const loss = `(?:a\\s+perdu|ont\\s+perdu|perte|deuil|disparition|obseques|inhumation|funerailles)\\s+(?:de\\s+|d'|du\\s+)?(?:son|sa|ses|leur|leurs|la|le|l'|un|une)?\\s*(?:petit\\s+|petite\\s+|jeune\\s+|premier\\s+|1er\\s+)?`;
const death = new RegExp(
  `\\b${died}\\b[^.\\n]{0,60}\\b${kin}\\b|\\b${kin}\\b[^.\\n]{0,40}\\b${died}\\b|\\b${loss}${kin}\\b|\\bveuf|\\bveuve\\b|\\bveuvage\\b|\\borphelin|\\bdeuil\\s+perinatal|\\benfant\\s+sans\\s+vie`,
);
const firstChildAlone =
  /(?:naissance|arrivee|grossesse|accouche|a\s+eu\s+(?:un|une|son|sa)\s+(?:bebe|enfant|fils|fille))[^.\n]{0,80}(?:monoparental|isolee?|seule?\b|parent\s+seul|mere\s+seule|pere\s+seul|sans\s+(?:conjoint|compagnon|le\s+pere))|(?:monoparental|isolee?|seule?\b|mere\s+seule|parent\s+seul)[^.\n]{0,80}(?:naissance|premier\s+enfant|1er\s+enfant|enceinte|grossesse|accouche)|grossesse\s+isolee/;

/** BP-send 7: family events the CAF social service accompanies. */
export const checkFamilyEvent: Rule = ({ own }) => {
  const text = own.replace(noChildren, (m) => ' '.repeat(m.length));
  const event =
    (separation.test(text) && withChildren.test(text)) || death.test(text) || firstChildAlone.test(text);
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
