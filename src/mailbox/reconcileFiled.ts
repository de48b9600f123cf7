import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { CaseStore } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { ensureFolders } from './folders.js';
import { uidSets } from './uidSet.js';

export interface ReconcileFiledDeps {
  config: Pick<Config, 'folders' | 'intake'>;
  mailbox: { id: string; path: string };
  createClient: () => ImapFlow;
  caseStore: CaseStore;
  log: Logger;
  now?: () => Date;
}

export interface ReconcileFiledResult {
  /** Filed mail looked at (received within the window, days rounded down). */
  checked: number;
  /** Filed mail whose case was found by its bytes, its place now remembered. */
  relocated: number;
  /** Filed mail without a case, put back in the inbox to be triaged again. */
  returned: number;
}

const EPOCH_MARGIN_MS = 2000;
// Sources are read in slices, so a large window does not hold every mail in memory at once.
const SLICE = 200;

/**
 * Finds mail filed in the triage folders whose case is gone — filed, then
 * the case was lost (a database restored from a dump older than the
 * filing) — and puts it back in the inbox,
 * where intake triages it again. Without this, such a request would sit in a
 * folder, out of every queue, with nobody ever seeing it.
 *
 * A mail's case is known by the place it was filed at (written when it was
 * moved), else by its bytes (content hash). The new case of a returned mail
 * is not answered automatically: whether its first case was answered is
 * unknown (see CaseStore.markRecovered).
 */
export async function reconcileFiled(deps: ReconcileFiledDeps): Promise<ReconcileFiledResult> {
  const { config, caseStore, log, mailbox } = deps;
  const now = deps.now ?? (() => new Date());
  // Only mail that arrived while this store existed must have a case in it: mail filed
  // by another deployment (another prefix) or before the store began is not ours to judge.
  const epoch = await caseStore.storeEpoch();
  const since = new Date(
    Math.max(
      now().getTime() - config.intake.reconcileFiledDays * 86_400_000,
      // IMAP arrival times count whole seconds: a mail of the epoch's own second is in.
      epoch.getTime() - EPOCH_MARGIN_MS,
    ),
  );
  const result: ReconcileFiledResult = { checked: 0, relocated: 0, returned: 0 };
  const client = deps.createClient();
  client.on('error', () => {});
  await client.connect();
  try {
    const paths = await ensureFolders(client, config.folders);
    for (const path of new Set(Object.values(paths))) {
      const lock = await client.getMailboxLock(path);
      try {
        const info = client.mailbox;
        if (!info || info.exists === 0) continue;
        const uidValidity = String(info.uidValidity);
        const found = await client.search({ since }, { uid: true });
        const uids = Array.isArray(found) ? found : [];
        result.checked += uids.length;
        for (let i = 0; i < uids.length; i += SLICE) {
          const slice = uids.slice(i, i + SLICE);
          const located = await caseStore.locatedRefs(path, uidValidity, slice);
          const present = await caseStore.existingCases(located.filter((r): r is string => r !== null));
          const unlocated = slice.filter((_, j) => {
            const ref = located[j];
            return !ref || !present.has(ref);
          });
          if (unlocated.length === 0) continue;
          // SEARCH SINCE counts whole days: the arrival time decides.
          const unknown: number[] = [];
          for (const set of uidSets(unlocated)) {
            for await (const m of client.fetch(set, { uid: true, internalDate: true }, { uid: true })) {
              if (m.internalDate && new Date(m.internalDate).getTime() >= since.getTime())
                unknown.push(m.uid);
            }
          }
          if (unknown.length === 0) continue;
          const orphans: Array<{ uid: number; hash: string }> = [];
          const relocate: Array<{ path: string; uidValidity: string; uid: number; ref: string }> = [];
          const hashes: Array<{ uid: number; hash: string }> = [];
          for (const set of uidSets(unknown)) {
            for await (const m of client.fetch(set, { uid: true, source: true }, { uid: true })) {
              if (m.source)
                hashes.push({ uid: m.uid, hash: createHash('sha256').update(m.source).digest('hex') });
            }
          }
          for (const h of hashes) {
            const ref = await caseStore.refForContent(h.hash);
            if (ref && (await caseStore.existingCases([ref])).has(ref)) {
              relocate.push({ path, uidValidity, uid: h.uid, ref });
            } else {
              orphans.push(h);
            }
          }
          await caseStore.setLocated(relocate);
          result.relocated += relocate.length;
          if (orphans.length === 0) continue;
          for (const o of orphans) await caseStore.markRecovered(o.hash);
          for (const set of uidSets(orphans.map((o) => o.uid))) {
            await client.messageMove(set, mailbox.path, { uid: true });
          }
          result.returned += orphans.length;
          log.error(
            { event: 'intake.filed_without_case', mailbox: mailbox.id, folder: path, count: orphans.length },
            'filed mail whose case was lost put back in the inbox to be triaged again (no automatic reply)',
          );
        }
      } finally {
        lock.release();
      }
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return result;
}
