import type { DelayFigures, Stats } from '../cases/indicators.js';
import { formatDate, formatNumber, NBSP, plural } from '../labels/formats.js';
import { type ChartSpec, statsCharts } from './statsCharts.js';
import {
  daysText,
  deadlineText,
  keyWords,
  monthLabel,
  percentText,
  rangeText,
  shortMonthLabel,
  spansYears,
} from './statsWords.js';
import { svgBars } from './svgBars.js';

/**
 * What the yearly committee reads (convention, "Suivi de la convention"):
 * the indicators of a range as tables, with their charts drawn as inline SVG
 * and every number already written in French, for one printable page
 * (views.ts reportPage).
 */

export const REPORT_TITLE = 'Rapport au comité de suivi de la convention CAF – Département';

function share(part: number, whole: number): string {
  return percentText(whole ? Math.round((part / whole) * 1000) / 10 : null);
}

function delayRow(name: string, d: DelayFigures) {
  return {
    name,
    rounds: d.rounds,
    within: d.withinDeadline,
    share: percentText(d.share),
    pending: d.pending,
    answered: d.answered,
    median: daysText(d.medianHours),
    p90: daysText(d.p90Hours),
  };
}

export function committeeReport(s: Stats, madeAt: Date) {
  const charts = new Map<string, ChartSpec>(statsCharts(s).map((c) => [c.id, c]));
  const svg = (id: string) => {
    const chart = charts.get(id);
    return chart ? svgBars(chart) : '';
  };
  const withYear = spansYears(s.months);
  // The format of all CDAS together, month by month: the sum of theirs.
  const formatByMonth = s.months.map((month, i) => {
    let mails = 0;
    let ok = 0;
    for (const c of s.formatByCdas) {
      mails += c.byMonth[i]?.mails ?? 0;
      ok += c.byMonth[i]?.withoutFormatError ?? 0;
    }
    return { month, mails, ok };
  });
  const formatChart: ChartSpec = {
    id: 'chart-format-months',
    title: 'Part des demandes sans erreur de forme, par mois (%)',
    kind: 'bar',
    labels: s.months.map((m) => shortMonthLabel(m, withYear)),
    series: [
      {
        label: 'Sans erreur de forme',
        data: formatByMonth.map((m) => (m.mails ? Math.round((m.ok / m.mails) * 1000) / 10 : null)),
        color: '#1d5e2b',
      },
    ],
    stacked: false,
    horizontal: true,
    percent: true,
  };
  const standardDeadline = deadlineText(s.delays.standardDueDays, 'jour');
  const urgentDeadline = deadlineText(s.delays.urgentDueWorkingDays, 'jour ouvré');
  const rt = s.roundTrips;
  return {
    title: REPORT_TITLE,
    range: rangeText(s),
    madeOn: formatDate(madeAt),
    query: s.query,
    archived: s.archivedMonths.length
      ? `Pour ${plural(s.archivedMonths.length, 'mois', 'mois')} de la période (${s.archivedMonths.map(monthLabel).join(', ')}), les dossiers ont été supprimés au terme de leur durée de conservation${NBSP}: leurs comptes anonymes sont inclus, mais pas dans les délais médians, le 90e${NBSP}centile ni l’évolution hebdomadaire de la forme.`
      : null,
    figures: {
      mails: plural(s.mails, 'message reçu', 'messages reçus'),
      requests: plural(s.requests, 'demande', 'demandes'),
      urgent: plural(s.urgent, 'urgence signalée', 'urgences signalées'),
      urgentShare: share(s.urgent, s.requests),
      unsubstantiated: plural(s.urgentUnsubstantiated, 'non justifiée', 'non justifiées'),
      unsubstantiatedShare: share(s.urgentUnsubstantiated, s.urgent),
      multiple: plural(s.multipleSituations, 'demande', 'demandes'),
      answered: plural(s.answered, 'demande répondue', 'demandes répondues'),
      medianFirstAnswer: daysText(s.medianHoursToFirstAnswer),
      standardWithin: percentText(s.delays.standard.share),
      urgentWithin: percentText(s.delays.urgent.share),
      settledInOne: percentText(rt.settledInOneShare),
      average: rt.average === null ? '—' : formatNumber(rt.average, 2),
    },
    standardDeadline,
    urgentDeadline,
    months: [
      ...s.byMonth.map((m) => ({ ...m, name: monthLabel(m.month), total: false })),
      {
        name: 'Ensemble',
        mails: s.mails,
        requests: s.requests,
        urgent: s.urgent,
        urgentUnsubstantiated: s.urgentUnsubstantiated,
        answered: s.answered,
        total: true,
      },
    ],
    cdas: s.byCdas.map((r) => ({
      name: keyWords.cdas(r.key),
      count: r.count,
      share: share(r.count, s.requests),
    })),
    prestations: s.byPrestation.map((r) => ({
      name: keyWords.prestation(r.key),
      count: r.count,
      share: share(r.count, s.requests),
    })),
    motifs: s.byMotif.map((r) => ({
      name: keyWords.motif(r.key),
      count: r.count,
      share: share(r.count, s.requests),
    })),
    cdasByMonth: {
      months: s.months.map((m) => shortMonthLabel(m, withYear)),
      rows: s.byCdas.map((r) => ({
        name: r.key,
        counts: s.byMonth.map((m) => m.byCdas.find((c) => c.key === r.key)?.count ?? 0),
        total: r.count,
      })),
    },
    delays: [
      delayRow(`Demandes standard (${standardDeadline})`, s.delays.standard),
      delayRow(`Urgences (${urgentDeadline})`, s.delays.urgent),
      delayRow('Ensemble', s.delays.all),
    ],
    delaysByMonth: s.delays.byMonth.map((m) => ({
      name: monthLabel(m.month),
      standard: `${percentText(m.standard.share)} (${formatNumber(m.standard.withinDeadline, 0)} sur ${formatNumber(m.standard.rounds, 0)})`,
      urgent: `${percentText(m.urgent.share)} (${formatNumber(m.urgent.withinDeadline, 0)} sur ${formatNumber(m.urgent.rounds, 0)})`,
      pending: m.standard.pending + m.urgent.pending,
    })),
    pending: s.delays.all.pending,
    roundTrips: {
      settled: plural(rt.settled, 'situation réglée', 'situations réglées'),
      rows: [
        { name: '1 aller-retour', count: rt.one, share: share(rt.one, rt.settled) },
        { name: '2 allers-retours', count: rt.two, share: share(rt.two, rt.settled) },
        {
          name: '3 allers-retours ou plus',
          count: rt.threeOrMore,
          share: share(rt.threeOrMore, rt.settled),
        },
      ],
      byMonth: rt.byMonth.map((m) => ({
        name: monthLabel(m.month),
        settled: m.settled,
        one: m.one,
        two: m.two,
        more: m.threeOrMore,
        share: percentText(m.settledInOneShare),
      })),
    },
    format: {
      months: s.months.map((m) => shortMonthLabel(m, withYear)),
      rows: s.formatByCdas.map((c) => ({
        name: c.cdas,
        shares: c.byMonth.map((m) => percentText(m.share)),
        total: percentText(c.share),
        mails: c.mails,
      })),
      all: {
        shares: formatByMonth.map((m) => share(m.ok, m.mails)),
        total: share(
          formatByMonth.reduce((n, m) => n + m.ok, 0),
          formatByMonth.reduce((n, m) => n + m.mails, 0),
        ),
        mails: formatByMonth.reduce((n, m) => n + m.mails, 0),
      },
    },
    svg: {
      months: svg('chart-months'),
      cdas: svg('chart-cdas'),
      prestations: svg('chart-prestations'),
      motifs: svg('chart-motifs'),
      delays: svg('chart-delays'),
      roundTrips: svg('chart-round-trips'),
      formatCdas: svg('chart-format-cdas'),
      formatMonths: svgBars(formatChart),
    },
  };
}

export type CommitteeReport = ReturnType<typeof committeeReport>;
