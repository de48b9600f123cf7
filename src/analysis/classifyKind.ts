import type { ParsedMail } from './parseMail.js';
import type { MailKind } from './types.js';

/** The header our own replies carry; mail that has it is ours coming back. */
export const LOOP_HEADER = 'x-cdap-triage-loop';

/** Whether a raw mail's header section carries LOOP_HEADER, read without parsing (for metrics). */
export function carriesLoopHeader(raw: Buffer): boolean {
  const head = raw.subarray(0, 65536).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  return /^x-cdap-triage-loop[ \t]*:/im.test(end < 0 ? head : head.slice(0, end));
}

// "MAILER-DAEMON" may come without a domain; "post_master" is how some carriers spell it.
const daemonSender =
  /^(?:mailer-daemon|mail-daemon|mailerdaemon|postmaster|post_master|mail\.delivery\.system|mail-delivery-subsystem)(?:@|$)/;
/** Senders that say they read no answer: no-reply, list managers' -admin/-owner/-request/-bounces addresses. */
const robotSender =
  /^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|ne[-_.]?pas[-_.]?repondre|nepasrepondre|bounces?|auto[-_.]?reply|autoresponder)(?:[-_.+][^@]*)?@|[-_.+](?:admin|owner|request|bounces?)@/;
const bounceSubject =
  /^(?:undeliver|undelivered mail|delivery status notification|delivery failure|mail delivery fail|returned mail|non remis|non distribu|echec de (?:la )?(?:remise|distribution)|message non delivre)/;
const forwardPrefix = /^(?:(?:fwd?|tr|trans|transf|fw)\s*:\s*)+/;
/** What a bounce's transcript says, when a person forwards one. */
const bounceTranscript =
  /transcript of session|permanent fatal errors|diagnostic-code|final-recipient|delivery has failed|user unknown|\b5\.\d\.\d{1,3}\b|n'a pas pu etre remis|adresse (?:e-?mail )?introuvable/;
const complaintSubject = /^complaint about message from\b/;
const autoReplySubject =
  /^(?:reponse automatique|automatic reply|auto(?:matic)?[- ]?reply|auto:|autoreply|out of (?:the )?office|absence du bureau|absent(?:e)? du bureau|message d'absence|je suis absente?|en conge|absence :)/;
/** Headers of mailing-list managers (RFC 2369, fml, Sympa, Mailman). */
const listHeaders = [
  'list-id',
  'list-unsubscribe',
  'list-subscribe',
  'list-post',
  'list-help',
  'x-mlserver',
  'x-ml-name',
  'x-mailing-list',
];
/** Vendor auto-responder headers. X-Auto-Response-Suppress is not one: Outlook puts it on any mail. */
const autoReplyHeaders = [
  'x-autoreply',
  'x-autorespond',
  'x-autoresponse',
  'x-auto-response',
  'x-autoreply-from',
  'x-mail-autoreply',
];
/** Report parts that only robots send (RFC 3464 DSN, RFC 5965 ARF, RFC 8098 MDN). */
const reportParts = new Set([
  'message/delivery-status',
  'message/feedback-report',
  'message/global-delivery-status',
]);

function header(mail: ParsedMail, name: string): string | null {
  const value = mail.headers.get(name);
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.trim().toLowerCase();
  if (typeof value === 'object' && 'value' in value)
    return String((value as { value: unknown }).value).toLowerCase();
  return String(value).toLowerCase();
}

/** `From: <>` or an empty From: only a robot sends that. */
function emptyFrom(mail: ParsedMail): boolean {
  const line = mail.headerLines.find((h) => h.key === 'from')?.line;
  return line !== undefined && /^from:\s*(?:"?\s*"?\s*)?(?:<\s*>)?\s*$/i.test(line);
}

export interface KindInput {
  mail: ParsedMail;
  foldedSubject: string;
  /** The CDAP form's fields were found in the body. */
  hasFormFields: boolean;
  /** The From address is a configured CDAP relay. */
  fromRelay: boolean;
  /** The mail carries a request: the form's headings, the urgency keyword, or a benefit's cut. */
  hasRequest?: boolean;
  /** Folded body, to recognise a bounce a person forwards. */
  foldedBody?: string;
}

/**
 * Auto-generated mail (RFC 3834 and common practice) is recognised first, so
 * that no robot ever gets an answer. Headers decide; the subject is a weak
 * sign only, that never turns a request (headings, URGENCE DEFINIE, a benefit
 * unpaid) into a robot: "En congé parental : PreParE non versée" is a request.
 * The CDAP relay's own form mail is the exception: a form robot may mark its
 * mail auto-generated, and it is the main channel of the convention.
 */
export function classifyKind({
  mail,
  foldedSubject,
  hasFormFields,
  fromRelay,
  hasRequest = false,
  foldedBody = '',
}: KindInput): MailKind {
  if (mail.headers.has(LOOP_HEADER)) return 'auto-reply';
  if (mail.contentType === 'multipart/report') {
    return mail.reportType === 'disposition-notification' ? 'auto-reply' : 'bounce';
  }
  if (mail.attachments.some((a) => reportParts.has(a.contentType.toLowerCase()))) return 'bounce';
  const from = mail.from?.address ?? '';
  if (daemonSender.test(from)) return 'bounce';
  if (emptyFrom(mail)) return 'bounce';
  if (bounceSubject.test(foldedSubject) && (mail.returnPath === '' || !from)) return 'bounce';

  const trustedForm = fromRelay && hasFormFields;
  if (!trustedForm) {
    const autoSubmitted = header(mail, 'auto-submitted');
    if (autoSubmitted && autoSubmitted !== 'no') return 'auto-reply';
    if (autoReplyHeaders.some((name) => mail.headers.has(name))) return 'auto-reply';
    const precedence = header(mail, 'precedence');
    if (precedence === 'auto_reply') return 'auto-reply';
    if (precedence === 'bulk' || precedence === 'junk' || precedence === 'list') return 'bulk';
    if (listHeaders.some((name) => mail.headers.has(name))) return 'bulk';
    const list = mail.headers.get('list') as Record<string, unknown> | undefined;
    if (list && (list.id !== undefined || list.unsubscribe !== undefined)) return 'bulk';
    if (mail.returnPath === '') return 'bounce';
    // A form-shaped mail from an unknown no-reply robot may be a forged relay: a person must see it.
    if (!hasRequest) {
      if (robotSender.test(from)) return 'auto-reply';
      if (autoReplySubject.test(foldedSubject)) return 'auto-reply';
      if (complaintSubject.test(foldedSubject)) return 'bounce';
      const unforwarded = foldedSubject.replace(forwardPrefix, '');
      if (
        unforwarded !== foldedSubject &&
        bounceSubject.test(unforwarded) &&
        bounceTranscript.test(foldedBody)
      )
        return 'bounce';
    }
  }
  return hasFormFields ? 'cdap-form' : 'direct';
}
