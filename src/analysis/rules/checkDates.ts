import { ANY_DATE, NON_PAYMENT } from '../textPatterns.js';
import type { Rule } from './ruleContext.js';

/** BP-send 2: a non-payment is asked about, so give its dates. */
export const checkDates: Rule = ({ own }) =>
  NON_PAYMENT.test(own) && !ANY_DATE.test(own)
    ? [
        {
          rule: 'dates-missing',
          severity: 'warning',
          message:
            'Votre message signale un non-paiement sans date. Merci d’indiquer les dates utiles : depuis quand la prestation n’est plus versée, la date d’ouverture des droits, le début et la fin de la période concernée (bonne pratique n°2).',
        },
      ]
    : [];
