import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefixedKeys } from '../src/commands/demo.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

describe('demo reset (real Redis)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  const mine = uniquePrefix('demo-reset');
  const other = uniquePrefix('demo-other');
  afterAll(async () => {
    // What the reset under test failed to delete, and the keys it had to leave.
    await deleteKeys(redis, mine, `${mine}x`, other);
    redis.disconnect();
  });

  it('deletes the demo prefix’s keys and no other', async () => {
    await redis.connect();
    await redis.set(`${mine}:case:1`, 'x');
    await redis.zadd(`${mine}:cases:all`, 1, 'a');
    await redis.set(`${other}:case:1`, 'y');
    await redis.set(`${mine}x:not-mine`, 'z');
    expect(await deletePrefixedKeys(redis, mine)).toBe(2);
    expect(await redis.keys(`${mine}:*`)).toEqual([]);
    expect(await redis.get(`${other}:case:1`)).toBe('y');
    expect(await redis.get(`${mine}x:not-mine`)).toBe('z');
  });
});
