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
