// The servers a bench run needs, all private to the run: Redis, Dovecot, an SMTP
// sink, and the service under test as child processes. Everything started here
// is registered with a Cleanup so a failed or interrupted run leaves nothing behind.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import { stringify } from 'yaml';
import { root } from './paths.mjs';

const run = promisify(execFile);
const SBIN_PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Cleanups run last-in first-out, each on its own, so one failure does not strand the rest. */
export class Cleanup {
  #steps = [];
  #running = null;

  add(name, fn) {
    const step = { name, fn };
    this.#steps.push(step);
    return async () => {
      // Once a full cleanup runs (end of run, or a signal), it alone stops things, in order.
      if (this.#running) return this.#running;
      const i = this.#steps.indexOf(step);
      if (i < 0) return;
      this.#steps.splice(i, 1);
      await fn();
    };
  }

  runAll(log = () => {}) {
    this.#running ??= (async () => {
      while (this.#steps.length) {
        const step = this.#steps.pop();
        try {
          await step.fn();
        } catch (err) {
          log(`cleanup of ${step.name} failed: ${err.message}`);
        }
      }
    })();
    return this.#running;
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** An error that waitUntil passes on at once instead of retrying (e.g. the service died). */
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}

export async function waitUntil(what, timeoutMs, probe, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      if (err.fatal) throw err;
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(everyMs);
  }
}

export async function makeWorkDir(cleanup) {
  const dir = await mkdtemp(join(tmpdir(), 'cdap-bench-'));
  // Dovecot's mail user must traverse it to reach the mailboxes; mkdtemp gives 0700.
  await chmod(dir, 0o755);
  cleanup.add(`work dir ${dir}`, () =>
    process.env.CDAP_BENCH_KEEP_DIRS ? undefined : rm(dir, { recursive: true, force: true }),
  );
  return dir;
}

// ---------------------------------------------------------------- Redis

export async function startRedis(cleanup, workDir) {
  const dir = join(workDir, 'redis');
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  if (port === 6379) throw new Error('refusing to run the bench Redis on the shared port 6379');
  const pidFile = join(dir, 'redis.pid');
  // A daemon that inherits a pipe keeps the reader waiting: its stdio goes to a file.
  const fd = openSync(join(dir, 'redis.stdout'), 'a');
  try {
    const code = await new Promise((resolve, reject) => {
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
          'no',
          '--maxmemory-policy',
          'noeviction',
          '--daemonize',
          'yes',
          '--pidfile',
          pidFile,
          '--dir',
          dir,
          '--logfile',
          join(dir, 'redis.log'),
        ],
        { stdio: ['ignore', fd, fd] },
      );
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`redis-server exited with ${code}`);
  } finally {
    closeSync(fd);
  }
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
  client.on('error', () => {});
  const stop = cleanup.add(`redis :${port}`, async () => {
    client.disconnect();
    killOwnPid(pidFile, `:${port}`);
    await waitUntil(`Redis :${port} to stop`, 10_000, async () => !(await portAccepts(port)));
  });
  await waitUntil(`Redis on :${port}`, 10_000, () => portAccepts(port));
  await client.connect();
  await waitUntil(`Redis on :${port} to answer`, 10_000, async () => (await client.ping()) === 'PONG');
  const info = await client.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return { url, port, client, version, pid: pidFromFile(pidFile), stop };
}

/** The PID in a pid file, signalled only if its command line still names our instance. */
function killOwnPid(pidFile, marker) {
  let pid;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) return;
  } catch {
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

function portAccepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------- Dovecot

const DOVECOT_SCRIPT = join(root, 'scripts', 'dovecot.sh');

function dovecotScript(args, timeout = 300_000) {
  return run('bash', [DOVECOT_SCRIPT, ...args], { timeout, maxBuffer: 8 * 1024 * 1024 });
}

export async function dovecotVersion() {
  try {
    const { stdout } = await run('dovecot', ['--version'], { env: { ...process.env, PATH: SBIN_PATH } });
    return stdout.trim();
  } catch {
    return 'unknown';
  }
}

/** A fresh Dovecot per measure: its mailbox starts empty and its UIDs start at 1. */
export async function startDovecot(cleanup, workDir, name) {
  const dir = join(workDir, `dovecot-${name}`);
  await mkdir(dir, { recursive: true });
  const user = 'bench';
  const password = 'bench-pw';
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await dovecotScript([
        'start',
        '--dir',
        dir,
        '--port',
        String(port),
        '--user',
        user,
        '--password',
        password,
      ]);
      break;
    } catch (err) {
      await dovecotScript(['stop', '--dir', dir], 60_000).catch(() => {});
      if (attempt >= 3 || !String(err.stderr ?? '').includes('already in use')) {
        throw new Error(`scripts/dovecot.sh start failed: ${String(err.stderr ?? err.message).trim()}`);
      }
    }
  }
  const stop = cleanup.add(`dovecot ${name}`, () => dovecotScript(['stop', '--dir', dir], 60_000));
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    dir,
    maildir: join(dir, 'home', user, 'Maildir'),
    masterPid: () => pidFromFile(join(dir, 'master.pid.last')),
    stop,
  };
}

export function imapClient(server, options = {}) {
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
  client.on('error', () => {});
  return client;
}

/**
 * Writes mails straight into the Maildir's new/ (Dovecot adopts them at the next
 * SELECT), ~10× faster than APPEND one by one; INTERNALDATE is the file time, now.
 */
export async function preloadMaildir(server, mails) {
  const { uid, gid } = statSync(join(server.dir, 'home'));
  for (const sub of ['', 'cur', 'new', 'tmp']) {
    const path = join(server.maildir, sub);
    await mkdir(path, { recursive: true });
    await chown(path, uid, gid);
  }
  await chown(join(server.maildir, '..'), uid, gid);
  const stamp = Math.floor(Date.now() / 1000);
  let i = 0;
  const writes = [];
  for (const raw of mails) {
    const file = join(server.maildir, 'new', `${stamp}.M${i}P${process.pid}.bench`);
    i++;
    writes.push(writeFile(file, raw).then(() => chown(file, uid, gid)));
    if (writes.length >= 64) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  return i;
}

// ---------------------------------------------------------------- SMTP sink

/**
 * Accepts every message and keeps only what the measures need: when it was
 * accepted and which mail it answers (In-Reply-To), never the message itself.
 */
export async function startSmtpSink(cleanup) {
  const received = [];
  const byInReplyTo = new Map();
  const waiters = new Set();
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    size: 50 * 1024 * 1024,
    closeTimeout: 2_000,
    onData(stream, _session, callback) {
      let head = '';
      let size = 0;
      stream.on('data', (chunk) => {
        size += chunk.length;
        if (head.length < 16384) head += chunk.toString('latin1', 0, Math.min(chunk.length, 16384));
      });
      stream.on('end', () => {
        const at = Date.now();
        const headers = head.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
        const inReplyTo = /^in-reply-to:\s*(<[^>\r\n]*>)/im.exec(headers)?.[1] ?? null;
        const entry = { at, inReplyTo, size };
        received.push(entry);
        if (inReplyTo) byInReplyTo.set(inReplyTo, [...(byInReplyTo.get(inReplyTo) ?? []), at]);
        for (const wake of waiters) wake();
        callback(null);
      });
      stream.on('error', (err) => callback(err));
    },
  });
  server.on('error', () => {});
  await new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address();
  const stop = cleanup.add('smtp sink', () => new Promise((resolve) => server.close(() => resolve())));
  return {
    host: '127.0.0.1',
    port,
    received,
    byInReplyTo,
    /** Resolves on the next accepted message (or after ms). */
    next(ms) {
      return new Promise((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        waiters.add(wake);
      });
    },
    stop,
  };
}

// ---------------------------------------------------------------- the service

const SCRUBBED_ENV =
  /^(CDAP_|IMAP_|SMTP_|REDIS_URL$|QUEUE_PREFIX$|LOG_LEVEL$|TRIAGE_CONCURRENCY$|REPLY_MODE$|CONFIG_FILE$)/;

/** Environment and CONFIG_FILE for `cdap-triage run` against the bench servers. */
function mergeDeep(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    const plain = (x) => x && typeof x === 'object' && !Array.isArray(x);
    out[k] = plain(out[k]) && plain(v) ? mergeDeep(out[k], v) : v;
  }
  return out;
}

export async function serviceSetup({
  workDir,
  name,
  redisUrl,
  prefix,
  imap,
  smtp,
  config,
  overrides = {},
  env = {},
}) {
  // Without it the service would fall back to the machine's shared Redis on 6379.
  if (!/^redis:\/\/127\.0\.0\.1:\d+$/.test(redisUrl ?? '') || redisUrl.endsWith(':6379')) {
    throw new Error(`the bench service must use the bench's private Redis, got ${redisUrl}`);
  }
  const configFile = join(workDir, `config-${name}.yaml`);
  const settings = mergeDeep(config, overrides);
  await writeFile(configFile, stringify(settings));
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SCRUBBED_ENV.test(k)));
  return {
    configFile,
    settings,
    env: {
      ...base,
      CONFIG_FILE: configFile,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      IMAP_HOST: imap.host,
      IMAP_PORT: String(imap.port),
      IMAP_USER: imap.user,
      IMAP_PASSWORD: imap.password,
      IMAP_SECURE: 'false',
      IMAP_MAILBOX: 'INBOX',
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      SMTP_SECURE: 'false',
      REPLY_MODE: 'live',
      // The bench's mail carries no Authentication-Results.
      SENDER_VERIFICATION: 'off',
      SENDER_VERIFICATION_ACKNOWLEDGE_OFF: 'true',
      CDAP_RELAY_SENDERS: 'cdap-formulaire@caf35.example.fr',
      LOG_LEVEL: 'warn',
      ...env,
    },
  };
}

export function readProcStatus(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { hwmMB: kb('VmHWM') / 1024, rssMB: kb('VmRSS') / 1024, cpuSeconds: cpuSecondsOf(pid).own };
  } catch {
    return { hwmMB: Number.NaN, rssMB: Number.NaN, cpuSeconds: Number.NaN };
  }
}

let clockTicks = null;
function ticksPerSecond() {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)", which may itself hold spaces: [0] is field 3 (state).
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds of a process (all its threads), and of its children it has reaped. */
export function cpuSecondsOf(pid) {
  try {
    const f = statFields(pid);
    const hz = ticksPerSecond();
    return {
      own: (Number(f[11]) + Number(f[12])) / hz,
      reaped: (Number(f[13]) + Number(f[14])) / hz,
      ppid: Number(f[1]),
    };
  } catch {
    return { own: 0, reaped: 0, ppid: 0 };
  }
}

/** CPU seconds of a process tree: the root, its live children, and those already reaped. */
export function treeCpuSeconds(rootPid) {
  if (!rootPid) return 0;
  const top = cpuSecondsOf(rootPid);
  let total = top.own + top.reaped;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === rootPid) continue;
    const c = cpuSecondsOf(Number(entry));
    if (c.ppid === rootPid) total += c.own + c.reaped;
  }
  return total;
}

/** Busy and total CPU seconds of the whole machine since boot, all cores. */
export function machineCpuSeconds() {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
  const hz = ticksPerSecond();
  return { busy: (user + nice + system + irq + softirq + steal) / hz, idle: (idle + iowait) / hz };
}

export function pidFromFile(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** One `cdap-triage run` child; stop() reads its peak RSS first, then SIGTERMs it. */
export function startService(cleanup, { setup, logFile, cpuProfDir, label }) {
  const fd = openSync(logFile, 'a');
  // The flags the service is deployed with: those of bin/cdap-triage.js's shebang line.
  const shebang = readFileSync(join(root, 'bin', 'cdap-triage.js'), 'utf8').split('\n', 1)[0];
  const serviceFlags = shebang.split(/\s+/).filter((a) => a.startsWith('--'));
  const nodeArgs = [
    ...serviceFlags,
    ...(cpuProfDir
      ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `${label}-${Date.now()}.cpuprofile`]
      : []),
  ];
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'cdap-triage.js'), 'run'], {
    cwd: root,
    env: setup.env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exit = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal, at: Date.now() };
      resolve(exit);
    });
    child.once('error', (err) => {
      exit = { code: null, signal: null, error: err.message, at: Date.now() };
      resolve(exit);
    });
  });
  let last = null;
  const stopNow = async () => {
    if (exit) return last;
    last = readProcStatus(child.pid);
    child.kill('SIGTERM');
    let timer;
    const done = await Promise.race([
      exited,
      new Promise((resolve) => (timer = setTimeout(resolve, 20_000, null))),
    ]);
    clearTimeout(timer);
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
    return last;
  };
  const remove = cleanup.add(`service ${label} pid ${child.pid}`, stopNow);
  return {
    label,
    pid: child.pid,
    spawnedAt,
    get exit() {
      return exit;
    },
    exited,
    status: () => readProcStatus(child.pid),
    /** Why it ended, with the end of its log: for error messages. */
    describeExit: () =>
      `service ${label} exited (${JSON.stringify(exit)}); its log ends with:\n${tail(logFile, 15)}`,
    /** Resolves with { hwmMB, rssMB } read just before the SIGTERM. */
    async stop() {
      await stopNow();
      await remove();
      return last;
    },
  };
}

export function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
