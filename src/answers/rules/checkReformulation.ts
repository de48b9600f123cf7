import type { AnswerRule } from './answerContext.js';

/** The answer's opening sentences, greeting included, where the request is restated. */
const OPENING_SENTENCES = 3;

const request = '(?:demande|question|message|mail|courriel|sollicitation|signalement|saisine|interrogation)';

/**
 * How technicians restate a request (folded): "Vous nous interrogez sur…",
 * "Vous nous avez sollicités concernant…", "Suite à votre demande
 * concernant…", "Votre demande porte sur…", "Vous souhaitez savoir…".
 */
const reformulation = new RegExp(
  [
    // "vous nous interrogez", "vous demandez", not "je vous informe" (the answer speaking)
    "\\bvous\\s+(?:nous\\s+|m'\\s*)?(?:interrogez|questionnez|sollicitez|demandez|signalez|informez|indiquez|contactez|saisissez|ecrivez|faites\\s+part|transmettez|adressez)\\b",
    "\\bvous\\s+(?:nous\\s+|m'\\s*)?avez\\s+(?:interroge|questionne|sollicite|demande|signale|informe|indique|contacte|saisi|ecrit|fait\\s+part|transmis|adresse)e?s?\\b",
    '\\bvous\\s+vous\\s+(?:interrogez|questionnez|demandez)\\b',
    '\\bvous\\s+(?:avez\\s+)?(?:attire|attirez)\\s+(?:notre|mon)\\s+attention\\b',
    '\\bvous\\s+(?:souhaitez|souhaitiez|voulez|vouliez|desirez)\\s+(?:savoir|connaitre|comprendre|obtenir|avoir|des\\s+precisions|des\\s+explications|etre\\s+informee?s?)\\b',
    `\\b(?:suite\\s+a|en\\s+reponse\\s+a|pour\\s+repondre\\s+a|concernant|au\\s+sujet\\s+de|s'agissant\\s+de|a\\s+propos\\s+de)\\s+(?:votre|vos)\\s+${request}s?\\b`,
    `\\b(?:je|nous)\\s+(?:fais|faisons|donne|donnons)\\s+suite\\s+a\\s+(?:votre|vos)\\s+${request}`,
    `\\b(?:votre|vos)\\s+${request}s?\\s+(?:du\\s+[^\\s]+\\s+)?(?:porte|portent|portait|concerne|concernent|concernait|vise|visait|a\\s+trait|avait\\s+trait)\\b`,
  ].join('|'),
);

/** BP-reply 3: « reformuler la demande », so the CDAS worker knows which question is answered. */
export const checkReformulation: AnswerRule = ({ answer }) =>
  reformulation.test(answer.sentences.slice(0, OPENING_SENTENCES).join(' '))
    ? []
    : [
        {
          rule: 'answer-reformulation',
          severity: 'warning',
          message:
            'Votre réponse ne commence pas par reformuler la demande. Merci de rappeler en une phrase ce que le CDAS a demandé (par exemple « Vous nous interrogez sur le non-paiement de l’aide au logement de Madame D. depuis le 01/03/2026 »), pour qu’il sache à quelle question vous répondez (réponse au CDAS, bonne pratique n°3).',
        },
      ];
