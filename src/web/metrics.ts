import type { Job, Queue, Worker } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CaseRecord, ReplyOutcome, ReplyReason } from '../cases/caseRecord.js';
import type { AnswerChannel } from '../cases/lifecycle.js';
import { MAINTENANCE_TASKS, type MaintenanceTask } from '../cases/maintenance.js';
import type { DeferringLimit } from '../replies/replyRateLimit.js';

export interface MetricSources {
  queues: Record<string, Queue>;
  openCases(): Promise<{ open: number; overdue: number }>;
  /** Seconds since each mailbox was last checked (null: never). */
  secondsSinceLastCheck(): Promise<Record<string, number | null>>;
  /** Past this age a mailbox's intake is stale: /readyz says 503 and the alert fires. */
  staleAfterSeconds: number;
  /** Whether some replica holds each mailbox's lease (read from Redis). */
  leaseHeld(): Promise<Record<string, boolean>>;
  /** Whether this process holds each mailbox's lease with a working connection; {} without intake. */
  activeIntakes(): Record<string, boolean>;
  connections(): Promise<Record<'redis' | 'database' | 'imap' | 'smtp', boolean>>;
  /** Seconds since the answer watcher last looked at the mailbox successfully (null: never). */
  secondsSinceAnswerWatch(): Promise<number | null>;
}

/** Why a possible mail loop was cut: a robot's mail, our own reply back, a reply rate limit. */
export type LoopReason = 'robot' | 'loop-header' | 'rate-limit';

/**
 * A reply's reason as a metric label: its code, but a refused reply is counted
 * by the server's code (550, ECONNECTION…), a short list too.
 */
function reasonLabel(reason: ReplyReason | null): string {
  if (!reason) return 'none';
  return reason.code === 'refused' ? (reason.serverCode ?? 'refused') : reason.code;
}

/**
 * The Prometheus metrics of one process: counters fed by triage and replies,
 * gauges read from Redis and the connections when scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly mails: Counter<'route' | 'kind'>;
  private readonly urgent: Counter<'check'>;
  private readonly findings: Counter<'rule' | 'severity'>;
  private readonly replies: Counter<'outcome' | 'reason'>;
  private readonly routedSeconds: Histogram<'route'>;
  private readonly repliedSeconds: Histogram<'outcome'>;
  private readonly loops: Counter<'reason'>;
  private readonly deadLetters: Counter<'queue'>;
  private readonly unreadable: Counter<'route'>;
  private readonly deferred: Counter<'reason'>;
  private readonly maintenanceFailures: Counter<'task'>;
  private readonly answers: Counter<'channel'>;
  private readonly answerAdvice: Counter<'rule'>;
  private readonly answeredSeconds: Histogram<'urgent'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cdap_' });
    this.mails = new Counter({
      name: 'cdap_mails_total',
      help: 'Mails triaged, by route and kind',
      labelNames: ['route', 'kind'],
      registers: [this.registry],
    });
    this.urgent = new Counter({
      name: 'cdap_mails_urgent_total',
      help: 'Mails marked URGENCE DEFINIE, by whether the mail substantiates it',
      labelNames: ['check'],
      registers: [this.registry],
    });
    this.findings = new Counter({
      name: 'cdap_lint_findings_total',
      help: 'Good-practice findings, by rule',
      labelNames: ['rule', 'severity'],
      registers: [this.registry],
    });
    this.replies = new Counter({
      name: 'cdap_replies_total',
      help: 'Replies by outcome (sent, shadow, suppressed, failed) and reason',
      labelNames: ['outcome', 'reason'],
      registers: [this.registry],
    });
    const buckets = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300];
    this.routedSeconds = new Histogram({
      name: 'cdap_arrival_to_routed_seconds',
      help: 'From the mailbox receiving a mail to its case being queued',
      labelNames: ['route'],
      buckets,
      registers: [this.registry],
    });
    this.repliedSeconds = new Histogram({
      name: 'cdap_arrival_to_replied_seconds',
      help: 'From the mailbox receiving a mail to its reply being accepted (or stored in shadow mode)',
      labelNames: ['outcome'],
      buckets,
      registers: [this.registry],
    });
    this.loops = new Counter({
      name: 'cdap_loops_suppressed_total',
      help: 'Replies not sent to stop a possible mail loop: robot (automatic mail), loop-header (our own reply came back), rate-limit (reply rate limit)',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.deadLetters = new Counter({
      name: 'cdap_dead_letters_total',
      help: 'Jobs failed for good (no retry left, or unrecoverable) by the workers of this process, per queue',
      labelNames: ['queue'],
      registers: [this.registry],
    });
    this.unreadable = new Counter({
      name: 'cdap_mails_unreadable_total',
      help: 'Mails whose analysis could not read them (broken MIME, time or memory limit, too large to download), by route',
      labelNames: ['route'],
      registers: [this.registry],
    });
    this.deferred = new Counter({
      name: 'cdap_replies_deferred_total',
      help: 'Replies put off by a per-recipient rate limit, to be sent later, by limit',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.answers = new Counter({
      name: 'cdap_answers_total',
      help: 'Answers of the CAF recorded, by where they were seen (sent-folder, answered-flag, dashboard)',
      labelNames: ['channel'],
      registers: [this.registry],
    });
    this.answerAdvice = new Counter({
      name: 'cdap_answer_practices_missed_total',
      help: 'Answering practices an answer missed, by rule (anonymous: no case, no technician)',
      labelNames: ['rule'],
      registers: [this.registry],
    });
    this.answeredSeconds = new Histogram({
      name: 'cdap_round_trip_to_answer_seconds',
      help: 'From the CDAS mail that opened a round trip to the CAF answer that closed it',
      labelNames: ['urgent'],
      // An hour to a month: the convention asks 2 working days (urgent) and 10 days.
      buckets: [
        3600,
        4 * 3600,
        86_400,
        2 * 86_400,
        4 * 86_400,
        7 * 86_400,
        10 * 86_400,
        14 * 86_400,
        30 * 86_400,
      ],
      registers: [this.registry],
    });
    this.maintenanceFailures = new Counter({
      name: 'cdap_maintenance_failures_total',
      help: 'Failed runs of a maintenance task of this process: delete-expired and clean-work-queues (retention, hourly), outbox-sweep (every cases.outboxSweepMs)',
      labelNames: ['task'],
      registers: [this.registry],
    });
    // Present at zero from the start, so that rate() and increase() see the first one.
    for (const reason of ['robot', 'loop-header', 'rate-limit'] satisfies LoopReason[])
      this.loops.inc({ reason }, 0);
    for (const task of MAINTENANCE_TASKS) this.maintenanceFailures.inc({ task }, 0);
    this.unreadable.inc({ route: 'standard' }, 0);
  }

  /** Gauges computed at scrape time from the shared state (right across replicas). */
  watch(sources: MetricSources): void {
    for (const queue of Object.keys(sources.queues)) this.deadLetters.inc({ queue }, 0);
    // Open and overdue come from one read of the open cases, shared by one scrape.
    let openRead: { at: number; value: Promise<{ open: number; overdue: number }> } | null = null;
    const openCases = () => {
      if (!openRead || Date.now() - openRead.at > 1000)
        openRead = { at: Date.now(), value: sources.openCases() };
      return openRead.value;
    };
    new Gauge({
      name: 'cdap_queue_depth',
      help: 'Jobs per queue and state (waiting, prioritized, active, delayed, failed)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        for (const [name, queue] of Object.entries(sources.queues)) {
          // Jobs with a priority wait in 'prioritized', not 'waiting': count both.
          const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
        }
      },
    });
    new Gauge({
      name: 'cdap_cases_open',
      help: 'Open cases (priority and standard)',
      registers: [this.registry],
      async collect() {
        this.set((await openCases()).open);
      },
    });
    new Gauge({
      name: 'cdap_cases_overdue',
      help: 'Open cases past their answer deadline',
      registers: [this.registry],
      async collect() {
        this.set((await openCases()).overdue);
      },
    });
    new Gauge({
      name: 'cdap_intake_seconds_since_last_check',
      help: 'Seconds since the mailbox was last checked successfully',
      labelNames: ['mailbox'],
      registers: [this.registry],
      async collect() {
        for (const [mailbox, s] of Object.entries(await sources.secondsSinceLastCheck())) {
          this.set({ mailbox }, s ?? Number.POSITIVE_INFINITY);
        }
      },
    });
    new Gauge({
      name: 'cdap_intake_stale_after_seconds',
      help: 'Age of the last check past which the mailbox intake counts as stale (/readyz answers 503)',
      labelNames: ['mailbox'],
      registers: [this.registry],
      async collect() {
        for (const mailbox of Object.keys(await sources.secondsSinceLastCheck()))
          this.set({ mailbox }, sources.staleAfterSeconds);
      },
    });
    new Gauge({
      name: 'cdap_intake_lease_held',
      help: 'Whether some replica holds the mailbox lease (read from Redis: same on every replica)',
      labelNames: ['mailbox'],
      registers: [this.registry],
      async collect() {
        for (const [mailbox, held] of Object.entries(await sources.leaseHeld()))
          this.set({ mailbox }, held ? 1 : 0);
      },
    });
    new Gauge({
      name: 'cdap_intake_active',
      help: 'Whether this process holds the mailbox lease and its IMAP connection works (absent without intake)',
      labelNames: ['mailbox'],
      registers: [this.registry],
      collect() {
        for (const [mailbox, active] of Object.entries(sources.activeIntakes()))
          this.set({ mailbox }, active ? 1 : 0);
      },
    });
    new Gauge({
      name: 'cdap_answer_watch_seconds_since_last_success',
      help: 'Seconds since the CAF answers were last looked for in the mailbox (any replica)',
      registers: [this.registry],
      async collect() {
        this.set((await sources.secondsSinceAnswerWatch()) ?? Number.POSITIVE_INFINITY);
      },
    });
    new Gauge({
      name: 'cdap_connection_up',
      help: '1 when the connection to the server works',
      labelNames: ['server'],
      registers: [this.registry],
      async collect() {
        for (const [server, up] of Object.entries(await sources.connections()))
          this.set({ server }, up ? 1 : 0);
      },
    });
  }

  /** A new case; `mail.loopHeader`: its mail carried our replies' loop header. */
  triaged(record: CaseRecord, mail: { loopHeader?: boolean } = {}, now = new Date()): void {
    this.mails.inc({ route: record.route, kind: record.kind });
    if (record.urgent) this.urgent.inc({ check: record.urgencyCheck ?? 'none' });
    if (record.unreadable) this.unreadable.inc({ route: record.route });
    // Automatic mail is routed 'ignored' and never answered; one carrying our
    // loop header is one of our replies come back: the loop itself.
    if (record.route === 'ignored') this.loopSuppressed(mail.loopHeader ? 'loop-header' : 'robot');
    for (const f of record.lint) this.findings.inc({ rule: f.rule, severity: f.severity });
    this.routedSeconds.observe(
      { route: record.route },
      Math.max(0, (now.getTime() - new Date(record.receivedAt).getTime()) / 1000),
    );
  }

  replied(outcome: ReplyOutcome, reason: ReplyReason | null, record: CaseRecord, now = new Date()): void {
    this.replies.inc({ outcome, reason: reasonLabel(reason) });
    if (outcome === 'suppressed' && reason?.code === 'rate-limited') this.loopSuppressed('rate-limit');
    if (outcome === 'sent' || outcome === 'shadow') {
      this.repliedSeconds.observe(
        { outcome },
        Math.max(0, (now.getTime() - new Date(record.receivedAt).getTime()) / 1000),
      );
    }
  }

  /** A reply not sent to stop a possible loop. triaged() and replied() call it for robots, our own replies and rate limits. */
  loopSuppressed(reason: LoopReason): void {
    this.loops.inc({ reason });
  }

  /** A reply put off by a per-recipient rate limit, to go out later; the label is the limit's name. */
  replyDeferred(limit: DeferringLimit): void {
    this.deferred.inc({ reason: limit });
  }

  /**
   * An answer recorded. The delay is counted when it closed a round trip (the
   * case was waiting and is answered now); the practices missed, by rule only.
   */
  answered(
    channel: AnswerChannel,
    settled: { before: CaseRecord; after: CaseRecord },
    advice: ReadonlyArray<{ rule: string }> = [],
  ): void {
    this.answers.inc({ channel });
    for (const a of advice) this.answerAdvice.inc({ rule: a.rule });
    const { before, after } = settled;
    if (
      after.answeredAt &&
      before.answeredAt !== after.answeredAt &&
      after.roundTrips === before.roundTrips
    ) {
      const seconds =
        (new Date(after.answeredAt).getTime() - new Date(after.roundStartedAt).getTime()) / 1000;
      this.answeredSeconds.observe({ urgent: String(after.urgent) }, Math.max(0, seconds));
    }
  }

  /** A run of a maintenance task failed (it runs again at its next interval). */
  maintenanceFailed(task: MaintenanceTask): void {
    this.maintenanceFailures.inc({ task });
  }

  /** A job of `queue` failed for good: it will not run again by itself. */
  deadLettered(queue: string): void {
    this.deadLetters.inc({ queue });
  }

  /**
   * Counts the jobs `worker` fails for good. BullMQ emits 'failed' after every
   * failed attempt; only a job moved to the failed set gets its finishedOn.
   * Jobs failed for stalling too often are not seen here (the queue-depth
   * gauge's `failed` state counts them).
   */
  countDeadLetters(worker: Worker, queue: string): void {
    worker.on('failed', (job: Job | undefined) => {
      if (typeof job?.finishedOn === 'number') this.deadLettered(queue);
    });
  }
}
