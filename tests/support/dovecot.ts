import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';

const SCRIPT = fileURLToPath(new URL('../../scripts/dovecot.sh', import.meta.url));

// The first start on a fresh machine may apt-get install dovecot-imapd.
const START_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 60_000;

export interface DovecotServer {
  host: string;
  port: number;
  user: string;
  password: string;
  dir: string;
  stop(): Promise<void>;
  /** Stops and starts the same instance: same port, same mail, same UIDVALIDITY. */
  restart(): Promise<void>;
}

export interface StartDovecotOptions {
  port?: number;
  user?: string;
  password?: string;
}

/** Asks the kernel for a free loopback port; another process may still take it before we bind. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

function runScript(args: string[], timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, ...args], { timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const reason = error.killed ? `timed out after ${timeout} ms` : `exit code ${String(error.code)}`;
        reject(new Error(`scripts/dovecot.sh ${args.join(' ')} failed (${reason}):\n${stderr}`));
        return;
      }
      resolve(stdout);
    });
  });
}

// Servers a failed or forgotten test did not stop would keep their port and
// processes after the worker is gone. Vitest's fork pool ends workers with
// SIGTERM and SIGKILLs them 500 ms later, too soon for a 1 s Dovecot stop, so
// the stop runs in a detached shell that outlives the worker.
const live = new Set<string>();
let exitHooksInstalled = false;

function stopDetached(dir: string): void {
  const removeDir = process.env.CDAP_TEST_KEEP_DIRS ? '' : '; rm -rf -- "$1"';
  spawn('bash', ['-c', `bash "$0" stop --dir "$1"${removeDir}`, SCRIPT, dir], {
    detached: true,
    stdio: 'ignore',
  }).unref();
}

function trackForExit(dir: string): void {
  live.add(dir);
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const cleanup = () => {
    for (const d of live) stopDetached(d);
    live.clear();
  };
  process.once('exit', cleanup);
  process.once('SIGTERM', () => {
    cleanup();
    // Our listener replaced the default "terminate"; give it back unless another module still handles it.
    if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
  });
}

export async function startDovecot(options: StartDovecotOptions = {}): Promise<DovecotServer> {
  const user = options.user ?? 'cdap';
  const password = options.password ?? 'cdap-local';
  const dir = await mkdtemp(join(tmpdir(), 'cdap-dovecot-'));

  // A port picked by freePort can be grabbed by a parallel worker before
  // Dovecot binds it; only a port we chose ourselves is worth retrying.
  const attempts = options.port === undefined ? 3 : 1;
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = options.port ?? (await freePort());
    try {
      const out = await runScript(
        ['start', '--dir', dir, '--port', String(port), '--user', user, '--password', password],
        START_TIMEOUT_MS,
      );
      const printed = Number(out.trim().split('\n').pop());
      if (printed !== port) throw new Error(`scripts/dovecot.sh printed port ${printed}, expected ${port}`);
      break;
    } catch (error) {
      const portTaken = error instanceof Error && error.message.includes('already in use');
      if (!portTaken || attempt >= attempts) {
        // The script may have given up waiting on a master that is still up.
        await runScript(['stop', '--dir', dir], STOP_TIMEOUT_MS).catch(() => {});
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  trackForExit(dir);

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await runScript(['stop', '--dir', dir], STOP_TIMEOUT_MS);
      live.delete(dir);
      // Keep the mail and dovecot.log around when someone is debugging a failure.
      if (!process.env.CDAP_TEST_KEEP_DIRS) await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop(): the Dovecot directory is gone');
      await runScript(['restart', '--dir', dir], START_TIMEOUT_MS);
    },
  };
}

type ImapServer = Pick<DovecotServer, 'host' | 'port' | 'user' | 'password'>;

/**
 * A not yet connected client for the test server. The `error` listener is
 * attached because imapflow crashes the process on an unhandled `error` event
 * (e.g. when a test restarts Dovecot under an open connection).
 */
export function imapClient(server: ImapServer, onError: (error: Error) => void = () => {}): ImapFlow {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: server.user, pass: server.password },
    logger: false,
    // Tests drive the connection explicitly; a background IDLE would only add latency to their commands.
    disableAutoIdle: true,
  });
  client.on('error', onError);
  return client;
}

export interface AppendedMail {
  uid: number | undefined;
  uidValidity: bigint | undefined;
}

/** Appends one message through a short-lived IMAP connection, creating the mailbox if needed. */
export async function appendMail(
  server: ImapServer,
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
