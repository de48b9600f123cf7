import type { CaseRecord } from '../cases/caseRecord.js';

export const routeFr: Record<string, string> = {
  priority: 'prioritaire',
  standard: 'standard',
  quarantine: 'quarantaine',
  ignored: 'ignoré',
};
const replyFr: Record<string, string> = {
  ack: 'accusé',
  'ack-with-feedback': 'accusé + remarques',
  none: '—',
};

/** Why no reply went out, as the table says it; an unknown reason is shown as recorded. */
const suppressedFr: Record<string, string> = {
  backfill: 'rattrapage',
  reprocess: 'réanalyse',
  'too-old': 'trop ancien',
  'follow-up': 'relance',
};

function pad(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

/** French agreement: 0 and 1 take the singular. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n}\u00a0${n > 1 ? pluralForm : singular}`;
}

/** One line of totals by queue, e.g. "3 messages : 1 prioritaire, 1 standard, …". */
export function caseTotals(cases: CaseRecord[]): string {
  const count = (route: string) => cases.filter((c) => c.route === route).length;
  return (
    `${plural(cases.length, 'message')}\u00a0: ${plural(count('priority'), 'prioritaire')}, ` +
    `${count('standard')}\u00a0standard, ${count('quarantine')}\u00a0en quarantaine, ` +
    `${plural(count('ignored'), 'ignoré')} (robots).`
  );
}

/** A plain-text table of cases (no personal data), one line each, then the totals. */
export function caseSummary(cases: CaseRecord[]): string {
  const header = `${pad('Référence', 17)} ${pad('File', 12)} ${pad('Urgence', 14)} ${pad('Réponse', 19)} ${pad('CDAS', 30)} Remarques`;
  const lines = cases.map((c) => {
    const urgency = c.urgent ? (c.urgencyCheck === 'substantiated' ? 'oui' : 'non justifiée') : '—';
    const reply = c.replySuppressed
      ? `aucune (${suppressedFr[c.replySuppressed] ?? c.replySuppressed})`
      : (replyFr[c.reply] ?? c.reply);
    const rules =
      [...new Set(c.lint.filter((f) => f.severity !== 'info').map((f) => f.rule))].join(', ') || '—';
    const route = c.unreadable ? `${routeFr[c.route]} (illisible)` : (routeFr[c.route] ?? c.route);
    return `${pad(c.ref, 17)} ${pad(route, 12)} ${pad(urgency, 14)} ${pad(reply, 19)} ${pad(c.cdas?.name ?? '—', 30)} ${rules}`;
  });
  return [header, '-'.repeat(header.length + 10), ...lines, '', caseTotals(cases)].join('\n');
}
