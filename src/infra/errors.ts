/**
 * The service's error codes, and which failures of the servers it talks to are permanent.
 * Modelled on nodemailer's `errors.js`: one catalogue, so a log search or an alert can rely on
 * `err.code`, and one `isPermanent()` that decides between retrying and stopping.
 */
export const ERROR_CODES = {
  // Configuration and start-up: fail fast, a person must act.
  CONFIG_INVALID: 'Configuration invalide (fichier ou variable d’environnement)',
  DATABASE_UNREACHABLE: 'La base PostgreSQL ne répond pas',
  DATABASE_MISSING: 'La base PostgreSQL n’existe pas',
  DATABASE_SCHEMA_NEWER: 'Le schéma de la base est plus récent que le programme',
  DATABASE_MIGRATION: 'La mise à jour du schéma de la base a échoué',
  REDIS_EVICTION_POLICY: 'Redis peut évincer des clés : la politique doit être noeviction',
  LOCAL_MAILBOX: 'La boîte aux lettres locale de démonstration n’a pas pu démarrer',
  DEMO_ALREADY_RUNNING: 'Une démonstration tourne déjà',
  DEMO_NOT_LOCAL: 'Pas de démonstration locale à arrêter (IMAP_HOST est défini)',
  DEMO_RUN_STILL_ALIVE: 'La démonstration tourne encore',
  // Mail and replies.
  MAIL_UNREADABLE: 'Courriel illisible (MIME)',
  TEMPLATE_INVALID: 'Modèle de réponse invalide',
  REPLY_BUSY: 'Une autre exécution envoie déjà cette réponse',
  // Mailbox filing.
  REFILE_NOT_FILED: 'Le courriel du dossier n’a pas de place connue dans la boîte',
  REFILE_FOLDER_RECREATED: 'Le dossier IMAP a été recréé depuis le classement',
  REFILE_MAIL_GONE: 'Le courriel n’est plus dans son dossier',
  // Commands.
  REPROCESS: 'Réexamen impossible',
  UNKNOWN_MAILBOX: 'Boîte aux lettres inconnue',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error of the service: a stable code for machines, a French message for people, the cause kept. */
export class CdapError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface ServerError {
  code?: string;
  responseCode?: number;
  authenticationFailed?: boolean;
  message?: string;
  responseText?: string;
}

const unreachable = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT']);

/**
 * Whether retrying cannot fix a failure. IMAP: a refused login (the operator must change the
 * credentials). SMTP: a 5xx answer, or a message nodemailer refused before any server answer
 * (no recipient, bad address). Everything else (network, timeouts, 4xx) is transient.
 */
export function isPermanent(err: unknown, protocol: 'imap' | 'smtp'): boolean {
  const e = (err ?? {}) as ServerError;
  if (protocol === 'imap') return e.authenticationFailed === true;
  if (typeof e.responseCode === 'number') return e.responseCode >= 500 && e.responseCode < 600;
  return e.code === 'EENVELOPE' || e.code === 'EMESSAGE';
}

/**
 * SMTP: whether a failed send may still have reached the server: the server closed the
 * connection with no SMTP answer while a message was on its way — what a relay that takes the
 * data, then vanishes, looks like. Timeouts, refused or reset connections and the server's error
 * answers are retried as usual: nodemailer does not say which command they struck, and most
 * strike before DATA. Such sends are counted (docs/reliability.md).
 */
export function mayHaveBeenDelivered(err: unknown): boolean {
  const e = (err ?? {}) as ServerError;
  return e.code === 'ECONNECTION' && typeof e.responseCode !== 'number';
}

/** An IMAP failure as the operator reads it, in French, with whether retrying can fix it. */
export function describeImapFailure(err: unknown): { permanent: boolean; message: string } {
  const e = (err ?? {}) as ServerError;
  if (isPermanent(err, 'imap')) {
    return {
      permanent: true,
      message:
        'connexion IMAP refusée : vérifiez IMAP_USER et IMAP_PASSWORD (et que le compte peut se connecter en IMAP).',
    };
  }
  if (e.code && unreachable.has(e.code)) {
    return {
      permanent: false,
      message: `serveur IMAP injoignable (${e.code}) : vérifiez IMAP_HOST et IMAP_PORT, et que le serveur tourne.`,
    };
  }
  if (e.code === 'CONNECT_TIMEOUT' || e.code === 'GREETING_TIMEOUT') {
    return { permanent: false, message: `le serveur IMAP n’a pas répondu à temps (${e.code}).` };
  }
  return { permanent: false, message: `erreur IMAP : ${e.responseText ?? e.message ?? String(err)}` };
}
