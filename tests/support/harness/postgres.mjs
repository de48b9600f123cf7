// A private PostgreSQL cluster on a free loopback port, for tests that stop,
// kill or restart the database and for the benchmark. The machine's shared
// PostgreSQL on 5432 is never started or stopped here.
//
// The postmaster is spawned directly (not through pg_ctl) as our own child,
// run as the `postgres` user when we are root (initdb and postgres refuse
// root): a daemonised postmaster would be re-parented to PID 1, which here
// does not reap, and a killed one would stay a zombie whose PID in
// postmaster.pid blocks the next start.
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupOnExit } from './exitCleanup.mjs';
import { freePort, portAccepts } from './ports.mjs';

/** The machine's shared PostgreSQL: tests use a database of their run there and must never stop it. */
export const SHARED_POSTGRES_PORT = 5432;

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** /usr/lib/postgresql/<newest major>/bin, or CDAP_PG_BIN. */
export function postgresBinDir() {
  if (process.env.CDAP_PG_BIN) return process.env.CDAP_PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0)
    throw new Error(
      `no PostgreSQL server programs in ${root}/*/bin: run scripts/install-system-deps.sh test (Debian package postgresql)`,
    );
  return join(root, majors[0], 'bin');
}

/** uid/gid to run the server as: ourselves, unless we are root (then `postgres`). */
function serverUser() {
  if (process.getuid?.() !== 0) return {};
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Whether the SysV segment the cluster's postmaster.pid names still has processes attached. */
function shmemInUse(dataDir) {
  try {
    // Line 7 of postmaster.pid: "<key> <shmid>".
    const line = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[6] ?? '';
    const shmid = line.trim().split(/\s+/)[1];
    if (!shmid) return false;
    for (const row of readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      if (cols[1] === shmid) return Number(cols[6]) > 0;
    }
    return false;
  } catch {
    return false;
  }
}

export async function startPrivatePostgres(options = {}) {
  const bin = postgresBinDir();
  const user = serverUser();
  const dir = await mkdtemp(join(tmpdir(), 'cdap-pg-'));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const port = options.port ?? (await freePort());
  if (port === SHARED_POSTGRES_PORT)
    throw new Error('refusing to run a private PostgreSQL on the shared port');
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  // The caller's locale may be missing here (initdb fails on it), and a PGDATA
  // or PGPORT of theirs must not redirect ours.
  const env = { ...process.env, LANG: 'C.UTF-8', HOME: dir };
  for (const name of ['LC_ALL', 'PGDATA', 'PGPORT', 'PGHOST', 'PGDATABASE']) delete env[name];
  const run = (program, args) => {
    const fd = openSync(logFile, 'a');
    try {
      return new Promise((resolve, reject) => {
        const child = spawn(join(bin, program), args, { stdio: ['ignore', fd, fd], env, cwd: dir, ...user });
        child.on('error', reject);
        child.on('exit', (code, signal) => resolve(code ?? signal));
      });
    } finally {
      closeSync(fd);
    }
  };
  const logTail = async () =>
    (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-20).join('\n');

  /** @type {import('node:child_process').ChildProcess | null} */
  let postmaster = null;
  let exited = Promise.resolve();
  const killNow = () => {
    try {
      postmaster?.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  };

  // What pg_ctl -w checks, without a process per poll: the postmaster writes
  // "ready" on line 8 of postmaster.pid once it accepts connections.
  const ready = async (pid) => {
    try {
      const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
      return Number(lines[0]) === pid && lines[7]?.trim() === 'ready' && (await portAccepts(port));
    } catch {
      return false;
    }
  };

  const launchOnce = async () => {
    const fd = openSync(logFile, 'a');
    let child;
    try {
      child = spawn(join(bin, 'postgres'), ['-D', dataDir], {
        stdio: ['ignore', fd, fd],
        env,
        cwd: dir,
        ...user,
      });
    } finally {
      closeSync(fd);
    }
    // Our child, so Node reaps it; unref'd so a forgotten cluster does not keep a test process alive.
    child.unref();
    let gone = false;
    exited = new Promise((resolve) => {
      child.on('exit', () => {
        gone = true;
        if (postmaster === child) postmaster = null;
        resolve();
      });
      child.on('error', () => {
        gone = true;
        resolve();
      });
    });
    postmaster = child;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!gone) {
      if (await ready(child.pid)) return true;
      if (Date.now() > deadline) {
        killNow();
        throw new Error(
          `timed out after ${READY_TIMEOUT_MS} ms waiting for private PostgreSQL on port ${port}`,
        );
      }
      await sleep(25);
    }
    return false;
  };

  const launch = async () => {
    // After a kill, the old backends may still hold the shared memory for a
    // moment, and the postmaster refuses to start until they are gone.
    await waitUntil(
      'the killed cluster’s processes to exit',
      STOP_TIMEOUT_MS,
      async () => !shmemInUse(dataDir),
    );
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await launchOnce()) return;
      await sleep(200);
    }
    throw new Error(`private PostgreSQL on port ${port} does not start\n${await logTail()}`);
  };

  const removeDir = () => {
    if (!process.env.CDAP_TEST_KEEP_DIRS) rmSync(dir, { recursive: true, force: true });
  };
  const cleanupNow = () => {
    killNow();
    removeDir();
  };
  const untrack = cleanupOnExit(cleanupNow);

  try {
    // fsync stays on: this server is for durability tests. Only initdb's own
    // writes skip it (--no-sync): a crash while it runs just fails the test.
    const code = await run('initdb', [
      '-D',
      dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
    if (code !== 0) throw new Error(`initdb exited with ${code}\n${await logTail()}`);
    appendFileSync(
      join(dataDir, 'postgresql.conf'),
      [
        '',
        '# cdap-triage test cluster (tests/support/harness/postgres.mjs)',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'shared_buffers = 16MB',
        'max_connections = 100',
        '',
      ].join('\n'),
    );
    await launch();
  } catch (error) {
    cleanupNow();
    untrack();
    throw error;
  }

  let destroyed = false;
  const waitClosed = async () => {
    // Referenced while we wait for it, or a script with nothing else to do
    // would end before the exit event arrives.
    postmaster?.ref();
    await exited;
    await waitUntil(
      `private PostgreSQL on port ${port} to close`,
      STOP_TIMEOUT_MS,
      async () => !(await portAccepts(port)),
    );
  };

  const stop = async () => {
    if (!postmaster) return;
    // SIGINT = fast shutdown: connections are ended, a checkpoint is written.
    postmaster.kill('SIGINT');
    await waitClosed();
  };

  return {
    url,
    port,
    dir,
    pid: () => postmaster?.pid ?? null,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    stop,
    async start() {
      if (destroyed) throw new Error('start() after destroy()');
      if (postmaster) return;
      await launch();
    },
    async kill() {
      killNow();
      await waitClosed();
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

/** The shared server the test runs and the benchmark make their databases on (CDAP_TEST_PG_URL overrides). */
export function sharedPostgresUrl() {
  return process.env.CDAP_TEST_PG_URL || `postgres://postgres@127.0.0.1:${SHARED_POSTGRES_PORT}/postgres`;
}

/** The same server's URL with another database. */
export function databaseUrl(serverUrl, database) {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.href;
}

const quoteIdent = (name) => `"${String(name).replaceAll('"', '""')}"`;

async function onServer(serverUrl, fn) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  // A server going away mid-query is reported by the query; this keeps the
  // client's own 'error' event from crashing the process.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates a database (nothing when it exists) on the server of serverUrl; returns its URL. */
export async function createDatabase(serverUrl, database) {
  await onServer(serverUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
    } catch (error) {
      // 42P04: made meanwhile by someone else; 23505: the same race seen by the catalog.
      if (!['42P04', '23505'].includes(error?.code)) throw error;
    }
  });
  return databaseUrl(serverUrl, database);
}

/** Drops a database, ending the connections still open to it (nothing when it does not exist). */
export async function dropDatabase(serverUrl, database) {
  await onServer(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`),
  );
}

/**
 * Drops the databases whose names start with `prefix`, made more than
 * `olderThanMs` ago and with nobody connected: what crashed runs left. Their
 * age is the mtime of their PG_VERSION file, which needs a superuser (the
 * test server's `postgres`); without one nothing is dropped. Returns the names.
 */
export async function dropStaleDatabases(serverUrl, prefix, olderThanMs) {
  return onServer(serverUrl, async (client) => {
    let rows;
    try {
      ({ rows } = await client.query(
        `SELECT d.datname FROM pg_database d
          WHERE starts_with(d.datname, $1)
            AND (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification < now() - make_interval(secs => $2)
            AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)`,
        [prefix, olderThanMs / 1000],
      ));
    } catch {
      return [];
    }
    const dropped = [];
    for (const { datname } of rows) {
      // Without FORCE: a run that connected since the query above keeps its database.
      await client
        .query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`)
        .then(() => dropped.push(datname))
        .catch(() => {});
    }
    return dropped;
  });
}
