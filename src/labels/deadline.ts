/**
 * A deadline as technicians count it: in calendar days of Paris, not hours.
 * "aujourd’hui", "demain", "dans 3 jours"; past it, "en retard de 2 jours"
 * (or "en retard depuis aujourd’hui" when it passed earlier the same day).
 */

const parisDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The Paris calendar day of an instant, as a day number (days since 1970-01-01). */
function dayNumber(at: Date): number {
  const [y, m, d] = parisDay.format(at).split('-').map(Number) as [number, number, number];
  return Math.round(Date.UTC(y, m - 1, d) / 86_400_000);
}

export interface DeadlineInDays {
  /** Calendar days from today to the deadline's day: negative when that day is behind us. */
  days: number;
  overdue: boolean;
  /** In French, for a list or the case page. */
  text: string;
}

export function deadlineInDays(dueAt: string | Date, now: Date): DeadlineInDays {
  const due = new Date(dueAt);
  const days = dayNumber(due) - dayNumber(now);
  const overdue = due.getTime() < now.getTime();
  if (overdue) {
    const late = Math.max(0, -days);
    const text =
      late === 0 ? 'en retard depuis aujourd’hui' : `en retard de ${late}\u00a0jour${late >= 2 ? 's' : ''}`;
    return { days, overdue, text };
  }
  const text = days <= 0 ? 'aujourd’hui' : days === 1 ? 'demain' : `dans ${days}\u00a0jours`;
  return { days, overdue, text };
}
