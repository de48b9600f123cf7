import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { demoFamilySecret } from '../cases/familyKeys.js';
import { amendConfig, projectRoot } from '../config/loadConfig.js';
import type { Config } from '../config/schema.js';
import { CdapError } from '../infra/errors.js';
import type { Logger } from '../log.js';

const run = promisify(execFile);

export class LocalMailboxError extends CdapError {
  override name = 'LocalMailboxError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('LOCAL_MAILBOX', message, options);
  }
}

/** The demo Dovecot's folder; scripts/dovecot.sh keeps its pid files there. */
export const localMailboxDir = (): string => join(projectRoot, '.tmp', 'dovecot');

export const LOCAL_IMAP = { port: 1143, user: 'cdap', password: 'cdap-local' } as const;

/**
 * When no IMAP server is configured, `cdap-triage run` starts a private
 * Dovecot on loopback (scripts/dovecot.sh) and, the first time, fills its
 * inbox with the invented demo mails of fixtures/, so the whole pipeline can
 * be seen working on one machine.
 */
export async function startLocalMailbox(log: Logger): Promise<{ imap: Config['imap']; demoMails: number }> {
  const dir = localMailboxDir();
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
    const portTaken = /port \d+ .*already in use/.test(stderr);
    throw new LocalMailboxError(
      portTaken
        ? `le port ${LOCAL_IMAP.port} est déjà pris : sans doute un Dovecot de démonstration resté en marche après ` +
            'l’effacement de .tmp/dovecot. Trouvez-le avec « ss -ltnp | grep 1143 » et arrêtez-le (kill PID), ' +
            'ou définissez IMAP_HOST pour utiliser une autre boîte.'
        : `le Dovecot local ne démarre pas (scripts/dovecot.sh) : ${stderr.trim().split('\n').slice(-3).join(' ')}. ` +
            'Définissez IMAP_HOST pour utiliser un serveur IMAP existant.',
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

/** The local Dovecot a command started: where it listens, and how many demo mails it was filled with. */
export interface LocalMailbox {
  port: number;
  user: string;
  demoMails: number;
}

/**
 * The configuration a command runs with: as it is when IMAP_HOST is set;
 * otherwise pointed at the local demo Dovecot, started here (and filled with
 * the demo mails the first time). `local` is null when nothing was started.
 */
export async function withLocalMailbox(
  config: Config,
  log: Logger,
): Promise<{ config: Config; local: LocalMailbox | null }> {
  if (config.imap.host) return { config, local: null };
  const { imap, demoMails } = await startLocalMailbox(log);
  return {
    config: amendConfig(config, (c) => {
      c.imap = { ...imap };
      // The demo's mail names invented families: a key derived from its mailbox shows their
      // history run after run. A real mailbox has CDAP_FAMILY_KEY, or no history.
      c.cases.familyKeySecret ||= demoFamilySecret(localMailboxDir());
    }),
    local: { port: imap.port, user: imap.user, demoMails },
  };
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
    // Where a mail client connected to the demo keeps what it sends: the answers the service looks for.
    await client.mailboxCreate('Sent').catch(() => {});
    for (const file of files) {
      // Demo mail arrives "now", so it is answered like live mail, not treated as backfill.
      await client.append('INBOX', readFileSync(join(fixtures, file)), [], new Date());
    }
  } finally {
    await client.logout();
  }
  return files.length;
}

/** Stops the demo Dovecot through its pid files (scripts/dovecot.sh stop); nothing when it is not running. */
export async function stopLocalMailbox(): Promise<void> {
  const dir = localMailboxDir();
  if (!existsSync(dir)) return;
  try {
    await run('bash', [join(projectRoot, 'scripts', 'dovecot.sh'), 'stop', '--dir', dir], {
      timeout: 60_000,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new LocalMailboxError(
      `le Dovecot de démonstration ne s’arrête pas (scripts/dovecot.sh stop) : ${stderr.trim().split('\n').slice(-2).join(' ')}`,
      { cause: err },
    );
  }
}
