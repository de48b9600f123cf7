import type { Rule } from './ruleContext.js';

const languages =
  'tamoul|arabe|anglais|russe|ukrainien|turc|albanais|georgien|armenien|dari|pachto|farsi|persan|ourdou|bengali|somali|tigrigna|amharique|peul|soninke|lingala|portugais|espagnol|roumain|bulgare|serbe|chinois|mandarin|vietnamien|kurde|tchetchene|mongol|langue\\s+des\\s+signes|sa\\s+langue';
/**
 * A domiciliation is an administrative address (CCAS, CDAS, association);
 * "domiciliée au 12 rue des Lilas" is an ordinary address and says nothing.
 */
const domiciliation =
  "\\bdomiciliation\\b(?!\\s+bancaire)|\\bdomicilie(?:e|s|es)?\\s+(?:administrativement|(?:au|a\\s+la|a\\s+l'|aupres\\s+d[eu']|chez|par|via)\\s+(?:l'|la\\s+|le\\s+)?(?:ccas|cias|cdas|mairie|centre\\s+communal|association|asso\\b|secours|croix[- ]rouge|emmaus|restos?\\s+du\\s+coeur|point\\s+(?:d'accueil|accueil)|accueil\\s+de\\s+jour|samu\\s+social|115|fondation|armee\\s+du\\s+salut|adsea|coallia|france\\s+terre\\s+d'asile|spada|structure))|\\belection\\s+de\\s+domicile\\b";

const dependent = new RegExp(
  [
    '\\bsdf\\b',
    'sans\\s+domicile',
    'sans[\\s-]+abri',
    'sans\\s+(?:logement|hebergement)\\s+(?:stable|fixe)',
    '\\ba\\s+la\\s+rue\\b',
    '\\b(?:vit|dort|loge)\\s+(?:dans\\s+(?:sa|une|son)\\s+(?:voiture|vehicule|tente|squat)|en\\s+squat)',
    "hebergement\\s+d'urgence",
    domiciliation,
    '\\ballophone',
    'non\\s+francophone',
    'ne\\s+(?:parle|comprend|lit|ecrit)\\s+pas\\s+(?:le\\s+|bien\\s+le\\s+|du\\s+tout\\s+le\\s+)?francais',
    `ne\\s+(?:parle|comprend|lit|ecrit|s'exprime)\\s+qu'(?:en\\s+)?(?:le\\s+|l')?(?:${languages})`,
    `ne\\s+(?:parle|comprend|lit|ecrit|s'exprime)\\s+que\\s+(?:le\\s+|l'|en\\s+)?(?:${languages})`,
    `(?:parle|comprend|s'exprime)\\s+(?:uniquement|seulement)\\s+(?:le\\s+|l'|en\\s+)?(?:${languages})`,
    '(?:tres\\s+)?peu\\s+(?:le\\s+)?francais',
    "(?:besoin|recours|l'aide)\\s+d'un(?:e)?\\s+(?:interprete|traducteur|traductrice)",
    'illettr',
    'analphab',
    'ne\\s+sait\\s+(?:ni\\s+lire|pas\\s+lire|pas\\s+ecrire)',
    'non[\\s-]+mobile',
    'pas\\s+mobile',
    'ne\\s+peut\\s+pas\\s+se\\s+deplacer',
    'ne\\s+se\\s+deplace\\s+(?:pas|plus)',
    '\\balitee?\\b',
    "(?:absence|pas|aucun)\\s+(?:totale\\s+)?(?:d'|de\\s+)?(?:usage|acces|utilisation)\\s+(?:du\\s+|au\\s+|a\\s+)?(?:numerique|internet|l'informatique)",
    'illectronisme',
    "pas\\s+d'(?:ordinateur|internet|adresse\\s+mail|adresse\\s+electronique|smartphone)",
    "ne\\s+sait\\s+pas\\s+(?:utiliser|se\\s+servir\\s+d)['\\s]*(?:un\\s+|d'un\\s+|de\\s+l'|l')?(?:ordinateur|internet|smartphone|telephone|espace\\s+personnel|site|caf\\.fr)",
    "non\\s+autonome\\s+(?:sur|avec)\\s+(?:le\\s+)?(?:numerique|internet|l'informatique)",
  ].join('|'),
);

/** A specificity denied: "Madame n'est pas allophone", "il n'est plus sans domicile". */
const denied =
  /\b(?:n'est|ne\s+sont|n'etait|n'etaient)\s+(?:pas|plus|plus\s+du\s+tout|pas\s+du\s+tout)\s+(?:allophone|sdf|sans\s+domicile(?:\s+fixe)?|sans[\s-]+abri|illettree?|analphabete|domiciliee?\s+\S+(?:\s+\S+)?)/g;

/** BP-send 5: a person who depends on the worker; the worker may receive the document requests. */
export const checkSpecificity: Rule = ({ own }) =>
  dependent.test(own.replace(denied, (m) => ' '.repeat(m.length)))
    ? [
        {
          rule: 'specificity-documents-recipient',
          severity: 'info',
          message:
            'La personne semble dépendre de votre accompagnement pour ses démarches (sans domicile, domiciliation, allophone, illettrisme, sans usage du numérique ou non mobile). Vous pouvez demander à recevoir les demandes de pièces qui lui seraient adressées (bonne pratique n°5).',
        },
      ]
    : [];
