import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ParsedMail, simpleParser } from 'mailparser';
import { domainAllowed } from '../../analysis/identifySender.js';
import { checkAnswerPractices } from '../../answers/checkAnswerPractices.js';
import { type CaseRecord, hashMessageId } from '../../cases/caseRecord.js';
import type { AnswerAdvice } from '../../cases/caseStore.js';
import { type FamilyCase, familyHistory } from '../../cases/familyKeys.js';
import { audit } from '../../cases/quarantineDecision.js';
import { describeImapFailure } from '../../infra/errors.js';
import { formatNumber, frenchTypography, plural } from '../../labels/formats.js';
import { readFiledMail } from '../../mailbox/readFiledMail.js';
import { composeReply, formatMailbox } from '../../replies/composeReply.js';
import { isOneMailbox } from '../../replies/sendReply.js';
import { createSmtpTransport, type MailTransport } from '../../replies/smtpTransport.js';
import { syncWork } from '../../triage/enqueueWork.js';
import { composerPage } from '../views/familyViews.js';
import type { WebDeps } from '../webServer.js';
import { sentFolderOf, withMailbox } from './liveMail.js';

/** What the case page's family and mail sections show (see views/familyViews.ts). */
export interface FamilyPanels {
  family: Record<string, unknown>;
}

/** The role the request's account holds (the least one when unknown). */
export function roleOf(req: FastifyRequest): string {
  return req.auth?.role ?? 'comite';
}

export function mayDecideQuarantine(req: FastifyRequest): boolean {
  const role = roleOf(req);
  return role === 'superviseur' || role === 'administrateur';
}

export const actorOf = (req: FastifyRequest): string => req.auth?.user ?? 'tableau de bord';

const csrfOf = (req: FastifyRequest): string | null =>
  req.auth?.via === 'session' ? (req.auth as { session: { csrfToken: string } }).session.csrfToken : null;

/** "5 h", "2,5 jours": the time a case waited for its first answer. */
export function answerTime(hours: number | null): string {
  if (hours === null) return 'pas encore de réponse';
  if (hours < 24) return `${formatNumber(Math.max(0, hours), 0)}\u00a0h`;
  return plural(Math.round((hours / 24) * 10) / 10, 'jour');
}

function sizeOf(bytes: number): string {
  if (bytes < 1024) return plural(bytes, 'octet');
  if (bytes < 1_048_576) return `${formatNumber(bytes / 1024, 0)}\u00a0ko`;
  return `${formatNumber(bytes / 1_048_576, 1)}\u00a0Mo`;
}

/** The longest text shown of a mail: a forwarded thread of several pages still fits. */
const MAX_SHOWN = 200_000;

/** Why the mail could not be read, when the mailbox itself failed. */
function unreachable(err: unknown): { found: false; reason: string } {
  return {
    found: false,
    reason: `La boîte aux lettres ne répond pas (${describeImapFailure(err).message})\u00a0: le message ne peut pas être lu pour l’instant.`,
  };
}

/** The request's own mail, read now from the mailbox and parsed; nothing is kept. */
export async function readCaseMail(
  deps: WebDeps,
  record: CaseRecord,
): Promise<{ found: true; parsed: ParsedMail; path: string } | { found: false; reason: string }> {
  try {
    const read = await withMailbox(deps.config, (client) =>
      readFiledMail(client, deps.config, deps.caseStore, record),
    );
    if (!read.found) return read;
    const parsed = await simpleParser(read.source, { skipImageLinks: true });
    return { found: true, parsed, path: read.path };
  } catch (err) {
    return unreachable(err);
  }
}

/** "RE: <subject> [<ref>]", one "RE:" only. */
function answerSubject(subject: string | null, ref: string): string {
  const bare = (subject ?? '')
    .replace(/[\r\n]+/g, ' ')
    .replace(/^\s*((re|tr|fwd?)\s*:\s*)+/i, '')
    .replace(new RegExp(`\\s*\\[${ref}\\]`, 'g'), '')
    .trim();
  return `RE: ${bare || 'votre demande'} [${ref}]`;
}

const notices: Record<string, string> = {
  envoyee:
    'Réponse envoyée au CDAS, rangée dans les messages envoyés et comptée comme la réponse du dossier.',
  'envoyee-sans-copie':
    'Réponse envoyée au CDAS et comptée comme la réponse du dossier, mais sa copie n’a pas pu être rangée dans les messages envoyés.',
  liberee: 'Dossier libéré de la quarantaine : trié comme une demande, classé et acquitté une fois.',
  'deja-liberee': 'Ce dossier n’est plus en quarantaine : il avait déjà été libéré. Rien n’a été refait.',
  confirmee: 'Quarantaine confirmée : le dossier reste en quarantaine, la décision est tracée.',
};

const decisionTexts: Record<string, string> = {
  'libération de quarantaine': 'Libéré comme demande',
  'quarantaine confirmée': 'Quarantaine confirmée',
};

/**
 * The data of the case page's family and mail sections, for its handler's
 * one spread: the family's history, the mail read live (each reading in the
 * audit trail), the composer, the quarantine decision for supervisors.
 */
export async function familyPanels(
  deps: WebDeps,
  req: FastifyRequest,
  record: CaseRecord,
): Promise<FamilyPanels> {
  const ref = record.ref;
  const enabled = deps.config.cases.familyKeySecret !== '';
  const [history, mail, decisions] = await Promise.all([
    enabled ? familyHistory(deps.db, ref) : Promise.resolve([] as FamilyCase[]),
    readCaseMail(deps, record),
    deps.caseStore.auditOf(ref),
  ]);
  // Who read a family's mail is kept; a page whose mail could not be read showed nothing to keep.
  if (mail.found) await audit(deps.db, actorOf(req), 'lecture du message', ref, {});
  const open = record.route === 'priority' || record.route === 'standard';
  const notice = notices[String((req.query as { avis?: string }).avis ?? '')] ?? null;
  return {
    family: {
      ref,
      csrf: csrfOf(req),
      notice: notice ? frenchTypography(notice) : null,
      history: {
        enabled,
        rows: history.map((h) => ({ ...h, answerTime: answerTime(h.answerHours) })),
      },
      mail: mail.found
        ? {
            found: true,
            path: mail.path,
            text: (mail.parsed.text ?? '').slice(0, MAX_SHOWN),
            attachments: mail.parsed.attachments.map((a) => ({
              name: a.filename ?? '(sans nom)',
              size: sizeOf(a.size),
            })),
          }
        : { found: false, reason: frenchTypography(mail.reason) },
      composer:
        open && record.replyTo
          ? {
              to: record.replyTo,
              subject: answerSubject(mail.found ? (mail.parsed.subject ?? null) : record.subject, ref),
              body: '',
              draft: randomUUID(),
              domains: deps.config.allowedDomains.join(', '),
            }
          : null,
      quarantine:
        record.route === 'quarantine' && mayDecideQuarantine(req)
          ? {
              reason: `En quarantaine\u00a0: ${record.routeReason}.`,
              decisions: decisions
                .filter((e) => decisionTexts[e.action])
                .map((e) => ({ at: e.at, actor: e.actor, text: decisionTexts[e.action] })),
            }
          : null,
    },
  };
}

/** The plain text as a minimal HTML version (the reply format has both). */
function textToHtml(text: string): string {
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  const paragraphs = escaped.split(/\n{2,}/).map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`);
  return `<!DOCTYPE html><html lang="fr"><body>${paragraphs.join('\n')}</body></html>`;
}

/** The bare address of a From value such as `CAF <partenaires@caf35.fr>`. */
function envelopeFrom(from: string): string {
  return /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(from)?.[1] ?? from.trim();
}

interface Draft {
  to: string;
  subject: string;
  body: string;
  draft: string;
}

function draftOf(body: unknown): Draft & { action: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const draft = text(b.draft);
  return {
    to: text(b.to).trim().toLowerCase(),
    // One line: a header never carries a line break typed into the form.
    subject: text(b.subject)
      .replace(/[\r\n]+/g, ' ')
      .trim()
      .slice(0, 300),
    body: text(b.body).replace(/\r\n?/g, '\n'),
    draft: /^[0-9a-f-]{36}$/.test(draft) ? draft : randomUUID(),
    action: text(b.action),
  };
}

export type SendOutcome = { sent: true; appended: boolean } | { sent: false; error: string; status: number };

/**
 * The composer (issue 15): « Vérifier » checks the draft against the
 * answering practices; « Envoyer » sends it from the partner address to the
 * CDAS (an address of the allowed domains only), threaded on the request,
 * keeps a copy in the sent folder and records it as the case's answer, under
 * the key the answer watcher gives the same mail: seen again there, it
 * counts once. The same draft sent twice goes out once.
 */
export function registerCaseMailRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { config, caseStore } = deps;
  const now = deps.now ?? (() => new Date());
  let transport: MailTransport | null = null;
  const sending = new Set<string>();
  app.addHook('onClose', async () => {
    transport?.close();
  });

  const page = (
    req: FastifyRequest,
    reply: FastifyReply,
    ref: string,
    d: Draft,
    extra: Record<string, unknown>,
  ) =>
    reply.type('text/html; charset=utf-8').send(
      composerPage({
        title: `Réponse — ${ref}`,
        user: req.auth?.user,
        role: req.auth?.role,
        csrf: csrfOf(req),
        ref,
        composer: { ...d, domains: config.allowedDomains.join(', ') },
        ...extra,
        error: typeof extra.error === 'string' ? frenchTypography(extra.error) : null,
      }),
    );

  async function send(
    record: CaseRecord,
    d: Draft,
    actor: string,
    advice: AnswerAdvice[],
  ): Promise<SendOutcome> {
    if (!config.smtp.host) {
      return {
        sent: false,
        status: 503,
        error: 'Aucun serveur SMTP n’est configuré (SMTP_HOST) : la réponse ne peut pas partir.',
      };
    }
    const from = config.replies.from;
    const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'cdap-triage.invalid';
    const messageId = `<${d.draft}.reponse@${domain}>`;
    const sourceKey = hashMessageId(messageId);
    // Pressed twice (or the page sent again): the same draft goes out once.
    if (sending.has(d.draft) || (await answeredWith(record.ref, sourceKey)))
      return { sent: true, appended: true };
    sending.add(d.draft);
    try {
      const mail = await readCaseMail(deps, record);
      const requestId = mail.found ? (mail.parsed.messageId ?? null) : null;
      const earlier = mail.found ? [mail.parsed.references ?? []].flat() : [];
      const at = now();
      const raw = composeReply(
        {
          from,
          to: d.to,
          subject: d.subject,
          text: d.body,
          html: textToHtml(d.body),
          messageId,
          inReplyTo: requestId ?? undefined,
          references: requestId ? [...earlier.filter((id) => id !== requestId), requestId] : undefined,
          headers: {},
        },
        formatMailbox(from),
        at,
      );
      transport ??= createSmtpTransport(config.smtp);
      try {
        await transport.sendMail({ envelope: { from: envelopeFrom(from), to: [d.to] }, raw });
      } catch (err) {
        deps.log.warn({ event: 'web.answer_send_failed', ref: record.ref, err }, 'answer not sent');
        return {
          sent: false,
          status: 502,
          error: `Le serveur SMTP a refusé la réponse (${(err as Error).message}) : elle n’est pas partie, votre texte est conservé ci-dessous.`,
        };
      }
      let appended = false;
      try {
        appended = await withMailbox(config, async (client) => {
          const path = await sentFolderOf(client, config.answers.sentFolders);
          if (!path) return false;
          await client.append(path, raw, ['\\Seen'], at);
          return true;
        });
      } catch (err) {
        deps.log.warn(
          { event: 'web.answer_copy_failed', ref: record.ref, err },
          'answer sent, copy not kept',
        );
      }
      const settled = await caseStore.recordAnswer(record.ref, {
        at,
        channel: 'dashboard',
        by: actor,
        actor,
        // The key the answer watcher gives this mail when it reads it in the sent folder.
        sourceKey,
        messageIdHash: sourceKey,
        findings: advice,
      });
      if (settled?.recorded) {
        deps.metrics.answered('dashboard', settled, advice);
        const { priority, standard } = deps.queues;
        if (priority && standard) await syncWork({ priority, standard }, settled, config.cases.retentionDays);
      }
      await audit(deps.db, actor, 'réponse envoyée', record.ref, {
        messageIdHash: sourceKey,
        copy: appended,
      });
      deps.log.info(
        { event: 'web.answer_sent', ref: record.ref, copy: appended },
        'answer sent from the dashboard',
      );
      return { sent: true, appended };
    } finally {
      sending.delete(d.draft);
    }
  }

  async function answeredWith(ref: string, sourceKey: string): Promise<boolean> {
    const { sql } = await import('kysely');
    const r = await sql`SELECT 1 FROM answers WHERE ref = ${ref} AND source_key = ${sourceKey}`.execute(
      deps.db,
    );
    return r.rows.length > 0;
  }

  app.post('/cases/:ref/reponse', { config: { role: 'technicien' } }, async (req, reply) => {
    const ref = (req.params as { ref: string }).ref;
    const record = await caseStore.get(ref);
    if (!record) return reply.code(404).type('text/plain; charset=utf-8').send('Dossier inconnu.');
    const d = draftOf(req.body);
    if (!(record.route === 'priority' || record.route === 'standard') || !record.replyTo) {
      return page(req, reply.code(409), ref, d, {
        error: 'Ce dossier n’est pas une demande d’un partenaire : il n’y a personne à qui répondre.',
      });
    }
    if (!isOneMailbox(d.to) || !domainAllowed(d.to, config.allowedDomains)) {
      return page(req, reply.code(400), ref, d, {
        error: `L’adresse « ${d.to} » n’est pas une adresse d’un domaine partenaire (${config.allowedDomains.join(', ')}) : la réponse ne part qu’aux CDAS.`,
      });
    }
    if (!d.body.trim() || !d.subject) {
      return page(req, reply.code(400), ref, d, { error: 'L’objet et le message sont à remplir.' });
    }
    const advice = checkAnswerPractices(d.body, record);
    if (d.action !== 'envoyer') return page(req, reply, ref, d, { checked: true, advice });
    const sent = await send(record, d, actorOf(req), advice);
    if (!sent.sent)
      return page(req, reply.code(sent.status), ref, d, { error: sent.error, checked: true, advice });
    const avis = sent.appended ? 'envoyee' : 'envoyee-sans-copie';
    return reply.redirect(`/cases/${encodeURIComponent(ref)}?avis=${avis}`, 303);
  });
}
