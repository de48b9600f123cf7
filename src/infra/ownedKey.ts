import type { Redis } from 'ioredis';
import { LuaScript } from './luaScript.js';

/**
 * A Redis key held by one owner (a random token) with a TTL: the mailbox lease and the reply
 * lock. Only the owner may extend or drop it, so a holder that stalled past its TTL cannot
 * take back what another process now holds.
 */

/**
 * Extends the key's TTL if the caller still owns it.
 * KEYS[1]: the key. ARGV[1]: the owner's token; ARGV[2]: the new TTL (ms).
 * Returns 1 when extended, 0 when the key is gone or held by another owner.
 */
const extendIfOwnerScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/**
 * Deletes the key if the caller still owns it.
 * KEYS[1]: the key. ARGV[1]: the owner's token.
 * Returns 1 when deleted, 0 when the key is gone or held by another owner.
 */
const releaseIfOwnerScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

export async function takeKey(redis: Redis, key: string, owner: string, ttlMs: number): Promise<boolean> {
  return (await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK';
}

/** False when the key was lost (expired and taken, or deleted). */
export async function extendKey(redis: Redis, key: string, owner: string, ttlMs: number): Promise<boolean> {
  return (await extendIfOwnerScript.run(redis, [key], [owner, String(ttlMs)])) === 1;
}

export async function releaseKey(redis: Redis, key: string, owner: string): Promise<void> {
  await releaseIfOwnerScript.run(redis, [key], [owner]);
}
