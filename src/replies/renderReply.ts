import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import type { CaseRecord } from '../cases/caseRecord.js';
import { CdapError } from '../infra/errors.js';
import { frenchTypography, frenchTypographyHtml } from './frenchTypography.js';
import { replyView } from './replyView.js';

export interface RenderedReply {
  subject: string;
  text: string;
  html: string;
}

export interface ReplyTemplates {
  render(c: CaseRecord): RenderedReply;
}

export class TemplateError extends CdapError {
  override name = 'TemplateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TEMPLATE_INVALID', message, options);
  }
}

/**
 * The reply's subject is ours alone: echoing the incoming subject would let
 * anyone who can reach the mailbox make the CAF mail their words (a link, an
 * advert) to a partner address. Threading rests on In-Reply-To and References.
 */
export function replySubject(c: Pick<CaseRecord, 'ref' | 'urgent' | 'reply'>): string {
  const what = c.urgent ? 'votre demande urgente' : 'votre demande';
  const feedback = c.reply === 'ack-with-feedback' ? ' et remarques sur sa forme' : '';
  return `Accusé de réception de ${what}${feedback} [${c.ref}]`;
}

/**
 * Loads the operator-editable templates (config/templates/reply.{text,html}.hbs).
 * HTML is rendered with Handlebars' escaping; nothing from the incoming mail
 * reaches a template anyway, only the case's own words. `dir` is the
 * configuration's replies.templatesDir, made absolute by loadConfig.
 */
export function loadReplyTemplates(dir: string, signature: string): ReplyTemplates {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch (cause) {
      throw new TemplateError(
        `reply template ${join(dir, name)} cannot be read: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  };
  const hb = Handlebars.create();
  let text: Handlebars.TemplateDelegate;
  let html: Handlebars.TemplateDelegate;
  try {
    text = hb.compile(read('reply.text.hbs'), { noEscape: true, strict: true });
    html = hb.compile(read('reply.html.hbs'), { strict: true });
  } catch (cause) {
    throw new TemplateError(`reply template in ${dir} is invalid: ${(cause as Error).message}`, { cause });
  }
  const templates: ReplyTemplates = {
    render(c) {
      const view = replyView(c, signature);
      return {
        subject: replySubject(c),
        text: frenchTypography(text(view).replace(/\n{3,}/g, '\n\n')),
        html: frenchTypographyHtml(html(view)),
      };
    },
  };
  // Handlebars compiles lazily and strict mode only fails on what a render
  // reaches: render every branch now, so a broken template stops the start-up
  // instead of the first reply.
  for (const sample of sampleCases()) {
    try {
      templates.render(sample);
    } catch (cause) {
      throw new TemplateError(`reply template in ${dir} is invalid: ${(cause as Error).message}`, { cause });
    }
  }
  return templates;
}

/** Cases that between them take every branch of the reply templates. */
function sampleCases(): CaseRecord[] {
  const base: CaseRecord = {
    ref: 'CDAP-2000-000001',
    mail: { mailboxId: 'sample', uidValidity: '1', uid: 1 },
    messageIdHash: null,
    contentHash: '',
    receivedAt: '2000-01-03T09:00:00.000Z',
    triagedAt: '2000-01-03T09:00:00.000Z',
    route: 'standard',
    routeReason: '',
    kind: 'cdap-form',
    unreadable: false,
    unreadableReason: null,
    urgent: false,
    urgencySource: null,
    urgencyCheck: null,
    urgencyReason: null,
    cdas: { id: 'sample', name: 'CDAS' },
    senderDomain: null,
    replyTo: null,
    prestations: ['RSA'],
    motif: 'non-paiement',
    multipleSituations: false,
    facts: [{ kind: 'non-payment', date: '1999-10-01', prestation: 'RSA', text: 'depuis le 1er octobre' }],
    dmarc: null,
    lint: [],
    lintErrors: 0,
    lintWarnings: 0,
    reply: 'ack',
    replySuppressed: null,
    subject: null,
    sla: { dueAt: '2000-01-13T09:00:00.000Z', warnAt: '2000-01-10T09:00:00.000Z' },
    status: 'nouveau',
    answeredAt: null,
    answeredBy: null,
    answerChannel: null,
    firstAnsweredAt: null,
    roundTrips: 1,
    roundStartedAt: '2000-01-03T09:00:00.000Z',
    assignee: null,
    takenAt: null,
    closedAt: null,
    closedBy: null,
    followUps: [],
    backfill: false,
    replyState: null,
  };
  const finding = { rule: 'rubric-missing', severity: 'error', message: '…' } as const;
  return [
    base,
    { ...base, cdas: null, prestations: [], lint: [{ ...finding, severity: 'info' }] },
    { ...base, urgent: true, urgencyCheck: 'substantiated', route: 'priority' },
    { ...base, reply: 'ack-with-feedback', multipleSituations: true, lint: [finding], lintErrors: 1 },
  ];
}
