import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The machine's shared Redis: tests use it with a unique prefix and must never stop it. */
export const SHARED_REDIS_PORT = 6379;

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 20_000;

/**
 * A BullMQ prefix of its own per test run, so parallel workers and reruns on the
 * shared Redis never see each other's queues. BullMQ joins it with ':', hence the
 * restricted alphabet.
 */
export function uniquePrefix(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
  return `cdap-test-${safe}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  /** Graceful SHUTDOWN (flushes the AOF when appendonly); restart() brings it back with its data. */
  stop(): Promise<void>;
  /** SIGKILL, to simulate a crash; restart() reloads what the AOF holds. */
  kill(): Promise<void>;
  /** Starts it again on the same port and dir, stopping it first if it runs. */
  restart(): Promise<void>;
  /**
   * A copy of the append-only files as they are now, while Redis keeps
   * running: what the disk would hold had the last writes not been fsynced yet.
   */
  copyAof(): Promise<string>;
  /** SIGKILL, then start again on the same port from an older copy (copyAof): the writes since are lost. */
  restartFrom(copy: string): Promise<void>;
  /** Stops it and deletes its dir: call in afterAll. */
  destroy(): Promise<void>;
}

export interface StartPrivateRedisOptions {
  appendonly?: boolean;
}

// Duplicated from dovecot.ts so Redis tests do not load imapflow.
async function freePort(): Promise<number> {
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one inline command and returns the first reply line, or null when nothing listens. */
function rawCommand(port: number, command: string, timeoutMs = 1_000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (value: string | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.on('error', () => done(reply ? reply : null));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      const end = reply.indexOf('\r\n');
      if (end >= 0) done(reply.slice(0, end));
    });
    // SHUTDOWN answers by closing the connection.
    socket.on('close', () => done(reply || ''));
  });
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

// The daemon is re-parented to PID 1, which here does not reap it: a killed
// Redis stays a zombie, so liveness is judged by the port, and the PID is only
// trusted while its cmdline still names our port (guards against PID reuse).
function ownPid(pidFile: string, port: number): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(`:${port}`) ? pid : null;
  } catch {
    return null;
  }
}

// A forgotten private Redis would outlive the test worker as a daemon. Vitest's
// fork pool ends workers with SIGTERM, which skips 'exit' handlers, so both are hooked.
const liveCleanups = new Set<() => void>();
let exitHooksInstalled = false;
function trackForExit(cleanupNow: () => void): void {
  liveCleanups.add(cleanupNow);
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const cleanup = () => {
    for (const cleanupOne of liveCleanups) cleanupOne();
    liveCleanups.clear();
  };
  process.once('exit', cleanup);
  process.once('SIGTERM', () => {
    cleanup();
    // Our listener replaced the default "terminate"; give it back unless another module still handles it.
    if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
  });
}

export async function startPrivateRedis(options: StartPrivateRedisOptions = {}): Promise<PrivateRedis> {
  const appendonly = options.appendonly ?? true;
  const dir = await mkdtemp(join(tmpdir(), 'cdap-redis-'));
  const port = await freePort();
  if (port === SHARED_REDIS_PORT) throw new Error('refusing to run a private Redis on the shared port');
  const pidFile = join(dir, 'redis.pid');
  const logFile = join(dir, 'redis.log');
  const stderrFile = join(dir, 'redis.stderr');

  const launch = async () => {
    // stdio goes to a file, never a pipe: a daemon holding our pipe would keep
    // the reader waiting forever.
    const fd = openSync(stderrFile, 'a');
    try {
      const exitCode = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            appendonly ? 'yes' : 'no',
            '--maxmemory-policy',
            'noeviction',
            '--daemonize',
            'yes',
            '--pidfile',
            pidFile,
            '--dir',
            dir,
            '--logfile',
            logFile,
          ],
          { stdio: ['ignore', fd, fd] },
        );
        child.on('error', reject);
        child.on('exit', resolve);
      });
      if (exitCode !== 0) throw new Error(`redis-server exited with ${exitCode}`);
      // -LOADING while the AOF is replayed: only +PONG means it serves commands.
      await waitUntil(`private Redis on port ${port}`, READY_TIMEOUT_MS, async () => {
        return (await rawCommand(port, 'PING')) === '+PONG';
      });
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      const stderr = await readFile(stderrFile, 'utf8').catch(() => '');
      const tail = `${stderr}\n${log}`.trim().split('\n').slice(-20).join('\n');
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${tail}`);
    } finally {
      closeSync(fd);
    }
  };

  const waitClosed = () =>
    waitUntil(
      `private Redis on port ${port} to close`,
      STOP_TIMEOUT_MS,
      async () => !(await portAccepts(port)),
    );

  const killNow = () => {
    const pid = ownPid(pidFile, port);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };

  const removeDir = () => {
    if (!process.env.CDAP_TEST_KEEP_DIRS) rmSync(dir, { recursive: true, force: true });
  };
  const cleanupNow = () => {
    killNow();
    removeDir();
  };

  try {
    await launch();
  } catch (error) {
    // A daemon that started but never answered PING must not outlive the failure.
    cleanupNow();
    throw error;
  }
  trackForExit(cleanupNow);
  let destroyed = false;

  const stop = async () => {
    if (!(await portAccepts(port))) return;
    // SHUTDOWN rather than SIGTERM: same effect, and it needs no PID.
    await rawCommand(port, 'SHUTDOWN', 5_000);
    await waitClosed();
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    async kill() {
      killNow();
      await waitClosed();
    },
    async restart() {
      if (destroyed) throw new Error('restart() after destroy()');
      await stop();
      await launch();
    },
    async copyAof() {
      const copy = join(dir, `aof-copy-${randomBytes(4).toString('hex')}`);
      await cp(join(dir, 'appendonlydir'), copy, { recursive: true });
      return copy;
    },
    async restartFrom(copy: string) {
      if (destroyed) throw new Error('restartFrom() after destroy()');
      killNow();
      await waitClosed();
      await rm(join(dir, 'appendonlydir'), { recursive: true, force: true });
      await cp(copy, join(dir, 'appendonlydir'), { recursive: true });
      await launch();
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stop().catch(killNow);
      liveCleanups.delete(cleanupNow);
      removeDir();
    },
  };
}

/** Removes every key a test run wrote under its prefix (on whichever Redis it used). */
export async function deleteKeys(
  redis: { keys(p: string): Promise<string[]>; del(...k: string[]): Promise<number> },
  prefix: string,
): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
}
