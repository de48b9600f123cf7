import { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';
import type { ImapFlow } from 'imapflow';
import type { CaseStore } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import type { TriageJobData } from '../infra/queues.js';
import type { Logger } from '../log.js';
import { fetchNewMail, type RescanFlag } from './fetchNewMail.js';
import { fileTriagedMail } from './fileTriagedMail.js';
import { type OpenMailbox, runSession, type SessionOwner } from './intakeSession.js';
import type { IntakeStateStore } from './intakeState.js';
import { LeaseLoop } from './leaseLoop.js';
import type { MailboxLease } from './mailboxLease.js';
import type { RawMailStore } from './rawMailStore.js';
import { reconcileFiled } from './reconcileFiled.js';
import { refileRequested } from './refileCase.js';
import type { RefileRequests } from './refileRequests.js';

export interface IntakeDeps {
  config: Pick<Config, 'folders' | 'intake'>;
  mailbox: { id: string; path: string };
  createClient: () => ImapFlow;
  triageQueue: Queue<TriageJobData>;
  caseStore: CaseStore;
  state: IntakeStateStore;
  lease: MailboxLease;
  rawMail: RawMailStore;
  refiles: RefileRequests;
  log: Logger;
}

/** The intake's events. */
export interface IntakeEvents {
  /** Watching the mailbox (after each reconnection too). */
  connected: [];
  /** A check of the mailbox completed. */
  cycle: [];
  /** A configuration error that retrying will not fix, on the first connection. */
  fatal: [error: Error];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Watches one mailbox: IDLE for new mail plus a periodic reconciliation,
 * hands each new mail to the triage queue before anything changes on the
 * server, and later files triaged mail into its folder. Only the replica
 * that holds the mailbox's lease runs it (leaseLoop.ts, intakeSession.ts);
 * a cycle reads (fetchNewMail.ts), then files (fileTriagedMail.ts,
 * refileCase.ts).
 */
export class MailboxIntake extends EventEmitter<IntakeEvents> {
  private readonly loop: LeaseLoop;
  private client: ImapFlow | null = null;
  private open: OpenMailbox | null = null;
  private cycleRunning = false;
  private cycleAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly rescan: RescanFlag = { due: false };
  private reconcilingFiled = false;
  /** True while this replica holds the lease and a usable connection. */
  active = false;

  constructor(private readonly deps: IntakeDeps) {
    super();
    const owner: SessionOwner = {
      stopped: () => this.loop.stopped,
      cycleRunning: () => this.cycleRunning,
      attach: (client) => {
        this.client = client;
      },
      opened: (open) => this.opened(open),
      requestCycle: () => this.requestCycle(),
      reconcile: () => {
        this.rescan.due = true;
        this.requestCycle();
        this.checkFiledSoon();
      },
    };
    this.loop = new LeaseLoop(deps, {
      session: (progress) => runSession(deps, owner, progress),
      fatal: (error) => this.emit('fatal', error),
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.loop.halt();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    if (client) {
      try {
        await Promise.race([client.logout(), sleep(2000)]);
      } catch {
        client.close();
      }
    }
    await this.loop.done;
    try {
      await this.deps.lease.release();
    } catch {
      // Redis down: the lease expires by itself.
    }
  }

  private opened(open: OpenMailbox | null): void {
    this.open = open;
    this.active = open !== null;
    if (!open) return;
    this.rescan.due = true;
    this.emit('connected');
    this.checkFiledSoon();
  }

  /** Filed mail whose case Redis lost goes back to the inbox (see reconcileFiled); one run at a time. */
  private checkFiledSoon(): void {
    if (this.reconcilingFiled || this.loop.stopped) return;
    this.reconcilingFiled = true;
    const { config, mailbox, caseStore, log } = this.deps;
    reconcileFiled({ config, mailbox, caseStore, log, createClient: this.deps.createClient })
      .then((r) => {
        if (r.returned > 0) this.requestCycle();
      })
      .catch((err) => {
        if (this.loop.stopped) return; // its connections closed under it
        log.warn(
          { event: 'intake.filed_check_failed', mailbox: mailbox.id, reason: (err as Error).message, err },
          'check of filed mail failed, will retry',
        );
      })
      .finally(() => {
        this.reconcilingFiled = false;
      });
  }

  requestCycle(): void {
    if (this.loop.stopped || !this.open) return;
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
      } while (this.cycleAgain && !this.loop.stopped);
      this.emit('cycle');
    } catch (err) {
      // Redis or IMAP failed mid-cycle: nothing was moved that was not triaged; try again shortly.
      this.deps.log.warn(
        { event: 'intake.cycle_failed', mailbox: this.deps.mailbox.id, reason: (err as Error).message, err },
        'mailbox check failed, will retry',
      );
      if (!this.retryTimer && !this.loop.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.requestCycle();
        }, 2000);
      }
    } finally {
      this.cycleRunning = false;
    }
  }

  /** New mail to triage, triaged mail to its folder, then the moves asked of filed mail. */
  private async cycle(): Promise<void> {
    const open = this.open;
    if (!open?.client.usable) return;
    const { client, folderPaths, filingDelayMs } = open;
    const { mailbox, state } = this.deps;
    const lock = await client.getMailboxLock(mailbox.path);
    try {
      const uidValidity = await fetchNewMail(this.deps, client, this.rescan);
      if (uidValidity === null) return;
      await fileTriagedMail(this.deps, client, uidValidity, folderPaths, filingDelayMs);
      await state.markChecked(mailbox.id, new Date());
    } finally {
      lock.release();
    }
    // Outside the inbox's lock: a refile selects the folder the mail is in.
    await refileRequested(this.deps, mailbox.id, client, folderPaths, mailbox.path);
  }
}
