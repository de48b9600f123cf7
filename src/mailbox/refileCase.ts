import type { ImapFlow } from 'imapflow';
import type { CaseStore, FolderKey } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import { CdapError } from '../infra/errors.js';
import { ensureFolders, type FolderPaths } from './folders.js';
import { createImapClient } from './imapClient.js';

export class RefileError extends CdapError {
  override name = 'RefileError';
  constructor(message: string, code: 'REFILE_NOT_FILED' | 'REFILE_FOLDER_RECREATED' | 'REFILE_MAIL_GONE') {
    super(code, message);
  }
}

/**
 * Moves a case's own mail, already filed, to another folder and remembers
 * where it went. Used when a case changes queue after it was filed: an
 * escalating follow-up, a reprocess.
 */
export async function moveFiledMail(
  client: ImapFlow,
  caseStore: CaseStore,
  paths: FolderPaths,
  ref: string,
  folder: FolderKey,
  flags: string[],
): Promise<void> {
  const at = await caseStore.filedAt(ref);
  if (!at) throw new RefileError(`the mail of ${ref} has no known place in the mailbox`, 'REFILE_NOT_FILED');
  const target = paths[folder];
  const lock = await client.getMailboxLock(at.path);
  try {
    const box = client.mailbox;
    if (!box || String(box.uidValidity) !== at.uidValidity) {
      throw new RefileError(
        `the folder ${at.path} was recreated since ${ref} was filed`,
        'REFILE_FOLDER_RECREATED',
      );
    }
    if (flags.length) await client.messageFlagsAdd(String(at.uid), flags, { uid: true });
    if (target === at.path) return;
    const moved = await client.messageMove(String(at.uid), target, { uid: true });
    if (!moved) throw new RefileError(`the mail of ${ref} is no longer in ${at.path}`, 'REFILE_MAIL_GONE');
    const uid = moved.uidMap?.get(at.uid);
    if (uid !== undefined && moved.uidValidity !== undefined) {
      await caseStore.setFiledAt(ref, { path: target, uidValidity: String(moved.uidValidity), uid });
    }
  } finally {
    lock.release();
  }
}

/** The same on a connection of its own, for stages that hold none (triage). */
export function createRefiler(
  config: Pick<Config, 'imap' | 'folders' | 'intake'>,
  caseStore: CaseStore,
): (ref: string, folder: FolderKey, flagged: boolean) => Promise<void> {
  return async (ref, folder, flagged) => {
    const client = createImapClient(config.imap, config.intake.socketTimeoutMs);
    client.on('error', () => {});
    await client.connect();
    try {
      const paths = await ensureFolders(client, config.folders);
      const flags = flagged ? ['\\Flagged', config.folders.urgentKeyword] : [];
      await moveFiledMail(client, caseStore, paths, ref, folder, flags);
    } finally {
      await client.logout().catch(() => client.close());
    }
  };
}
