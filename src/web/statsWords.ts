import type { StatsRange } from '../cases/indicators.js';
import { agree, formatLongCalendarDay, formatNumber, NBSP } from '../labels/formats.js';
import { motifLabels, prestationLabels, routeLabels, ruleLabels } from '../labels/words.js';

/**
 * The indicators' words, shared by the page, its charts, the CSV tables and
 * the committee's report, so that each says a month, a benefit or a delay the
 * same way.
 */

const monthLong = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', month: 'long', year: 'numeric' });
const monthShort = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', month: 'short' });

/** "janvier 2024" for 2024-01-01. */
export function monthLabel(month: string): string {
  return monthLong.format(new Date(`${month}T00:00:00Z`));
}

/** "janv." (with the year, "janv. 2024", when the months shown span several years): an axis label. */
export function shortMonthLabel(month: string, withYear: boolean): string {
  const text = monthShort.format(new Date(`${month}T00:00:00Z`));
  return withYear ? `${text}${NBSP}${month.slice(0, 4)}` : text;
}

/** Whether the months run over more than one calendar year (their labels then say the year). */
export function spansYears(months: string[]): boolean {
  return new Set(months.map((m) => m.slice(0, 4))).size > 1;
}

/** What a key of a breakdown reads as: benefits and motifs in words; CDAS names as they are. */
export const keyWords = {
  cdas: (key: string) => key,
  prestation: (key: string) => (prestationLabels as Record<string, string>)[key] ?? key,
  motif: (key: string) => (motifLabels as Record<string, string>)[key] ?? key,
  route: (key: string) => (routeLabels as Record<string, string>)[key] ?? key,
  rule: (key: string) => (ruleLabels as Record<string, string>)[key] ?? key,
};

/** "12,5 %"; a dash for no share at all. */
export function percentText(share: number | null): string {
  return share === null ? '—' : `${formatNumber(share, 1)}${NBSP}%`;
}

/** A delay in days with a decimal comma ("0,8 jour", "2,3 jours"); a dash when there is none. */
export function daysText(hours: number | null): string {
  if (hours === null) return '—';
  // Hours come rounded to a tenth: 111,6 h is 4,65 days, which must round up, not to 4,6 by a binary error.
  const days = Math.round((hours / 24) * 10 + 1e-9) / 10;
  return `${formatNumber(days, 1)}${NBSP}${agree(days, 'jour')}`;
}

/** "10 jours", "2 jours ouvrés": a deadline. */
export function deadlineText(n: number, unit: 'jour' | 'jour ouvré'): string {
  return `${formatNumber(n, 0)}${NBSP}${agree(n, unit, unit === 'jour' ? 'jours' : 'jours ouvrés')}`;
}

/** The range in a sentence: "Année 2024, du lundi 1 janvier 2024 au mardi 31 décembre 2024". */
export function rangeText(s: {
  period: StatsRange['period'];
  year: number | null;
  firstDay: string;
  lastDay: string;
}): string {
  const day = (d: string) => formatLongCalendarDay(new Date(`${d}T00:00:00Z`));
  const span = `du ${day(s.firstDay)} au ${day(s.lastDay)}`;
  if (s.period === 'calendar-year') return `Année ${s.year}, ${span}`;
  return `Période ${span} inclus`;
}

/** A range in a file name, ASCII only: "2024", "2024-06-01-au-2024-06-04", "7-derniers-jours". */
export function rangeSlug(s: {
  period: StatsRange['period'];
  year: number | null;
  firstDay: string;
  lastDay: string;
}): string {
  if (s.period === 'calendar-year') return String(s.year);
  if (s.period === 'dates') return `${s.firstDay}-au-${s.lastDay}`;
  return { week: '7-derniers-jours', month: 'mois-en-cours', year: 'annee-en-cours' }[s.period];
}
