import { frenchTypography } from '../labels/formats.js';
import { readAnswer } from './readAnswer.js';
import type { AnswerRule } from './rules/answerContext.js';
import { checkAcronyms } from './rules/checkAcronyms.js';
import { checkDates } from './rules/checkDates.js';
import { checkClosing, checkGreeting } from './rules/checkPoliteness.js';
import { checkReformulation } from './rules/checkReformulation.js';
import { checkSignature } from './rules/checkSignature.js';
import { checkUnblocking, checkUrgencyRefusal } from './rules/checkUrgentAnswer.js';
import type { AnsweredRequest, AnswerFinding } from './types.js';

export type { AnsweredRequest, AnswerFinding, AnswerRuleId } from './types.js';

/** Every answer rule, in the order a technician reads an answer: greeting first, signature last. */
const rules: AnswerRule[] = [
  checkGreeting,
  checkReformulation,
  checkUnblocking,
  checkUrgencyRefusal,
  checkDates,
  checkAcronyms,
  checkClosing,
  checkSignature,
];

const rank: Record<AnswerFinding['severity'], number> = { error: 0, warning: 1 };

/**
 * The answering practices a CAF technician's answer to a CDAS misses, errors
 * first. `text` is the answer's plain text, quoted request included or not;
 * without `request`, the rules about urgent requests are not checked.
 */
export function lintAnswer(text: string, request?: AnsweredRequest | null): AnswerFinding[] {
  const ctx = { answer: readAnswer(text), request: request ?? null };
  return rules
    .flatMap((rule) => rule(ctx))
    .map((f) => ({ ...f, message: frenchTypography(f.message) }))
    .sort((a, b) => rank[a.severity] - rank[b.severity]);
}
