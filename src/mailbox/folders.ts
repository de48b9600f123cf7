import type { ImapFlow } from 'imapflow';
import type { FolderKey } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';

export type FolderPaths = Record<FolderKey, string>;

/**
 * The triage folders under their parent, joined with the server's own
 * hierarchy delimiter (Dovecot's Maildir uses "." and refuses "/").
 */
export async function ensureFolders(client: ImapFlow, folders: Config['folders']): Promise<FolderPaths> {
  const list = await client.list();
  const delimiter = list.find((m) => m.delimiter)?.delimiter ?? '/';
  const existing = new Set(list.map((m) => m.path));
  const paths: FolderPaths = {
    priority: [folders.parent, folders.priority].join(delimiter),
    standard: [folders.parent, folders.standard].join(delimiter),
    quarantine: [folders.parent, folders.quarantine].join(delimiter),
    ignored: [folders.parent, folders.ignored].join(delimiter),
    errors: [folders.parent, folders.errors].join(delimiter),
  };
  for (const path of [folders.parent, ...Object.values(paths)]) {
    if (!existing.has(path)) {
      try {
        await client.mailboxCreate(path);
      } catch (err) {
        // Another replica may have created it between our LIST and CREATE.
        if (!(err as { serverResponseCode?: string }).serverResponseCode?.includes('ALREADYEXISTS')) {
          const again = await client.list();
          if (!again.some((m) => m.path === path)) throw err;
        }
      }
    }
  }
  return paths;
}
