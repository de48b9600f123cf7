// A private Dovecot (scripts/dovecot.sh) on a free loopback port, and IMAP
// clients for it.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';
import { cleanupOnExit } from './exitCleanup.mjs';
import { freePort } from './ports.mjs';

const SCRIPT = fileURLToPath(new URL('../../../scripts/dovecot.sh', import.meta.url));

// The first start on a fresh machine may apt-get install dovecot-imapd.
const START_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 60_000;

function runScript(args, timeout) {
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

// Vitest's fork pool SIGKILLs a worker 500 ms after its SIGTERM, too soon for a
// 1 s Dovecot stop, so the stop at exit runs in a detached shell that outlives us.
function stopDetached(dir, removeDir) {
  const remove = removeDir && !process.env.CDAP_TEST_KEEP_DIRS ? '; rm -rf -- "$1"' : '';
  spawn('bash', ['-c', `bash "$0" stop --dir "$1"${remove}`, SCRIPT, dir], {
    detached: true,
    stdio: 'ignore',
  }).unref();
}

export async function startDovecot(options = {}) {
  const user = options.user ?? 'cdap';
  const password = options.password ?? 'cdap-local';
  // A directory we made is ours to delete; one we were given belongs to the caller.
  const ownDir = options.dir === undefined;
  const dir = ownDir ? await mkdtemp(join(tmpdir(), 'cdap-dovecot-')) : options.dir;
  if (!ownDir) await mkdir(dir, { recursive: true });
  const removeDir = async () => {
    // Keep the mail and dovecot.log around when someone is debugging a failure.
    if (ownDir && !process.env.CDAP_TEST_KEEP_DIRS) await rm(dir, { recursive: true, force: true });
  };

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
      // The script may have given up waiting on a master that is still up.
      await runScript(['stop', '--dir', dir], STOP_TIMEOUT_MS).catch(() => {});
      const portTaken = error instanceof Error && error.message.includes('already in use');
      if (!portTaken || attempt >= attempts) {
        await removeDir();
        throw error;
      }
    }
  }
  const untrack = cleanupOnExit(() => stopDetached(dir, ownDir));

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    dir,
    maildir: join(dir, 'home', user, 'Maildir'),
    masterPid() {
      try {
        const pid = Number(readFileSync(join(dir, 'master.pid.last'), 'utf8').trim());
        return Number.isInteger(pid) && pid > 0 ? pid : null;
      } catch {
        return null;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await runScript(['stop', '--dir', dir], STOP_TIMEOUT_MS);
      untrack();
      await removeDir();
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop(): the Dovecot directory is gone');
      await runScript(['restart', '--dir', dir], START_TIMEOUT_MS);
    },
  };
}

/**
 * A not yet connected client for the server. The `error` listener is attached
 * because imapflow crashes the process on an unhandled `error` event (e.g. when
 * a test restarts Dovecot under an open connection). Background IDLE is off:
 * callers drive the connection explicitly, and IDLE would only delay their commands.
 */
export function imapClient(server, options = {}, onError = () => {}) {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: server.user, pass: server.password },
    logger: false,
    disableAutoIdle: true,
    ...options,
  });
  client.on('error', onError);
  return client;
}
