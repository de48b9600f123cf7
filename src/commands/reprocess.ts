import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { analyzerSettings } from '../analysis/settings.js';
import { buildCase, type CaseRecord } from '../cases/caseRecord.js';
import type { FiledAt } from '../cases/caseStore.js';
import { familyKeysOf } from '../cases/familyKeys.js';
import { CdapError } from '../infra/errors.js';
import { redisKeys } from '../infra/redisKeys.js';
import { plural } from '../labels/formats.js';
import { routeLabels, ruleLabels } from '../labels/words.js';
import type { Logger } from '../log.js';
import { ensureFolders } from '../mailbox/folders.js';
import { createImapClient } from '../mailbox/imapClient.js';
import { MailboxLease } from '../mailbox/mailboxLease.js';
import { type LeasedRefile, refileUnderLease } from '../mailbox/refileCase.js';
import { RefileRequests } from '../mailbox/refileRequests.js';
import type { Service } from '../service.js';
import { enqueueWork, withdrawWork } from '../triage/enqueueWork.js';
import { folderFor } from '../triage/triageMail.js';

export class ReprocessError extends CdapError {
  override name = 'ReprocessError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('REPROCESS', message, options);
  }
}

/** Why the mail could not be moved, in French. */
function refileFailure(
  ref: string,
  at: FiledAt,
  mailboxId: string,
  waitMs: number,
  moved: LeasedRefile,
): string | null {
  if (moved.status === 'busy') {
    return `une autre instance de cdap-triage relève la boîte ${mailboxId} et n’a pas déplacé le message de ${ref} dans les ${Math.round(waitMs / 1000)} secondes : rien n’a été modifié, ni le dossier ni la boîte. Réessayez dans un moment.`;
  }
  if (moved.status === 'unconfirmed') {
    return `l’instance qui relève la boîte ${mailboxId} a pris en charge le déplacement du message de ${ref} sans en confirmer l’issue : le dossier n’a pas été modifié ; regardez où est le message, puis relancez.`;
  }
  const { outcome } = moved;
  if (outcome.ok) return null;
  switch (outcome.code) {
    case 'REFILE_NOT_FILED':
      return `on ne sait pas où est classé le message de ${ref} (pas encore classé, ou classé par un serveur sans UIDPLUS)`;
    case 'REFILE_FOLDER_RECREATED':
      return `le dossier ${at.path} a été recréé depuis le classement de ${ref} : son message n’y est plus retrouvable`;
    case 'REFILE_MAIL_GONE':
      return `le message de ${ref} n’est plus dans ${at.path} (déplacé ou supprimé à la main)`;
    default:
      return `le déplacement du message de ${ref} a échoué (${outcome.message}) : le dossier n’a pas été modifié`;
  }
}

export interface ReprocessOptions {
  /**
   * How long to wait for the intake that holds the mailbox's lease to move the mail; a
   * holder that died loses its lease within intake.leaseTtlMs, and the command takes it.
   */
  holderWaitMs?: number;
  log?: Logger;
}

/**
 * Runs the analysis of one case again on its mail, as filed in the mailbox
 * (after a rule fix, say): the case, its queue and its folder follow the new
 * result. No reply is sent: whatever was answered stays answered.
 *
 * The mail moves first, under the mailbox's lease (see refileUnderLease): when
 * that cannot be done, the case is left as it was too.
 */
export async function reprocessCase(
  service: Service,
  ref: string,
  options: ReprocessOptions = {},
): Promise<{ before: CaseRecord; after: CaseRecord }> {
  const { caseStore, config } = service;
  const before = await caseStore.get(ref);
  if (!before)
    throw new ReprocessError(
      `aucun dossier ${ref} : référence mal recopiée, ou dossier effacé après la durée de conservation`,
    );
  const at = await caseStore.filedAt(ref);
  if (!at) {
    throw new ReprocessError(
      `on ne sait pas où est classé le message de ${ref} (pas encore classé, ou classé par un serveur sans UIDPLUS)`,
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
          `le dossier ${at.path} a été recréé depuis le classement de ${ref} : son message n’y est plus retrouvable`,
        );
      }
      const msg = await client.fetchOne(String(at.uid), { source: true }, { uid: true });
      source = msg ? msg.source : undefined;
    } finally {
      lock.release();
    }
    if (!source)
      throw new ReprocessError(
        `le message de ${ref} n’est plus dans ${at.path} (déplacé ou supprimé à la main)`,
      );

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
      familyKeys: familyKeysOf(analysis.family, config.cases.familyKeySecret),
    });
    const after: CaseRecord = {
      ...draft,
      ref,
      // Its life so far stays: analysed again, it is the same request.
      status: before.status,
      answeredAt: before.answeredAt,
      answeredBy: before.answeredBy,
      answerChannel: before.answerChannel,
      firstAnsweredAt: before.firstAnsweredAt,
      roundTrips: before.roundTrips,
      roundStartedAt: before.roundStartedAt,
      assignee: before.assignee,
      takenAt: before.takenAt,
      closedAt: before.closedAt,
      closedBy: before.closedBy,
      followUps: before.followUps,
      replyState: before.replyState,
      // Never a second answer; and no late first one either.
      replySuppressed: before.replyState ? before.replySuppressed : (before.replySuppressed ?? 'reprocess'),
    };
    const mailboxId = before.mail.mailboxId;
    const prefix = config.redis.prefix;
    const waitMs = options.holderWaitMs ?? 2 * config.intake.leaseTtlMs;
    const owner = `reprocess:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const moved = await refileUnderLease(
      {
        config,
        caseStore,
        refiles: new RefileRequests(service.redis, prefix),
        log: options.log ?? (await import('../log.js')).createLogger({ level: 'silent' }),
        lease: new MailboxLease(
          service.redis,
          redisKeys(prefix).lease(mailboxId),
          owner,
          config.intake.leaseTtlMs,
        ),
        client,
        paths,
      },
      mailboxId,
      ref,
      folderFor(after),
      randomUUID(),
      waitMs,
    );
    const failure = refileFailure(ref, at, mailboxId, waitMs, moved);
    if (failure) throw new ReprocessError(failure);
    await caseStore.update(ref, () => ({ ...after, replyState: null }));
    await withdrawWork(service.queues, ref);
    await enqueueWork(service.queues, after, config.cases.retentionDays);
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

/** `cdap-triage reprocess`: exit code 0 done, 1 failed, 2 bad arguments. */
export async function reprocessCommand(ref: string | undefined, opts: { failed?: boolean }): Promise<number> {
  const { configOrExit } = await import('./cliConfig.js');
  const { frenchTypography } = await import('./french.js');
  const say = (text: string) => process.stderr.write(frenchTypography(text));
  if (!ref && !opts.failed) {
    say('cdap-triage : donnez une référence de dossier (CDAP-2026-000123) ou --failed.\n');
    return 2;
  }
  if (ref && !/^CDAP-\d{4}-\d{6}$/.test(ref)) {
    say(`cdap-triage : ${ref} n’est pas une référence de dossier : elles s’écrivent CDAP-2026-000123.\n`);
    return 2;
  }
  const loaded = configOrExit();
  const { createLogger } = await import('../log.js');
  const { quietLogLevel } = await import('../config/loadConfig.js');
  const { startService } = await import('../service.js');
  const log = createLogger({ level: quietLogLevel(loaded) });
  try {
    const { withLocalMailbox } = await import('../local/localMailbox.js');
    const { config } = await withLocalMailbox(loaded, log);
    const service = await startService(config, log, { intake: false, workers: false });
    try {
      if (opts.failed) {
        const n = await retryFailed(service);
        process.stdout.write(
          frenchTypography(
            `Relancées : ${plural(n.triage, 'tâche')} de tri, ${plural(n.notify, 'réponse')}.\n`,
          ),
        );
      }
      if (ref) {
        const { before, after } = await reprocessCase(service, ref, { log });
        const rules = (c: CaseRecord) => c.lint.map((f) => ruleLabels[f.rule]).join(', ');
        process.stdout.write(
          frenchTypography(
            `${ref} : file ${routeLabels[before.route]} → ${routeLabels[after.route]}, remarques [${rules(before)}] → [${rules(after)}]. Aucune réponse envoyée.\n`,
          ),
        );
      }
    } finally {
      await service.stop();
    }
    return 0;
  } catch (err) {
    say(`cdap-triage : ${(err as Error).message}\n`);
    return 1;
  }
}
