import type { ImapFlow } from 'imapflow';
import type { CaseStore, FiledAt, FolderKey } from '../cases/caseStore.js';
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
 * A mail leaves the inbox only once its case is committed (the filing intent
 * is written in the case's transaction), `filingDelayMs` after it, and a check
 * right before the MOVE finds its case. A mail with no case (its filing
 * outlived the case: retention, a restore) stays in the inbox, where the rescan
 * hands it to triage again — it is never filed out of sight.
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
  const refs = await caseStore.casesToFile(mailbox.id, due);
  const current = due.filter((_, i) => refs[i] !== null);
  const withheld = due.length - current.length;
  if (withheld > 0) {
    log.error(
      { event: 'intake.filing_withheld', mailbox: mailbox.id, count: withheld },
      'no case for a mail about to be filed: the mail stays in the inbox to be triaged again',
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
      await caseStore.setLocated(located);
      const own: Array<{ ref: string } & FiledAt> = [];
      for (const p of current) {
        const target = p.folder === folder && p.ownRef ? uidMap.get(p.uid) : undefined;
        if (target !== undefined && p.ownRef) {
          own.push({ ref: p.ownRef, path, uidValidity: String(moved.uidValidity), uid: target });
        }
      }
      await caseStore.setFiledAtMany(own);
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
