import { sql } from 'kysely';
import type { Database } from '../infra/database.js';
import type { Logger } from '../log.js';
import type { CaseRecord } from './caseRecord.js';
import type { CaseStore } from './caseStore.js';

/**
 * Where intents go once their case is committed: the technicians' queue and
 * the reply job, both BullMQ queues whose job id is the case reference, so
 * dispatching twice adds nothing.
 */
export interface OutboxTargets {
  enqueueWork(record: CaseRecord): Promise<void>;
  /** null when no reply is sent by this deployment (replies off). */
  scheduleReply: ((record: CaseRecord, inReplyTo: string | null) => Promise<void>) | null;
}

/** An intent left undispatched this long was written by a process that died after its commit. */
export const ORPHAN_AFTER_S = 10;
/**
 * A reply intent stays until the reply's outcome is final; past this long
 * after its last dispatch, its job is added again in case Redis lost it
 * (a no-op while the job still exists).
 */
export const REDISPATCH_AFTER_S = 300;
const SWEEP_BATCH = 500;

interface OutboxRow {
  id: number;
  ref: string;
  kind: 'work' | 'reply';
  payload: { inReplyTo?: string | null };
}

/**
 * The transactional outbox's dispatcher. Triage dispatches a new case's
 * intents right after its commit; the sweep repairs what a crash between the
 * commit and the dispatch left behind, and what Redis lost.
 */
export class CaseOutbox {
  private redisRunId: string | null = null;

  constructor(
    private readonly db: Database,
    private readonly store: CaseStore,
    private readonly targets: OutboxTargets,
    private readonly log: Logger,
  ) {}

  /**
   * Dispatches the intents of a case just created (right after its commit): its work item
   * and, when one was written, its reply job; then one statement settles both rows.
   * A failure leaves them to the sweep.
   */
  async dispatchCreated(record: CaseRecord, replyIntent: boolean, inReplyTo: string | null): Promise<void> {
    await this.targets.enqueueWork(record);
    if (replyIntent) await this.targets.scheduleReply?.(record, inReplyTo);
    await sql`WITH work AS (DELETE FROM outbox WHERE ref = ${record.ref} AND kind = 'work')
      UPDATE outbox SET dispatched_at = now() WHERE ref = ${record.ref} AND kind = 'reply'`.execute(this.db);
  }

  private async send(rows: OutboxRow[], known = new Map<string, CaseRecord>()): Promise<number> {
    if (rows.length === 0) return 0;
    const missing = [...new Set(rows.map((r) => r.ref))].filter((ref) => !known.has(ref));
    for (const c of await this.store.getMany(missing)) known.set(c.ref, c);
    const done: number[] = [];
    const failed: number[] = [];
    let firstError: unknown = null;
    for (const row of rows) {
      const record = known.get(row.ref);
      try {
        if (record && row.kind === 'work') await this.targets.enqueueWork(record);
        if (record && row.kind === 'reply') {
          await this.targets.scheduleReply?.(record, row.payload?.inReplyTo ?? null);
        }
        if (row.kind === 'work') done.push(row.id);
      } catch (err) {
        failed.push(row.id);
        firstError ??= err;
      }
    }
    if (done.length) await sql`DELETE FROM outbox WHERE id = ANY(${done}::bigint[])`.execute(this.db);
    if (failed.length) {
      // Back to the sweep's list at once: Redis is probably away; the next sweep tries again.
      await sql`UPDATE outbox SET dispatched_at = NULL WHERE id = ANY(${failed}::bigint[])`
        .execute(this.db)
        .catch(() => {});
      throw firstError;
    }
    return rows.length;
  }

  /**
   * Dispatches what is due: intents no process dispatched (a crash after the
   * commit), reply intents not settled long after their dispatch. Several
   * replicas may sweep at once: each claims its rows (SKIP LOCKED).
   */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await sql<OutboxRow>`
        UPDATE outbox SET dispatched_at = now()
        WHERE id IN (
          SELECT id FROM outbox
          WHERE (dispatched_at IS NULL AND created_at < now() - make_interval(secs => ${ORPHAN_AFTER_S}))
             OR dispatched_at < now() - make_interval(secs => ${REDISPATCH_AFTER_S})
          ORDER BY id LIMIT ${SWEEP_BATCH}
          FOR UPDATE SKIP LOCKED)
        RETURNING id, ref, kind, payload`.execute(this.db);
      total += await this.send(claimed.rows);
      if (claimed.rows.length < SWEEP_BATCH) break;
    }
    if (total > 0)
      this.log.info({ event: 'outbox.redispatched', intents: total }, 'intents dispatched again');
    return total;
  }

  /**
   * Redis came back without its data (a restart with nothing on disk, a
   * failover): every open case's work item and every unsettled reply job is
   * added again. Idempotent, by job id.
   */
  async redispatchAll(): Promise<number> {
    await sql`UPDATE outbox SET dispatched_at = NULL, created_at = now() - interval '1 hour'`.execute(
      this.db,
    );
    let count = 0;
    let after = '';
    for (;;) {
      const r = await sql<{ ref: string }>`SELECT ref FROM cases WHERE awaiting AND ref > ${after}
        ORDER BY ref LIMIT ${SWEEP_BATCH}`.execute(this.db);
      if (r.rows.length === 0) break;
      for (const c of await this.store.getMany(r.rows.map((row) => row.ref))) {
        await this.targets.enqueueWork(c);
        count++;
      }
      after = r.rows[r.rows.length - 1]?.ref ?? after;
    }
    return count + (await this.sweep());
  }

  /**
   * Notices Redis losing its data by its run id changing between two looks.
   * The last run id seen is kept in the database, not in this process: a
   * host crash takes the service and Redis's unwritten data together, and
   * the restarted service must still see that Redis came back as another run.
   * The very first look of a deployment only records it.
   */
  async checkRedis(runId: string): Promise<void> {
    if (this.redisRunId === runId) return;
    const stored = await sql<{ value: string }>`
      SELECT value FROM store_meta WHERE key = 'redis_run_id'`.execute(this.db);
    const previous = stored.rows[0]?.value ?? null;
    if (previous !== null && previous !== runId) {
      const n = await this.redispatchAll();
      this.log.warn(
        { event: 'outbox.redis_restarted', intents: n },
        'Redis restarted: open cases and unsettled replies queued again',
      );
    }
    // Recorded once the redispatch is done: a redispatch cut short (Redis gone again) is done again.
    await sql`INSERT INTO store_meta (key, value) VALUES ('redis_run_id', ${runId})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`.execute(this.db);
    this.redisRunId = runId;
  }
}

/** Sweeps every `everyMs` (cases.outboxSweepMs); a failure (database or Redis away) is retried at the next sweep. */
export function startOutboxSweep(
  outbox: CaseOutbox,
  redisRunId: () => Promise<string>,
  log: Logger,
  everyMs: number,
  onFailure?: () => void,
): { stop(): void } {
  let failing = false;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    (async () => {
      await outbox.checkRedis(await redisRunId());
      await outbox.sweep();
    })()
      .then(
        () => {
          failing = false;
        },
        (err: unknown) => {
          onFailure?.();
          if (!failing) log.warn({ event: 'outbox.sweep_failed', err }, 'outbox sweep failed; retrying');
          failing = true;
        },
      )
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
