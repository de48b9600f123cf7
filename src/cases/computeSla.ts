/**
 * Answer deadlines. Standard requests: the convention's 7 to 10 days after
 * receipt (warning at 7, due at 10). Urgent ones: a number of working days,
 * without weekends nor French public holidays.
 */

function easterSunday(year: number): Date {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return new Date(Date.UTC(year, month - 1, day));
}

const holidayCache = new Map<number, Set<string>>();

function holidays(year: number): Set<string> {
  let set = holidayCache.get(year);
  if (!set) {
    const easter = easterSunday(year).getTime();
    const day = 86_400_000;
    const fixed = ['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'].map(
      (md) => `${year}-${md}`,
    );
    const moving = [1, 39, 50].map((offset) => new Date(easter + offset * day).toISOString().slice(0, 10));
    set = new Set([...fixed, ...moving]);
    holidayCache.set(year, set);
  }
  return set;
}

export function isWorkingDay(date: Date): boolean {
  const weekday = date.getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  return !holidays(date.getUTCFullYear()).has(date.toISOString().slice(0, 10));
}

export function addWorkingDays(from: Date, days: number): Date {
  const d = new Date(from.getTime());
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (isWorkingDay(d)) left--;
  }
  return d;
}

/** Where an open case stands against its deadline; `none` when it has none or is not open. */
export type SlaStatus = 'overdue' | 'due-soon' | 'on-time' | 'none';

export interface Sla {
  dueAt: string;
  warnAt: string;
}

export interface SlaSettings {
  standardDueDays: number;
  standardWarningDays: number;
  urgentDueWorkingDays: number;
}

export function computeSla(receivedAt: Date, urgent: boolean, settings: SlaSettings): Sla {
  if (urgent) {
    const due = addWorkingDays(receivedAt, settings.urgentDueWorkingDays);
    const warn = addWorkingDays(receivedAt, Math.max(0, settings.urgentDueWorkingDays - 1));
    return { dueAt: due.toISOString(), warnAt: warn.toISOString() };
  }
  const day = 86_400_000;
  return {
    dueAt: new Date(receivedAt.getTime() + settings.standardDueDays * day).toISOString(),
    warnAt: new Date(receivedAt.getTime() + settings.standardWarningDays * day).toISOString(),
  };
}
