import type { Redis } from 'ioredis';
import { redisKeys } from '../infra/redisKeys.js';

/**
 * Periods declared as backfill by `cdap-triage backfill`: mail received in
 * them is triaged and filed but never answered (it was handled before
 * cdap-triage, or by hand).
 */
export class BackfillWindows {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(mailboxId: string): string {
    return redisKeys(this.prefix).backfill(mailboxId);
  }

  async declare(mailboxId: string, since: Date, until: Date): Promise<void> {
    await this.redis.set(
      this.key(mailboxId),
      JSON.stringify({ since: since.toISOString(), until: until.toISOString() }),
      'EX',
      30 * 86_400,
    );
  }

  async covers(mailboxId: string, receivedAt: Date): Promise<boolean> {
    const json = await this.redis.get(this.key(mailboxId));
    if (!json) return false;
    const { since, until } = JSON.parse(json) as { since: string; until: string };
    const t = receivedAt.getTime();
    return t >= new Date(since).getTime() && t <= new Date(until).getTime();
  }
}
