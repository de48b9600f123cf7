import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';
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

/**
 * The service's two connections, once Redis answers and keeps queued mail
 * safely (noeviction): `producer` fails fast, `worker` waits (BullMQ workers).
 * Both are closed again when Redis is not fit.
 */
export async function connectRedis(url: string, log: Logger): Promise<{ producer: Redis; worker: Redis }> {
  // Triage and replies each take several round trips per mail, many jobs at once: commands
  // issued in the same tick leave in one write instead of one socket write each, which
  // on a small machine cost more CPU (ours, Redis's and the kernel's) than the commands.
  const producer = createRedis(url, 'producer', { enableAutoPipelining: true });
  producer.on('error', (err) => log.warn({ event: 'redis.error', err }, 'Redis connection error'));
  const worker = createRedis(url, 'worker');
  worker.on('error', () => {});
  try {
    try {
      await producer.ping();
    } catch (cause) {
      throw new Error(
        `Redis ne répond pas à ${url.replace(/\/\/[^@]*@/, '//')} : démarrez-le (redis-server) ou définissez REDIS_URL.`,
        { cause },
      );
    }
    await assertNoEviction(producer);
  } catch (err) {
    producer.disconnect();
    worker.disconnect();
    throw err;
  }
  return { producer, worker };
}
