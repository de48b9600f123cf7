import type { CountRow, Stats } from '../cases/indicators.js';
import { formatCalendarDay } from '../labels/formats.js';
import { deadlineText, keyWords, shortMonthLabel, spansYears } from './statsWords.js';

/**
 * The indicators' charts, described once with their French labels: drawn by
 * Chart.js on /stats (views.ts statsJs) and as inline SVG in the committee's
 * report (svgBars.ts), so the page and the printed report show the same thing.
 */
export interface ChartSeries {
  label: string;
  data: Array<number | null>;
  color: string;
}

export interface ChartSpec {
  id: string;
  title: string;
  kind: 'bar' | 'line';
  labels: string[];
  series: ChartSeries[];
  /** Several series: piled up (parts of a whole) or side by side (to compare). */
  stacked: boolean;
  /** Categories down the side, bars across: long names (CDAS, benefits) stay whole. */
  horizontal: boolean;
  /** Values in percent: the scale runs to 100. */
  percent: boolean;
}

const BLUE = '#12355b';
const RED = '#b00020';
const ORANGE = '#d9822b';
const GREEN = '#1d5e2b';

function countChart(id: string, title: string, rows: CountRow[], words: (key: string) => string): ChartSpec {
  return {
    id,
    title,
    kind: 'bar',
    labels: rows.map((r) => words(r.key)),
    series: [{ label: 'Demandes', data: rows.map((r) => r.count), color: BLUE }],
    stacked: false,
    horizontal: true,
    percent: false,
  };
}

export function statsCharts(s: Stats): ChartSpec[] {
  const withYear = spansYears(s.months);
  const months = s.months.map((m) => shortMonthLabel(m, withYear));
  const { delays, roundTrips } = s;
  return [
    {
      id: 'chart-months',
      title: 'Demandes reçues par mois',
      kind: 'bar',
      labels: months,
      series: [
        {
          label: 'Non urgentes',
          data: s.byMonth.map((m) => m.requests - m.urgent),
          color: BLUE,
        },
        {
          label: 'Urgences justifiées ou non vérifiées',
          data: s.byMonth.map((m) => m.urgent - m.urgentUnsubstantiated),
          color: ORANGE,
        },
        { label: 'Urgences non justifiées', data: s.byMonth.map((m) => m.urgentUnsubstantiated), color: RED },
      ],
      stacked: true,
      horizontal: false,
      percent: false,
    },
    countChart('chart-cdas', 'Demandes par CDAS', s.byCdas, keyWords.cdas),
    countChart('chart-prestations', 'Demandes par prestation', s.byPrestation, (k) => k),
    countChart('chart-motifs', 'Demandes par motif', s.byMotif, keyWords.motif),
    {
      id: 'chart-delays',
      title: 'Part des allers-retours répondus dans le délai, par mois (%)',
      kind: 'bar',
      labels: months,
      series: [
        {
          label: `Standard (${deadlineText(delays.standardDueDays, 'jour')})`,
          data: delays.byMonth.map((m) => m.standard.share),
          color: BLUE,
        },
        {
          label: `Urgents (${deadlineText(delays.urgentDueWorkingDays, 'jour ouvré')})`,
          data: delays.byMonth.map((m) => m.urgent.share),
          color: ORANGE,
        },
      ],
      stacked: false,
      horizontal: false,
      percent: true,
    },
    {
      id: 'chart-round-trips',
      title: 'Situations réglées, selon le nombre d’allers-retours, par mois de réception',
      kind: 'bar',
      labels: months,
      series: [
        { label: '1 aller-retour', data: roundTrips.byMonth.map((m) => m.one), color: GREEN },
        { label: '2 allers-retours', data: roundTrips.byMonth.map((m) => m.two), color: ORANGE },
        { label: '3 ou plus', data: roundTrips.byMonth.map((m) => m.threeOrMore), color: RED },
      ],
      stacked: true,
      horizontal: false,
      percent: false,
    },
    {
      id: 'chart-format-cdas',
      title: 'Part des demandes sans erreur de forme, par CDAS (%)',
      kind: 'bar',
      labels: s.formatByCdas.map((c) => c.cdas),
      series: [{ label: 'Sans erreur de forme', data: s.formatByCdas.map((c) => c.share), color: GREEN }],
      stacked: false,
      horizontal: true,
      percent: true,
    },
    {
      id: 'chart-format',
      title: `Part des demandes sans erreur de forme, par ${s.granularity === 'day' ? 'jour' : 'semaine'} (%)`,
      kind: 'line',
      labels: s.formatOverTime.map((p) => {
        const day = formatCalendarDay(new Date(`${p.bucket}T00:00:00Z`));
        return withYear ? day : day.slice(0, 5);
      }),
      series: [{ label: 'Sans erreur de forme', data: s.formatOverTime.map((p) => p.share), color: GREEN }],
      stacked: false,
      horizontal: false,
      percent: true,
    },
  ];
}

/**
 * The room a chart needs for every label to show: across the page for bars
 * across (a row per category) or for many categories down (weeks of a year,
 * months of several years, turned on their side); a row of height per category.
 */
export function chartBox(chart: ChartSpec): { height: number; wide: boolean } {
  if (!chart.horizontal) return { height: 320, wide: chart.labels.length > 16 };
  const perRow = chart.stacked || chart.series.length === 1 ? 26 : 14 * chart.series.length + 8;
  return { height: Math.max(160, 70 + perRow * chart.labels.length), wide: true };
}
