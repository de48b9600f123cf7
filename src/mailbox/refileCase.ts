import type { ImapFlow } from 'imapflow';
import type { CaseStore, FolderKey } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import { CdapError } from '../infra/errors.js';
import type { Logger } from '../log.js';
import { urgentFlags } from './fileTriagedMail.js';
import type { FolderPaths } from './folders.js';
import type { MailboxLease } from './mailboxLease.js';
import type { RefileOutcome, RefileRequests } from './refileRequests.js';

export class RefileError extends CdapError {
  override name = 'RefileError';
  constructor(message: string, code: 'REFILE_NOT_FILED' | 'REFILE_FOLDER_RECREATED' | 'REFILE_MAIL_GONE') {
    super(code, message);
  }
}

export interface RefileDeps {
  config: { folders: Pick<Config['folders'], 'urgentKeyword'> };
  caseStore: CaseStore;
  refiles: RefileRequests;
  log: Logger;
}

/**
 * Moves a case's own mail, already filed, to another folder and remembers
 * where it went. Only the holder of the mailbox's lease calls it (see refileRequested).
 */
async function moveFiledMail(
  deps: RefileDeps,
  client: ImapFlow,
  paths: FolderPaths,
  ref: string,
  folder: FolderKey,
  flagged: boolean,
): Promise<string> {
  const { caseStore } = deps;
  const at = await caseStore.filedAt(ref);
  if (!at) throw new RefileError(`the mail of ${ref} has no known place in the mailbox`, 'REFILE_NOT_FILED');
  const target = paths[folder];
  const lock = await client.getMailboxLock(at.path);
  try {
    const box = client.mailbox;
    if (!box || String(box.uidValidity) !== at.uidValidity) {
      throw new RefileError(
        `the folder ${at.path} was recreated since ${ref} was filed`,
        'REFILE_FOLDER_RECREATED',
      );
    }
    if (flagged) {
      const flags = urgentFlags(client, deps.config.folders.urgentKeyword);
      await client.messageFlagsAdd(String(at.uid), flags, { uid: true });
    }
    if (target === at.path) return target;
    const moved = await client.messageMove(String(at.uid), target, { uid: true });
    if (!moved) throw new RefileError(`the mail of ${ref} is no longer in ${at.path}`, 'REFILE_MAIL_GONE');
    const uid = moved.uidMap?.get(at.uid);
    if (uid !== undefined && moved.uidValidity !== undefined) {
      const place = { path: target, uidValidity: String(moved.uidValidity), uid };
      await caseStore.setFiledAt(ref, place);
      await caseStore.setLocated([{ ...place, ref }]);
    }
    return target;
  } finally {
    lock.release();
  }
}

/**
 * Carries out the refile requests of one mailbox (an escalating follow-up, a reprocess).
 * Only the holder of the mailbox's lease runs it — the intake after its own filing, or a
 * command that took the free lease — so no two processes move the same mailbox's mail.
 * A case whose own mail is still waiting in the inbox has its pending filing changed
 * instead: the intake files it straight to the new folder. `home`, when given, is selected
 * again afterwards (the intake's IDLE watches it). Returns how many requests it carried out.
 */
export async function refileRequested(
  deps: RefileDeps,
  mailboxId: string,
  client: ImapFlow,
  paths: FolderPaths,
  home?: string,
): Promise<number> {
  const { caseStore, refiles, log } = deps;
  const pending = await refiles.pending(mailboxId);
  let done = 0;
  for (const p of pending) {
    if (!(await refiles.take(mailboxId, p))) continue; // withdrawn, or replaced by a newer request
    done++;
    const { folder, flagged, id } = p.request;
    let outcome: RefileOutcome;
    try {
      const waiting = (await caseStore.filedAt(p.ref))
        ? undefined
        : (await caseStore.pendingFilings(mailboxId)).find((f) => f.ownRef === p.ref);
      if (waiting) {
        await caseStore.addFiling(mailboxId, { ...waiting, folder, flagged: waiting.flagged || flagged });
        outcome = { ok: true, path: paths[folder] };
      } else {
        outcome = { ok: true, path: await moveFiledMail(deps, client, paths, p.ref, folder, flagged) };
      }
      log.info(
        { event: 'intake.refiled', mailbox: mailboxId, ref: p.ref, folder, stillInInbox: Boolean(waiting) },
        'filed mail moved',
      );
    } catch (err) {
      outcome = {
        ok: false,
        code: err instanceof CdapError ? err.code : 'REFILE_FAILED',
        message: (err as Error).message,
      };
      log.warn(
        { event: 'intake.refile_failed', mailbox: mailboxId, ref: p.ref, folder, err },
        'filed mail left where it was',
      );
      if (id) await refiles.report(id, outcome);
      // The connection or Redis failed: the cycle fails and is retried; a mail that is gone stays gone.
      if (!(err instanceof RefileError)) throw err;
      continue;
    }
    if (id) await refiles.report(id, outcome);
  }
  // After a failure the cycle's retry selects it again anyway.
  if (home && done > 0) (await client.getMailboxLock(home)).release();
  return done;
}

/**
 * For triage: asks the mailbox's lease holder to move a case's own mail (an escalation).
 * Nothing waits for it; the holder logs what it did (`intake.refiled`, `intake.refile_failed`).
 */
export function createRefiler(
  caseStore: CaseStore,
  refiles: RefileRequests,
): (ref: string, folder: FolderKey, flagged: boolean) => Promise<void> {
  return async (ref, folder, flagged) => {
    const record = await caseStore.get(ref);
    if (!record) return;
    await refiles.ask(record.mail.mailboxId, ref, { folder, flagged });
  };
}

export type LeasedRefile =
  /** Done, by this process (the lease was free) or by the holder. */
  | { status: 'done'; outcome: RefileOutcome }
  /** The holder did not take the request in time; it was withdrawn: the mailbox is unchanged. */
  | { status: 'busy' }
  /** The holder took the request but gave no outcome in time. */
  | { status: 'unconfirmed' };

export interface LeasedRefileDeps extends RefileDeps {
  /** This process's claim on the mailbox's lease (its own owner token). */
  lease: MailboxLease;
  client: ImapFlow;
  paths: FolderPaths;
}

const POLL_MS = 200;

/**
 * For a command (`reprocess`): moves a case's own mail under the mailbox's lease. When the
 * lease is free, the command takes it and carries out the request itself; when a running
 * intake holds it, the intake does. After `waitMs` without either, the request is withdrawn.
 */
export async function refileUnderLease(
  deps: LeasedRefileDeps,
  mailboxId: string,
  ref: string,
  folder: FolderKey,
  id: string,
  waitMs: number,
): Promise<LeasedRefile> {
  const { refiles, lease } = deps;
  const stored = await refiles.ask(mailboxId, ref, { folder, flagged: false, id });
  const sleep = () => new Promise((r) => setTimeout(r, POLL_MS));
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const outcome = await refiles.outcome(id);
      if (outcome) return { status: 'done', outcome };
      const ran = await lease
        .holding(() =>
          refileRequested(deps, mailboxId, deps.client, deps.paths).then(() => refiles.outcome(id)),
        )
        .catch(async (err: unknown) => {
          // Not carried out later behind the command's back, once it has reported the failure.
          await refiles.withdraw(mailboxId, ref, stored).catch(() => false);
          throw err;
        });
      if (ran.held && ran.value) return { status: 'done', outcome: ran.value };
      if (Date.now() > deadline) break;
      await sleep();
    }
    if (await refiles.withdraw(mailboxId, ref, stored)) return { status: 'busy' };
    // Taken just now: the holder is moving it.
    const until = Date.now() + waitMs;
    while (Date.now() < until) {
      const outcome = await refiles.outcome(id);
      if (outcome) return { status: 'done', outcome };
      await sleep();
    }
    return { status: 'unconfirmed' };
  } finally {
    await refiles.forgetOutcome(id).catch(() => {});
  }
}
