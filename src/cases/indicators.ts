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
  requests: number;
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
  const totalsQuery = () =>
    sql<Totals>`
    SELECT count(*)::int AS mails,
      count(*) FILTER (WHERE ${requests})::int AS requests,
      count(*) FILTER (WHERE ${requests} AND urgent)::int AS urgent,
      count(*) FILTER (WHERE ${requests} AND urgency_check = 'unsubstantiated')::int AS urgent_unsubstantiated,
      count(*) FILTER (WHERE ${requests} AND multiple_situations)::int AS multiple_situations,
      count(*) FILTER (WHERE ${requests} AND handled_at IS NOT NULL)::int AS handled,
      count(*) FILTER (WHERE ${requests} AND due_at IS NOT NULL AND COALESCE(handled_at, ${now}) > due_at)::int
        AS sla_breaches
    FROM cases WHERE ${inRange}`.execute(db);
  const medianQuery = () =>
    sql<{ median_hours: number | null }>`
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM handled_at - received_at) / 3600)
      AS median_hours
    FROM cases WHERE ${inRange} AND ${requests} AND handled_at IS NOT NULL`.execute(db);
  // One GROUP BY per breakdown, run side by side on the pool: each is a scan of the range by
  // cases_by_received, and they spread over the cores (one query holding every breakdown
  // would run on one core, and spill the range to disk to read it several times).
  const bucket = granularity === 'day' ? sql.lit('day') : sql.lit('week');
  type Counted = { key: string; n: number };
  const breakdown = (query: ReturnType<typeof sql<Counted>>) => () => query.execute(db).then((r) => r.rows);
  // Prestations and rules are counted by whole list (a few dozen distinct lists), then each
  // list's count goes to each of its items here: the same as unnest, at a third of its cost.
  type Listed = { key: string[]; n: number };
  const lists = (query: ReturnType<typeof sql<Listed>>) => () => query.execute(db).then((r) => r.rows);
  const [totals, median, byRoute, byCdas, byPrestation, byMotif, byRule, formatRows, aggregates] =
    await Promise.all([
      turn(totalsQuery),
      turn(medianQuery),
      turn(
        breakdown(sql<Counted>`SELECT route AS key, count(*)::int AS n
        FROM cases WHERE ${inRange} GROUP BY route`),
      ),
      turn(
        breakdown(sql<Counted>`SELECT COALESCE(cdas_name, 'non identifié') AS key, count(*)::int AS n
        FROM cases WHERE ${inRange} AND ${requests} GROUP BY 1`),
      ),
      turn(
        lists(sql<Listed>`SELECT prestations AS key, count(*)::int AS n
        FROM cases WHERE ${inRange} AND ${requests} GROUP BY 1`),
      ),
      turn(
        breakdown(sql<Counted>`SELECT motif AS key, count(*)::int AS n
        FROM cases WHERE ${inRange} AND ${requests} GROUP BY 1`),
      ),
      turn(
        lists(sql<Listed>`SELECT rules AS key, count(*)::int AS n
        FROM cases WHERE ${inRange} AND ${requests} GROUP BY 1`),
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
  const t = totals.rows[0] as Totals;
  const medianHours = median.rows[0]?.median_hours ?? null;
  const toMap = (rows: Counted[]) => new Map(rows.map((r) => [r.key, r.n]));
  const itemsOf = (rows: Listed[], none?: string) => {
    const counts = new Map<string, number>();
    for (const { key, n } of rows)
      for (const item of key.length || !none ? key : [none]) counts.set(item, (counts.get(item) ?? 0) + n);
    return counts;
  };
  const maps = {
    route: toMap(byRoute),
    cdas: toMap(byCdas),
    prestation: itemsOf(byPrestation, 'non indiquée'),
    motif: toMap(byMotif),
    rule: itemsOf(byRule),
  };
  const format: FormatPoint[] = formatRows.map((row) => ({
    bucket: row.bucket,
    mails: row.n,
    withoutFormatError: row.ok,
    share: row.n ? Math.round((row.ok / row.n) * 1000) / 10 : 0,
  }));
  const archived = wholeMonths(aggregates, from, until);
  const sums = { ...t };
  for (const { counts: c } of archived) {
    const add = (map: Map<string, number>, counts: Record<string, number> | undefined) => {
      for (const [key, n] of Object.entries(counts ?? {})) map.set(key, (map.get(key) ?? 0) + n);
    };
    sums.mails += c.mails ?? 0;
    sums.requests += c.requests ?? 0;
    sums.urgent += c.urgent ?? 0;
    sums.urgent_unsubstantiated += c.urgentUnsubstantiated ?? 0;
    sums.multiple_situations += c.multipleSituations ?? 0;
    sums.handled += c.handled ?? 0;
    sums.sla_breaches += c.slaBreaches ?? 0;
    add(maps.route, c.byRoute);
    add(maps.cdas, c.byCdas);
    add(maps.prestation, c.byPrestation);
    add(maps.motif, c.byMotif);
    add(maps.rule, c.byRule);
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
