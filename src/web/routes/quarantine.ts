import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { decideReply } from '../../analysis/decideRoute.js';
import { analyzerSettings } from '../../analysis/settings.js';
import type { Analysis } from '../../analysis/types.js';
import { buildCase, type CaseRecord } from '../../cases/caseRecord.js';
import { familyKeysOf } from '../../cases/familyKeys.js';
import { confirmQuarantine, releaseQuarantined } from '../../cases/quarantineDecision.js';
import { redisKeys } from '../../infra/redisKeys.js';
import { frenchTypography } from '../../labels/formats.js';
import { ensureFolders } from '../../mailbox/folders.js';
import { MailboxLease } from '../../mailbox/mailboxLease.js';
import { readFiledMail } from '../../mailbox/readFiledMail.js';
import { refileUnderLease } from '../../mailbox/refileCase.js';
import { RefileRequests } from '../../mailbox/refileRequests.js';
import { folderFor } from '../../triage/triageMail.js';
import type { WebDeps } from '../webServer.js';
import { actorOf } from './caseMail.js';
import { withMailbox } from './liveMail.js';

/**
 * The analysis of a quarantined mail released by a supervisor: read again as
 * if its sender's domain were a partner's, and routed as a request (priority
 * when it carries URGENCE DEFINIE) whatever else held it back — a person
 * looked and vouched for it. An acknowledgement still goes only to a single
 * mailbox of the allowed domains (the replies stage checks it again).
 */
export function releasedAnalysis(a: Analysis, before: CaseRecord): Analysis {
  const route =
    a.route === 'priority' || a.route === 'standard' ? a.route : a.urgent ? 'priority' : 'standard';
  return {
    ...a,
    sender: { ...a.sender, allowed: true },
    route,
    routeReason: `libéré de la quarantaine (${before.routeReason})`,
    reply: decideReply(route, a.lint),
  };
}

type Released =
  | { status: 'released'; record: CaseRecord; filed: boolean }
  | { status: 'not-quarantined' }
  | { status: 'unreadable'; reason: string };

/**
 * Releases one quarantined case (see releaseQuarantined for why it is done
 * once): its mail read from the quarantine folder, analysed again, the case
 * committed with its intents, then the intents dispatched and the mail moved
 * under the mailbox's lease (by this process when the lease is free, else by
 * the intake that holds it).
 */
export async function releaseCase(deps: WebDeps, ref: string, actor: string): Promise<Released> {
  const { config, caseStore } = deps;
  const before = await caseStore.get(ref);
  if (before?.route !== 'quarantine') return { status: 'not-quarantined' };
  return withMailbox(config, async (client) => {
    const read = await readFiledMail(client, config, caseStore, before);
    if (!read.found) return { status: 'unreadable', reason: read.reason };
    const { createAnalyzer } = await import('../../analysis/analyzeMail.js');
    const settings = analyzerSettings(config);
    const domain = before.senderDomain;
    const analyze = createAnalyzer({
      ...settings,
      allowedDomains: domain ? [...settings.allowedDomains, domain] : settings.allowedDomains,
    });
    const analysis = releasedAnalysis(
      await analyze(read.source, { receivedAt: new Date(before.receivedAt) }),
      before,
    );
    const draft = buildCase({
      analysis,
      mail: before.mail,
      contentHash: before.contentHash,
      receivedAt: new Date(before.receivedAt),
      backfill: before.backfill,
      now: (deps.now ?? (() => new Date()))(),
      sla: config.cases,
      familyKeys: familyKeysOf(analysis.family, config.cases.familyKeySecret),
    });
    const released: CaseRecord = {
      ...draft,
      ref,
      followUps: before.followUps,
      replyState: before.replyState,
    };
    const outcome = await releaseQuarantined(deps.db, released, actor, {
      replies: config.replies.mode !== 'off',
      inReplyTo: analysis.messageId,
    });
    if (outcome.outcome !== 'released') return { status: 'not-quarantined' };
    // Right after the commit; a failure here is repaired by the outbox sweep.
    await deps.outbox
      ?.dispatchCreated(released, outcome.replyIntent, analysis.messageId)
      .catch((err: unknown) =>
        deps.log.warn({ event: 'web.release_dispatch_failed', ref, err }, 'left to the outbox sweep'),
      );
    const mailboxId = before.mail.mailboxId;
    const prefix = config.redis.prefix;
    const refiles = new RefileRequests(deps.redis, prefix);
    const paths = await ensureFolders(client, config.folders);
    const moved = await refileUnderLease(
      {
        config,
        caseStore,
        refiles,
        log: deps.log,
        lease: new MailboxLease(
          deps.redis,
          redisKeys(prefix).lease(mailboxId),
          `web:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
          config.intake.leaseTtlMs,
        ),
        client,
        paths,
      },
      mailboxId,
      ref,
      folderFor(released),
      randomUUID(),
      2 * config.intake.leaseTtlMs,
    ).catch(() => ({ status: 'busy' as const }));
    const filed = moved.status === 'done' && moved.outcome.ok;
    if (!filed) {
      // The intake moves it when it can: the request stays for the lease holder.
      await refiles.ask(mailboxId, ref, { folder: folderFor(released), flagged: false });
    }
    deps.log.info(
      { event: 'web.quarantine_released', ref, route: released.route, filed },
      'quarantine released',
    );
    return { status: 'released', record: released, filed };
  });
}

/** The supervisor's decisions on a quarantined case (contract 2: superviseur). */
export function registerQuarantineRoutes(app: FastifyInstance, deps: WebDeps): void {
  const back = (ref: string, avis: string) => `/cases/${encodeURIComponent(ref)}?avis=${avis}`;

  app.post('/cases/:ref/quarantaine/liberer', { config: { role: 'superviseur' } }, async (req, reply) => {
    const ref = (req.params as { ref: string }).ref;
    if (!(await deps.caseStore.get(ref)))
      return reply.code(404).type('text/plain; charset=utf-8').send('Dossier inconnu.');
    const done = await releaseCase(deps, ref, actorOf(req));
    if (done.status === 'unreadable') {
      return reply
        .code(409)
        .type('text/plain; charset=utf-8')
        .send(frenchTypography(`Le dossier n’a pas été libéré : ${done.reason}`));
    }
    return reply.redirect(back(ref, done.status === 'released' ? 'liberee' : 'deja-liberee'), 303);
  });

  app.post('/cases/:ref/quarantaine/confirmer', { config: { role: 'superviseur' } }, async (req, reply) => {
    const ref = (req.params as { ref: string }).ref;
    if (!(await deps.caseStore.get(ref)))
      return reply.code(404).type('text/plain; charset=utf-8').send('Dossier inconnu.');
    const confirmed = await confirmQuarantine(deps.db, ref, actorOf(req));
    return reply.redirect(back(ref, confirmed ? 'confirmee' : 'deja-liberee'), 303);
  });
}
