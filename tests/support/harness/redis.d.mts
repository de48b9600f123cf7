/** The machine's shared Redis: tests use it with a unique prefix and must never stop it. */
export const SHARED_REDIS_PORT: 6379;

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  /** The server's PID while it runs, else null. */
  pid(): number | null;
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
  /** Stops it and deletes its dir (unless the caller gave the dir): call in afterAll. */
  destroy(): Promise<void>;
}

export interface StartPrivateRedisOptions {
  /** Default true. */
  appendonly?: boolean;
  /** Where its files go; by default a temporary directory that destroy() deletes. */
  dir?: string;
}

export function startPrivateRedis(options?: StartPrivateRedisOptions): Promise<PrivateRedis>;
