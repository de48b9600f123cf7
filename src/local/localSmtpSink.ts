import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { LOOP_HEADER } from '../analysis/classifyKind.js';
import { projectRoot } from '../config/loadConfig.js';
import type { Logger } from '../log.js';

export const LOCAL_SMTP_PORT = 2525;

const REF = /CDAP-\d{4}-\d{6}/;

/**
 * The case reference a reply answers, from the headers our replies carry: the
 * loop header, else our Message-ID (<REF.ack@…>). The subject is no help: an
 * encoded subject (=?UTF-8?Q?…?=) hides it.
 */
export function replyRef(raw: Buffer): string | null {
  const text = raw.subarray(0, 65_536).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  for (const name of [LOOP_HEADER, 'message-id']) {
    const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name}:`));
    const ref = line ? REF.exec(line)?.[0] : undefined;
    if (ref) return ref;
  }
  return null;
}

/** REF.eml; a second reply to the same case (a retry) gets REF-2.eml, never overwrites the first. */
export function replyFileName(raw: Buffer, taken: (name: string) => boolean, now = new Date()): string {
  const base = replyRef(raw) ?? `reponse-sans-reference-${now.getTime()}`;
  let name = `${base}.eml`;
  for (let n = 2; taken(name); n++) name = `${base}-${n}.eml`;
  return name;
}

/**
 * When no SMTP server is configured, `cdap-triage run` answers through this
 * loopback sink, which keeps each reply as an .eml file in .tmp/sent/ so a
 * person can open what the CDAS would have received.
 */
export async function startLocalSmtpSink(
  log: Logger,
): Promise<{ port: number; dir: string; close(): Promise<void> }> {
  const dir = join(projectRoot, '.tmp', 'sent');
  mkdirSync(dir, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    size: 30 * 1024 * 1024,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        writeFileSync(
          join(
            dir,
            replyFileName(raw, (name) => existsSync(join(dir, name))),
          ),
          raw,
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `le port ${LOCAL_SMTP_PORT} est déjà pris (un autre cdap-triage run ?) : arrêtez-le, ou définissez SMTP_HOST.`
            : `le puits SMTP local ne peut pas écouter sur ${LOCAL_SMTP_PORT} : ${err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(LOCAL_SMTP_PORT, '127.0.0.1', () => resolve());
  });
  server.on('error', (err) => log.warn({ event: 'local.smtp_error', err }));
  log.info({ event: 'local.smtp_ready', port: LOCAL_SMTP_PORT }, 'local SMTP sink ready');
  return { port: LOCAL_SMTP_PORT, dir, close: () => new Promise((r) => server.close(() => r())) };
}
