import { NON_PAYMENT } from '../textPatterns.js';
import type { Rule } from './ruleContext.js';

/**
 * BP-send 2: a non-payment is asked about, so give its dates. The date of
 * opening of rights alone does not say since when the benefit is unpaid.
 */
export const checkDates: Rule = ({ facts, folded }) => {
  const motifIsNonPayment = folded.motif !== null && NON_PAYMENT.test(folded.motif);
  if (!motifIsNonPayment && !facts.some((f) => f.kind === 'non-payment')) return [];
  const dated = facts.some(
    (f) =>
      (f.kind === 'non-payment' || f.kind === 'last-payment' || f.kind === 'period-start') &&
      (f.date !== undefined || f.months !== undefined),
  );
  return dated
    ? []
    : [
        {
          rule: 'dates-missing',
          severity: 'warning',
          message:
            'Votre message signale un non-paiement sans date. Merci d’indiquer les dates utiles : depuis quand la prestation n’est plus versée, la date d’ouverture des droits, le début et la fin de la période concernée (bonne pratique n°2).',
        },
      ];
};
