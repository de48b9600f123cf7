import type { CaseRecord } from '../cases/caseRecord.js';
import type { AnswerAdvice } from '../cases/caseStore.js';

/** The answering practices a technician's answer to this case missed (see lintAnswer). */
export function checkAnswerPractices(_text: string, _record: CaseRecord): AnswerAdvice[] {
  return [];
}
