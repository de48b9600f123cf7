import { sql } from 'kysely';
import type { Database } from '../infra/database.js';
import { type MonthCounts, monthlyAggregates } from './retention.js';

export type Period = 'week' | 'month' | 'year';

/**
 * The cases an indicator page counts: received in [from, until). `period`
 * says how it was asked for: relative to now (the last 7 days, this month,
 * this year), a calendar year (previous ones included) or two dates.
 */
export interface StatsRange {
  period: Period | 'calendar-year' | 'dates';
  from: Date;
  /** Exclusive. */
  until: Date;
  /** The calendar year, for `calendar-year`. */
  year: number | null;
  /** The parameters that ask for this range again (the CSV links repeat them). */
  query: string;
}

const DAY_MS = 86_400_000;

/** The last 7 days, the current calendar month, or the current calendar year (Paris time is close enough to UTC here). */
export function periodRange(period: Period, now: Date): StatsRange {
  // Until just after now: a case received at this very instant counts.
  const until = new Date(now.getTime() + 1);
  const base = { period, until, year: null, query: `period=${period}` };
  if (period === 'week') return { ...base, from: new Date(now.getTime() - 7 * DAY_MS) };
  if (period === 'month')
    return { ...base, from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)) };
  return { ...base, from: new Date(Date.UTC(now.getUTCFullYear(), 0, 1)) };
}

export function yearRange(year: number): StatsRange {
  return {
    period: 'calendar-year',
    from: new Date(Date.UTC(year, 0, 1)),
    until: new Date(Date.UTC(year + 1, 0, 1)),
    year,
    query: `year=${year}`,
  };
}

/** From the first day to the last, both included (UTC days, like the format chart's buckets). */
export function datesRange(first: Date, last: Date): StatsRange {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return {
    period: 'dates',
    from: first,
    until: new Date(last.getTime() + DAY_MS),
    year: null,
    query: `from=${day(first)}&to=${day(last)}`,
  };
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
  period: StatsRange['period'];
  /** The calendar year shown, when one was asked for. */
  year: number | null;
  /** The parameters of this range, for links (`period=week`, `year=2025`, `from=…&to=…`). */
  query: string;
  from: string;
  /** The last instant counted. */
  to: string;
  /** The first and last UTC days the range covers (YYYY-MM-DD). */
  firstDay: string;
  lastDay: string;
  /** The chart's buckets: days, or ISO weeks (Monday) for ranges longer than three months. */
  granularity: 'day' | 'week';
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
  /**
   * Months of the range whose cases retention deleted (YYYY-MM-01): their
   * anonymous counts are added in; the median delay and the format chart
   * come from the cases still kept only.
   */
  archivedMonths: string[];
}

/** Connections one page of indicators uses at once: its queries spread over the cores, the rest of the pool stays free. */
const STATS_CONNECTIONS = 4;

/** Runs tasks at most `width` at a time; a finished task hands its turn to the next waiting one. */
function inTurns(width: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active < width) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/** Ranges up to this long get a bucket per day in the format chart; longer ones one per ISO week. */
const DAILY_BUCKETS_UP_TO_DAYS = 92;

function granularityOf(range: StatsRange): 'day' | 'week' {
  if (range.period === 'week' || range.period === 'month') return 'day';
  if (range.period === 'year' || range.period === 'calendar-year') return 'week';
  return range.until.getTime() - range.from.getTime() <= DAILY_BUCKETS_UP_TO_DAYS * DAY_MS ? 'day' : 'week';
}

function sorted(counts: Map<string, number>): CountRow[] {
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/** The months wholly inside [from, until): a month only partly in the range has no aggregate that fits it. */
function wholeMonths(
  months: Array<{ month: string; counts: MonthCounts }>,
  from: Date,
  until: Date,
): Array<{ month: string; counts: MonthCounts }> {
  return months.filter(({ month }) => {
    const start = new Date(`${month}T00:00:00Z`);
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    return start >= from && end <= until;
  });
}

interface Totals {
  mails: number;
  urgent: number;
  urgent_unsubstantiated: number;
  multiple_situations: number;
  handled: number;
  sla_breaches: number;
}

/**
 * The convention's indicators for a range, counted by PostgreSQL: flows and
 * nature of the mails, urgencies and unjustified ones, whether the format
 * improves, delays. Months of the range that retention emptied add their
 * anonymous monthly aggregates (counts only: the median delay and the format
 * chart are of the cases still kept).
 */
export async function readStats(db: Database, range: StatsRange, now: Date): Promise<Stats> {
  const { from, until } = range;
  const granularity = granularityOf(range);
  const requests = sql`route IN ('priority', 'standard')`;
  const inRange = sql`received_at >= ${from} AND received_at < ${until}`;
  // The pool is the pipeline's too: a page of indicators takes a few connections, not all.
  const turn = inTurns(STATS_CONNECTIONS);
  // By route: the mails of each route, and the requests' counts in the priority and standard rows.
  const totalsQuery = () =>
    sql<Totals & { route: string }>`
    SELECT route, count(*)::int AS mails,
      count(*) FILTER (WHERE urgent)::int AS urgent,
      count(*) FILTER (WHERE urgency_check = 'unsubstantiated')::int AS urgent_unsubstantiated,
      count(*) FILTER (WHERE multiple_situations)::int AS multiple_situations,
      count(*) FILTER (WHERE first_answered_at IS NOT NULL)::int AS handled,
      count(*) FILTER (WHERE due_at IS NOT NULL AND COALESCE(first_answered_at, ${now}) > due_at)::int AS sla_breaches
    FROM cases WHERE ${inRange} GROUP BY route`.execute(db);
  const medianQuery = () =>
    sql<{ median_hours: number | null }>`
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_answered_at - received_at) / 3600)
      AS median_hours
    FROM cases WHERE ${inRange} AND ${requests} AND first_answered_at IS NOT NULL`.execute(db);
  // A few GROUP BYs run side by side on the pool: each is a scan of the range by
  // cases_by_received, and they spread over the cores (one query holding every breakdown
  // would run on one core, and spill the range to disk to read it several times). Breakdowns
  // of few values share a scan, grouped by their pair (CDAS × motif: a few hundred rows).
  // Prestations and rules are grouped by whole list (a few dozen distinct lists), each list's
  // count then given to each of its items here: the same as unnest, at a third of its cost.
  const bucket = granularity === 'day' ? sql.lit('day') : sql.lit('week');
  const [totals, median, byCdasMotif, byLists, formatRows, aggregates] = await Promise.all([
    turn(totalsQuery),
    turn(medianQuery),
    turn(() =>
      sql<{ cdas: string; motif: string; n: number }>`
        SELECT COALESCE(cdas_name, 'non identifié') AS cdas, motif, count(*)::int AS n
        FROM cases WHERE ${inRange} AND ${requests} GROUP BY 1, 2`
        .execute(db)
        .then((r) => r.rows),
    ),
    turn(() =>
      sql<{ prestations: string[]; rules: string[]; n: number }>`
        SELECT prestations, rules, count(*)::int AS n
        FROM cases WHERE ${inRange} AND ${requests} GROUP BY 1, 2`
        .execute(db)
        .then((r) => r.rows),
    ),
    turn(() =>
      sql<{ bucket: string; n: number; ok: number }>`
        SELECT to_char(b, 'YYYY-MM-DD') AS bucket, n, ok FROM (
          SELECT date_trunc(${bucket}, received_at AT TIME ZONE 'UTC') AS b, count(*)::int AS n,
            (count(*) FILTER (WHERE lint_errors = 0))::int AS ok
          FROM cases WHERE ${inRange} AND ${requests} AND NOT unreadable GROUP BY 1
        ) w ORDER BY b`
        .execute(db)
        .then((r) => r.rows),
    ),
    turn(() => monthlyAggregates(db, from, until)),
  ]);
  const requestRows = totals.rows.filter((r) => r.route === 'priority' || r.route === 'standard');
  const sum = (rows: Totals[], field: keyof Totals) => rows.reduce((n, r) => n + r[field], 0);
  const medianHours = median.rows[0]?.median_hours ?? null;
  const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);
  const maps = {
    route: new Map(totals.rows.map((r) => [r.route, r.mails])),
    cdas: new Map<string, number>(),
    prestation: new Map<string, number>(),
    motif: new Map<string, number>(),
    rule: new Map<string, number>(),
  };
  for (const r of byCdasMotif) {
    add(maps.cdas, r.cdas, r.n);
    add(maps.motif, r.motif, r.n);
  }
  for (const r of byLists) {
    for (const p of r.prestations.length ? r.prestations : ['non indiquée']) add(maps.prestation, p, r.n);
    for (const rule of r.rules) add(maps.rule, rule, r.n);
  }
  const format: FormatPoint[] = formatRows.map((row) => ({
    bucket: row.bucket,
    mails: row.n,
    withoutFormatError: row.ok,
    share: row.n ? Math.round((row.ok / row.n) * 1000) / 10 : 0,
  }));
  const archived = wholeMonths(aggregates, from, until);
  const sums = {
    mails: sum(totals.rows, 'mails'),
    requests: sum(requestRows, 'mails'),
    urgent: sum(requestRows, 'urgent'),
    urgent_unsubstantiated: sum(requestRows, 'urgent_unsubstantiated'),
    multiple_situations: sum(requestRows, 'multiple_situations'),
    handled: sum(requestRows, 'handled'),
    sla_breaches: sum(requestRows, 'sla_breaches'),
  };
  for (const { counts: c } of archived) {
    const addAll = (map: Map<string, number>, counts: Record<string, number> | undefined) => {
      for (const [key, n] of Object.entries(counts ?? {})) add(map, key, n);
    };
    sums.mails += c.mails ?? 0;
    sums.requests += c.requests ?? 0;
    sums.urgent += c.urgent ?? 0;
    sums.urgent_unsubstantiated += c.urgentUnsubstantiated ?? 0;
    sums.multiple_situations += c.multipleSituations ?? 0;
    sums.handled += c.handled ?? 0;
    sums.sla_breaches += c.slaBreaches ?? 0;
    addAll(maps.route, c.byRoute);
    addAll(maps.cdas, c.byCdas);
    addAll(maps.prestation, c.byPrestation);
    addAll(maps.motif, c.byMotif);
    addAll(maps.rule, c.byRule);
  }
  const lastInstant = new Date(until.getTime() - 1);
  return {
    period: range.period,
    year: range.year,
    query: range.query,
    from: from.toISOString(),
    to: lastInstant.toISOString(),
    firstDay: from.toISOString().slice(0, 10),
    lastDay: lastInstant.toISOString().slice(0, 10),
    granularity,
    mails: sums.mails,
    requests: sums.requests,
    byRoute: sorted(maps.route),
    byCdas: sorted(maps.cdas),
    byPrestation: sorted(maps.prestation),
    byMotif: sorted(maps.motif),
    byRule: sorted(maps.rule),
    urgent: sums.urgent,
    urgentUnsubstantiated: sums.urgent_unsubstantiated,
    multipleSituations: sums.multiple_situations,
    formatOverTime: format,
    handled: sums.handled,
    medianHoursToHandled: medianHours === null ? null : Math.round(medianHours * 10) / 10,
    slaBreaches: sums.sla_breaches,
    archivedMonths: archived.map((a) => a.month),
  };
}

/**
 * The calendar years that have cases or anonymous aggregates, newest first:
 * what the indicators page offers. A loose index scan over (year, seq), so it
 * reads a few index pages, not every case.
 */
export async function yearsWithIndicators(db: Database): Promise<number[]> {
  const r = await sql<{ year: number }>`
    WITH RECURSIVE y AS (
      (SELECT year FROM cases ORDER BY year LIMIT 1)
      UNION ALL
      SELECT (SELECT c.year FROM cases c WHERE c.year > y.year ORDER BY c.year LIMIT 1)
      FROM y WHERE y.year IS NOT NULL
    )
    SELECT year FROM y WHERE year IS NOT NULL
    UNION
    SELECT DISTINCT extract(year FROM month)::int FROM monthly_indicators
    ORDER BY year DESC`.execute(db);
  return r.rows.map((row) => row.year);
}
