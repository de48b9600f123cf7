import type { CountRow, DeadlineShare, DelayFigures, Stats } from '../cases/indicators.js';
import { formatCalendarDay, NBSP } from '../labels/formats.js';
import type { CsvValue } from './csv.js';
import { deadlineText, keyWords, monthLabel, rangeSlug } from './statsWords.js';

/**
 * The indicators as tables with French headers: each one a CSV of
 * /stats.csv?table=…, and all of them, one after the other, the CSV of the
 * whole range. Shares are percentages, delays hours, with a decimal comma
 * (csv.ts).
 */
export interface StatsTable {
  /** The `table` parameter that asks for it. */
  key: string;
  /** Its part of the file name (indicateurs-cdap-2024-par-cdas.csv). */
  slug: string;
  title: string;
  header: string[];
  rows: CsvValue[][];
}

const colon = `${NBSP}:`;
const WHOLE_RANGE = 'ensemble de la période';

function counts(rows: CountRow[], words: (key: string) => string): CsvValue[][] {
  return rows.map((r) => [words(r.key), r.count]);
}

/** A breakdown month by month: a row per key, a column per month, and the total. */
function crossTable(
  s: Stats,
  first: string,
  of: 'byCdas' | 'byPrestation' | 'byMotif',
  words: (key: string) => string,
): { header: string[]; rows: CsvValue[][] } {
  const totals = s[of];
  const perMonth = s.byMonth.map((m) => new Map(m[of].map((r) => [r.key, r.count])));
  return {
    header: [first, ...s.byMonth.map((m) => monthLabel(m.month)), 'Total'],
    rows: totals.map((t) => [words(t.key), ...perMonth.map((m) => m.get(t.key) ?? 0), t.count]),
  };
}

function shareCells(d: DeadlineShare): CsvValue[] {
  return [d.rounds, d.withinDeadline, d.share, d.pending];
}

export function statsTables(s: Stats): StatsTable[] {
  const standard = `standard (${deadlineText(s.delays.standardDueDays, 'jour')})`;
  const urgent = `urgents (${deadlineText(s.delays.urgentDueWorkingDays, 'jour ouvré')})`;
  const delayRow = (label: string, d: DelayFigures): CsvValue[] => [
    label,
    ...shareCells(d),
    d.answered,
    d.medianHours,
    d.p90Hours,
  ];
  return [
    {
      key: 'mois',
      slug: 'par-mois',
      title: 'Flux par mois de réception',
      header: [
        'Mois',
        'Messages reçus',
        'Demandes des partenaires',
        'Urgences signalées',
        'Urgences non justifiées',
        'Demandes répondues',
      ],
      rows: [
        ...s.byMonth.map((m) => [
          monthLabel(m.month),
          m.mails,
          m.requests,
          m.urgent,
          m.urgentUnsubstantiated,
          m.answered,
        ]),
        [WHOLE_RANGE, s.mails, s.requests, s.urgent, s.urgentUnsubstantiated, s.answered],
      ],
    },
    {
      key: 'cdas',
      slug: 'par-cdas',
      title: 'Demandes par CDAS',
      header: ['CDAS', 'Demandes'],
      rows: counts(s.byCdas, keyWords.cdas),
    },
    {
      key: 'mois-cdas',
      slug: 'cdas-par-mois',
      title: 'Demandes par CDAS et par mois',
      ...crossTable(s, 'CDAS', 'byCdas', keyWords.cdas),
    },
    {
      key: 'prestations',
      slug: 'par-prestation',
      title: 'Demandes par prestation (une demande qui en nomme plusieurs compte pour chacune)',
      header: ['Prestation', 'Demandes'],
      rows: counts(s.byPrestation, keyWords.prestation),
    },
    {
      key: 'mois-prestations',
      slug: 'prestations-par-mois',
      title: 'Demandes par prestation et par mois',
      ...crossTable(s, 'Prestation', 'byPrestation', keyWords.prestation),
    },
    {
      key: 'motifs',
      slug: 'par-motif',
      title: 'Demandes par motif',
      header: ['Motif', 'Demandes'],
      rows: counts(s.byMotif, keyWords.motif),
    },
    {
      key: 'mois-motifs',
      slug: 'motifs-par-mois',
      title: 'Demandes par motif et par mois',
      ...crossTable(s, 'Motif', 'byMotif', keyWords.motif),
    },
    {
      key: 'routes',
      slug: 'par-file',
      title: 'Messages par file',
      header: ['File', 'Messages'],
      rows: counts(s.byRoute, keyWords.route),
    },
    {
      key: 'rules',
      slug: 'bonnes-pratiques',
      title: 'Bonnes pratiques non suivies',
      header: ['Bonne pratique', 'Demandes'],
      rows: counts(s.byRule, keyWords.rule),
    },
    {
      key: 'delais',
      slug: 'delais',
      title: 'Délais de réponse, par aller-retour commencé dans la période',
      header: [
        'Allers-retours',
        'Comptés (répondus ou échus)',
        'Répondus dans le délai',
        'Part dans le délai (%)',
        'Non échus, non comptés',
        'Répondus',
        'Délai médian (heures)',
        '90e centile (heures)',
      ],
      rows: [
        delayRow(standard, s.delays.standard),
        delayRow(urgent, s.delays.urgent),
        delayRow('ensemble', s.delays.all),
      ],
    },
    {
      key: 'delais-mois',
      slug: 'delais-par-mois',
      title: 'Réponses dans le délai, par mois où l’aller-retour a commencé',
      header: [
        'Mois',
        ...[`Standard${colon}`, `Urgents${colon}`].flatMap((k) => [
          `${k} comptés`,
          `${k} dans le délai`,
          `${k} part dans le délai (%)`,
          `${k} non échus`,
        ]),
      ],
      rows: s.delays.byMonth.map((m) => [
        monthLabel(m.month),
        ...shareCells(m.standard),
        ...shareCells(m.urgent),
      ]),
    },
    {
      key: 'allers-retours',
      slug: 'allers-retours',
      title: 'Allers-retours par situation (demandes reçues dans la période, répondues ou closes)',
      header: [
        'Mois de réception',
        'Situations réglées',
        'En 1 aller-retour',
        'En 2 allers-retours',
        'En 3 allers-retours ou plus',
        'Part réglée en un seul aller-retour (%)',
        'Allers-retours en moyenne',
      ],
      rows: [
        ...s.roundTrips.byMonth.map((m) => ({ ...m, label: monthLabel(m.month) })),
        { ...s.roundTrips, label: WHOLE_RANGE },
      ].map((r) => [r.label, r.settled, r.one, r.two, r.threeOrMore, r.settledInOneShare, r.average]),
    },
    {
      key: 'format',
      slug: 'forme',
      title: 'Forme des demandes lisibles',
      header: ['Période commençant le', 'Demandes lisibles', 'Sans erreur de forme', 'Part sans erreur (%)'],
      rows: s.formatOverTime.map((p) => [
        formatCalendarDay(new Date(`${p.bucket}T00:00:00Z`)),
        p.mails,
        p.withoutFormatError,
        p.share,
      ]),
    },
    {
      key: 'forme-cdas',
      slug: 'forme-par-cdas',
      title: 'Forme des demandes par CDAS et par mois (ateliers CDAP)',
      header: ['CDAS', 'Mois', 'Demandes lisibles', 'Sans erreur de forme', 'Part sans erreur (%)'],
      rows: s.formatByCdas.flatMap((c) => [
        ...c.byMonth.map((m) => [c.cdas, monthLabel(m.month), m.mails, m.withoutFormatError, m.share]),
        [c.cdas, WHOLE_RANGE, c.mails, c.withoutFormatError, c.share],
      ]),
    },
  ];
}

/** The file's name, in French and ASCII: indicateurs-cdap-2024.csv, indicateurs-cdap-2024-par-cdas.csv. */
export function csvFileName(s: Stats, table: StatsTable | null): string {
  return `indicateurs-cdap-${rangeSlug(s)}${table ? `-${table.slug}` : ''}.csv`;
}
