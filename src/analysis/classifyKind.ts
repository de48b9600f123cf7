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

const daemonSender = /^(?:mailer-daemon|mail-daemon|mailerdaemon|postmaster|mail\.delivery\.system)@/;
const bounceSubject =
  /^(?:undeliver|undelivered mail|delivery status notification|delivery failure|mail delivery fail|returned mail|non remis|non distribu|echec de (?:la )?(?:remise|distribution)|message non delivre)/;
const autoReplySubject =
  /^(?:reponse automatique|automatic reply|auto(?:matic)?[- ]?reply|auto:|autoreply|out of (?:the )?office|absence du bureau|absent(?:e)? du bureau|message d'absence|je suis absente?|en conge|absence :)/;

function header(mail: ParsedMail, name: string): string | null {
  const value = mail.headers.get(name);
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.trim().toLowerCase();
  if (typeof value === 'object' && 'value' in value)
    return String((value as { value: unknown }).value).toLowerCase();
  return String(value).toLowerCase();
}

export interface KindInput {
  mail: ParsedMail;
  foldedSubject: string;
  /** The CDAP form's fields were found in the body. */
  hasFormFields: boolean;
  /** The From address is a configured CDAP relay. */
  fromRelay: boolean;
}

/**
 * Auto-generated mail (RFC 3834 and common practice) is recognised first, so
 * that no robot ever gets an answer. The CDAP relay's own form mail is the
 * exception: a form robot may mark its mail auto-generated, and it is the
 * main channel of the convention.
 */
export function classifyKind({ mail, foldedSubject, hasFormFields, fromRelay }: KindInput): MailKind {
  if (mail.headers.has(LOOP_HEADER)) return 'auto-reply';
  if (mail.contentType === 'multipart/report') {
    return mail.reportType === 'disposition-notification' ? 'auto-reply' : 'bounce';
  }
  const from = mail.from?.address ?? '';
  if (daemonSender.test(from)) return 'bounce';
  if (bounceSubject.test(foldedSubject) && (mail.returnPath === '' || !from)) return 'bounce';

  const trustedForm = fromRelay && hasFormFields;
  if (!trustedForm) {
    const autoSubmitted = header(mail, 'auto-submitted');
    if (autoSubmitted && autoSubmitted !== 'no') return 'auto-reply';
    if (
      mail.headers.has('x-autoreply') ||
      mail.headers.has('x-autorespond') ||
      mail.headers.has('x-autoresponse')
    ) {
      return 'auto-reply';
    }
    const precedence = header(mail, 'precedence');
    if (precedence === 'auto_reply') return 'auto-reply';
    if (autoReplySubject.test(foldedSubject)) return 'auto-reply';
    if (precedence === 'bulk' || precedence === 'junk' || precedence === 'list') return 'bulk';
    const list = mail.headers.get('list') as Record<string, unknown> | undefined;
    if (list && (list.id !== undefined || list.unsubscribe !== undefined)) return 'bulk';
    if (mail.returnPath === '') return 'bounce';
  }
  return hasFormFields ? 'cdap-form' : 'direct';
}
