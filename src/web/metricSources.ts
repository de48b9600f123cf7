import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { countOpenCases } from '../cases/openCases.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../infra/database.js';
import { redisKeys } from '../infra/redisKeys.js';
import { staleAfterSeconds } from '../mailbox/intakeFreshness.js';
import type { Health } from './health.js';
import type { MetricSources } from './metrics.js';

/**
 * What the gauges read at scrape time: shared state from PostgreSQL and Redis
 * (the same on every replica), this process's intakes, and the health checks.
 */
export function metricSources(deps: {
  config: Config;
  queues: Record<string, Queue>;
  db: Database;
  redis: Redis;
  health: Health;
  /** This process's intakes by mailbox id; empty without intake. */
  intakes: ReadonlyMap<string, { active: boolean }>;
}): MetricSources {
  const { config, health } = deps;
  const leaseKey = redisKeys(config.redis.prefix).lease;
  return {
    queues: deps.queues,
    // Two counts in the database, whatever the backlog: no case is read.
    openCases: () => countOpenCases(deps.db),
    secondsSinceLastCheck: async () => (await health.intake()).secondsSinceLastCheck,
    staleAfterSeconds: staleAfterSeconds(config.intake),
    async leaseHeld() {
      const held: Record<string, boolean> = {};
      for (const m of config.mailboxes) held[m.id] = (await deps.redis.exists(leaseKey(m.id))) === 1;
      return held;
    },
    async secondsSinceAnswerWatch() {
      const r = await sql<{ age: number | null }>`SELECT extract(epoch FROM now() - updated_at)::float8 AS age
        FROM answer_watch WHERE path = 'cycle'`.execute(deps.db);
      return r.rows[0]?.age ?? null;
    },
    activeIntakes: () => Object.fromEntries([...deps.intakes].map(([id, i]) => [id, i.active])),
    connections: async () => ({
      redis: deps.redis.status === 'ready',
      database: await health.database().catch(() => false),
      imap: await health
        .intake()
        .then((i) => i.fresh)
        .catch(() => false),
      smtp: await health.smtp().catch(() => false),
    }),
  };
}
