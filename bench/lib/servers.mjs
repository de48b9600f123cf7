// The servers a bench run needs, all private to the run: Redis, Dovecot, an SMTP
// sink, and the service under test as child processes. Everything started here
// is registered with a Cleanup so a failed or interrupted run leaves nothing behind.
// The servers themselves come from the harness the tests use (tests/support/harness/).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { stringify } from 'yaml';
import { startDovecot as startHarnessDovecot } from '../../tests/support/harness/dovecot.mjs';
import { startPrivateRedis } from '../../tests/support/harness/redis.mjs';
import { startSmtpSink as startHarnessSmtpSink } from '../../tests/support/harness/smtpSink.mjs';
import { root } from './paths.mjs';

export { imapClient } from '../../tests/support/harness/dovecot.mjs';

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
  const server = await startPrivateRedis({ appendonly: false, dir: join(workDir, 'redis') });
  const client = new Redis(server.url, { maxRetriesPerRequest: 3, lazyConnect: true });
  client.on('error', () => {});
  const stop = cleanup.add(`redis :${server.port}`, async () => {
    client.disconnect();
    await server.destroy();
  });
  await client.connect();
  const info = await client.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return { url: server.url, port: server.port, client, version, pid: server.pid(), stop };
}

// ---------------------------------------------------------------- Dovecot

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
  const server = await startHarnessDovecot({
    dir: join(workDir, `dovecot-${name}`),
    user: 'bench',
    password: 'bench-pw',
  });
  const stop = cleanup.add(`dovecot ${name}`, () => server.stop());
  return { ...server, stop };
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
 * Accepts every message and keeps only what the measures need: when each reply
 * to a mail (In-Reply-To) was accepted, never the message itself.
 */
export async function startSmtpSink(cleanup) {
  const byInReplyTo = new Map();
  const sink = await startHarnessSmtpSink({
    keep: 'headers',
    sizeLimit: 50 * 1024 * 1024,
    onMessage(mail) {
      const headers = mail.raw
        .toString('latin1')
        .split(/\r?\n\r?\n/, 1)[0]
        .replace(/\r?\n[ \t]+/g, ' ');
      const inReplyTo = /^in-reply-to:\s*(<[^>\r\n]*>)/im.exec(headers)?.[1] ?? null;
      if (inReplyTo) byInReplyTo.set(inReplyTo, [...(byInReplyTo.get(inReplyTo) ?? []), mail.receivedAt]);
    },
  });
  // The measures read byInReplyTo only: the sink's own list would grow with every reply.
  const stop = cleanup.add('smtp sink', () => sink.stop());
  return { host: sink.host, port: sink.port, byInReplyTo, stop };
}

// ---------------------------------------------------------------- PostgreSQL

/** The shared server's maintenance database; the bench's own database is created beside it. */
function adminUrl() {
  return process.env.CDAP_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A database of the bench's own on the machine's PostgreSQL, dropped by the cleanup. */
export async function createBenchDatabase(cleanup) {
  const name = `cdap_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  cleanup.add(`database ${name}`, async () => {
    await benchPool?.end().catch(() => {});
    benchPool = null;
    // --keep: the database stays too, to look at its queries afterwards.
    if (process.env.CDAP_BENCH_KEEP_DIRS) return;
    const c = new pg.Client({ connectionString: adminUrl() });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  });
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

let benchDatabaseUrl = null;
let benchPool = null;

/** The database every service of this bench run uses (a schema per key prefix). */
export function useBenchDatabase(url) {
  benchDatabaseUrl = url;
  // The bench's own reads; idle connections do not keep the process alive.
  benchPool = new pg.Pool({ connectionString: url, max: 2, allowExitOnIdle: true });
}

/** One query on the bench's database. */
export async function benchQuery(text, values = []) {
  return (await benchPool.query(text, values)).rows;
}

/** The case of a mail (by its place) and how many filings still wait, for the latency measure. */
export async function mailState(prefix, uidValidity, uid) {
  const schema = schemaOf(prefix);
  try {
    const [row] = await benchQuery(
      `SELECT (SELECT ref FROM ${schema}.case_mails WHERE mailbox_id = 'default' AND uid_validity = $1 AND uid = $2) AS ref,
              (SELECT count(*)::int FROM ${schema}.filing_intents) AS pending`,
      [uidValidity, uid],
    );
    return { ref: row.ref, pending: row.pending };
  } catch (err) {
    if (err.code === '42P01') return { ref: null, pending: 0 };
    throw err;
  }
}

/** The schema of a prefix's records: one per measure, so measures never see each other's cases. */
export function schemaOf(prefix) {
  return `b_${prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_')}`.slice(0, 63);
}

/** Every case of a prefix, as the service stored it. */
export async function casesOf(prefix) {
  const schema = schemaOf(prefix);
  const rows = await benchQuery(
    `SELECT c.ref, c.record, c.reply_state,
       (SELECT coalesce(json_agg(json_build_object('receivedAt', f.received_at, 'uid', f.uid)), '[]')
        FROM ${schema}.follow_ups f WHERE f.ref = c.ref) AS follow_ups
     FROM ${schema}.cases c ORDER BY c.received_at, c.ref`,
  );
  return rows.map((row) => ({
    ...row.record,
    ref: row.ref,
    replyState: row.reply_state,
    followUps: row.follow_ups,
  }));
}

/** How many mails of a prefix have a case (own mail, duplicate or follow-up): each triaged once. */
export async function triagedMails(prefix) {
  try {
    return (await benchQuery(`SELECT count(*)::int AS n FROM ${schemaOf(prefix)}.case_mails`))[0].n;
  } catch (err) {
    if (err.code === '42P01') return 0; // the service has not created its tables yet
    throw err;
  }
}

// ---------------------------------------------------------------- the service

const SCRUBBED_ENV =
  /^(CDAP_|IMAP_|SMTP_|DATABASE_|REDIS_URL$|QUEUE_PREFIX$|LOG_LEVEL$|TRIAGE_CONCURRENCY$|REPLY_MODE$|CONFIG_FILE$)/;

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
      ...(benchDatabaseUrl ? { DATABASE_URL: benchDatabaseUrl, DATABASE_SCHEMA: schemaOf(prefix) } : {}),
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

/**
 * CPU seconds of every PostgreSQL server on the machine (each postmaster, its
 * live backends and those it reaped): the store of record works for each mail too.
 */
export function postgresCpuSeconds() {
  const comm = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    } catch {
      return '';
    }
  };
  const pids = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => comm(pid) === 'postgres');
  const all = new Set(pids);
  return pids
    .filter((pid) => !all.has(cpuSecondsOf(pid).ppid))
    .reduce((n, postmaster) => n + treeCpuSeconds(postmaster), 0);
}

/** Busy and total CPU seconds of the whole machine since boot, all cores. */
export function machineCpuSeconds() {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
  const hz = ticksPerSecond();
  return { busy: (user + nice + system + irq + softirq + steal) / hz, idle: (idle + iowait) / hz };
}

/** One `cdap-triage run` (or `web`) child; stop() reads its peak RSS first, then SIGTERMs it. */
export function startService(cleanup, { setup, logFile, cpuProfDir, label, command = 'run' }) {
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
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'cdap-triage.js'), command], {
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
