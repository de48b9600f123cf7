import type { Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CaseRecord, ReplyOutcome } from '../routing/caseRecord.js';

export interface MetricSources {
  queues: Record<string, Queue>;
  openCases(): Promise<{ open: number; overdue: number }>;
  /** Seconds since each mailbox was last checked (null: never). */
  secondsSinceLastCheck(): Promise<Record<string, number | null>>;
  connections(): Promise<Record<'redis' | 'imap' | 'smtp', boolean>>;
}

/**
 * The Prometheus metrics of one process: counters fed by triage and replies,
 * gauges read from Redis and the connections when scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly mails: Counter<'route' | 'kind'>;
  private readonly findings: Counter<'rule' | 'severity'>;
  private readonly replies: Counter<'outcome' | 'reason'>;
  private readonly routedSeconds: Histogram<'route'>;
  private readonly repliedSeconds: Histogram<'outcome'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cdap_' });
    this.mails = new Counter({
      name: 'cdap_mails_total',
      help: 'Mails triaged, by route and kind',
      labelNames: ['route', 'kind'],
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
  }

  /** Gauges computed at scrape time from the shared state (right across replicas). */
  watch(sources: MetricSources): void {
    // Open and overdue come from one read of the open cases, shared by one scrape.
    let openRead: { at: number; value: Promise<{ open: number; overdue: number }> } | null = null;
    const openCases = () => {
      if (!openRead || Date.now() - openRead.at > 1000)
        openRead = { at: Date.now(), value: sources.openCases() };
      return openRead.value;
    };
    new Gauge({
      name: 'cdap_queue_depth',
      help: 'Jobs waiting, active or delayed, per queue',
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

  triaged(record: CaseRecord, now = new Date()): void {
    this.mails.inc({ route: record.route, kind: record.kind });
    for (const f of record.lint) this.findings.inc({ rule: f.rule, severity: f.severity });
    this.routedSeconds.observe(
      { route: record.route },
      Math.max(0, (now.getTime() - new Date(record.receivedAt).getTime()) / 1000),
    );
  }

  replied(outcome: ReplyOutcome, reason: string | null, record: CaseRecord, now = new Date()): void {
    // Reasons are a closed list but for SMTP errors: keep only their code as a label.
    const label = reason ? (reason.split(/[:\s]/, 1)[0] ?? 'other') : 'none';
    this.replies.inc({ outcome, reason: label });
    if (outcome === 'sent' || outcome === 'shadow') {
      this.repliedSeconds.observe(
        { outcome },
        Math.max(0, (now.getTime() - new Date(record.receivedAt).getTime()) / 1000),
      );
    }
  }
}
