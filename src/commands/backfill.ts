import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { createImapClient } from '../mailbox/imapClient.js';
import { BackfillWindows } from '../routing/backfillWindows.js';
import { startService } from '../service.js';
import { caseSummary } from './caseSummary.js';
import { createProgress } from './progress.js';

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
    throw new Error(
      `no mailbox "${options.mailboxId}" in the configuration (known: ${config.mailboxes.map((m) => m.id).join(', ')})`,
    );
  }
  config.mailboxes = [mailbox];
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

  const service = await startService(config, log, { web: false });
  const progress = createProgress('backfill');
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
  const cases = (await service.caseStore.getMany(refs)).filter((c) => c.mail.mailboxId === mailbox.id);
  await service.stop();
  return `${caseSummary(cases)}\nAucune réponse n’a été envoyée pour ces messages (rattrapage).\n`;
}
