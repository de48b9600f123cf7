import { sql } from 'kysely';
import type { Database } from '../infra/database.js';
import type { SlaSettings } from './computeSla.js';
import { emptyCounts, type MonthCounts, monthlyAggregates } from './retention.js';

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

/** Flows and nature of one calendar month of the range: the requests received in it. */
export interface MonthFlow {
  /** YYYY-MM-01. */
  month: string;
  mails: number;
  requests: number;
  urgent: number;
  urgentUnsubstantiated: number;
  /** Requests answered at least once. */
  answered: number;
  byCdas: CountRow[];
  byPrestation: CountRow[];
  byMotif: CountRow[];
}

/**
 * Round trips measured against their deadline: those answered, or unanswered
 * and past it, make the share; an unanswered one not yet due is left out.
 */
export interface DeadlineShare {
  /** Round trips counted: answered, or unanswered and past their deadline. */
  rounds: number;
  /** Of them, answered by their deadline. */
  withinDeadline: number;
  /** Unanswered and not yet due: not counted. */
  pending: number;
  /** withinDeadline / rounds, in percent (one decimal); null when none is counted. */
  share: number | null;
}

export interface DelayFigures extends DeadlineShare {
  /** Round trips answered (of the cases still kept: the percentiles are theirs). */
  answered: number;
  /** From the CDAS mail that opened the round trip to the CAF's answer, in hours (one decimal). */
  medianHours: number | null;
  p90Hours: number | null;
}

/** The CAF's answers, per round trip started in the range. */
export interface Delays {
  /** The deadlines measured against: standard, in calendar days; urgent, in working days (the round's due_at). */
  standardDueDays: number;
  urgentDueWorkingDays: number;
  all: DelayFigures;
  standard: DelayFigures;
  urgent: DelayFigures;
  byMonth: Array<{ month: string; standard: DeadlineShare; urgent: DeadlineShare }>;
}

/** "One round trip per situation": the requests received in the range and settled (answered or closed). */
export interface RoundTripFigures {
  settled: number;
  /** Round trips per settled request, on average (two decimals); null when none is settled. */
  average: number | null;
  one: number;
  two: number;
  threeOrMore: number;
  /** one / settled, in percent (one decimal). */
  settledInOneShare: number | null;
}

export interface RoundTrips extends RoundTripFigures {
  byMonth: Array<RoundTripFigures & { month: string }>;
}

/** Readable requests without a format error. */
export interface FormatShare {
  mails: number;
  withoutFormatError: number;
  /** In percent (one decimal); null without any readable request. */
  share: number | null;
}

/** The format of one CDAS's requests, over the range and month by month (the CDAP workshops). */
export interface CdasFormat extends FormatShare {
  cdas: string;
  byMonth: Array<FormatShare & { month: string }>;
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
  /** The calendar months the range touches (YYYY-MM-01), in order: the rows of every monthly breakdown. */
  months: string[];
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
  /** Requests answered at least once. */
  answered: number;
  /** From receipt to the first answer, per request, in hours (one decimal; cases still kept). */
  medianHoursToFirstAnswer: number | null;
  /** Requests whose current round trip was answered after its deadline, or is past it unanswered. */
  slaBreaches: number;
  byMonth: MonthFlow[];
  delays: Delays;
  roundTrips: RoundTrips;
  formatOverTime: FormatPoint[];
  formatByCdas: CdasFormat[];
  /**
   * Months of the range whose cases retention deleted (YYYY-MM-01): their
   * anonymous counts are added in; the medians, the 90th percentile and the
   * format chart come from the cases still kept.
   */
  archivedMonths: string[];
}

/** The deadlines the delays are measured against (config `cases`). */
export type Deadlines = Pick<SlaSettings, 'standardDueDays' | 'urgentDueWorkingDays'>;

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

/** The calendar months (YYYY-MM-01, UTC) that [from, until) touches. */
export function monthsOf(from: Date, until: Date): string[] {
  const months: string[] = [];
  for (let m = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1); m < until.getTime(); ) {
    const start = new Date(m);
    months.push(start.toISOString().slice(0, 10));
    m = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
  }
  return months;
}

function sorted(counts: Record<string, number>): CountRow[] {
  return Object.entries(counts)
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/** part / whole in percent, one decimal; null for an empty whole. */
function percent(part: number, whole: number): number | null {
  return whole ? Math.round((part / whole) * 1000) / 10 : null;
}

const oneDecimal = (n: number | null | undefined) => (n == null ? null : Math.round(n * 10) / 10);

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

interface TotalsRow {
  month: string;
  route: string;
  mails: number;
  urgent: number;
  urgent_unsubstantiated: number;
  multiple_situations: number;
  answered: number;
  sla_breaches: number;
  settled: number;
  settled_round_trips: number;
  settled_in_one: number;
  settled_in_two: number;
  settled_in_more: number;
}

interface RoundShareRow {
  month: string;
  urgent: boolean;
  rounds: number;
  within: number;
  pending: number;
}

interface PercentileRow {
  first_median: number | null;
  answered: number;
  urgent_answered: number;
  all_q: number[] | null;
  standard_q: number[] | null;
  urgent_q: number[] | null;
}

/** A month's tally: the counts retention keeps, and the round trips not yet due (live cases only). */
type Tally = MonthCounts & { standardPending: number; urgentPending: number };

const newTally = (): Tally => ({ ...emptyCounts(), standardPending: 0, urgentPending: 0 });

const add = (map: Record<string, number>, key: string, n: number) => {
  map[key] = (map[key] ?? 0) + n;
};

/** Adds counts into a tally (a month's, or an archived month's: those of before the answer tracking say `handled`). */
function addInto(t: Tally, c: Partial<Tally>): void {
  for (const [key, value] of Object.entries(c)) {
    const field = key === 'handled' ? 'answered' : key;
    if (!(field in t)) continue;
    const into = t as unknown as Record<string, number | Record<string, number>>;
    if (typeof value === 'number') (into[field] as number) += value;
    else if (value && typeof value === 'object')
      for (const [k, n] of Object.entries(value as Record<string, number>))
        add(into[field] as Record<string, number>, k, n);
  }
}

function sumTallies(tallies: Iterable<Tally>): Tally {
  const total = newTally();
  for (const t of tallies) addInto(total, t);
  return total;
}

function deadlineShare(rounds: number, within: number, pending: number): DeadlineShare {
  return { rounds, withinDeadline: within, pending, share: percent(within, rounds) };
}

function roundTripFigures(t: MonthCounts): RoundTripFigures {
  return {
    settled: t.settled,
    average: t.settled ? Math.round((t.settledRoundTrips / t.settled) * 100) / 100 : null,
    one: t.settledInOne,
    two: t.settledInTwo,
    threeOrMore: t.settledInMore,
    settledInOneShare: percent(t.settledInOne, t.settled),
  };
}

function formatShare(mails: number, ok: number): FormatShare {
  return { mails, withoutFormatError: ok, share: percent(ok, mails) };
}

/** The CDAS in alphabetical order, the unidentified ones last. */
function byCdasName(a: string, b: string): number {
  const unknown = (c: string) => (c === 'non identifié' ? 1 : 0);
  return unknown(a) - unknown(b) || a.localeCompare(b, 'fr');
}

/**
 * The convention's indicators for a range, counted by PostgreSQL: flows and
 * nature of the requests (by month, CDAS, benefit, motif), urgencies and
 * unjustified ones, the CAF's delays per round trip against the deadlines,
 * round trips per situation, whether the format improves (per CDAS too).
 * Months of the range that retention emptied add their anonymous monthly
 * aggregates (counts only: the medians, the 90th percentile and the format
 * chart are of the cases still kept).
 */
export async function readStats(
  db: Database,
  range: StatsRange,
  now: Date,
  deadlines: Deadlines,
): Promise<Stats> {
  const { from, until } = range;
  const granularity = granularityOf(range);
  const requests = sql`route IN ('priority', 'standard')`;
  const inRange = sql`received_at >= ${from} AND received_at < ${until}`;
  const settled = sql`status IN ('répondu', 'clos')`;
  // The pool is the pipeline's too: a page of indicators takes a few connections, not all.
  const turn = inTurns(STATS_CONNECTIONS);
  // Monthly breakdowns scan the range a month at a time (a LATERAL subquery per month, an index
  // range scan each): grouping every row by a month computed from its timestamp would cost more
  // than the scan itself.
  const months = monthsOf(from, until);
  const monthStart = (m: string) => new Date(`${m}T00:00:00Z`);
  const starts = months.map((m) => new Date(Math.max(monthStart(m).getTime(), from.getTime())));
  const stops = months.map((m) => {
    const start = monthStart(m);
    const next = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
    return new Date(Math.min(next, until.getTime()));
  });
  const windows = sql`unnest(${months}::text[], ${starts}::timestamptz[], ${stops}::timestamptz[]) AS w(month, start, stop)`;
  const eachMonth = (grouped: ReturnType<typeof sql>) =>
    sql`SELECT w.month, g.* FROM ${windows} CROSS JOIN LATERAL (${grouped}) g`;
  const inMonth = sql`received_at >= w.start AND received_at < w.stop`;
  // The round trips started in the range, each with its class and deadline: urgent ones
  // (the case is urgent) by their due_at, in working days; standard ones standardDueDays
  // days after they started. Only requests: the join reads cases_round_class, the few
  // cases that are urgent or not requests (migrations/0009_round_indicators.sql).
  const requestRounds = sql`
    LEFT JOIN (SELECT ref, route FROM cases WHERE urgent OR route NOT IN ('priority', 'standard')) x
      ON x.ref = r.ref
    CROSS JOIN LATERAL (SELECT x.ref IS NOT NULL AS urgent,
      CASE WHEN x.ref IS NOT NULL AND r.due_at IS NOT NULL THEN r.due_at
        ELSE r.started_at + make_interval(days => ${deadlines.standardDueDays}::int) END AS deadline) k`;
  const onlyRequests = sql`(x.ref IS NULL OR x.route IN ('priority', 'standard'))`;
  // A few GROUP BYs run side by side on the pool: each is a scan of the range (cases_indicators,
  // index only; case_rounds_by_start), and they spread over the cores (one query holding every
  // breakdown would run on one core, and spill the range to disk to read it several times).
  // Breakdowns of few values share a scan, grouped by their pair (CDAS × motif: a few hundred
  // rows a month). Prestations and rules are grouped by whole list (a few dozen distinct lists),
  // each list's count then given to each of its items here: the same as unnest, at a third of
  // its cost. The percentiles go without GROUP BY (FILTER per class): grouped, the rows would
  // be sorted once more, on disk.
  const bucket = granularity === 'day' ? sql.lit('day') : sql.lit('week');
  // The heaviest first (the round trips, joined to the cases), so they do not wait for a turn.
  const [percentiles, roundShares, totals, byCdasMotif, byLists, formatRows, aggregates] = await Promise.all([
    // A request's first round trip starts when it is received and ends with its first answer:
    // the median delay of the first answer is that of the round trips numbered 1.
    turn(() =>
      sql<PercentileRow>`
      SELECT count(*)::int AS answered, count(*) FILTER (WHERE urgent)::int AS urgent_answered,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY hours) AS all_q,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY hours) FILTER (WHERE NOT urgent) AS standard_q,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY hours) FILTER (WHERE urgent) AS urgent_q,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FILTER (WHERE round = 1) AS first_median
      FROM (SELECT k.urgent, r.round, extract(epoch FROM r.answered_at - r.started_at) / 3600 AS hours
            FROM case_rounds r ${requestRounds}
            WHERE r.started_at >= ${from} AND r.started_at < ${until} AND r.answered_at IS NOT NULL
              AND ${onlyRequests}) w`
        .execute(db)
        .then((r) => r.rows[0]),
    ),
    // Joined to the months rather than LATERAL: the join to the cases is then hashed once.
    turn(() =>
      sql<RoundShareRow>`
      SELECT w.month, k.urgent,
        count(*) FILTER (WHERE r.answered_at IS NOT NULL OR k.deadline < ${now})::int AS rounds,
        count(*) FILTER (WHERE r.answered_at <= k.deadline)::int AS within,
        count(*) FILTER (WHERE r.answered_at IS NULL AND k.deadline >= ${now})::int AS pending
      FROM ${windows} JOIN case_rounds r ON r.started_at >= w.start AND r.started_at < w.stop
      ${requestRounds}
      WHERE ${onlyRequests} GROUP BY 1, 2`
        .execute(db)
        .then((r) => r.rows),
    ),
    turn(() =>
      sql<TotalsRow>`${eachMonth(sql`
      SELECT route, count(*)::int AS mails,
        count(*) FILTER (WHERE urgent)::int AS urgent,
        count(*) FILTER (WHERE urgency_check = 'unsubstantiated')::int AS urgent_unsubstantiated,
        count(*) FILTER (WHERE multiple_situations)::int AS multiple_situations,
        count(*) FILTER (WHERE first_answered_at IS NOT NULL)::int AS answered,
        count(*) FILTER (WHERE due_at IS NOT NULL AND COALESCE(answered_at, ${now}) > due_at)::int AS sla_breaches,
        count(*) FILTER (WHERE ${settled})::int AS settled,
        COALESCE(sum(round_trips) FILTER (WHERE ${settled}), 0)::int AS settled_round_trips,
        count(*) FILTER (WHERE ${settled} AND round_trips = 1)::int AS settled_in_one,
        count(*) FILTER (WHERE ${settled} AND round_trips = 2)::int AS settled_in_two,
        count(*) FILTER (WHERE ${settled} AND round_trips >= 3)::int AS settled_in_more
      FROM cases WHERE ${inMonth} GROUP BY route`)}`
        .execute(db)
        .then((r) => r.rows),
    ),
    turn(() =>
      sql<{
        month: string;
        cdas: string;
        motif: string;
        n: number;
        readable: number;
        ok: number;
      }>`${eachMonth(sql`
      SELECT COALESCE(cdas_name, 'non identifié') AS cdas, motif,
        count(*)::int AS n, count(*) FILTER (WHERE NOT unreadable)::int AS readable,
        count(*) FILTER (WHERE NOT unreadable AND lint_errors = 0)::int AS ok
      FROM cases WHERE ${inMonth} AND ${requests} GROUP BY 1, 2`)}`
        .execute(db)
        .then((r) => r.rows),
    ),
    turn(() =>
      sql<{ month: string; prestations: string[]; rules: string[]; n: number }>`${eachMonth(sql`
      SELECT prestations, rules, count(*)::int AS n
      FROM cases WHERE ${inMonth} AND ${requests} GROUP BY 1, 2`)}`
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
  const median = percentiles?.first_median ?? null;

  const tallies = new Map<string, Tally>(months.map((m) => [m, newTally()]));
  const tallyOf = (month: string): Tally => {
    let t = tallies.get(month);
    if (!t) {
      t = newTally();
      tallies.set(month, t);
    }
    return t;
  };
  for (const r of totals) {
    const t = tallyOf(r.month);
    t.mails += r.mails;
    add(t.byRoute, r.route, r.mails);
    if (r.route !== 'priority' && r.route !== 'standard') continue;
    t.requests += r.mails;
    t.urgent += r.urgent;
    t.urgentUnsubstantiated += r.urgent_unsubstantiated;
    t.multipleSituations += r.multiple_situations;
    t.answered += r.answered;
    t.slaBreaches += r.sla_breaches;
    t.settled += r.settled;
    t.settledRoundTrips += r.settled_round_trips;
    t.settledInOne += r.settled_in_one;
    t.settledInTwo += r.settled_in_two;
    t.settledInMore += r.settled_in_more;
  }
  for (const r of byCdasMotif) {
    const t = tallyOf(r.month);
    add(t.byCdas, r.cdas, r.n);
    add(t.byMotif, r.motif, r.n);
    t.formatMails += r.readable;
    t.formatOk += r.ok;
    add(t.formatMailsByCdas, r.cdas, r.readable);
    add(t.formatOkByCdas, r.cdas, r.ok);
  }
  for (const r of byLists) {
    const t = tallyOf(r.month);
    for (const p of r.prestations.length ? r.prestations : ['non indiquée']) add(t.byPrestation, p, r.n);
    for (const rule of r.rules) add(t.byRule, rule, r.n);
  }
  for (const r of roundShares) {
    const t = tallyOf(r.month);
    if (r.urgent) {
      t.urgentRounds += r.rounds;
      t.urgentRoundsWithin += r.within;
      t.urgentPending += r.pending;
    } else {
      t.standardRounds += r.rounds;
      t.standardRoundsWithin += r.within;
      t.standardPending += r.pending;
    }
  }
  const archived = wholeMonths(aggregates, from, until);
  for (const { month, counts } of archived) addInto(tallyOf(month), counts);

  const ordered = [...tallies].sort(([a], [b]) => a.localeCompare(b));
  const total = sumTallies(tallies.values());
  const q = (values: number[] | null | undefined, i: number) => oneDecimal(values?.[i] ?? null);
  const answeredRounds = percentiles?.answered ?? 0;
  const urgentAnswered = percentiles?.urgent_answered ?? 0;
  const delay = (
    rounds: number,
    within: number,
    pending: number,
    answered: number,
    quantiles: number[] | null | undefined,
  ): DelayFigures => ({
    ...deadlineShare(rounds, within, pending),
    answered,
    medianHours: q(quantiles, 0),
    p90Hours: q(quantiles, 1),
  });
  // A CDAS of unreadable requests only has no format to show.
  const formatCdas = Object.keys(total.formatMailsByCdas)
    .filter((cdas) => (total.formatMailsByCdas[cdas] ?? 0) > 0)
    .sort(byCdasName);
  const lastInstant = new Date(until.getTime() - 1);
  return {
    period: range.period,
    year: range.year,
    query: range.query,
    from: from.toISOString(),
    to: lastInstant.toISOString(),
    firstDay: from.toISOString().slice(0, 10),
    lastDay: lastInstant.toISOString().slice(0, 10),
    months: ordered.map(([month]) => month),
    granularity,
    mails: total.mails,
    requests: total.requests,
    byRoute: sorted(total.byRoute),
    byCdas: sorted(total.byCdas),
    byPrestation: sorted(total.byPrestation),
    byMotif: sorted(total.byMotif),
    byRule: sorted(total.byRule),
    urgent: total.urgent,
    urgentUnsubstantiated: total.urgentUnsubstantiated,
    multipleSituations: total.multipleSituations,
    answered: total.answered,
    medianHoursToFirstAnswer: oneDecimal(median),
    slaBreaches: total.slaBreaches,
    byMonth: ordered.map(([month, t]) => ({
      month,
      mails: t.mails,
      requests: t.requests,
      urgent: t.urgent,
      urgentUnsubstantiated: t.urgentUnsubstantiated,
      answered: t.answered,
      byCdas: sorted(t.byCdas),
      byPrestation: sorted(t.byPrestation),
      byMotif: sorted(t.byMotif),
    })),
    delays: {
      standardDueDays: deadlines.standardDueDays,
      urgentDueWorkingDays: deadlines.urgentDueWorkingDays,
      all: delay(
        total.standardRounds + total.urgentRounds,
        total.standardRoundsWithin + total.urgentRoundsWithin,
        total.standardPending + total.urgentPending,
        answeredRounds,
        percentiles?.all_q,
      ),
      standard: delay(
        total.standardRounds,
        total.standardRoundsWithin,
        total.standardPending,
        answeredRounds - urgentAnswered,
        percentiles?.standard_q,
      ),
      urgent: delay(
        total.urgentRounds,
        total.urgentRoundsWithin,
        total.urgentPending,
        urgentAnswered,
        percentiles?.urgent_q,
      ),
      byMonth: ordered.map(([month, t]) => ({
        month,
        standard: deadlineShare(t.standardRounds, t.standardRoundsWithin, t.standardPending),
        urgent: deadlineShare(t.urgentRounds, t.urgentRoundsWithin, t.urgentPending),
      })),
    },
    roundTrips: {
      ...roundTripFigures(total),
      byMonth: ordered.map(([month, t]) => ({ month, ...roundTripFigures(t) })),
    },
    formatOverTime: formatRows.map((row) => ({
      bucket: row.bucket,
      mails: row.n,
      withoutFormatError: row.ok,
      share: percent(row.ok, row.n) ?? 0,
    })),
    formatByCdas: formatCdas.map((cdas) => ({
      cdas,
      ...formatShare(total.formatMailsByCdas[cdas] ?? 0, total.formatOkByCdas[cdas] ?? 0),
      byMonth: ordered.map(([month, t]) => ({
        month,
        ...formatShare(t.formatMailsByCdas[cdas] ?? 0, t.formatOkByCdas[cdas] ?? 0),
      })),
    })),
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
