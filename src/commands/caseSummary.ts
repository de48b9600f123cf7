import type { Route } from '../analysis/types.js';
import type { CaseRecord } from '../cases/caseRecord.js';
import { NBSP, plural } from '../labels/formats.js';
import {
  replyDecisionShortLabels,
  replySuppressionLabels,
  routeLabels,
  ruleLabels,
  urgencyCheckLabel,
} from '../labels/words.js';

function pad(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

/** One line of totals by queue, e.g. "3 messages : 1 prioritaire, 1 standard, …". */
export function caseTotals(cases: CaseRecord[]): string {
  const count = (route: Route) => cases.filter((c) => c.route === route).length;
  return (
    `${plural(cases.length, 'message')}${NBSP}: ${plural(count('priority'), routeLabels.priority)}, ` +
    `${count('standard')}${NBSP}${routeLabels.standard}, ${count('quarantine')}${NBSP}en ${routeLabels.quarantine}, ` +
    `${plural(count('ignored'), routeLabels.ignored)} (robots).`
  );
}

/** A plain-text table of cases (no personal data), one line each, then the totals. */
export function caseSummary(cases: CaseRecord[]): string {
  const header = `${pad('Référence', 17)} ${pad('File', 12)} ${pad('Urgence', 14)} ${pad('Réponse', 19)} ${pad('CDAS', 30)} Remarques`;
  const lines = cases.map((c) => {
    const urgency = c.urgent ? urgencyCheckLabel(c.urgencyCheck) : '—';
    const reply = c.replySuppressed
      ? `aucune (${replySuppressionLabels[c.replySuppressed] ?? c.replySuppressed})`
      : (replyDecisionShortLabels[c.reply] ?? c.reply);
    const rules =
      [...new Set(c.lint.filter((f) => f.severity !== 'info').map((f) => ruleLabels[f.rule] ?? f.rule))].join(
        ', ',
      ) || '—';
    const route = routeLabels[c.route] ?? c.route;
    return `${pad(c.ref, 17)} ${pad(c.unreadable ? `${route} (illisible)` : route, 12)} ${pad(urgency, 14)} ${pad(reply, 19)} ${pad(c.cdas?.name ?? '—', 30)} ${rules}`;
  });
  return [header, '-'.repeat(header.length + 10), ...lines, '', caseTotals(cases)].join('\n');
}
