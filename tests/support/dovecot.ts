import type { ImapFlow } from 'imapflow';
import { type DovecotServer, imapClient as harnessImapClient, type ImapServer } from './harness/dovecot.mjs';

export { type DovecotServer, type StartDovecotOptions, startDovecot } from './harness/dovecot.mjs';
export { freePort } from './harness/ports.mjs';

/** A not yet connected client for the test server; `onError` hears what imapflow reports (it crashes without a listener). */
export function imapClient(server: ImapServer, onError: (error: Error) => void = () => {}): ImapFlow {
  return harnessImapClient(server, {}, onError);
}

export interface AppendedMail {
  uid: number | undefined;
  uidValidity: bigint | undefined;
}

/** Appends one message through a short-lived IMAP connection, creating the mailbox if needed. */
export async function appendMail(
  server: Pick<DovecotServer, 'host' | 'port' | 'user' | 'password'>,
  mailbox: string,
  raw: Buffer | string,
  flags: string[] = [],
): Promise<AppendedMail> {
  const client = imapClient(server);
  await client.connect();
  try {
    if (mailbox.toUpperCase() !== 'INBOX') {
      // mailboxCreate on an existing mailbox answers ALREADYEXISTS, which imapflow reports as created: false.
      await client.mailboxCreate(mailbox);
    }
    const result = await client.append(mailbox, raw, flags);
    if (!result) throw new Error(`APPEND to ${mailbox} failed`);
    return { uid: result.uid, uidValidity: result.uidValidity };
  } finally {
    await client.logout().catch(() => client.close());
  }
}
