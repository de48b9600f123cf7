import type { ImapFlow, ImapFlowOptions } from 'imapflow';

export interface DovecotServer {
  host: string;
  port: number;
  user: string;
  password: string;
  dir: string;
  /** The user's Maildir, where mail can be written straight into new/. */
  maildir: string;
  /** PID of the Dovecot master as last started, or null. */
  masterPid(): number | null;
  /** Stops it, and deletes its dir unless the caller gave the dir (or CDAP_TEST_KEEP_DIRS is set). */
  stop(): Promise<void>;
  /** Stops and starts the same instance: same port, same mail, same UIDVALIDITY. */
  restart(): Promise<void>;
}

export interface StartDovecotOptions {
  /** Default: a free port, tried again if another process takes it first. */
  port?: number;
  user?: string;
  password?: string;
  /** Where its config, logs and mail go; by default a temporary directory that stop() deletes. */
  dir?: string;
}

export function startDovecot(options?: StartDovecotOptions): Promise<DovecotServer>;

export type ImapServer = Pick<DovecotServer, 'host' | 'port' | 'user' | 'password'>;

/**
 * A not yet connected client for the server. The `error` listener is attached
 * because imapflow crashes the process on an unhandled `error` event (e.g. when
 * a test restarts Dovecot under an open connection). Background IDLE is off:
 * callers drive the connection explicitly, and IDLE would only delay their commands.
 */
export function imapClient(
  server: ImapServer,
  options?: Partial<ImapFlowOptions>,
  onError?: (error: Error) => void,
): ImapFlow;
