import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Analysis } from '../analysis/types.js';

/**
 * The BullMQ queues of the pipeline, what their jobs carry, and every job option, backoff and
 * priority, in one place. `priority` and `standard` are the technicians' work: other tools of
 * the CAF may consume them, so their payload (WorkItem) is a contract and holds no personal data.
 */
export const QUEUE = {
  triage: 'triage',
  priority: 'priority',
  standard: 'standard',
  notify: 'notify',
} as const;

/** BullMQ forbids ':' in job ids it did not make; ours are built from parts joined by '-'. */
export function jobId(...parts: Array<string | number | bigint>): string {
  return parts.map((p) => String(p).replace(/[^A-Za-z0-9_.@-]/g, '_')).join('-');
}

/** What intake hands to triage for one mail: where it is, and its bytes (latin1, byte for byte). */
export interface TriageJobData {
  mailboxId: string;
  uidValidity: string;
  uid: number;
  size: number;
  internalDate: string;
  /** sha256 of the raw mail, to recognise the same mail under another UID. */
  contentHash: string;
  /**
   * A small raw mail as a latin1 string (byte for byte); for an oversize mail, its headers only;
   * null when stored apart or not downloaded.
   */
  source: string | null;
  /** Where a large raw mail waits in Redis (RawMailStore); null when inline or not downloaded. */
  rawKey?: string | null;
  oversize: boolean;
}

/**
 * The version of the work items' schema: a contract with the other tools of
 * the CAF that read the `priority` and `standard` queues (docs/queues.md).
 * Fields are only ever added within a version.
 */
export const WORK_ITEM_SCHEMA = 1;

/** What the technicians' queues carry: enough to sort and show, no personal data. */
export interface WorkItem {
  /** WORK_ITEM_SCHEMA when written; absent on items written before the contract was versioned. */
  schema?: number;
  ref: string;
  receivedAt: string;
  urgent: boolean;
  urgencyCheck: Analysis['urgency']['check'];
  cdas: string | null;
  prestations: string[];
  dueAt: string | null;
  lintErrors: number;
  unreadable: boolean;
}

export interface NotifyJobData {
  ref: string;
  /**
   * The CDAS mail's Message-ID, to thread the reply. Kept only in the job (the
   * case keeps a hash), and the job is removed once done.
   */
  inReplyTo?: string | null;
}

/** BullMQ priorities (lower leaves first): urgent mail is triaged, queued and answered first. */
export const PRIORITY = { urgent: 1, normal: 10 } as const;

export function priorityOf(urgent: boolean): number {
  return urgent ? PRIORITY.urgent : PRIORITY.normal;
}

/**
 * The one backoff of the service: `baseMs` doubling from the first retry up to `maxMs`, with
 * half of it jittered so that replicas (or jobs) that failed together do not retry together.
 * `attempt` counts from 1.
 */
export function jitteredBackoff(attempt: number, baseMs: number, maxMs: number): number {
  const base = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** Triage retries: 1 s doubling to a minute. */
export function triageBackoff(attemptsMade: number): number {
  return jitteredBackoff(attemptsMade, 1000, 60_000);
}

/** Reply retries: `baseMs` doubling to an hour; time (replies.maxRetryHours), not a count, ends them. */
export function notifyBackoff(attemptsMade: number, baseMs: number): number {
  return jitteredBackoff(attemptsMade, baseMs, 3_600_000);
}

/**
 * Triage jobs are retried as long as it takes (a Redis or disk outage can last): a failed
 * triage job would leave its mail unhandled. Their raw mail is dropped once done.
 */
export const TRIAGE_JOB_OPTIONS = {
  attempts: 100_000,
  backoff: { type: 'custom' },
  removeOnComplete: true,
  removeOnFail: { age: 14 * 86_400 },
} as const;

export function triageJobOptions(id: string, urgent: boolean) {
  return { ...TRIAGE_JOB_OPTIONS, jobId: id, priority: priorityOf(urgent) };
}

/** Reply jobs: retried until replies.maxRetryHours; a failed one is kept 30 days for `retry-failed`. */
export const NOTIFY_ATTEMPTS = 100_000;

export function notifyJobOptions(ref: string, urgent: boolean) {
  return {
    // Job id = case reference: a reply is scheduled once.
    jobId: ref,
    // Urgent answers leave first when a backlog waits behind the outbound rate limit.
    priority: priorityOf(urgent),
    attempts: NOTIFY_ATTEMPTS,
    backoff: { type: 'custom' },
    removeOnComplete: true,
    removeOnFail: { age: 30 * 86_400 },
  } as const;
}

/** How long (days) and how many completed work items stay in Redis: the history is in the database. */
export const WORK_ITEM_KEPT_DAYS = 30;
export const WORK_ITEM_KEPT_COUNT = 50_000;

/**
 * A work item waits until a tool completes it (or the case's retention removes it, see
 * maintenance); once completed it stays WORK_ITEM_KEPT_DAYS, at most WORK_ITEM_KEPT_COUNT
 * of them, so Redis stays bounded; a failed one is kept for a person to look at.
 */
export function workItemJobOptions(id: string, retentionDays: number) {
  const days = Math.min(WORK_ITEM_KEPT_DAYS, retentionDays);
  return {
    jobId: id,
    removeOnComplete: { age: days * 86_400, count: WORK_ITEM_KEPT_COUNT },
    removeOnFail: { age: retentionDays * 86_400 },
  } as const;
}

/** The pipeline's queues, as the service and its operator commands hold them. */
export type Queues = {
  triage: Queue<TriageJobData>;
  priority: Queue<WorkItem>;
  standard: Queue<WorkItem>;
  notify: Queue<NotifyJobData>;
};

/**
 * The four queues on one producer connection. Their 'error' events are
 * dropped: the command that failed reports the outage itself, and an unheard
 * 'error' event would crash the process.
 */
export function createQueues(connection: Redis, prefix: string): Queues {
  const queues: Queues = {
    triage: new Queue<TriageJobData>(QUEUE.triage, { connection, prefix }),
    priority: new Queue<WorkItem>(QUEUE.priority, { connection, prefix }),
    standard: new Queue<WorkItem>(QUEUE.standard, { connection, prefix }),
    notify: new Queue<NotifyJobData>(QUEUE.notify, { connection, prefix }),
  };
  for (const q of Object.values(queues)) q.on('error', () => {});
  return queues;
}
