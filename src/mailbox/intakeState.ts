import type { Redis } from 'ioredis';
import { redisKeys } from '../infra/redisKeys.js';

/** Where intake stands in one mailbox: the UIDVALIDITY it knows and the last UID handed to triage. */
export interface IntakeState {
  uidValidity: string;
  lastUid: number;
}

export class IntakeStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(mailboxId: string): string {
    return redisKeys(this.prefix).intake(mailboxId);
  }

  async get(mailboxId: string): Promise<IntakeState | null> {
    const h = await this.redis.hgetall(this.key(mailboxId));
    if (!h.uidValidity) return null;
    return { uidValidity: h.uidValidity, lastUid: Number(h.lastUid ?? 0) };
  }

  async set(mailboxId: string, state: IntakeState): Promise<void> {
    await this.redis.hset(this.key(mailboxId), {
      uidValidity: state.uidValidity,
      lastUid: String(state.lastUid),
    });
  }

  /** The time of the last successful check of the mailbox, for health and metrics. */
  async markChecked(mailboxId: string, at: Date): Promise<void> {
    await this.redis.hset(this.key(mailboxId), 'lastCheckAt', String(at.getTime()));
  }

  async lastCheckAt(mailboxId: string): Promise<Date | null> {
    const v = await this.redis.hget(this.key(mailboxId), 'lastCheckAt');
    return v ? new Date(Number(v)) : null;
  }
}

/**
 * How long a mailbox may go without a successful check before it counts as unwatched:
 * /readyz answers 503, CdapIntakeStale fires, and a failing intake logs at `error`.
 */
export function intakeStaleAfterMs(intake: { reconcileIntervalMs: number }): number {
  return 3 * intake.reconcileIntervalMs;
}
