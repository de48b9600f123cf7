import type { PrestationCode } from '../../analysis/types.js';
import { frenchList } from '../../labels/formats.js';
import { prestationLabels } from '../../labels/words.js';
import type { AnswerRule } from './answerContext.js';

/** The minima sociaux of BP-urgent 4, with their article. */
const minimaSociaux: ReadonlyArray<[PrestationCode, string]> = [
  ['RSA', 'le '],
  ['AAH', 'l’'],
];

/** The answer says the unblocking was asked of the service that can do it. */
const unblockingAsked = new RegExp(
  [
    '\\bdebloc(?:age|ages)\\b|\\bdebloqu(?:er|e|ee|es|ees|ons|ez)\\b',
    '\\bservices?\\s+(?:competents?|concernes?|gestionnaires?|instructeurs?|charges?\\s+de)\\b',
    '\\b(?:reprise|remise\\s+en\\s+paiement|retablissement|regularisation)\\s+(?:des?\\s+|du\\s+)?(?:paiements?|versements?|droits?|dossier|situation)\\b',
  ].join('|'),
);

/**
 * BP-urgent 4: « lorsque les minima sociaux sont concernés (RSA ou AAH), la
 * CAF s'engage à demander au service compétent le déblocage de la situation
 * dans le même temps que la réponse au CDAS et l'indique dans son mail ». An
 * engagement of the CAF: an error when the answer does not say it. An urgency
 * found not to meet the definition is the next rule's business.
 */
export const checkUnblocking: AnswerRule = ({ answer, request }) => {
  if (!request?.urgent || request.urgencyCheck === 'unsubstantiated') return [];
  const concerned = minimaSociaux.filter(([p]) => request.prestations.includes(p));
  if (concerned.length === 0) return [];
  if (answer.sentences.some((s) => unblockingAsked.test(s))) return [];
  const names = frenchList(concerned.map(([p, the]) => `${the}${prestationLabels[p]}`));
  return [
    {
      rule: 'answer-unblocking',
      severity: 'error',
      message: `La demande est une urgence qui concerne ${names}. Merci d’indiquer dans votre réponse que le déblocage de la situation a été demandé au service compétent, en même temps que vous répondez (situations urgentes, bonne pratique n°4).`,
    },
  ];
};

/**
 * The convention's definition, in words. Its three months are the
 * convention's, not the configured `urgentUnpaidMonths`: the answer is read
 * without the analyzer's settings.
 */
const definition =
  'une interruption ou une baisse du revenu de solidarité active ou de l’allocation aux adultes handicapés, ou une autre prestation interrompue ou diminuée depuis 3 mois';

/** The answer says the situation is not an urgency… */
const notUrgent = new RegExp(
  [
    "\\bne\\s+(?:releve|relevait|releveront?)\\s+pas\\s+(?:de\\s+l'|d')\\s*urgen",
    "\\b(?:n'est|ne\\s+sont|n'etait)\\s+pas\\s+(?:une\\s+|des\\s+)?(?:situations?\\s+(?:d'|de\\s+l')\\s*)?urgen",
    '\\bne\\s+(?:correspond|correspondait|repond|repondait|constitue|constituait)\\s+pas\\s+(?:a\\s+)?(?:la\\s+|une\\s+|aux\\s+)?(?:definition|criteres?|situation|urgence|cas)',
    "\\bne\\s+(?:peut|pouvait)\\s+pas\\s+etre\\s+(?:consideree?|qualifiee?|traitee?|retenue?)\\s+comme\\s+(?:une\\s+)?(?:situation\\s+)?(?:d'|de\\s+l')?\\s*urgen",
    "\\b(?:pas|aucun)\\s+(?:de\\s+)?caractere\\s+(?:d'|de\\s+l')?\\s*urgen",
    "\\bhors\\s+(?:du\\s+champ\\s+de\\s+l'|de\\s+l')?\\s*urgence",
    '\\bnon\\s+urgente?s?\\b',
  ].join('|'),
);
/** …and why. */
const because =
  /\b(?:car|parce\s+que?|puisque|en\s+effet|etant\s+donne|du\s+fait|dans\s+la\s+mesure|au\s+sens\s+de|definition|criteres?|(?:3|trois)\s+mois)\b/;

/**
 * BP-urgent 5: « dans le cas où une situation ne relèverait pas de l'urgence
 * alors qu'elle aurait été qualifiée comme telle par le CD35, la CAF en
 * informe le professionnel en CDAS et explique ses arguments ». A warning,
 * not an error: "not an urgency" is the analyzer's reading of the request,
 * which the technician, who sees the whole file, may not share.
 */
export const checkUrgencyRefusal: AnswerRule = ({ answer, request }) => {
  if (!request?.urgent || request.urgencyCheck !== 'unsubstantiated') return [];
  const { sentences } = answer;
  const said = sentences.findIndex((s) => notUrgent.test(s));
  if (said >= 0 && [sentences[said], sentences[said + 1]].some((s) => s !== undefined && because.test(s))) {
    return [];
  }
  return [
    {
      rule: 'answer-urgency-refusal',
      severity: 'warning',
      message:
        said < 0
          ? `La demande porte le mot-clé URGENCE DEFINIE, mais la situation décrite ne semble pas correspondre à la définition de l’urgence : ${definition}. Si vous le confirmez, merci de l’écrire au professionnel du CDAS et de lui expliquer pourquoi (situations urgentes, bonne pratique n°5).`
          : `Votre réponse dit que la situation ne relève pas de l’urgence, sans dire pourquoi. Merci d’expliquer vos arguments au professionnel du CDAS au regard de la définition de l’urgence : ${definition} (situations urgentes, bonne pratique n°5).`,
    },
  ];
};
