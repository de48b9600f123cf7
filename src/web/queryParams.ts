import { datesRange, type Period, periodRange, type StatsRange, yearRange } from '../cases/indicators.js';

/** A refused parameter: said in French on the pages and CSV, in English in the JSON API (like its other errors). */
export interface ParamError {
  fr: string;
  en: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ParamError };

const refuse = (fr: string, en: string): { ok: false; error: ParamError } => ({
  ok: false,
  error: { fr, en },
});

function isPeriod(p: unknown): p is Period {
  return p === 'week' || p === 'month' || p === 'year';
}

/** YYYY-MM-DD naming a real day (2025-02-30 is not one), as the UTC midnight it starts at. */
function calendarDay(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1970 || day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d)
    return null;
  return day;
}

/** The longest range of indicators, in calendar years (ten committees). */
export const MAX_RANGE_YEARS = 10;

/**
 * The range of the indicators asked for: `from` and `to` (two days, both
 * included), else `year` (a calendar year), else `period` (week, month or
 * year up to now; month by default).
 */
export function statsRangeOf(
  query: { period?: unknown; year?: unknown; from?: unknown; to?: unknown },
  now: Date,
): Parsed<StatsRange> {
  if (query.from !== undefined || query.to !== undefined) {
    const first = typeof query.from === 'string' ? calendarDay(query.from) : null;
    const last = typeof query.to === 'string' ? calendarDay(query.to) : null;
    if (!first || !last)
      return refuse(
        'Les dates de début (from) et de fin (to) sont toutes deux requises, au format AAAA-MM-JJ (par exemple from=2025-01-01&to=2025-03-31).',
        'from and to are both required, as dates YYYY-MM-DD',
      );
    if (first > last)
      return refuse(
        'La date de début (from) est postérieure à la date de fin (to).',
        'from must not be after to',
      );
    // Every monthly breakdown has a row per month: a century of them is no report.
    if (last.getUTCFullYear() - first.getUTCFullYear() >= MAX_RANGE_YEARS)
      return refuse(
        `La période demandée (from, to) couvre au plus ${MAX_RANGE_YEARS}\u00a0années civiles.`,
        `from and to must span at most ${MAX_RANGE_YEARS} calendar years`,
      );
    return { ok: true, value: datesRange(first, last) };
  }
  if (query.year !== undefined) {
    const year = typeof query.year === 'string' && /^\d{4}$/.test(query.year) ? Number(query.year) : 0;
    if (year < 1970)
      return refuse('L’année s’écrit en quatre chiffres (par exemple year=2025).', 'year must be YYYY');
    return { ok: true, value: yearRange(year) };
  }
  const period = query.period ?? 'month';
  if (!isPeriod(period))
    return refuse(
      'La période est « week » (7 derniers jours), « month » (mois en cours) ou « year » (année en cours).',
      'period must be week, month or year',
    );
  return { ok: true, value: periodRange(period, now) };
}

export const PAGE_DEFAULT = 100;
export const PAGE_MAX = 500;

function wholeNumber(value: unknown): number | null {
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : null;
}

/** `limit` (1 to 500, 100 by default) and `offset` (0 by default) of a list. */
export function pageOf(query: {
  limit?: unknown;
  offset?: unknown;
}): Parsed<{ limit: number; offset: number }> {
  const limit = query.limit === undefined ? PAGE_DEFAULT : wholeNumber(query.limit);
  if (limit === null || limit < 1 || limit > PAGE_MAX)
    return refuse(
      `La taille de page (limit) est un nombre entier de 1 à ${PAGE_MAX}.`,
      `limit must be an integer from 1 to ${PAGE_MAX}`,
    );
  const offset = query.offset === undefined ? 0 : wholeNumber(query.offset);
  if (offset === null)
    return refuse(
      'Le décalage (offset) est un nombre entier positif ou nul.',
      'offset must be an integer ≥ 0',
    );
  return { ok: true, value: { limit, offset } };
}

/** An offset of the /cases page for one queue (`priorityOffset`, `standardOffset`). */
export function offsetOf(value: unknown): Parsed<number> {
  const offset = value === undefined ? 0 : wholeNumber(value);
  if (offset === null)
    return refuse(
      'Le décalage de page est un nombre entier positif ou nul.',
      'offset must be an integer ≥ 0',
    );
  return { ok: true, value: offset };
}
