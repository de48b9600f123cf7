import type { CaseRecord } from '../cases/caseRecord.js';
import type { AnswerAdvice } from '../cases/caseStore.js';
import { lintAnswer } from './lintAnswer.js';

/**
 * The answering practices a technician's answer to this case missed, checked
 * with what the case says of the request (its urgency and its check, its benefits).
 */
export function checkAnswerPractices(text: string, record: CaseRecord): AnswerAdvice[] {
  return lintAnswer(text, {
    urgent: record.urgent,
    urgencyCheck: record.urgencyCheck,
    prestations: record.prestations,
  }).map(({ rule, message }) => ({ rule, message }));
}
