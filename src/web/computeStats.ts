import type { CaseRecord } from '../cases/caseRecord.js';

export type Period = 'week' | 'month' | 'year';

export interface PeriodRange {
  period: Period;
  from: Date;
  to: Date;
}

/** The last 7 days, the current calendar month, or the current calendar year (Paris time is close enough to UTC here). */
export function periodRange(period: Period, now: Date): PeriodRange {
  if (period === 'week') return { period, from: new Date(now.getTime() - 7 * 86_400_000), to: now };
  if (period === 'month') {
    return { period, from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), to: now };
  }
  return { period, from: new Date(Date.UTC(now.getUTCFullYear(), 0, 1)), to: now };
}

export interface CountRow {
  key: string;
  count: number;
}

export interface FormatPoint {
  /** Start of the bucket (day for a week or month, ISO week start for a year). */
  bucket: string;
  mails: number;
  withoutFormatError: number;
  share: number;
}

export interface Stats {
  period: Period;
  from: string;
  to: string;
  mails: number;
  /** Requests from partners (priority + standard); robots and quarantine apart. */
  requests: number;
  byRoute: CountRow[];
  byCdas: CountRow[];
  byPrestation: CountRow[];
  byMotif: CountRow[];
  byRule: CountRow[];
  urgent: number;
  urgentUnsubstantiated: number;
  multipleSituations: number;
  formatOverTime: FormatPoint[];
  handled: number;
  medianHoursToHandled: number | null;
  slaBreaches: number;
}

function countBy(items: string[]): CountRow[] {
  const counts = new Map<string, number>();
  for (const k of items) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function bucketOf(date: Date, period: Period): string {
  if (period !== 'year') return date.toISOString().slice(0, 10);
  // Monday of the week.
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

/**
 * The convention's yearly indicators for a period: flows and nature of the
 * mails, urgencies and unjustified ones, whether the format improves, delays.
 */
export function computeStats(cases: CaseRecord[], range: PeriodRange, now: Date): Stats {
  const requests = cases.filter((c) => c.route === 'priority' || c.route === 'standard');
  const handled = requests.filter((c) => c.handledAt);
  const buckets = new Map<string, { mails: number; ok: number }>();
  for (const c of requests) {
    if (c.unreadable) continue;
    const b = bucketOf(new Date(c.receivedAt), range.period);
    const entry = buckets.get(b) ?? { mails: 0, ok: 0 };
    entry.mails++;
    if (c.lintErrors === 0) entry.ok++;
    buckets.set(b, entry);
  }
  const breaches = requests.filter((c) => {
    if (!c.sla) return false;
    const due = new Date(c.sla.dueAt).getTime();
    return c.handledAt ? new Date(c.handledAt).getTime() > due : now.getTime() > due;
  });
  return {
    period: range.period,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    mails: cases.length,
    requests: requests.length,
    byRoute: countBy(cases.map((c) => c.route)),
    byCdas: countBy(requests.map((c) => c.cdas?.name ?? 'non identifié')),
    byPrestation: countBy(requests.flatMap((c) => (c.prestations.length ? c.prestations : ['non indiquée']))),
    byMotif: countBy(requests.map((c) => c.motif)),
    byRule: countBy(requests.flatMap((c) => [...new Set(c.lint.map((f) => f.rule))])),
    urgent: requests.filter((c) => c.urgent).length,
    urgentUnsubstantiated: requests.filter((c) => c.urgencyCheck === 'unsubstantiated').length,
    multipleSituations: requests.filter((c) => c.multipleSituations).length,
    formatOverTime: [...buckets]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([bucket, v]) => ({
        bucket,
        mails: v.mails,
        withoutFormatError: v.ok,
        share: v.mails ? Math.round((v.ok / v.mails) * 1000) / 10 : 0,
      })),
    handled: handled.length,
    medianHoursToHandled: (() => {
      const m = median(
        handled.map(
          (c) => (new Date(c.handledAt as string).getTime() - new Date(c.receivedAt).getTime()) / 3_600_000,
        ),
      );
      return m === null ? null : Math.round(m * 10) / 10;
    })(),
    slaBreaches: breaches.length,
  };
}

function csvCell(v: unknown): string {
  const s = String(v ?? '');
  // Quote, and defuse spreadsheet formulas.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n;]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
