import { randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import { encodeWord, encodeWords, foldLines, quoteString } from 'nodemailer/lib/mime-funcs';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';

/** What a reply carries: always the same shape, a text and an HTML version of one answer. */
export interface ReplyMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  /** Extra headers, by name as nodemailer accepts them (any case). */
  headers: Record<string, string>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: characters no header may carry are the point.
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
const HAS_CONTROL = new RegExp(CONTROL.source);

/** `auto-submitted` → `Auto-Submitted`, as nodemailer writes header names. */
function headerName(key: string): string {
  return key
    .toLowerCase()
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('-')
    .replace(/^Message-Id$/, 'Message-ID');
}

/** The display name of an address as nodemailer writes it: plain, quoted, or a MIME encoded word. */
function addressName(name: string): string {
  if (/^[\w ]*$/.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return quoteString(name);
  return encodeWord(name, 'Q', 52);
}

/** `Name <address>` (or the bare address) from a configured sender such as `CAF <partenaires@caf35.fr>`. */
export function formatMailbox(value: string): string {
  const [first] = addressparser(value, { flatten: true }) as Array<{ name: string; address: string }>;
  if (!first?.address) throw new Error(`not an address: ${value}`);
  return first.name ? `${addressName(first.name)} <${first.address}>` : first.address;
}

/** A msg-id header value: one line, no control characters, in angle brackets (the mail's own is untrusted). */
function msgId(value: string): string {
  let id = value
    .replace(/\r?\n|\r/g, ' ')
    .replace(CONTROL, '')
    .trim();
  if (!id.startsWith('<')) id = `<${id}`;
  if (!id.endsWith('>')) id = `${id}>`;
  return id;
}

function unstructured(value: string): string {
  return HAS_CONTROL.test(value)
    ? encodeWord(value, 'Q', 52)
    : encodeWords(value.replace(/\r?\n|\r/g, ' '), 'Q', 52);
}

function header(key: string, value: string): string {
  return foldLines(`${key}: ${value}`, 76);
}

/** One text part in quoted-printable UTF-8, lines ending in CRLF. */
function qpPart(contentType: string, body: string): string {
  const crlf = body.replace(/\r?\n/g, '\r\n');
  return (
    `Content-Type: ${contentType}; charset=utf-8\r\n` +
    'Content-Transfer-Encoding: quoted-printable\r\n\r\n' +
    qpWrap(qpEncode(crlf), 76)
  );
}

/**
 * The reply as the bytes sent to the SMTP server: a multipart/alternative of
 * the text and the HTML, in one buffer, written the way nodemailer writes
 * such a message (headers encoded and folded, quoted-printable bodies).
 * Composing it with nodemailer's streams cost about 2 ms of CPU per reply
 * (a pipeline, an AbortController and random bytes per MIME part), more than
 * the rest of sending; the reply's shape never varies, so it is written here.
 */
export function composeReply(message: ReplyMessage, sender: string, now: Date = new Date()): Buffer {
  // QP-encoded text never contains "=_", so this boundary cannot occur in a part.
  const boundary = `----=_cdap_${randomUUID()}`;
  const lines = [
    header('Content-Type', `multipart/alternative; boundary="${boundary}"`),
    header('From', sender),
    header('To', message.to),
    header('Subject', unstructured(message.subject)),
    header('Message-ID', msgId(message.messageId)),
  ];
  if (message.inReplyTo) lines.push(header('In-Reply-To', msgId(message.inReplyTo)));
  const references = (message.references ?? [])
    .flatMap((r) =>
      r
        .replace(/\r?\n|\r/g, ' ')
        .replace(CONTROL, '')
        .trim()
        .split(/\s+/),
    )
    .filter(Boolean)
    .map(msgId);
  if (references.length) lines.push(header('References', references.join(' ')));
  for (const [key, value] of Object.entries(message.headers)) {
    lines.push(header(headerName(key), unstructured(value)));
  }
  lines.push(header('Date', now.toUTCString().replace(/GMT/, '+0000')), 'MIME-Version: 1.0');
  const body =
    `--${boundary}\r\n${qpPart('text/plain', message.text)}\r\n` +
    `--${boundary}\r\n${qpPart('text/html', message.html)}\r\n` +
    `--${boundary}--\r\n`;
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}
