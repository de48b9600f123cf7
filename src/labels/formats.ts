/**
 * Dates, times, numbers and plurals as a French reader expects them: Paris
 * time, decimal comma, narrow no-break space between thousands, a no-break
 * space between a number and its unit so they never part at a line end.
 */

export const NBSP = '\u00a0';
export const NNBSP = '\u202f';

const TIME_ZONE = 'Europe/Paris';

const fullDate = new Intl.DateTimeFormat('fr-FR', { timeZone: TIME_ZONE, dateStyle: 'full' });
const shortDateTime = new Intl.DateTimeFormat('fr-FR', {
  timeZone: TIME_ZONE,
  dateStyle: 'short',
  timeStyle: 'short',
});
const shortDate = new Intl.DateTimeFormat('fr-FR', { timeZone: TIME_ZONE, dateStyle: 'short' });
// A calendar day (no time of day) is kept as the UTC day it was written as.
const calendarDay = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', dateStyle: 'short' });
const monthFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', month: 'long' });
const monthNames = Array.from({ length: 12 }, (_, m) => monthFormat.format(Date.UTC(2000, m, 1)));

/** "mardi 3 mars 2026" (Paris time). */
export function formatDate(at: string | Date): string {
  return fullDate.format(new Date(at));
}

/** "03/03/2026 14:05" (Paris time). */
export function formatDateTime(at: string | Date): string {
  return shortDateTime.format(new Date(at));
}

/** "03/03/2026" (Paris time). */
export function formatShortDate(at: string | Date): string {
  return shortDate.format(new Date(at));
}

/** "01/09/2026" for the day 2026-09-01, whatever the time zone: a day someone typed, not an instant. */
export function formatCalendarDay(day: Date): string {
  return calendarDay.format(day);
}

const longCalendarDay = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', dateStyle: 'full' });

/** "mercredi 1 janvier 2025" for the day 2025-01-01: a day someone chose, not an instant. */
export function formatLongCalendarDay(day: Date): string {
  return longCalendarDay.format(day);
}

/** "mars" for 3. */
export function monthName(month: number): string {
  return monthNames[month - 1] ?? '';
}

/** "1er", "2", … "31": the first of the month is an ordinal in French. */
export function dayOfMonth(day: number): string {
  return day === 1 ? '1er' : String(day);
}

const numberFormats = new Map<number, Intl.NumberFormat>();

/** "1 234,5": decimal comma, thousands apart, at most `fractionDigits` decimals. */
export function formatNumber(value: number, fractionDigits = 1): string {
  let format = numberFormats.get(fractionDigits);
  if (!format) {
    format = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: fractionDigits });
    numberFormats.set(fractionDigits, format);
  }
  return format.format(value);
}

const euros = new Intl.NumberFormat('fr-FR', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "1 234,50 €", and "420 €" for whole euros. */
export function formatEuros(value: number): string {
  const amount = Number.isInteger(Math.round(value * 100) / 100)
    ? formatNumber(Math.round(value), 0)
    : euros.format(value);
  return `${amount}${NBSP}€`;
}

/** "3,2 Mo" for a size in bytes. */
export function formatMegabytes(bytes: number): string {
  return `${formatNumber(bytes / 1_048_576, 1)}${NBSP}Mo`;
}

/** The noun alone, agreed with `n`: French puts 0 and 1 in the singular. */
export function agree(n: number, singular: string, pluralForm = `${singular}s`): string {
  return Math.abs(n) >= 2 ? pluralForm : singular;
}

/** "0 message", "1 message", "3 messages": the number, a no-break space and the agreed noun. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatNumber(n, 1)}${NBSP}${agree(n, singular, pluralForm)}`;
}

/**
 * Non-breaking spaces where French typography wants them (inside « », before
 * : ; ? !), for what the command line prints and what the rules of the answers
 * stage say; idempotent. A reply to a CDAS has its own, finer version
 * (replies/frenchTypography.ts: narrow spaces, apostrophes).
 */
export function frenchTypography(text: string): string {
  return text.replace(/« /g, `«${NBSP}`).replace(/ ([»:;?!])/g, `${NBSP}$1`);
}

/** "A", "A et B", "A, B et C". */
export function frenchList(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} et ${items.at(-1)}`;
}
