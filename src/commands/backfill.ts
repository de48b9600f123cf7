import { amendConfig, quietLogLevel } from '../config/loadConfig.js';
import type { Config } from '../config/schema.js';
import { CdapError } from '../infra/errors.js';
import { formatCalendarDay } from '../labels/formats.js';
import type { Logger } from '../log.js';
import { createImapClient } from '../mailbox/imapClient.js';
import { startService } from '../service.js';
import { BackfillWindows } from '../triage/backfillWindows.js';
import { caseSummary } from './caseSummary.js';
import { createProgress } from './progress.js';

export class BackfillError extends CdapError {
  override name = 'BackfillError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNKNOWN_MAILBOX', message, options);
  }
}

export interface BackfillOptions {
  since: Date;
  mailboxId?: string;
}

/**
 * Triages the mail already in a mailbox, received since a date, without
 * answering any of it: the intake files it as usual, while the declared
 * backfill window keeps replies off. Shows progress, then a summary.
 */
export async function backfill(config: Config, log: Logger, options: BackfillOptions): Promise<string> {
  const mailbox = config.mailboxes.find((m) => !options.mailboxId || m.id === options.mailboxId);
  if (!mailbox) {
    throw new BackfillError(
      `aucune boîte « ${options.mailboxId} » dans la configuration (connues : ${config.mailboxes.map((m) => m.id).join(', ')})`,
    );
  }
  const until = new Date();

  // How much there is to do, counted on our own connection.
  const client = createImapClient(config.imap, config.intake.socketTimeoutMs);
  client.on('error', () => {});
  await client.connect();
  const remaining = async () => {
    const lock = await client.getMailboxLock(mailbox.path);
    try {
      const found = await client.search(
        { since: options.since, before: new Date(until.getTime() + 86_400_000) },
        { uid: true },
      );
      return Array.isArray(found) ? found.length : 0;
    } finally {
      lock.release();
    }
  };
  const total = await remaining();
  const day = formatCalendarDay(options.since);
  if (total === 0) {
    await client.logout().catch(() => client.close());
    return `Rien à rattraper : aucun message reçu depuis le ${day} dans ${mailbox.path}. Aucune réponse envoyée.\n`;
  }

  // Only this mailbox's intake runs: the others are not this backfill's.
  const scoped = amendConfig(config, (c) => {
    c.mailboxes = [{ ...mailbox }];
  });
  const service = await startService(scoped, log, { web: false });
  // Cases that existed before are not this run's work: only the new ones are shown.
  const known = new Set(await service.caseStore.refsBetween(options.since, new Date(until.getTime() + 1)));
  const progress = createProgress('rattrapage');
  try {
    await new BackfillWindows(service.redis, config.redis.prefix).declare(mailbox.id, options.since, until);
    progress.update(0, total);
    for (;;) {
      const left = await remaining();
      progress.update(total - left, total);
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    progress.stop();
    await client.logout().catch(() => client.close());
  }
  // Let the last filings be recorded before reading the cases back.
  await new Promise((r) => setTimeout(r, 1000));
  const refs = await service.caseStore.refsBetween(options.since, new Date(until.getTime() + 1));
  const cases = (await service.caseStore.getMany(refs.filter((r) => !known.has(r)))).filter(
    (c) => c.mail.mailboxId === mailbox.id,
  );
  await service.stop();
  if (cases.length === 0) {
    return `Aucun nouveau dossier : les ${total} messages reçus depuis le ${day} étaient déjà triés. Aucune réponse envoyée.\n`;
  }
  return `${caseSummary(cases)}\nAucune réponse n’a été envoyée pour ces messages (rattrapage).\n`;
}

/** `cdap-triage backfill`: exit code 0 done, 1 failed, 2 bad date. */
export async function backfillCommand(opts: { since: string; mailbox?: string }): Promise<number> {
  const { configOrExit } = await import('./cliConfig.js');
  const { frenchTypography } = await import('./french.js');
  const since = new Date(`${opts.since}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.since) || Number.isNaN(since.getTime())) {
    process.stderr.write(
      frenchTypography(`cdap-triage : --since ${opts.since} n’est pas une date : écrivez-la 2026-09-01.\n`),
    );
    return 2;
  }
  const loaded = configOrExit();
  // No relay configured: nothing could be sent anyway, the replies are kept (and none is due).
  const config = loaded.smtp.host
    ? loaded
    : amendConfig(loaded, (c) => {
        c.replies.mode = 'shadow';
      });
  const { createLogger } = await import('../log.js');
  const log = createLogger({ level: quietLogLevel(config) });
  try {
    const { withLocalMailbox } = await import('../local/localMailbox.js');
    const { config: mailboxConfig } = await withLocalMailbox(config, log);
    process.stdout.write(
      frenchTypography(await backfill(mailboxConfig, log, { since, mailboxId: opts.mailbox })),
    );
    return 0;
  } catch (err) {
    process.stderr.write(frenchTypography(`cdap-triage : ${(err as Error).message}\n`));
    return 1;
  }
}
