import type { Rule } from './ruleContext.js';

/** The prestation heading must name a benefit the CAF pays. */
export const checkPrestation: Rule = ({ rubrics, rubricPrestations }) =>
  rubrics.prestations.value !== null && rubricPrestations.length === 0
    ? [
        {
          rule: 'prestation-unknown',
          severity: 'warning',
          message:
            'La rubrique « Prestation(s) concernée(s) » ne nomme aucune prestation connue. Merci d’indiquer la ou les prestations en cause, par exemple : RSA, AAH, prime d’activité (PPA), aide au logement (APL), allocation de soutien familial (ASF), allocations familiales (bonne pratique n°3).',
        },
      ]
    : [];
