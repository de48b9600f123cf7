import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { projectRoot } from '../config/loadConfig.js';
import type { Logger } from '../log.js';

export const LOCAL_SMTP_PORT = 2525;

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
  let n = 0;
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
        const ref = /\[(CDAP-\d{4}-\d{6})\]/.exec(raw.subarray(0, 8192).toString('latin1'))?.[1] ?? 'reply';
        n++;
        writeFileSync(join(dir, `${ref}-${Date.now()}-${n}.eml`), raw);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${LOCAL_SMTP_PORT} is already in use (another cdap-triage run?): stop it, or set SMTP_HOST.`
            : `the local SMTP sink cannot listen on ${LOCAL_SMTP_PORT}: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(LOCAL_SMTP_PORT, '127.0.0.1', () => resolve());
  });
  server.on('error', (err) => log.warn({ event: 'local.smtp_error', reason: err.message }));
  log.info({ event: 'local.smtp_ready', port: LOCAL_SMTP_PORT }, 'local SMTP sink ready');
  return { port: LOCAL_SMTP_PORT, dir, close: () => new Promise((r) => server.close(() => r())) };
}
