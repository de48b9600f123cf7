import type { ImapFlow } from 'imapflow';
import type { CaseStore } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import { describeImapFailure } from '../infra/errors.js';
import type { Logger } from '../log.js';
import { ensureFolders, type FolderPaths } from './folders.js';
import type { SessionProgress } from './leaseLoop.js';
import type { MailboxLease } from './mailboxLease.js';
import type { RefileRequests } from './refileRequests.js';

export interface SessionDeps {
  config: Pick<Config, 'folders' | 'intake'>;
  mailbox: { id: string; path: string };
  createClient: () => ImapFlow;
  caseStore: CaseStore;
  lease: MailboxLease;
  refiles: RefileRequests;
  log: Logger;
}

/** A connection watching the mailbox, with what a cycle needs. */
export interface OpenMailbox {
  client: ImapFlow;
  folderPaths: FolderPaths;
  /** Resolved at each connection: see config intake.filingDelayMs. */
  filingDelayMs: number;
}

/** The intake a session works for. */
export interface SessionOwner {
  stopped(): boolean;
  cycleRunning(): boolean;
  /** The connection being opened (stop() logs it out), or null once it is gone. */
  attach(client: ImapFlow | null): void;
  /** Watching the mailbox (null: no longer). */
  opened(open: OpenMailbox | null): void;
  requestCycle(): void;
  /** The reconciliation tick: rescan the inbox, check filed mail. */
  reconcile(): void;
}

/** How often pending filings and refile requests are looked at. */
const FILING_POLL_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * One connection, from connect to close: renews the lease, opens the mailbox, then keeps
 * the owner's cycles coming (IDLE's `exists`, the reconciliation timer, due filings) and
 * a watchdog on the connection. Resolves when the connection ends.
 */
export async function runSession(
  deps: SessionDeps,
  owner: SessionOwner,
  progress: SessionProgress,
): Promise<void> {
  const { mailbox, config, log } = deps;
  const client = deps.createClient();
  client.on('error', (err: Error) => {
    log.warn(
      { event: 'intake.imap_error', mailbox: mailbox.id, reason: describeImapFailure(err).message, err },
      'IMAP connection error',
    );
  });
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  owner.attach(client);
  const timers: NodeJS.Timeout[] = [];
  // Renewed from the first moment: connecting, listing folders and opening
  // the mailbox can outlast the lease, and another replica would start too.
  timers.push(
    setInterval(
      () => {
        deps.lease
          .renew()
          .then((held) => {
            if (!held) {
              log.warn(
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
  try {
    await client.connect();
    progress.connected();
    const folderPaths = await ensureFolders(client, config.folders);
    await client.mailboxOpen(mailbox.path);
    const filingDelayMs = await resolveFilingDelay(deps);
    progress.opened();
    log.info({ event: 'intake.connected', mailbox: mailbox.id }, 'watching mailbox');
    owner.opened({ client, folderPaths, filingDelayMs });

    client.on('exists', () => owner.requestCycle());
    timers.push(setInterval(() => owner.reconcile(), config.intake.reconcileIntervalMs));
    timers.push(
      setInterval(() => {
        const dueBefore = Date.now() - filingDelayMs;
        Promise.all([
          deps.caseStore.dueFilingExists(mailbox.id, new Date(dueBefore)),
          deps.refiles.count(mailbox.id),
        ])
          .then(([due, refiles]) => (refiles > 0 || due) && owner.requestCycle())
          .catch(() => {});
      }, FILING_POLL_MS),
    );
    timers.push(setInterval(() => watchdog(deps, owner, client), config.intake.watchdogIntervalMs));
    owner.requestCycle();
    if (!owner.stopped()) await closed;
  } finally {
    owner.opened(null);
    for (const t of timers) clearInterval(t);
    owner.attach(null);
    if (client.usable) client.close();
  }
}

/**
 * A case is on PostgreSQL's disk when its transaction commits: with 'auto' its mail may leave
 * the inbox at once. A number keeps it there that long (a replica's lag, for instance).
 */
async function resolveFilingDelay(deps: SessionDeps): Promise<number> {
  const configured = deps.config.intake.filingDelayMs;
  const delayMs = configured === 'auto' ? 0 : configured;
  deps.log.info(
    { event: 'intake.filing_delay', mailbox: deps.mailbox.id, delayMs },
    'mail leaves the inbox this long after its case is written',
  );
  return delayMs;
}

/** A connection that died silently (no RST, no data) is found by a NOOP that never returns. */
async function watchdog(deps: SessionDeps, owner: SessionOwner, client: ImapFlow): Promise<void> {
  if (owner.cycleRunning() || !client.usable) return;
  const timeoutMs = deps.config.intake.watchdogTimeoutMs;
  const ok = await Promise.race([
    client.noop().then(
      () => true,
      () => false,
    ),
    sleep(timeoutMs).then(() => false),
  ]);
  if (!ok && client.usable) {
    deps.log.warn({ event: 'intake.watchdog_timeout', mailbox: deps.mailbox.id, timeoutMs }, 'IMAP silent');
    client.close();
  }
}
