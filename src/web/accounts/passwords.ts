import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** Shorter passwords are refused by the command line. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * argon2id with the library's defaults (19 MiB, 2 passes: OWASP's minimum),
 * which the hash string records, so that stronger settings later still
 * verify the hashes written before.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** Whether `password` is the one `stored` was made from; false for a malformed hash. */
export async function passwordMatches(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/**
 * A hash verified when the account does not exist or has no password, so that
 * an unknown login takes as long to refuse as a wrong password.
 */
let decoy: Promise<string> | null = null;
export async function wasteVerification(password: string): Promise<void> {
  decoy ??= hash(randomBytes(16).toString('hex'));
  await passwordMatches(await decoy, password);
}

/** Why a new password is refused, in French; null when it will do. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    return `le mot de passe doit compter au moins ${MIN_PASSWORD_LENGTH} caractères`;
  if (password.trim() !== password) return 'le mot de passe ne doit ni commencer ni finir par une espace';
  return null;
}

/** API tokens: `cdap_` and 32 random bytes; the database keeps only their sha256. */
export function newApiToken(): string {
  return `cdap_${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
