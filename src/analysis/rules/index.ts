import type { Finding, Severity } from '../types.js';
import { checkAttachments } from './checkAttachments.js';
import { checkDates } from './checkDates.js';
import { checkFamilyEvent } from './checkFamilyEvent.js';
import { checkOneSituation } from './checkOneSituation.js';
import { checkPrestation } from './checkPrestation.js';
import { checkRubrics } from './checkRubrics.js';
import { checkSpecificity } from './checkSpecificity.js';
import { checkUrgencyRules } from './checkUrgencyRules.js';
import { checkVocabulary } from './checkVocabulary.js';
import type { Rule, RuleContext } from './ruleContext.js';

export type { RuleContext } from './ruleContext.js';

/** Every lint rule, in the order their findings are shown at equal severity. */
const rules: Rule[] = [
  checkOneSituation,
  checkRubrics,
  checkUrgencyRules,
  checkVocabulary,
  checkDates,
  checkPrestation,
  checkAttachments,
  checkFamilyEvent,
  checkSpecificity,
];

const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** All findings, errors first, then warnings, then tips. */
export function lintMail(ctx: RuleContext): Finding[] {
  return rules.flatMap((rule) => rule(ctx)).sort((a, b) => rank[a.severity] - rank[b.severity]);
}
