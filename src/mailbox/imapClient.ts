import { ImapFlow } from 'imapflow';
import type { Config } from '../config/schema.js';

/**
 * A new ImapFlow for each connection attempt: a closed instance cannot be
 * reused. The caller must attach an `error` listener before connecting.
 */
export function createImapClient(imap: Config['imap'], socketTimeoutMs = 60_000): ImapFlow {
  return new ImapFlow({
    host: imap.host,
    port: imap.port,
    secure: imap.secure,
    auth: { user: imap.user, pass: imap.password },
    tls: { rejectUnauthorized: imap.tlsRejectUnauthorized },
    logger: false,
    // IDLE restarts a quarter second after our last command, so a mail that
    // arrives right after a cycle is still announced within Dovecot's 0.5 s.
    autoIdleDelay: 250,
    connectionTimeout: 15_000,
    greetingTimeout: 10_000,
    socketTimeout: socketTimeoutMs,
    clientInfo: { name: 'cdap-triage' },
  });
}

/** Errors that retrying will not fix: the operator must change the configuration. */
export function describeImapFailure(err: unknown): { permanent: boolean; message: string } {
  const e = err as { authenticationFailed?: boolean; code?: string; message?: string; responseText?: string };
  if (e?.authenticationFailed) {
    return {
      permanent: true,
      message:
        'connexion IMAP refusée : vérifiez IMAP_USER et IMAP_PASSWORD (et que le compte peut se connecter en IMAP).',
    };
  }
  if (
    e?.code === 'ECONNREFUSED' ||
    e?.code === 'ENOTFOUND' ||
    e?.code === 'EHOSTUNREACH' ||
    e?.code === 'ETIMEDOUT'
  ) {
    return {
      permanent: false,
      message: `serveur IMAP injoignable (${e.code}) : vérifiez IMAP_HOST et IMAP_PORT, et que le serveur tourne.`,
    };
  }
  if (e?.code === 'CONNECT_TIMEOUT' || e?.code === 'GREETING_TIMEOUT') {
    return { permanent: false, message: `le serveur IMAP n’a pas répondu à temps (${e.code}).` };
  }
  return { permanent: false, message: `erreur IMAP : ${e?.responseText ?? e?.message ?? String(err)}` };
}
