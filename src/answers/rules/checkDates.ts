import { MONTH_NAME } from '../../analysis/textPatterns.js';
import { frenchList } from '../../labels/formats.js';
import type { AnswerRule } from './answerContext.js';

type Topic = 'opening' | 'non-payment' | 'period';

/** What the answer speaks of, as regular expressions over a folded sentence. */
const topics: Record<Topic, RegExp> = {
  opening: new RegExp(
    [
      "\\b(?:re)?ouverture\\s+(?:de\\s+|des\\s+|du\\s+|d')?(?:(?:ses|son|sa|vos|votre|leurs?|ces|ce)\\s+)?droits?\\b",
      '\\bdroits?\\s+(?:re)?ouverts?\\b',
      // "les droits à l'allocation aux adultes handicapés ont été ouverts"
      '\\bdroits?\\b[^.]{0,60}?\\b(?:a|ont|est|sont|seront|sera)\\s+(?:bien\\s+)?(?:ete\\s+)?(?:re)?ouverts?\\b',
      '\\b(?:ouvrir|rouvrir|ouvre|ouvrons|ouvert|ouverts)\\s+(?:le|les|ses|son|un|des|vos|leurs?|ce|ces)\\s+droits?\\b',
    ].join('|'),
  ),
  'non-payment': new RegExp(
    [
      '\\bnon[\\s-]*(?:paiement|versement|verse|versee|verses|versees|paye|payee|payes|payees)s?\\b',
      "\\b(?:interruption|suspension|rupture|arret|blocage|fin)\\s+(?:de|du|des|d')\\s*(?:(?:son|ses|sa|leur|leurs|vos|votre|la|le|l')\\s*)?(?:droits?|paiements?|versements?|prestations?|allocations?|aides?|prime|revenu)\\b",
      '\\b(?:interrompue?s?|suspendue?s?|bloquee?s?)\\b',
      "\\b(?:n'|ne\\s+)(?:est|sont|a|ont|sera|seront)\\s+plus\\s+(?:ete\\s+)?(?:verse|versee|verses|versees|paye|payee|payes|payees)\\b",
      '\\bradiation\\b|\\bradiee?s?\\b',
    ].join('|'),
  ),
  period: /\bperiodes?\b/,
};

/** A non-payment denied asks for no date: "n'a pas été interrompu", "sans interruption". */
const denied =
  /(?:n'|ne\s)(?:a|ont|est|sont)?\s*(?:pas|jamais)\s+(?:ete\s+)?(?:interrompue?s?|suspendue?s?|bloquee?s?)\b|\b(?:pas|aucune?|sans)\s+(?:de\s+|d')?(?:interruption|suspension|rupture|blocage|non[\s-]*paiement)s?\b/g;

const DAY = '(?:0?[1-9]|[12]\\d|3[01])';
const MONTH = '(?:0?[1-9]|1[0-2])';

/** A precise date: "05/03/2026", "5 mars 2026", "1er mars", "mars 2026", "depuis le 5". */
const preciseDate = new RegExp(
  [
    `\\b${DAY}[/.-]${MONTH}(?:[/.-](?:\\d{4}|\\d{2}))?\\b`,
    '\\b(?:19|20)\\d{2}-\\d{2}-\\d{2}\\b',
    `\\b(?:1er|${DAY})\\s+${MONTH_NAME}\\b`,
    `\\b${MONTH_NAME}\\s+(?:19|20)\\d{2}\\b`,
    '\\bdepuis\\s+le\\s+(?:1er|\\d{1,2})\\b',
  ].join('|'),
);

const said: Record<Topic, string> = {
  opening: 'de l’ouverture des droits',
  'non-payment': 'd’un non-paiement',
  period: 'd’une période',
};

/**
 * BP-reply 2: « indiquer avec précision les dates d'ouverture des droits, de
 * démarrage d'un non paiement, de début et de fin d'une période ». A topic
 * is dated when its sentence, or the next one, holds a precise date.
 */
export const checkDates: AnswerRule = ({ answer }) => {
  const sentences = answer.sentences.map((s) => s.replace(denied, (m) => ' '.repeat(m.length)));
  const undated = new Set<Topic>();
  sentences.forEach((sentence, i) => {
    for (const topic of Object.keys(topics) as Topic[]) {
      if (!topics[topic].test(sentence)) continue;
      const next = sentences[i + 1] ?? '';
      if (!preciseDate.test(sentence) && !preciseDate.test(next)) undated.add(topic);
    }
  });
  if (undated.size === 0) return [];
  const topicsSaid = (Object.keys(said) as Topic[]).filter((t) => undated.has(t)).map((t) => said[t]);
  return [
    {
      rule: 'answer-dates',
      severity: 'warning',
      message: `Votre réponse parle ${frenchList(topicsSaid)} sans date précise. Merci d’indiquer les dates exactes (par exemple « depuis le 05/03/2026 », « du 01/01/2026 au 31/03/2026 ») : ouverture des droits, début du non-paiement, début et fin de la période ; le CDAS n’aura pas à vous écrire de nouveau pour les demander (réponse au CDAS, bonne pratique n°2).`,
    },
  ];
};
