// Global setup of the tiers that use the machine's shared Redis: gives the run
// one id that every test prefix starts with (support/redis.ts), and at the end
// fails the run if keys under that id are still there. Keys left by other runs
// are only counted: other people's tests share this Redis.
import { Redis } from 'ioredis';
import { newTestRunId, runPrefix, scanKeys, TEST_PREFIX_ROOT } from './redis.js';

const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function connect(): Redis {
  const redis = new Redis(SHARED_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  return redis;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `cdap-test-r1a2b3c4-errors-5d6e7f80:…` → `cdap-test-r1a2b3c4-errors-5d6e7f80`. */
const prefixOf = (key: string): string => key.split(':', 1)[0] ?? key;

export default async function setup(): Promise<() => Promise<void>> {
  // Several tiers in one vitest run share the first one's id.
  process.env.CDAP_TEST_RUN ??= newTestRunId();
  const runId = process.env.CDAP_TEST_RUN;
  const redis = connect();
  try {
    await redis.connect();
    const before = (await scanKeys(redis, `${TEST_PREFIX_ROOT}*`)).length;
    if (before > 0)
      console.log(
        `redis leaks: ${plural(before, `${TEST_PREFIX_ROOT}* key`)} of other runs already in ${SHARED_REDIS_URL}`,
      );
  } finally {
    redis.disconnect();
  }

  return async () => {
    const client = connect();
    try {
      await client.connect();
      const left = await scanKeys(client, `${runPrefix(runId)}*`);
      if (left.length === 0) return;
      const prefixes = [...new Set(left.map(prefixOf))].sort();
      // Cleaned anyway, so one failed run does not leave its keys for good.
      for (let i = 0; i < left.length; i += 500) await client.unlink(...left.slice(i, i + 500));
      console.error(
        `\nredis leaks: this run left ${plural(left.length, 'key')} in ${SHARED_REDIS_URL} (now deleted), ` +
          `under ${plural(prefixes.length, 'prefix', 'prefixes')}:\n  ${prefixes.join('\n  ')}\n` +
          'The test that made each prefix must delete its keys in afterAll/afterEach (deleteKeys in tests/support/redis.ts).\n',
      );
      // A teardown that throws does not change vitest's exit code; this does.
      process.exitCode = 1;
    } finally {
      client.disconnect();
    }
  };
}
