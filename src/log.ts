import { createHash } from 'node:crypto';
import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Keys that may carry personal data if someone logs a whole object by mistake:
 * pino replaces them before the line is written.
 */
const personalKeys = [
  'address',
  'replyTo',
  'from',
  'to',
  'email',
  'nomPrenom',
  'adresseElectronique',
  'numeroAllocataire',
  'family',
  'organisme',
  'subject',
  'text',
  'body',
  'value',
  'fields',
  'rubrics',
];

export function createLogger(
  options: { level?: string; name?: string; destination?: number; stream?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      name: options.name ?? 'cdap-triage',
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: personalKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
        censor: '[redacted]',
      },
    },
    // stderr by default, so a command's own output on stdout stays clean.
    options.stream ?? pino.destination({ fd: options.destination ?? 2, sync: true }),
  );
}

/**
 * A mail address as logs may show it: the domain (which says which partner)
 * and a short stable hash (which lets an operator follow one sender) — never
 * the local part, which is usually a person's name.
 */
export function maskAddress(address: string | null | undefined): string | null {
  if (!address) return null;
  const at = address.lastIndexOf('@');
  const hash = createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 8);
  return `${hash}@${at >= 0 ? address.slice(at + 1) : '?'}`;
}
