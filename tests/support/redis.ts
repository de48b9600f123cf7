import { randomBytes } from 'node:crypto';

export {
  type PrivateRedis,
  SHARED_REDIS_PORT,
  type StartPrivateRedisOptions,
  startPrivateRedis,
} from './harness/redis.mjs';

/** Every key prefix a test makes starts with this; tests/support/redisLeaks.ts looks for what a run left. */
export const TEST_PREFIX_ROOT = 'cdap-test';

/**
 * This test run's id, set once for all workers by the global setup of the
 * tiers that use Redis (tests/support/redisLeaks.ts); a file run outside them
 * gets one of its own.
 */
export function testRunId(): string {
  process.env.CDAP_TEST_RUN ??= newTestRunId();
  return process.env.CDAP_TEST_RUN;
}

export function newTestRunId(): string {
  return `r${randomBytes(4).toString('hex')}`;
}

/** What every prefix of one run starts with: SCAN it to find the keys the run left. */
export const runPrefix = (runId: string): string => `${TEST_PREFIX_ROOT}-${runId}-`;

/**
 * A BullMQ prefix of its own per test, so parallel workers and reruns on the
 * shared Redis never see each other's queues, and all of one run's keys can be
 * found by its id. BullMQ joins it with ':', hence the restricted alphabet.
 */
export function uniquePrefix(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
  return `${runPrefix(testRunId())}${safe}-${randomBytes(4).toString('hex')}`;
}

interface ScanningRedis {
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>;
  unlink(...keys: string[]): Promise<number>;
}

/** Keys matching a SCAN pattern, without blocking Redis the way KEYS does. */
export async function scanKeys(redis: ScanningRedis, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    for (const key of keys) found.add(key);
    cursor = next;
  } while (cursor !== '0');
  return [...found];
}

/**
 * Removes every key the given prefixes hold (`prefix:…`), on whichever Redis the
 * test used: call it in afterAll/afterEach, after the services writing there stopped.
 */
export async function deleteKeys(redis: ScanningRedis, ...prefixes: string[]): Promise<number> {
  let deleted = 0;
  for (const prefix of prefixes) {
    const keys = await scanKeys(redis, `${prefix}:*`);
    for (let i = 0; i < keys.length; i += 500) deleted += await redis.unlink(...keys.slice(i, i + 500));
  }
  return deleted;
}
