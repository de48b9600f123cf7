import { Redis, type RedisOptions } from 'ioredis';
import { CdapError } from './errors.js';

export class RedisPolicyError extends CdapError {
  override name = 'RedisPolicyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('REDIS_EVICTION_POLICY', message, options);
  }
}

/**
 * Producers (intake, web) fail fast so a Redis outage pauses intake instead of
 * piling up commands; workers wait forever, as BullMQ requires.
 */
export function createRedis(url: string, role: 'producer' | 'worker', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    // Commands wait for a (re)connection, then fail after one retry: an outage pauses intake quickly.
    enableOfflineQueue: true,
    connectTimeout: 5000,
    // Reconnect for ever, at most every 2 s: the service resumes by itself.
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
    ...extra,
  });
}

/**
 * BullMQ loses jobs when Redis evicts keys under memory pressure: refuse to
 * start rather than lose a family's mail.
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch {
    // Managed Redis may forbid CONFIG; the operator is then responsible for the policy.
    return;
  }
  if (policy && policy !== 'noeviction') {
    throw new RedisPolicyError(
      `la politique maxmemory-policy de Redis est « ${policy} » : du courrier en file pourrait être évincé et perdu. ` +
        'Réglez-la sur noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, et maxmemory-policy noeviction dans redis.conf).',
    );
  }
}
