import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';
import type { ImapFlow } from 'imapflow';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { CaseStore, FolderKey } from '../routing/caseStore.js';
import { jobId } from '../routing/queueNames.js';
import { ensureFolders, type FolderPaths } from './folders.js';
import { describeImapFailure } from './imapClient.js';
import type { IntakeStateStore } from './intakeState.js';
import type { MailboxLease } from './mailboxLease.js';
import type { TriageJobData } from './triageJob.js';

export interface IntakeDeps {
  config: Pick<Config, 'folders' | 'intake'>;
  mailbox: { id: string; path: string };
  createClient: () => ImapFlow;
  triageQueue: Queue<TriageJobData>;
  caseStore: CaseStore;
  state: IntakeStateStore;
  lease: MailboxLease;
  log: Logger;
}

/** Jobs for triage are kept until they succeed; their raw mail is dropped once done. */
export const TRIAGE_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 14 * 86_400 },
} as const;

const FILING_POLL_MS = 300;
// Bound the memory a backlog batch takes, whatever the mail sizes.
const BATCH_MAX_BYTES = 32 * 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export function backoffDelay(attempt: number, maxMs: number): number {
  const base = Math.min(maxMs, 500 * 2 ** Math.min(attempt, 16));
  // Full jitter: replicas that lost the server together do not return together.
  return Math.round(base / 2 + Math.random() * (base / 2));
}

interface MessageMeta {
  uid: number;
  size: number;
  internalDate: Date;
  messageId: string | null;
}

/**
 * Watches one mailbox: IDLE for new mail plus a periodic reconciliation,
 * hands each new mail to the triage queue before anything changes on the
 * server, and later files triaged mail into its folder. Only the replica
 * that holds the mailbox's lease runs it.
 *
 * Events: `connected`, `cycle` (after each successful check), `fatal` (a
 * configuration error that retrying will not fix, on the first connection).
 */
export class MailboxIntake extends EventEmitter {
  private stopped = false;
  private client: ImapFlow | null = null;
  private folderPaths: FolderPaths | null = null;
  private cycleRunning = false;
  private cycleAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private loopDone: Promise<void> | null = null;
  private everConnected = false;
  private wake: (() => void) | null = null;
  /** True while this replica holds the lease and a usable connection. */
  active = false;

  constructor(private readonly deps: IntakeDeps) {
    super();
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    if (client) {
      try {
        await Promise.race([client.logout(), sleep(2000)]);
      } catch {
        client.close();
      }
    }
    await this.loopDone;
    try {
      await this.deps.lease.release();
    } catch {
      // Redis down: the lease expires by itself.
    }
  }

  private get log(): Logger {
    return this.deps.log;
  }

  private async holdLease(): Promise<boolean> {
    const { lease } = this.deps;
    return (await lease.renew()) || (await lease.acquire());
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      let delay: number;
      try {
        if (!(await this.holdLease())) {
          // Another replica watches this mailbox; look again when its lease could have expired.
          delay = Math.max(1000, this.deps.config.intake.leaseTtlMs / 3);
          await this.pause(delay);
          continue;
        }
        const started = Date.now();
        await this.session();
        if (Date.now() - started > 30_000) attempt = 0;
      } catch (err) {
        const failure = describeImapFailure(err);
        this.log.error(
          {
            event: 'intake.connection_failed',
            mailbox: this.deps.mailbox.id,
            attempt,
            reason: failure.message,
          },
          'mailbox connection failed',
        );
        if (failure.permanent && !this.everConnected) {
          this.emit('fatal', new Error(failure.message, { cause: err }));
        }
      }
      if (this.stopped) break;
      attempt++;
      delay = backoffDelay(attempt, this.deps.config.intake.maxBackoffMs);
      this.log.info({ event: 'intake.reconnect_scheduled', mailbox: this.deps.mailbox.id, delayMs: delay });
      await this.pause(delay);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** One connection, from connect to close. Resolves when the connection ends. */
  private async session(): Promise<void> {
    const { mailbox, config } = this.deps;
    const client = this.deps.createClient();
    client.on('error', (err: Error) => {
      this.log.warn(
        { event: 'intake.imap_error', mailbox: mailbox.id, reason: describeImapFailure(err).message },
        'IMAP connection error',
      );
    });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    this.client = client;
    const timers: NodeJS.Timeout[] = [];
    try {
      await client.connect();
      this.everConnected = true;
      this.folderPaths = await ensureFolders(client, config.folders);
      await client.mailboxOpen(mailbox.path);
      this.active = true;
      this.log.info({ event: 'intake.connected', mailbox: mailbox.id }, 'watching mailbox');
      this.emit('connected');

      client.on('exists', () => this.requestCycle());
      timers.push(setInterval(() => this.requestCycle(), config.intake.reconcileIntervalMs));
      timers.push(
        setInterval(() => {
          this.deps.caseStore
            .pendingFilingCount(mailbox.id)
            .then((n) => n > 0 && this.requestCycle())
            .catch(() => {});
        }, FILING_POLL_MS),
      );
      timers.push(
        setInterval(
          () => {
            this.deps.lease
              .renew()
              .then((held) => {
                if (!held) {
                  this.log.warn(
                    { event: 'intake.lease_lost', mailbox: mailbox.id },
                    'another replica took the mailbox',
                  );
                  client.close();
                }
              })
              .catch(() => {
                // Redis unreachable: keep the connection; intake cycles pause by themselves.
              });
          },
          Math.max(500, config.intake.leaseTtlMs / 3),
        ),
      );
      timers.push(setInterval(() => this.watchdog(client), config.intake.watchdogIntervalMs));
      this.requestCycle();
      if (!this.stopped) await closed;
    } finally {
      this.active = false;
      for (const t of timers) clearInterval(t);
      this.client = null;
      if (client.usable) client.close();
    }
  }

  /** A connection that died silently (no RST, no data) is found by a NOOP that never returns. */
  private async watchdog(client: ImapFlow): Promise<void> {
    if (this.cycleRunning || !client.usable) return;
    const timeoutMs = this.deps.config.intake.watchdogTimeoutMs;
    const ok = await Promise.race([
      client.noop().then(
        () => true,
        () => false,
      ),
      sleep(timeoutMs).then(() => false),
    ]);
    if (!ok && client.usable) {
      this.log.warn(
        { event: 'intake.watchdog_timeout', mailbox: this.deps.mailbox.id, timeoutMs },
        'IMAP silent',
      );
      client.close();
    }
  }

  requestCycle(): void {
    if (this.stopped || !this.client) return;
    if (this.cycleRunning) {
      this.cycleAgain = true;
      return;
    }
    this.cycleRunning = true;
    void this.runCycles();
  }

  private async runCycles(): Promise<void> {
    try {
      do {
        this.cycleAgain = false;
        await this.cycle();
      } while (this.cycleAgain && !this.stopped);
      this.emit('cycle');
    } catch (err) {
      // Redis or IMAP failed mid-cycle: nothing was moved that was not triaged; try again shortly.
      this.log.warn(
        { event: 'intake.cycle_failed', mailbox: this.deps.mailbox.id, reason: (err as Error).message },
        'mailbox check failed, will retry',
      );
      if (!this.retryTimer && !this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.requestCycle();
        }, 2000);
      }
    } finally {
      this.cycleRunning = false;
    }
  }

  private async cycle(): Promise<void> {
    const client = this.client;
    if (!client?.usable) return;
    const { mailbox, state } = this.deps;
    const lock = await client.getMailboxLock(mailbox.path);
    try {
      const info = client.mailbox;
      if (!info) return;
      const uidValidity = String(info.uidValidity);
      const known = await state.get(mailbox.id);
      if (known && known.uidValidity !== uidValidity) {
        // The mailbox was recreated: look at every mail again; triage recognises
        // the ones it already has by their content and opens no new case.
        this.log.warn(
          {
            event: 'intake.uidvalidity_changed',
            mailbox: mailbox.id,
            before: known.uidValidity,
            after: uidValidity,
          },
          'UIDVALIDITY changed: full resync',
        );
      }
      const from = known && known.uidValidity === uidValidity ? known.lastUid + 1 : 1;
      if (info.exists > 0) await this.handOver(client, uidValidity, from);
      else if (!known || known.uidValidity !== uidValidity)
        await state.set(mailbox.id, { uidValidity, lastUid: 0 });
      await this.fileTriaged(client, uidValidity);
      await state.markChecked(mailbox.id, new Date());
    } finally {
      lock.release();
    }
  }

  /** New mail (UID ≥ from) to the triage queue, in UID order, in bounded batches. */
  private async handOver(client: ImapFlow, uidValidity: string, from: number): Promise<void> {
    const { mailbox, config, state, triageQueue } = this.deps;
    const metas: MessageMeta[] = [];
    // "N:*" also returns the last message when N is above every UID: filter.
    for await (const m of client.fetch(
      `${from}:*`,
      { uid: true, size: true, internalDate: true, envelope: true },
      { uid: true },
    )) {
      if (m.uid >= from) {
        const internal = m.internalDate ? new Date(m.internalDate) : new Date();
        metas.push({
          uid: m.uid,
          size: m.size ?? 0,
          internalDate: internal,
          messageId: m.envelope?.messageId ?? null,
        });
      }
    }
    if (metas.length === 0) return;
    metas.sort((a, b) => a.uid - b.uid);

    let i = 0;
    while (i < metas.length) {
      const batch: MessageMeta[] = [];
      let bytes = 0;
      while (i < metas.length && batch.length < config.intake.batchSize) {
        const meta = metas[i] as MessageMeta;
        const counted = meta.size <= config.intake.maxDownloadBytes ? meta.size : 0;
        if (batch.length > 0 && bytes + counted > BATCH_MAX_BYTES) break;
        batch.push(meta);
        bytes += counted;
        i++;
      }
      const wanted = batch.filter((m) => m.size <= config.intake.maxDownloadBytes).map((m) => m.uid);
      const sources = new Map<number, Buffer>();
      if (wanted.length > 0) {
        // BODY.PEEK[]: a person's \Seen flag is left as it was.
        for await (const m of client.fetch(wanted.join(','), { uid: true, source: true }, { uid: true })) {
          if (m.source) sources.set(m.uid, m.source);
        }
      }
      const jobs = [];
      for (const meta of batch) {
        const oversize = meta.size > config.intake.maxDownloadBytes;
        const source = sources.get(meta.uid);
        if (!oversize && !source) continue; // expunged between the two fetches
        const contentHash = createHash('sha256')
          .update(
            source ?? `oversize:${meta.messageId ?? `${mailbox.id}:${uidValidity}:${meta.uid}`}:${meta.size}`,
          )
          .digest('hex');
        const data: TriageJobData = {
          mailboxId: mailbox.id,
          uidValidity,
          uid: meta.uid,
          size: meta.size,
          internalDate: meta.internalDate.toISOString(),
          contentHash,
          source: source ? source.toString('latin1') : null,
          oversize,
        };
        jobs.push({
          name: 'mail',
          data,
          opts: { ...TRIAGE_JOB_OPTIONS, jobId: jobId('mail', mailbox.id, uidValidity, meta.uid) },
        });
      }
      // Handed to Redis before the intake position moves: a crash here means the
      // same job ids again, which BullMQ and the case store both ignore.
      if (jobs.length) await triageQueue.addBulk(jobs);
      const last = batch[batch.length - 1] as MessageMeta;
      await state.set(mailbox.id, { uidValidity, lastUid: last.uid });
      this.log.info(
        { event: 'intake.handed_over', mailbox: mailbox.id, count: jobs.length, lastUid: last.uid },
        'mail handed to triage',
      );
    }
  }

  /** Moves triaged mail to its folder, batched by UID set; urgent mail is flagged first. */
  private async fileTriaged(client: ImapFlow, uidValidity: string): Promise<void> {
    const { mailbox, caseStore, config } = this.deps;
    const pending = await caseStore.pendingFilings(mailbox.id);
    if (pending.length === 0 || !this.folderPaths) return;
    const current = pending.filter((p) => p.uidValidity === uidValidity);
    const flagged = current.filter((p) => p.flagged).map((p) => p.uid);
    if (flagged.length) {
      const info = client.mailbox;
      const keywordsAllowed = info ? info.permanentFlags?.has('\\*') : false;
      const flags = keywordsAllowed ? ['\\Flagged', config.folders.urgentKeyword] : ['\\Flagged'];
      await client.messageFlagsAdd(flagged.join(','), flags, { uid: true });
    }
    const byFolder = new Map<FolderKey, number[]>();
    for (const p of current) byFolder.set(p.folder, [...(byFolder.get(p.folder) ?? []), p.uid]);
    for (const [folder, uids] of byFolder) {
      await client.messageMove(uids.join(','), this.folderPaths[folder], { uid: true });
    }
    // Stale entries (an older UIDVALIDITY) name UIDs that no longer mean anything here.
    await caseStore.clearFilings(
      mailbox.id,
      pending.map((p) => p.field),
    );
    this.log.info(
      {
        event: 'intake.filed',
        mailbox: mailbox.id,
        count: current.length,
        folders: Object.fromEntries([...byFolder].map(([f, u]) => [f, u.length])),
      },
      'mail filed',
    );
  }
}
