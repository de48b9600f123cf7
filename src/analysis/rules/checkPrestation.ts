import type { Rule } from './ruleContext.js';

/** The prestation heading must name a benefit the CAF pays. */
export const checkPrestation: Rule = ({ rubrics, rubricPrestations }) =>
  rubrics.prestations.value !== null && rubricPrestations.length === 0
    ? [
        {
          rule: 'prestation-unknown',
          severity: 'warning',
          message:
            'La rubrique « Prestation(s) concernée(s) » ne nomme aucune prestation connue. Merci d’indiquer la ou les prestations en cause, par exemple : revenu de solidarité active (RSA), allocation aux adultes handicapés (AAH), prime d’activité, aide au logement, allocation de soutien familial, allocations familiales (bonne pratique n°3).',
        },
      ]
    : [];
