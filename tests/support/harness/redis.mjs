// A private redis-server on a free loopback port, for tests that stop, kill or
// restart Redis and for the benchmark. The machine's shared Redis on 6379 is
// never started or stopped here.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupOnExit } from './exitCleanup.mjs';
import { freePort, portAccepts } from './ports.mjs';

/** The machine's shared Redis: tests use it with a unique prefix and must never stop it. */
export const SHARED_REDIS_PORT = 6379;

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 20_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one inline command and returns the first reply line, or null when nothing listens. */
function rawCommand(port, command, timeoutMs = 1_000) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (value) => {
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

async function waitUntil(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

// The daemon is re-parented to PID 1, which here does not reap it: a killed
// Redis stays a zombie, so liveness is judged by the port, and the PID is only
// trusted while its cmdline still names our port (guards against PID reuse).
function ownPid(pidFile, port) {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(`:${port}`) ? pid : null;
  } catch {
    return null;
  }
}

export async function startPrivateRedis(options = {}) {
  const appendonly = options.appendonly ?? true;
  // A directory we made is ours to delete; one we were given belongs to the caller.
  const ownDir = options.dir === undefined;
  const dir = ownDir ? await mkdtemp(join(tmpdir(), 'cdap-redis-')) : options.dir;
  if (!ownDir) mkdirSync(dir, { recursive: true });
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
      const exitCode = await new Promise((resolve, reject) => {
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
    if (ownDir && !process.env.CDAP_TEST_KEEP_DIRS) rmSync(dir, { recursive: true, force: true });
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
  const untrack = cleanupOnExit(cleanupNow);
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
    pid: () => ownPid(pidFile, port),
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
    async restartFrom(copy) {
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
      untrack();
      removeDir();
    },
  };
}
