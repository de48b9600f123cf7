import type { AddressObject, AttachmentStream, Headers, MessageText } from 'mailparser';
import { MailParser } from 'mailparser';
import { CdapError } from '../infra/errors.js';
import { htmlToText } from './htmlToText.js';
import { type MailboxReading, readHeaderMailbox } from './readMailbox.js';
import type { AttachmentInfo } from './types.js';

export interface ParseLimits {
  maxMessageBytes: number;
  maxHtmlLength: number;
  timeLimitMs: number;
}

export interface MailAddress {
  address: string;
  name: string;
}

/** What the rules need of a parsed mail; no attachment content is kept. */
export interface ParsedMail {
  headers: Headers;
  /** Raw header lines, topmost first (the order Authentication-Results trust depends on). */
  headerLines: ReadonlyArray<{ key: string; line: string }>;
  subject: string | null;
  /** The From mailbox, only when the raw header holds exactly one clean mailbox (see fromMailbox). */
  from: MailAddress | null;
  replyTo: MailAddress | null;
  /** The raw From header read strictly: one mailbox, or why not. */
  fromMailbox: MailboxReading;
  /** The raw Reply-To header read strictly; `{address: null, problem: null}` when absent. */
  replyToMailbox: MailboxReading;
  /** '' for the null return path `<>`, null when the header is absent. */
  returnPath: string | null;
  date: Date | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** Top-level content type, lower case, e.g. `multipart/report`. */
  contentType: string;
  /** The `report-type` parameter of a multipart/report. */
  reportType: string | null;
  /** The body as text: the plain part, else the HTML converted to text. */
  text: string;
  attachments: AttachmentInfo[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const controlCharacters = /[\u0000-\u001f\u007f]+/g;

const CHUNK = 256 * 1024;

/**
 * Writes the mail in slices, waiting when the parser asks to: a 20 MB mail
 * is never all queued inside the parser's streams at once.
 */
async function feed(parser: MailParser, raw: Buffer): Promise<void> {
  for (let at = 0; at < raw.length; at += CHUNK) {
    if (parser.destroyed) return;
    if (!parser.write(raw.subarray(at, at + CHUNK))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          parser.off('drain', done);
          parser.off('close', done);
          resolve();
        };
        parser.once('drain', done);
        parser.once('close', done);
      });
    }
  }
  if (!parser.destroyed) parser.end();
}

export class UnreadableMailError extends CdapError {
  override name = 'UnreadableMailError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MAIL_UNREADABLE', message, options);
  }
}

function firstAddress(value: AddressObject | AddressObject[] | undefined): MailAddress | null {
  const obj = Array.isArray(value) ? value[0] : value;
  for (const entry of obj?.value ?? []) {
    if (entry.address) return { address: entry.address.trim().toLowerCase(), name: entry.name ?? '' };
    for (const member of entry.group ?? []) {
      if (member.address) return { address: member.address.trim().toLowerCase(), name: member.name ?? '' };
    }
  }
  return null;
}

/** The strict reading's address, with the display name mailparser decoded. */
function strictAddress(
  reading: MailboxReading,
  parsed: AddressObject | AddressObject[] | undefined,
): MailAddress | null {
  if (!reading.address) return null;
  const name = firstAddress(parsed)?.address === reading.address ? (firstAddress(parsed)?.name ?? '') : '';
  return { address: reading.address, name };
}

function returnPathOf(headers: Headers): string | null {
  const value = headers.get('return-path') as AddressObject | undefined;
  if (value === undefined) return null;
  return firstAddress(value)?.address ?? '';
}

function contentTypeOf(headers: Headers): { type: string; reportType: string | null } {
  const value = headers.get('content-type') as
    | { value?: string; params?: Record<string, string> }
    | undefined;
  return {
    type: (value?.value ?? 'text/plain').toLowerCase(),
    reportType: value?.params?.['report-type']?.toLowerCase() ?? null,
  };
}

function referencesOf(value: string | string[] | undefined): string[] {
  if (!value) return [];
  const list = Array.isArray(value) ? value : value.split(/\s+/);
  return list.map((v) => v.trim()).filter(Boolean);
}

/**
 * Parses raw MIME with mailparser, streaming attachments through without
 * keeping them (only type, name and size are kept). Rejects with
 * UnreadableMailError when the mail is over the limits or the MIME breaks.
 */
export function parseMail(raw: Buffer, limits: ParseLimits): Promise<ParsedMail> {
  if (raw.length > limits.maxMessageBytes) {
    return Promise.reject(
      new UnreadableMailError(
        `message of ${raw.length} bytes is over the ${limits.maxMessageBytes}-byte limit`,
      ),
    );
  }
  return new Promise<ParsedMail>((resolvePromise, rejectPromise) => {
    const parser = new MailParser({
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
      skipTextLinks: true,
      checksumAlgo: false,
      maxHtmlLengthToParse: limits.maxHtmlLength,
    });
    const attachments: AttachmentInfo[] = [];
    let text: MessageText | null = null;
    let settled = false;

    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        parser.removeAllListeners('data');
        parser.destroy();
        rejectPromise(error);
        return;
      }
      try {
        resolvePromise(assemble());
      } catch (cause) {
        rejectPromise(
          new UnreadableMailError(`mail structure not understood: ${(cause as Error).message}`, { cause }),
        );
      }
    };

    const assemble = (): ParsedMail => {
      const headers = parser.headers || new Map();
      const { type, reportType } = contentTypeOf(headers);
      const headerLines = parser.headerLines || [];
      // The raw lines, not mailparser's reading: it returns `<a@x,b@y>` as one address
      // and re-parses encoded words into addresses.
      const fromMailbox = readHeaderMailbox(headerLines, 'from');
      const replyToMailbox = readHeaderMailbox(headerLines, 'reply-to');
      let body = text?.text ?? '';
      if (!body.trim() && text?.html) {
        if (text.html.length > limits.maxHtmlLength) {
          throw new Error(
            `HTML body of ${text.html.length} characters is over the ${limits.maxHtmlLength} limit`,
          );
        }
        body = htmlToText(text.html);
      }
      return {
        headers,
        headerLines,
        // Encoded words may decode to CR/LF: a subject is one line, whatever it claims.
        subject: parser.subject?.replace(controlCharacters, ' ').trim() || null,
        from: strictAddress(fromMailbox, parser.from),
        replyTo: strictAddress(replyToMailbox, parser.replyTo),
        fromMailbox,
        replyToMailbox,
        returnPath: returnPathOf(headers),
        date: parser.date && !Number.isNaN(parser.date.getTime()) ? parser.date : null,
        messageId: parser.messageId ?? null,
        inReplyTo: parser.inReplyTo ?? null,
        references: referencesOf(parser.references),
        contentType: type,
        reportType,
        text: body,
        attachments,
      };
    };

    const timer = setTimeout(
      () => finish(new UnreadableMailError(`parsing took longer than ${limits.timeLimitMs} ms`)),
      limits.timeLimitMs,
    );

    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        text = data;
        return;
      }
      let size = 0;
      data.content.on('data', (chunk: Buffer) => {
        size += chunk.length;
      });
      data.content.on('end', () => {
        attachments.push({
          filename: data.filename ?? null,
          contentType: data.contentType,
          size,
          inline: Boolean(data.related || (data.contentDisposition === 'inline' && data.cid)),
        });
        data.release?.();
      });
      data.content.on('error', (err: Error) =>
        finish(new UnreadableMailError(`attachment cannot be decoded: ${err.message}`, { cause: err })),
      );
    });
    parser.on('error', (err: Error) =>
      finish(new UnreadableMailError(`MIME cannot be parsed: ${err.message}`, { cause: err })),
    );
    parser.on('end', () => finish(null));
    void feed(parser, raw).catch((err: Error) =>
      finish(new UnreadableMailError(`MIME cannot be parsed: ${err.message}`)),
    );
  });
}
