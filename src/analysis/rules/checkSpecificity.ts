import type { Rule } from './ruleContext.js';

const dependent = new RegExp(
  [
    '\\bsdf\\b',
    'sans\\s+domicile',
    'sans[\\s-]+abri',
    '\\bdomicili(?:ation|ee?)\\b',
    '\\ballophone',
    'non\\s+francophone',
    'ne\\s+(?:parle|comprend|lit)\\s+pas\\s+(?:le\\s+|bien\\s+le\\s+)?francais',
    'illettr',
    'analphab',
    'ne\\s+sait\\s+(?:ni\\s+lire|pas\\s+lire)',
    'non[\\s-]+mobile',
    'pas\\s+mobile',
    'ne\\s+peut\\s+pas\\s+se\\s+deplacer',
    "(?:absence|pas|aucun)\\s+(?:totale\\s+)?(?:d'|de\\s+)?(?:usage|acces|utilisation)\\s+(?:du\\s+|au\\s+|a\\s+)?(?:numerique|internet|l'informatique)",
    'illectronisme',
    "pas\\s+d'(?:ordinateur|internet|adresse\\s+mail)",
    "non\\s+autonome\\s+(?:sur|avec)\\s+(?:le\\s+)?(?:numerique|internet|l'informatique)",
  ].join('|'),
);

/** BP-send 5: a person who depends on the worker; the worker may receive the document requests. */
export const checkSpecificity: Rule = ({ own }) =>
  dependent.test(own)
    ? [
        {
          rule: 'specificity-documents-recipient',
          severity: 'info',
          message:
            'La personne semble dépendre de votre accompagnement pour ses démarches (sans domicile, domiciliation, allophone, illettrisme, sans usage du numérique ou non mobile). Vous pouvez demander à recevoir les demandes de pièces qui lui seraient adressées (bonne pratique n°5).',
        },
      ]
    : [];
