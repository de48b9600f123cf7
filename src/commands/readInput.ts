import { readFile } from 'node:fs/promises';
import { frenchTypography } from './french.js';

/** A file's bytes, or the standard input's for `-`. */
export async function readInput(file: string): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  return readFile(file);
}

/** Why `file` could not be read, as the command prints it. */
export function unreadable(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'fichier introuvable'
      : code === 'EISDIR'
        ? 'c’est un dossier'
        : code === 'EACCES'
          ? 'lecture interdite'
          : (err as Error).message;
  return frenchTypography(`cdap-triage : impossible de lire ${file} : ${why}\n`);
}

/** The bytes start with mail headers (two lines at least), not with text typed without them. */
export function hasMailHeaders(raw: Buffer): boolean {
  const head = raw.subarray(0, 2000).toString('utf8');
  return /^[A-Za-z-]+:[^\n]*\r?\n(?:[A-Za-z-]+:|[ \t])/.test(head);
}
