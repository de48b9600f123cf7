import type { Redis } from 'ioredis';
import type { FolderKey } from '../cases/caseStore.js';
import { redisKeys } from '../infra/redisKeys.js';

/** A move of a case's own mail, already filed (or about to be), to the folder its case now belongs in. */
export interface RefileRequest {
  folder: FolderKey;
  /** Flag it as urgent; false leaves its flags as they are. */
  flagged: boolean;
  /** Set by a command that waits for the outcome (`reprocess`); triage does not wait. */
  id?: string;
  at: number;
}

export type RefileOutcome =
  | { ok: true; path: string }
  | { ok: false; code: string; message: string; path?: string };

/** A pending request as read back, with the exact stored value that taking it compares against. */
export interface PendingRefile {
  ref: string;
  request: RefileRequest;
  stored: string;
}

/** How long an outcome waits for its reader. */
const OUTCOME_TTL_MS = 60 * 60 * 1000;

/**
 * Deletes a hash field if it still holds the given value.
 * KEYS[1]: the mailbox's refiling hash. ARGV[1]: the field (case reference); ARGV[2]: the value read.
 * Returns 1 when deleted, 0 when the field is gone or holds a newer request.
 */
const takeIfUnchangedScript = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
`;

/**
 * Moves of filed mail, per mailbox, handed to whoever holds the mailbox's lease: only the
 * lease holder changes the mailbox, so a move asked for by triage or by a command never
 * races the intake's own filing. One request per case: a newer one replaces the older.
 * A request is taken (deleted if unchanged) before it is carried out, so the holder and a
 * requester that gives up cannot both win.
 */
export class RefileRequests {
  private readonly keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = redisKeys(prefix);
  }

  /** Records the request; returns the stored value, which `withdraw` needs. */
  async ask(mailboxId: string, ref: string, request: Omit<RefileRequest, 'at'>): Promise<string> {
    const stored = JSON.stringify({ ...request, at: Date.now() } satisfies RefileRequest);
    await this.redis.hset(this.keys.refilings(mailboxId), ref, stored);
    return stored;
  }

  async count(mailboxId: string): Promise<number> {
    return this.redis.hlen(this.keys.refilings(mailboxId));
  }

  async pending(mailboxId: string): Promise<PendingRefile[]> {
    const all = await this.redis.hgetall(this.keys.refilings(mailboxId));
    return Object.entries(all).map(([ref, stored]) => ({
      ref,
      request: JSON.parse(stored) as RefileRequest,
      stored,
    }));
  }

  /** The lease holder takes a request before carrying it out; false when it was withdrawn or replaced. */
  async take(mailboxId: string, pending: Pick<PendingRefile, 'ref' | 'stored'>): Promise<boolean> {
    return (
      (await this.redis.eval(
        takeIfUnchangedScript,
        1,
        this.keys.refilings(mailboxId),
        pending.ref,
        pending.stored,
      )) === 1
    );
  }

  /** A requester gives up: true when nobody took the request, which will then never be carried out. */
  async withdraw(mailboxId: string, ref: string, stored: string): Promise<boolean> {
    return this.take(mailboxId, { ref, stored });
  }

  async report(id: string, outcome: RefileOutcome): Promise<void> {
    await this.redis.set(this.keys.refileOutcome(id), JSON.stringify(outcome), 'PX', OUTCOME_TTL_MS);
  }

  async outcome(id: string): Promise<RefileOutcome | null> {
    const json = await this.redis.get(this.keys.refileOutcome(id));
    return json ? (JSON.parse(json) as RefileOutcome) : null;
  }

  async forgetOutcome(id: string): Promise<void> {
    await this.redis.del(this.keys.refileOutcome(id));
  }
}
