import type { Rule } from './ruleContext.js';

const suspension = /\bsuspen(?:sion|sions|du|due|dus|dues|dre)\b/;
/** "n'a jamais été suspendue", "pas de suspension": the word denied asks for nothing. */
const denied =
  /(?:n'|ne\s)(?:a|ont|est|sont|etait)?\s*(?:pas|jamais|plus)\s+(?:ete\s+)?suspendue?s?\b|\b(?:pas|aucune|sans)\s+(?:eu\s+)?(?:de\s+|d')?suspensions?\b/g;

/** BP-send 4: say "non-paiement", not "suspension" — suspension is only one cause. */
export const checkVocabulary: Rule = ({ own }) =>
  suspension.test(own.replace(denied, (m) => ' '.repeat(m.length)))
    ? [
        {
          rule: 'vocabulary-suspension',
          severity: 'warning',
          message:
            'Votre message parle de « suspension ». Pour une prestation qui n’est pas ou plus versée, merci d’écrire plutôt « non-paiement » : la suspension n’est qu’une des causes possibles, et le technicien ne cherche pas de la même façon selon la cause (bonne pratique n°4).',
        },
      ]
    : [];
