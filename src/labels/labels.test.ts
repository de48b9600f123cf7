import { describe, expect, it } from 'vitest';
import { fixture, testAnalyzer } from '../../tests/support/analyzer.js';
import { caseFor } from '../../tests/support/cases.js';
import { caseSummary } from '../commands/caseSummary.js';
import { replyView } from '../replies/replyView.js';
import { casePage, statsPage } from '../web/views.js';
import {
  formatCalendarDay,
  formatDate,
  formatDateTime,
  formatEuros,
  formatMegabytes,
  formatNumber,
  plural,
} from './formats.js';
import { motifLabels, ruleLabels } from './words.js';

const analyze = testAnalyzer();

describe('French formats', () => {
  it('writes dates in Paris time: a late UTC evening is already the next day', () => {
    expect(formatDate('2026-03-03T23:30:00Z')).toBe('mercredi 4 mars 2026');
    expect(formatDateTime('2026-07-01T06:05:00Z')).toBe('01/07/2026 08:05');
  });

  it('writes a typed day as that day, whatever the time zone', () => {
    expect(formatCalendarDay(new Date('2026-09-01'))).toBe('01/09/2026');
  });

  it('writes numbers with a decimal comma and thin spaces between thousands', () => {
    expect(formatNumber(1234.56)).toBe('1\u202f234,6');
    expect(formatEuros(1234.5)).toBe('1\u202f234,50\u00a0€');
    expect(formatEuros(420)).toBe('420\u00a0€');
    expect(formatMegabytes(3.5 * 1_048_576)).toBe('3,5\u00a0Mo');
  });

  it('agrees in number: 0 and 1 singular, from 2 plural', () => {
    expect([0, 1, 2].map((n) => plural(n, 'message'))).toEqual([
      '0\u00a0message',
      '1\u00a0message',
      '2\u00a0messages',
    ]);
    expect(plural(3, 'clé effacée', 'clés effacées')).toBe('3\u00a0clés effacées');
  });
});

describe('one word for one thing, everywhere a person reads it', () => {
  it('the CLI table names the good practices missed, not their rule ids', async () => {
    const c = caseFor(await analyze(fixture('direct-no-rubrics.eml')));
    const rules = c.lint.filter((f) => f.severity !== 'info').map((f) => f.rule);
    expect(rules.length).toBeGreaterThan(0);
    const table = caseSummary([c]);
    for (const rule of rules) {
      expect(table).toContain(ruleLabels[rule]);
      expect(table).not.toContain(rule);
    }
  });

  it('the case page names rules in French, and says the motif as the reply does', async () => {
    const c = {
      ...caseFor(await analyze(fixture('direct-no-rubrics.eml'))),
      motif: 'baisse' as const,
    };
    const page = casePage({ c, facts: [], sla: 'none' });
    const [finding] = c.lint;
    expect(finding).toBeDefined();
    expect(page).toContain(`(${ruleLabels[finding?.rule ?? 'rubric-missing']})`);
    expect(page).not.toContain(`(${finding?.rule})`);
    expect(page).toContain(motifLabels.baisse);
    expect(replyView(c, '').motif).toBe(motifLabels.baisse);
  });

  it('the statistics name rules and motifs in French', () => {
    const s = {
      period: 'month',
      from: '2026-03-01T00:00:00Z',
      to: '2026-03-31T00:00:00Z',
      byCdas: [],
      byPrestation: [],
      byRoute: [{ key: 'priority', count: 1 }],
      byMotif: [{ key: 'baisse', count: 1 }],
      byRule: [{ key: 'dates-missing', count: 2 }],
      formatOverTime: [{ bucket: '2026-03-02', mails: 3, withoutFormatError: 1, share: 33.3 }],
    };
    const page = statsPage({ s });
    expect(page).toContain(`<td>${ruleLabels['dates-missing']}</td>`);
    expect(page).toContain(`<td>${motifLabels.baisse}</td>`);
    expect(page).toContain('<td>02/03/2026</td>');
    expect(page).toContain('<td>33,3\u00a0%</td>');
  });
});
