import type { Config } from '../config/schema.js';
import { describeImapFailure } from '../infra/errors.js';
import { jitteredBackoff } from '../infra/queues.js';
import type { Logger } from '../log.js';
import { staleAfterSeconds } from './intakeFreshness.js';
import type { MailboxLease } from './mailboxLease.js';

/** Reconnection delay: 500 ms doubling to intake.maxBackoffMs, jittered (replicas that lost the server together do not return together). */
export function backoffDelay(attempt: number, maxMs: number): number {
  return jitteredBackoff(attempt + 1, 500, maxMs);
}

/**
 * The level of a failed connection attempt. A retry is `warn`. It is `error` when retrying
 * cannot fix it (a refused login), or once the attempts have failed for as long as the
 * mailbox's stale limit (3 × intake.reconcileIntervalMs): from then on nobody watches the
 * mailbox, /readyz answers 503 and CdapIntakeStale fires. An outage thus logs a few warnings
 * first, not an error per attempt.
 */
export function connectionFailureLevel(
  failingForMs: number,
  staleAfterMs: number,
  permanent: boolean,
): 'warn' | 'error' {
  return permanent || failingForMs >= staleAfterMs ? 'error' : 'warn';
}

export interface LeaseLoopDeps {
  config: { intake: Pick<Config['intake'], 'leaseTtlMs' | 'maxBackoffMs' | 'reconcileIntervalMs'> };
  mailbox: { id: string };
  lease: MailboxLease;
  log: Logger;
}

/** What a session tells the loop as it goes. */
export interface SessionProgress {
  /** Logged in: a later refused login is no longer a configuration error. */
  connected(): void;
  /** Watching the mailbox: the run of failures, if any, is over. */
  opened(): void;
}

export interface LeaseLoopHooks {
  /** One connection, from connect to close. */
  session(progress: SessionProgress): Promise<void>;
  /** A configuration error on the first connection, which retrying will not fix. */
  fatal(error: Error): void;
}

/**
 * Holds the mailbox's lease and keeps a session open while it holds it: when another replica
 * has the lease, looks again once it could have expired; when a session fails or ends,
 * reconnects with jittered exponential backoff.
 */
export class LeaseLoop {
  private halted = false;
  private wake: (() => void) | null = null;
  private everConnected = false;
  /** When the current run of failed attempts began; null while a session watches the mailbox. */
  private failingSince: number | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: LeaseLoopDeps,
    private readonly hooks: LeaseLoopHooks,
  ) {}

  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** No new attempt, no more waiting; the owner closes the session in progress, then awaits `done`. */
  halt(): void {
    this.halted = true;
    this.wake?.();
  }

  get done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const { config, mailbox, lease, log } = this.deps;
    const progress: SessionProgress = {
      connected: () => {
        this.everConnected = true;
      },
      opened: () => {
        this.failingSince = null;
      },
    };
    let attempt = 0;
    while (!this.halted) {
      try {
        if (!((await lease.renew()) || (await lease.acquire()))) {
          // Another replica watches this mailbox; look again when its lease could have expired.
          await this.pause(Math.max(1000, config.intake.leaseTtlMs / 3));
          continue;
        }
        const started = Date.now();
        await this.hooks.session(progress);
        if (Date.now() - started > 30_000) attempt = 0;
      } catch (err) {
        this.failed(err, attempt);
      }
      if (this.halted) break;
      attempt++;
      const delay = backoffDelay(attempt, config.intake.maxBackoffMs);
      log.info({ event: 'intake.reconnect_scheduled', mailbox: mailbox.id, delayMs: delay });
      await this.pause(delay);
    }
  }

  private failed(err: unknown, attempt: number): void {
    const { config, mailbox, log } = this.deps;
    const now = Date.now();
    this.failingSince ??= now;
    const failure = describeImapFailure(err);
    const failingForMs = now - this.failingSince;
    const level = connectionFailureLevel(
      failingForMs,
      staleAfterSeconds(config.intake) * 1000,
      failure.permanent,
    );
    log[level](
      {
        event: 'intake.connection_failed',
        mailbox: mailbox.id,
        attempt,
        failingForMs,
        reason: failure.message,
        err,
      },
      'mailbox connection failed',
    );
    if (failure.permanent && !this.everConnected) {
      this.hooks.fatal(new Error(failure.message, { cause: err }));
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
}
