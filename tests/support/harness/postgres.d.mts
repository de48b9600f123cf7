/** The machine's shared PostgreSQL: tests use a database of their run there and must never stop it. */
export const SHARED_POSTGRES_PORT: 5432;

/** /usr/lib/postgresql/<newest major>/bin (initdb, postgres, pg_isready), or CDAP_PG_BIN. */
export function postgresBinDir(): string;

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  url: string;
  port: number;
  /** Its temporary directory: data/, postgres.log and the Unix socket. */
  dir: string;
  /** The postmaster's PID while it runs, else null. */
  pid(): number | null;
  /** The URL of another database on this cluster. */
  urlFor(database: string): string;
  /** Fast shutdown (connections ended, checkpoint written); start() brings it back with its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data after stop() or kill(); nothing when it runs. */
  start(): Promise<void>;
  /** SIGKILL of the postmaster, to simulate a crash; start() recovers from the WAL. */
  kill(): Promise<void>;
  /** Stops it and deletes its directory: call in afterAll. */
  destroy(): Promise<void>;
}

export interface StartPrivatePostgresOptions {
  /** Default: a free loopback port. Never 5432. */
  port?: number;
}

/**
 * A private cluster (initdb, trust auth, user postgres, fsync on) on a free
 * loopback port, for tests that stop or kill the database. It is killed and its
 * directory deleted when the process exits, should the test forget destroy().
 */
export function startPrivatePostgres(options?: StartPrivatePostgresOptions): Promise<PrivatePostgres>;

/** The shared server the test runs and the benchmark make their databases on (CDAP_TEST_PG_URL overrides). */
export function sharedPostgresUrl(): string;

/** The same server's URL with another database. */
export function databaseUrl(serverUrl: string, database: string): string;

/** Creates a database (nothing when it exists) on the server of serverUrl; returns its URL. */
export function createDatabase(serverUrl: string, database: string): Promise<string>;

/** Drops a database, ending the connections still open to it (nothing when it does not exist). */
export function dropDatabase(serverUrl: string, database: string): Promise<void>;

/**
 * Drops the databases whose names start with `prefix`, made more than
 * `olderThanMs` ago and with nobody connected: what crashed runs left.
 * Needs a superuser; without one nothing is dropped. Returns the names dropped.
 */
export function dropStaleDatabases(serverUrl: string, prefix: string, olderThanMs: number): Promise<string[]>;
