import type { Finding, RubricName } from '../types.js';
import type { Rule } from './ruleContext.js';

const headings: Record<RubricName, string> = {
  motif: '« Motif(s) de la demande »',
  prestations: '« Prestation(s) concernée(s) »',
  commentaire: '« Commentaire »',
  specificites: '« Spécificité(s) de la personne s’il y a lieu »',
};

const why: Record<RubricName, string> = {
  motif:
    'elle indique au technicien ce que vous attendez (par exemple : non-paiement, demande d’explication)',
  prestations:
    'elle oriente la demande vers le bon technicien (par exemple : revenu de solidarité active, prime d’activité, aide au logement)',
  commentaire:
    'elle donne le contexte, les dates utiles et la question précise (démarche à faire, courrier, document à fournir…)',
  specificites:
    'elle signale si la personne est allophone, sans domicile fixe, ou dépend de votre accompagnement pour ses démarches',
};

/** BP-send 3: the four headings, each with a value (spécificités only "s'il y a lieu"). */
export const checkRubrics: Rule = ({ rubrics }) => {
  const findings: Finding[] = [];
  for (const name of Object.keys(headings) as RubricName[]) {
    const rubric = rubrics[name];
    const optional = name === 'specificites';
    if (!rubric.present) {
      findings.push({
        rule: 'rubric-missing',
        severity: optional ? 'info' : 'error',
        rubric: name,
        message: optional
          ? `La rubrique ${headings[name]} n’apparaît pas. Elle est facultative, mais utile : ${why[name]} (bonne pratique n°3 et n°5).`
          : `La rubrique ${headings[name]} manque : merci de l’ajouter, car ${why[name]} (bonne pratique n°3).`,
      });
    } else if (rubric.value === null && !optional) {
      findings.push({
        rule: 'rubric-empty',
        severity: 'error',
        rubric: name,
        message: `La rubrique ${headings[name]} est présente mais n’est pas remplie : merci de la compléter, car ${why[name]} (bonne pratique n°3).`,
      });
    }
  }
  return findings;
};
