import type { CdasEntry } from '../config/schema.js';
import { checkUrgency } from './checkUrgency.js';
import { classifyKind } from './classifyKind.js';
import { decideReply, decideRoute, isAutomatic } from './decideRoute.js';
import { detectSituations, isMultiple } from './detectSituations.js';
import { detectUrgency } from './detectUrgency.js';
import { foldText } from './foldText.js';
import { buildCdasDirectory, identifySender } from './identifySender.js';
import { normalizePrestations, prestationsInText } from './normalizePrestations.js';
import { type ParsedMail, type ParseLimits, parseMail } from './parseMail.js';
import { ownText, quoteStart } from './quotedText.js';
import { trustedDmarc } from './readAuthenticationResults.js';
import { readFacts } from './readFacts.js';
import { readFamilyIds } from './readFamilyIds.js';
import { readFormFields } from './readFormFields.js';
import { readRubrics } from './readRubrics.js';
import { lintMail } from './rules/index.js';
import { DECREASE, NON_PAYMENT } from './textPatterns.js';
import type { Analysis } from './types.js';
import { unreadable } from './unreadable.js';

export interface AnalyzerSettings {
  relaySenders: readonly string[];
  allowedDomains: readonly string[];
  cdas: readonly CdasEntry[];
  limits: ParseLimits;
  urgentUnpaidMonths: number;
  /** authserv-id of our own MTA: its topmost Authentication-Results header is trusted for DMARC. Null: not read. */
  trustedAuthservId: string | null;
}

export interface AnalyzeOptions {
  /** When the mailbox received the mail (IMAP INTERNALDATE); used when the Date header is missing. */
  receivedAt?: Date;
  /** The caller will not use the buffer again: an isolated analyzer may move it to its thread instead of copying. */
  consume?: boolean;
}

export type Analyzer = (raw: Buffer | string, options?: AnalyzeOptions) => Promise<Analysis>;

const combiningMark = /[\u0300-\u036f]/;
/** NFC only when a combining mark is there: most mail is already composed, and normalising costs. */
function composed(text: string): string {
  return combiningMark.test(text) ? text.normalize('NFC') : text;
}

// Bounded: an unclosed "(ex" must not scan the rest of the mail from each of its copies.
const templateExample = /\((?:ex|exemple|par exemple)\b[^)]{0,300}\)/g;

/**
 * Builds the analyzer once per configuration. The analyzer is pure: raw mail
 * in, Analysis out, no I/O; it never throws — a mail it cannot read comes out
 * flagged `unreadable` and routed `standard`, so a technician still sees it.
 */
export function createAnalyzer(settings: AnalyzerSettings): Analyzer {
  const relays = new Set(settings.relaySenders.map((a) => a.toLowerCase()));
  const directory = buildCdasDirectory(settings.cdas);

  function understand(mail: ParsedMail, options: AnalyzeOptions): Analysis {
    // Composed accents (NFC): a decomposed "é" (e + U+0301) must fold like a typed one.
    const text = composed(mail.text.replace(/\r\n?/g, '\n'));
    const folded = foldText(text);
    const subject = composed(mail.subject ?? '');
    const foldedSubject = foldText(subject);
    const end = quoteStart(folded);
    const own = ownText(folded);

    const form = readFormFields(text.slice(0, end), own);
    const fromRelay = relays.has(mail.from?.address ?? '');
    const foldedOrganisme = form.fields.organisme ? foldText(form.fields.organisme) : null;

    const { rubrics, counts } = readRubrics(text, own, own.length);
    const foldedRubric = (value: string | null) => (value === null ? null : foldText(value));
    const foldedRubrics = {
      motif: foldedRubric(rubrics.motif.value),
      prestations: foldedRubric(rubrics.prestations.value),
      commentaire: foldedRubric(rubrics.commentaire.value),
      specificites: foldedRubric(rubrics.specificites.value),
    };
    const rubricPrestations = foldedRubrics.prestations
      ? normalizePrestations(foldedRubrics.prestations)
      : [];
    const prestations =
      rubricPrestations.length > 0
        ? rubricPrestations
        : prestationsInText(`${subject}\n${text.slice(0, end)}`, own);

    // The form's template examples ("(ex : allophone, sans domicile fixe...)") are not what the worker wrote.
    const ownAll = `${foldedSubject}\n${own}`.replace(templateExample, (m) => ' '.repeat(m.length));
    const source = detectUrgency({ organisme: foldedOrganisme, subject: foldedSubject, ownBody: own });
    const flagged = source !== null;
    const mailDate = mail.date ?? options.receivedAt ?? null;
    const motifIsCut =
      foldedRubrics.motif !== null &&
      (NON_PAYMENT.test(foldedRubrics.motif) || DECREASE.test(foldedRubrics.motif));
    const facts = readFacts({
      folded: ownAll,
      original: `${subject}\n${text.slice(0, own.length)}`,
      mailDate,
      rubricPrestations,
      aboutCut: motifIsCut,
    });
    // A request's content (headings, keyword, a benefit unpaid) keeps a mail from being taken for a robot on its subject.
    const hasRequest =
      counts.motif + counts.prestations + counts.commentaire >= 2 ||
      flagged ||
      facts.some((f) => f.prestation !== undefined && (f.kind === 'non-payment' || f.kind === 'decrease'));
    const kind = classifyKind({
      mail,
      foldedSubject,
      hasFormFields: form.labelCount >= 2,
      fromRelay,
      hasRequest,
      foldedBody: folded,
    });
    // A robot echoing the keyword (an out-of-office quoting the request) is not an urgency to treat.
    const urgent = flagged && !isAutomatic(kind);
    const { sender, replyTo } = identifySender({
      mail,
      fields: form.fields,
      foldedOrganisme,
      isFormFromRelay: kind === 'cdap-form' && fromRelay,
      allowedDomains: settings.allowedDomains,
      directory,
    });
    let urgency: Analysis['urgency'] = { source: null, check: null, reason: null };
    if (urgent) {
      const check = checkUrgency({
        facts,
        rubricPrestations,
        motifIsCut,
        mailDate,
        urgentUnpaidMonths: settings.urgentUnpaidMonths,
      });
      urgency = {
        source,
        check: check.substantiated ? 'substantiated' : 'unsubstantiated',
        reason: check.reason,
      };
    }

    const situations = detectSituations(own, form.fields.numeroAllocataire, counts);
    const multipleSituations = isMultiple(situations);
    // Robots get no lint: nobody will read feedback sent to them.
    const lint = isAutomatic(kind)
      ? []
      : lintMail({
          own: ownAll,
          rubrics,
          folded: foldedRubrics,
          rubricPrestations,
          urgencySource: source,
          urgency,
          facts,
          situations,
          multipleSituations,
          attachments: mail.attachments,
          urgentUnpaidMonths: settings.urgentUnpaidMonths,
        });
    const authentication = settings.trustedAuthservId
      ? {
          dmarc: trustedDmarc(mail.headerLines, settings.trustedAuthservId),
          source: 'authentication-results' as const,
        }
      : { dmarc: null, source: null };
    // A partner domain that fails DMARC may be forged: a person looks at it, no answer goes out.
    const { route, reason: routeReason } = decideRoute(kind, sender, authentication.dmarc, urgent);
    return {
      messageId: mail.messageId,
      subject: mail.subject,
      date: mailDate ? mailDate.toISOString() : null,
      kind,
      unreadable: false,
      unreadableReason: null,
      sender,
      replyTo,
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      fields: form.fields,
      family: readFamilyIds(`${foldedSubject}\n${own}`, form.fields.numeroAllocataire),
      rubrics,
      prestations,
      urgent,
      urgency,
      facts,
      multipleSituations,
      attachments: mail.attachments,
      authentication,
      lint,
      route,
      routeReason,
      reply: decideReply(route, lint),
    };
  }

  return async function analyzeMail(input, options = {}) {
    const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    let mail: ParsedMail;
    try {
      mail = await parseMail(raw, settings.limits);
    } catch (err) {
      return unreadable((err as Error).message, raw);
    }
    try {
      return understand(mail, options);
    } catch (err) {
      return unreadable(`analysis failed: ${(err as Error).message}`, raw);
    }
  };
}
