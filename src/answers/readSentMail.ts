import type { ParsedMail } from 'mailparser';
import { LOOP_HEADER } from '../analysis/classifyKind.js';

/** A mail found in a sent folder, reduced to what matching it to a case needs. */
export interface SentMail {
  messageId: string | null;
  /** In-Reply-To first, then References from the newest: the mails it answers. */
  threadIds: string[];
  /** A case reference written in the subject (CDAP-2026-000123). */
  subjectRef: string | null;
  /** The references our own messages carry in their Message-ID (`<CDAP-2026-000123.ack@…>`). */
  threadRefs: string[];
  from: string | null;
  /** When it was written: its Date header, else when the server stored it. */
  date: Date;
  /** Our own acknowledgement (or another message of the service): never an answer. */
  ours: boolean;
  text: string;
}

const referenceInSubject = /CDAP-\d{4}-\d{6}/;
const referenceInMessageId = /^<?(CDAP-\d{4}-\d{6})\./;

function ids(value: string | string[] | undefined): string[] {
  if (!value) return [];
  const list = Array.isArray(value) ? value : value.split(/\s+/);
  return list.map((id) => id.trim()).filter(Boolean);
}

/**
 * Reads a sent mail. A Date header in the future (a wrong clock) or missing
 * gives way to the server's date, so an answer is never dated after it was stored.
 */
export function readSentMail(parsed: ParsedMail, internalDate: Date): SentMail {
  const messageId = parsed.messageId ?? null;
  const threadIds = [...ids(parsed.inReplyTo), ...ids(parsed.references).reverse()];
  const threadRefs = [
    ...new Set(
      threadIds.map((id) => referenceInMessageId.exec(id)?.[1]).filter((r): r is string => Boolean(r)),
    ),
  ];
  const auto = String(parsed.headers.get('auto-submitted') ?? '').toLowerCase();
  const ours =
    parsed.headers.has(LOOP_HEADER) ||
    (messageId !== null && referenceInMessageId.test(messageId)) ||
    (auto !== '' && auto !== 'no');
  const header = parsed.date;
  const date =
    header && !Number.isNaN(header.getTime()) && header.getTime() <= internalDate.getTime() + 5 * 60_000
      ? header
      : internalDate;
  return {
    messageId,
    threadIds,
    subjectRef: referenceInSubject.exec(parsed.subject ?? '')?.[0] ?? null,
    threadRefs,
    from: parsed.from?.value[0]?.address?.toLowerCase() ?? null,
    date,
    ours,
    text: parsed.text ?? '',
  };
}
