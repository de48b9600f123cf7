import type { ImapFlow } from 'imapflow';
import type { CaseRecord } from '../cases/caseRecord.js';
import type { CaseStore } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';

/** A case's own mail as the mailbox holds it now, or why it cannot be read, in French. */
export type FiledMail = { found: true; source: Buffer; path: string } | { found: false; reason: string };

/**
 * Reads a case's own mail from the mailbox, where it is filed now (or still
 * in the inbox, its filing pending). Nothing is kept: the dashboard shows
 * the mail without copying it into the database.
 */
export async function readFiledMail(
  client: ImapFlow,
  config: Pick<Config, 'mailboxes'>,
  caseStore: CaseStore,
  record: CaseRecord,
): Promise<FiledMail> {
  const filed = await caseStore.filedAt(record.ref);
  const inbox = config.mailboxes.find((m) => m.id === record.mail.mailboxId)?.path ?? null;
  const place =
    filed ?? (inbox ? { path: inbox, uidValidity: record.mail.uidValidity, uid: record.mail.uid } : null);
  if (!place) {
    return {
      found: false,
      reason: 'La boîte aux lettres de ce dossier n’est plus relevée : le message ne peut pas être lu.',
    };
  }
  let lock: Awaited<ReturnType<ImapFlow['getMailboxLock']>>;
  try {
    lock = await client.getMailboxLock(place.path, { readOnly: true });
  } catch {
    return { found: false, reason: `Le dossier ${place.path} n’existe plus : le message n’y est plus.` };
  }
  try {
    const box = client.mailbox;
    if (!box || String(box.uidValidity) !== place.uidValidity) {
      return {
        found: false,
        reason: `Le dossier ${place.path} a été recréé depuis le classement : le message n’y est plus retrouvable.`,
      };
    }
    const msg = await client.fetchOne(String(place.uid), { source: true }, { uid: true });
    const source = msg ? msg.source : undefined;
    if (!source) {
      return {
        found: false,
        reason: `Le message n’est plus dans ${place.path} : il a été déplacé ou supprimé dans la boîte aux lettres.`,
      };
    }
    return { found: true, source, path: place.path };
  } finally {
    lock.release();
  }
}
