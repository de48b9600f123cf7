import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { projectRoot } from '../config/loadConfig.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';

const run = promisify(execFile);

export const LOCAL_IMAP = { port: 1143, user: 'cdap', password: 'cdap-local' } as const;

/**
 * When no IMAP server is configured, `cdap-triage run` starts a private
 * Dovecot on loopback (scripts/dovecot.sh) and, the first time, fills its
 * inbox with the invented demo mails of fixtures/, so the whole pipeline can
 * be seen working on one machine.
 */
export async function startLocalMailbox(log: Logger): Promise<{ imap: Config['imap']; demoMails: number }> {
  const dir = join(projectRoot, '.tmp', 'dovecot');
  const script = join(projectRoot, 'scripts', 'dovecot.sh');
  try {
    await run(
      'bash',
      [
        script,
        'start',
        '--dir',
        dir,
        '--port',
        String(LOCAL_IMAP.port),
        '--user',
        LOCAL_IMAP.user,
        '--password',
        LOCAL_IMAP.password,
      ],
      { timeout: 300_000 },
    );
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(
      `could not start the local Dovecot (scripts/dovecot.sh): ${stderr.trim().split('\n').slice(-3).join(' ')}. ` +
        'Set IMAP_HOST to use an existing IMAP server instead.',
      { cause: err },
    );
  }
  const imap: Config['imap'] = {
    host: '127.0.0.1',
    port: LOCAL_IMAP.port,
    secure: false,
    user: LOCAL_IMAP.user,
    password: LOCAL_IMAP.password,
    tlsRejectUnauthorized: false,
  };
  const marker = join(dir, 'demo-loaded');
  let demoMails = 0;
  if (!existsSync(marker)) {
    demoMails = await appendDemoMails(imap);
    writeFileSync(marker, new Date().toISOString());
  }
  log.info({ event: 'local.mailbox_ready', port: LOCAL_IMAP.port, demoMails }, 'local Dovecot ready');
  return { imap, demoMails };
}

async function appendDemoMails(imap: Config['imap']): Promise<number> {
  const fixtures = join(projectRoot, 'fixtures');
  const files = readdirSync(fixtures)
    .filter((f) => f.endsWith('.eml'))
    .sort();
  const client = new ImapFlow({
    host: imap.host,
    port: imap.port,
    secure: false,
    auth: { user: imap.user, pass: imap.password },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => {});
  await client.connect();
  try {
    for (const file of files) {
      // Demo mail arrives "now", so it is answered like live mail, not treated as backfill.
      await client.append('INBOX', readFileSync(join(fixtures, file)), [], new Date());
    }
  } finally {
    await client.logout();
  }
  return files.length;
}
