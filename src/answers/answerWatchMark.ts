import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Database } from '../infra/database.js';
import { redisKeys } from '../infra/redisKeys.js';

/**
 * What triage and the answer watcher share. A CDAS follow-up can answer the
 * technician's mail (its In-Reply-To is the answer's Message-ID) a second
 * after that answer reached the sent folder, before the watcher's next look:
 * triage then asks the watcher to look now (`wake`) and waits for a look that
 * began after the follow-up arrived (`watchedSince`) before deciding it is a
 * new request.
 */
export class AnswerWatchMark {
  private readonly wakeKey: string;

  constructor(
    private readonly db: Database,
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.wakeKey = redisKeys(prefix).answersWake;
  }

  /** A look at the mailbox that began at `startedAt` is over. */
  async watched(startedAt: Date): Promise<void> {
    await sql`INSERT INTO store_meta (key, value) VALUES ('answers-watched-from', ${startedAt.toISOString()})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`.execute(this.db);
  }

  /** Whether a look that began at or after this time is over. */
  async watchedSince(at: Date): Promise<boolean> {
    const r = await sql<{ value: string }>`SELECT value FROM store_meta
      WHERE key = 'answers-watched-from'`.execute(this.db);
    const from = r.rows[0]?.value;
    return from !== undefined && new Date(from).getTime() >= at.getTime();
  }

  /** Asks the watcher (whichever replica) to look now. */
  async wake(): Promise<void> {
    await this.redis.set(this.wakeKey, '1', 'PX', 60_000);
  }

  /** Whether someone asked for a look since the last call (and takes the request). */
  async takeWake(): Promise<boolean> {
    return (await this.redis.getdel(this.wakeKey)) !== null;
  }
}
