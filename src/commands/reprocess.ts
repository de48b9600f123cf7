import { analyzerSettings } from '../analysis/settings.js';
import { ensureFolders } from '../mailbox/folders.js';
import { createImapClient } from '../mailbox/imapClient.js';
import { moveFiledMail } from '../mailbox/refileCase.js';
import { buildCase, type CaseRecord } from '../routing/caseRecord.js';
import { folderFor, workItem } from '../routing/triageMail.js';
import type { Service } from '../service.js';

export class ReprocessError extends Error {
  override name = 'ReprocessError';
}

/**
 * Runs the analysis of one case again on its mail, as filed in the mailbox
 * (after a rule fix, say): the case, its queue and its folder follow the new
 * result. No reply is sent: whatever was answered stays answered.
 */
export async function reprocessCase(
  service: Service,
  ref: string,
): Promise<{ before: CaseRecord; after: CaseRecord }> {
  const { caseStore, config } = service;
  const before = await caseStore.get(ref);
  if (!before) throw new ReprocessError(`no case ${ref} (expired after retention, or a typo?)`);
  const at = await caseStore.filedAt(ref);
  if (!at) {
    throw new ReprocessError(
      `the mail of ${ref} has no known place in the mailbox (not filed yet, or filed by a server without UIDPLUS)`,
    );
  }
  const client = createImapClient(config.imap, config.intake.socketTimeoutMs);
  client.on('error', () => {});
  await client.connect();
  try {
    const paths = await ensureFolders(client, config.folders);
    const lock = await client.getMailboxLock(at.path);
    let source: Buffer | undefined;
    try {
      const box = client.mailbox;
      if (!box || String(box.uidValidity) !== at.uidValidity) {
        throw new ReprocessError(
          `the folder ${at.path} was recreated since ${ref} was filed: its mail cannot be found by UID`,
        );
      }
      const msg = await client.fetchOne(String(at.uid), { source: true }, { uid: true });
      source = msg ? msg.source : undefined;
    } finally {
      lock.release();
    }
    if (!source)
      throw new ReprocessError(`the mail of ${ref} is no longer in ${at.path} (moved or deleted by hand)`);

    const { createAnalyzer } = await import('../analysis/analyzeMail.js');
    const analysis = await createAnalyzer(analyzerSettings(config))(source, {
      receivedAt: new Date(before.receivedAt),
    });
    const draft = buildCase({
      analysis,
      mail: before.mail,
      contentHash: before.contentHash,
      receivedAt: new Date(before.receivedAt),
      backfill: before.backfill,
      now: new Date(),
      sla: config.cases,
    });
    const after: CaseRecord = {
      ...draft,
      ref,
      status: before.status === 'handled' ? 'handled' : draft.status,
      handledAt: before.handledAt,
      followUps: before.followUps,
      replyState: before.replyState,
      // Never a second answer; and no late first one either.
      replySuppressed: before.replyState ? before.replySuppressed : (before.replySuppressed ?? 'reprocess'),
    };
    await caseStore.update(ref, () => ({ ...after, replyState: null }));
    await caseStore.reindex(after);
    for (const q of [service.queues.priority, service.queues.standard]) await q.remove(ref).catch(() => 0);
    if (after.status === 'open' && (after.route === 'priority' || after.route === 'standard')) {
      await service.queues[after.route].add('case', workItem(after), { jobId: ref });
    }
    await moveFiledMail(client, caseStore, paths, ref, folderFor(after), []);
    return { before, after };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Failed triage and reply jobs, run again (after a fix or an outage). */
export async function retryFailed(service: Service): Promise<{ triage: number; notify: number }> {
  const counts = { triage: 0, notify: 0 };
  for (const name of ['triage', 'notify'] as const) {
    const failed = await service.queues[name].getFailed(0, 10_000);
    for (const job of failed) {
      // A person asked for it: a reply recorded as failed may be tried again.
      if (name === 'notify') await service.caseStore.clearFailedReply(String(job.id));
      await job.retry();
      counts[name]++;
    }
  }
  return counts;
}
