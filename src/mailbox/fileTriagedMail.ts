import type { ImapFlow } from 'imapflow';
import type { CaseStore, FolderKey } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import { failpoint } from '../infra/failpoint.js';
import type { Logger } from '../log.js';
import type { FolderPaths } from './folders.js';
import { uidSets } from './uidSet.js';

export interface FilingDeps {
  config: { folders: Pick<Config['folders'], 'urgentKeyword'> };
  mailbox: { id: string };
  caseStore: CaseStore;
  log: Logger;
}

/** How long a filing waits for connected replicas to acknowledge the case before trying again later. */
const REPLICA_WAIT_MS = 1000;

/** The flags of urgent mail in the selected folder: the keyword too where the server keeps keywords. */
export function urgentFlags(client: ImapFlow, keyword: string): string[] {
  const info = client.mailbox;
  const keywordsAllowed = info ? info.permanentFlags?.has('\\*') : false;
  return keywordsAllowed ? ['\\Flagged', keyword] : ['\\Flagged'];
}

/**
 * Moves triaged mail from the inbox (selected and locked by the caller) to its folder, batched
 * by UID set; urgent mail is flagged first.
 *
 * A mail leaves the inbox only once its case is durable: the filing waits
 * `filingDelayMs` after the case was written (Redis has fsynced it by then),
 * WAITs for connected replicas, and checks right before the MOVE that the
 * case is still there. A mail whose case Redis lost stays in the inbox, where
 * the rescan hands it to triage again — it is never filed out of sight.
 */
export async function fileTriagedMail(
  deps: FilingDeps,
  client: ImapFlow,
  uidValidity: string,
  folderPaths: FolderPaths,
  filingDelayMs: number,
): Promise<void> {
  const { mailbox, caseStore, config, log } = deps;
  const pending = await caseStore.pendingFilings(mailbox.id);
  if (pending.length === 0) return;
  // Stale entries (an older UIDVALIDITY) name UIDs that no longer mean anything here.
  const stale = pending.filter((p) => p.uidValidity !== uidValidity);
  const dueBefore = Date.now() - filingDelayMs;
  const due = pending.filter((p) => p.uidValidity === uidValidity && (p.at ?? 0) <= dueBefore);
  if (due.length === 0) {
    await caseStore.clearFilings(
      mailbox.id,
      stale.map((p) => p.field),
    );
    return;
  }
  const replicas = await caseStore.connectedReplicas();
  if (replicas > 0) {
    const acknowledged = await caseStore.waitForReplicas(replicas, REPLICA_WAIT_MS);
    if (acknowledged < replicas) {
      log.warn(
        { event: 'intake.filing_waits_for_replicas', mailbox: mailbox.id, replicas, acknowledged },
        'replicas have not acknowledged the cases yet: filing later',
      );
      return;
    }
  }
  const refs = await caseStore.casesToFile(mailbox.id, due);
  const current = due.filter((_, i) => refs[i] !== null);
  const withheld = due.length - current.length;
  if (withheld > 0) {
    log.error(
      { event: 'intake.filing_withheld', mailbox: mailbox.id, count: withheld },
      'case lost by Redis before its mail was filed: the mail stays in the inbox to be triaged again',
    );
  }
  const refOf = new Map(due.map((p, i) => [p.uid, refs[i] ?? null]));
  const flagged = current.filter((p) => p.flagged).map((p) => p.uid);
  if (flagged.length) {
    const flags = urgentFlags(client, config.folders.urgentKeyword);
    for (const set of uidSets(flagged)) await client.messageFlagsAdd(set, flags, { uid: true });
  }
  const byFolder = new Map<FolderKey, number[]>();
  for (const p of current) {
    const uids = byFolder.get(p.folder);
    if (uids) uids.push(p.uid);
    else byFolder.set(p.folder, [p.uid]);
  }
  for (const [folder, uids] of byFolder) {
    const path = folderPaths[folder];
    for (const set of uidSets(uids)) {
      const moved = await client.messageMove(set, path, { uid: true });
      // Remember where each mail went (UIDPLUS): its case, for the filed-mail
      // reconciliation; a case's own mail, so `reprocess` can read it again.
      const uidMap = moved ? moved.uidMap : undefined;
      if (!moved || !uidMap || moved.uidValidity === undefined) continue;
      const located: Array<{ path: string; uidValidity: string; uid: number; ref: string }> = [];
      for (const [from, to] of uidMap) {
        const ref = refOf.get(from);
        if (ref) located.push({ path, uidValidity: String(moved.uidValidity), uid: to, ref });
      }
      // All at once: one round trip per batch, not one per mail (the connection pipelines them).
      const writes: Array<Promise<void>> = [caseStore.setLocated(located)];
      for (const p of current) {
        const target = p.folder === folder && p.ownRef ? uidMap.get(p.uid) : undefined;
        if (target !== undefined && p.ownRef) {
          writes.push(
            caseStore.setFiledAt(p.ownRef, { path, uidValidity: String(moved.uidValidity), uid: target }),
          );
        }
      }
      await Promise.all(writes);
    }
  }
  failpoint('intake.after-move');
  await caseStore.clearFilings(
    mailbox.id,
    [...stale, ...due].map((p) => p.field),
  );
  log.info(
    {
      event: 'intake.filed',
      mailbox: mailbox.id,
      count: current.length,
      folders: Object.fromEntries([...byFolder].map(([f, u]) => [f, u.length])),
    },
    'mail filed',
  );
}
