import type { AnswerText } from '../readAnswer.js';
import type { AnsweredRequest, AnswerFinding } from '../types.js';

/** What every answer rule may read: the answer cut into its parts, and the request when known. */
export interface AnswerContext {
  answer: AnswerText;
  /** Null when the answer is checked alone (`cdap-triage lint --reponse` without options). */
  request: AnsweredRequest | null;
}

export type AnswerRule = (ctx: AnswerContext) => AnswerFinding[];
