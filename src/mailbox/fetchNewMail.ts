import type { ImapFlow } from 'imapflow';
import type { CaseStore } from '../cases/caseStore.js';
import { jobId } from '../infra/queues.js';
import { fetchMetas, fetchMetasOf, type HandOffDeps, handOffToTriage } from './handOffToTriage.js';

export interface FetchNewMailDeps extends HandOffDeps {
  caseStore: CaseStore;
}

/** Mails of the inbox checked at once by a rescan. */
const RESCAN_SLICE = 200;

/** Set by the reconciliation timer and on connect: look for mail left behind in the inbox. */
export interface RescanFlag {
  due: boolean;
}

/**
 * The reading half of a cycle, in the inbox the caller selected and locked: follows
 * UIDVALIDITY, rescans what was left behind when asked, and hands new mail to triage.
 * Returns the inbox's UIDVALIDITY, or null when no mailbox is open.
 */
export async function fetchNewMail(
  deps: FetchNewMailDeps,
  client: ImapFlow,
  rescan: RescanFlag,
): Promise<string | null> {
  const { mailbox, state, log } = deps;
  const info = client.mailbox;
  if (!info) return null;
  const uidValidity = String(info.uidValidity);
  const known = await state.get(mailbox.id);
  if (known && known.uidValidity !== uidValidity) {
    // The mailbox was recreated: look at every mail again; triage recognises
    // the ones it already has by their content and opens no new case.
    log.warn(
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
  if (info.exists > 0 && rescan.due && from > 1) await rescanLeftBehind(deps, client, uidValidity, from);
  rescan.due = false;
  if (info.exists > 0) {
    // "N:*" also returns the last message when N is above every UID: filter.
    const metas = await fetchMetas(client, `${from}:*`, from);
    if (metas.length) await handOffToTriage(deps, client, uidValidity, metas, true);
  } else if (!known || known.uidValidity !== uidValidity) {
    await state.set(mailbox.id, { uidValidity, lastUid: 0 });
  }
  return uidValidity;
}

/**
 * Mail below the intake position is still in the inbox only while it is
 * being triaged. Anything else there was left behind — its triage job failed
 * or was lost with Redis data (a restart from the append-only file), or its
 * filing was — and is handed over again; triage recognises what it already
 * knows, so nothing is done twice.
 */
async function rescanLeftBehind(
  deps: FetchNewMailDeps,
  client: ImapFlow,
  uidValidity: string,
  from: number,
): Promise<void> {
  const { mailbox, caseStore, triageQueue } = deps;
  const behind: number[] = [];
  for await (const m of client.fetch(`1:${from - 1}`, { uid: true }, { uid: true })) {
    if (m.uid < from) behind.push(m.uid);
  }
  /** True when this mail was left behind: no job in flight, and no case about to file it. */
  const leftBehind = async (uid: number, filingPending: boolean): Promise<boolean> => {
    const job = await triageQueue.getJob(jobId('mail', mailbox.id, uidValidity, uid));
    if (job) {
      if (!(await job.isFailed())) return false; // in flight
      // Failed for good (its raw mail lost with Redis data, say): start it afresh.
      await job.remove();
    }
    return !filingPending; // else about to be filed
  };
  // During a backlog thousands of mails wait in the inbox: checked one after the other, that
  // held the inbox (and all filing) for seconds. A slice at a time: one query for the cases
  // of the slice, and its Redis round trips share their writes.
  const again: number[] = [];
  for (let i = 0; i < behind.length; i += RESCAN_SLICE) {
    const slice = behind.slice(i, i + RESCAN_SLICE);
    const known = await caseStore.mailStates(mailbox.id, uidValidity, slice);
    const verdicts = await Promise.all(
      slice.map((uid) => leftBehind(uid, known.get(uid)?.filingPending ?? false)),
    );
    again.push(...slice.filter((_, j) => verdicts[j]));
  }
  if (again.length === 0) return;
  deps.log.warn(
    { event: 'intake.rescan_found', mailbox: mailbox.id, count: again.length },
    'mail left in the inbox handed over again',
  );
  await handOffToTriage(deps, client, uidValidity, await fetchMetasOf(client, again), false);
}
