import type { ImapFlow } from 'imapflow';
import type { Config } from '../../config/schema.js';
import { createImapClient } from '../../mailbox/imapClient.js';

/**
 * One IMAP connection for one request of the dashboard (reading a mail,
 * filing an answer), closed after it. The mailbox is read, never copied.
 */
export async function withMailbox<T>(config: Config, use: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = createImapClient(config.imap, Math.min(config.intake.socketTimeoutMs, 30_000));
  client.on('error', () => {});
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * Names mail clients give the sent folder, for servers that mark none
 * special-use \Sent (the same as the answer watcher reads).
 */
const usualSentNames = new Set([
  'sent',
  'sent items',
  'sent messages',
  'sent mail',
  'envoyés',
  'éléments envoyés',
  'messages envoyés',
]);

/** Where an answer sent from the dashboard is kept: the first of answers.sentFolders, else the \Sent folder. */
export async function sentFolderOf(client: ImapFlow, configured: readonly string[]): Promise<string | null> {
  const list = await client.list();
  if (configured.length) return configured.find((path) => list.some((m) => m.path === path)) ?? null;
  const last = (m: { path: string; delimiter?: string }) =>
    (m.delimiter ? m.path.split(m.delimiter).pop() : m.path) ?? m.path;
  return (
    list.find((m) => m.specialUse === '\\Sent')?.path ??
    list.find((m) => usualSentNames.has(last(m).toLowerCase()))?.path ??
    null
  );
}
