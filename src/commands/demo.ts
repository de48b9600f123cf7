import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { dropRecords, isLocalDatabase, openDatabase } from '../infra/database.js';
import { CdapError } from '../infra/errors.js';
import { redisKeys } from '../infra/redisKeys.js';
import { plural } from '../labels/formats.js';
import { demoState } from '../local/demoState.js';
import { stopLocalMailbox } from '../local/localMailbox.js';
import { createLogger } from '../log.js';
import { configOrExit } from './cliConfig.js';
import { frenchTypography } from './french.js';

const say = (text: string) => process.stderr.write(frenchTypography(text));

export class DemoResetError extends CdapError {
  override name = 'DemoResetError';
  constructor(code: 'DEMO_NOT_LOCAL' | 'DEMO_RUN_STILL_ALIVE', message: string) {
    super(code, message);
  }
}

/**
 * The demo may be reset only where it cannot touch real data: no IMAP_HOST
 * (the mailbox is the demo's own Dovecot) and a Redis on this machine.
 */
export function assertDemoResettable(config: Pick<Config, 'imap' | 'redis' | 'database'>): void {
  if (config.imap.host) {
    throw new DemoResetError(
      'DEMO_NOT_LOCAL',
      `IMAP_HOST est défini (${config.imap.host}) : ce n’est pas la démonstration locale, rien n’est effacé.`,
    );
  }
  const host = /^rediss?:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)/.exec(config.redis.url)?.[1] ?? '';
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
    throw new DemoResetError(
      'DEMO_NOT_LOCAL',
      `REDIS_URL désigne ${host || config.redis.url}, pas cette machine : la démonstration n’y efface rien.`,
    );
  }
  if (!isLocalDatabase(config.database)) {
    throw new DemoResetError(
      'DEMO_NOT_LOCAL',
      'DATABASE_URL désigne une base sur une autre machine : la démonstration n’y efface rien.',
    );
  }
}

/** Deletes every key under the prefix (cases, queues, intake state), by SCAN: never a blocking KEYS. */
export async function deletePrefixedKeys(
  redis: Pick<Redis, 'scan' | 'unlink'>,
  prefix: string,
): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', redisKeys(prefix).everything(), 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Waits for a process to end after SIGTERM; false if it is still there after the ceiling. */
async function stopProcess(pid: number, ceilingMs = 20_000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  const deadline = Date.now() + ceilingMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * `demo --arreter` stops a running demo and its Dovecot; `demo --reinitialiser`
 * also deletes the demo's Redis keys (its prefix), replies and mailbox, so the
 * next `run` loads the demo mails into an empty pipeline. Exit code 0 or 1.
 */
export async function demoCommand(action: 'reset' | 'stop'): Promise<number> {
  const config = configOrExit();
  const state = demoState();
  try {
    if (action === 'reset') assertDemoResettable(config);
    else if (config.imap.host)
      throw new DemoResetError(
        'DEMO_NOT_LOCAL',
        'IMAP_HOST est défini : pas de démonstration locale à arrêter.',
      );
    const pid = state.runningPid();
    if (pid) {
      say(`cdap-triage : arrêt de la démonstration en cours (pid ${pid})…\n`);
      if (!(await stopProcess(pid))) {
        throw new DemoResetError(
          'DEMO_RUN_STILL_ALIVE',
          `la démonstration (pid ${pid}) ne s’arrête pas : kill -9 ${pid}, puis recommencez.`,
        );
      }
    }
    await stopLocalMailbox();
    if (action === 'stop') {
      say('cdap-triage : démonstration arrêtée (Redis reste en marche).\n');
      return 0;
    }
    const { Redis: RedisClient } = await import('ioredis');
    const redis = new RedisClient(config.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', () => {});
    let deleted: number;
    try {
      await redis.connect();
      deleted = await deletePrefixedKeys(redis, config.redis.prefix);
    } finally {
      redis.disconnect();
    }
    const db = await openDatabase(config.database, createLogger({ level: 'silent' }), {
      migrate: false,
      poolSize: 2,
    });
    let tables: number;
    try {
      tables = await dropRecords(db, config.database.schema);
    } finally {
      await db.destroy();
    }
    state.forgetMailAndCases();
    say(
      `cdap-triage : démonstration remise à zéro — ${plural(deleted, 'clé effacée', 'clés effacées')} dans Redis (« ${config.redis.prefix}:* »), ` +
        `${plural(tables, 'table effacée', 'tables effacées')} dans PostgreSQL (schéma « ${config.database.schema} »), ` +
        'boîte et réponses de .tmp/ effacées (l’identifiant du tableau de bord est gardé). ' +
        'Le prochain cdap-triage run (ou ./scripts/start.sh) recharge les messages de démonstration.\n',
    );
    return 0;
  } catch (err) {
    say(`cdap-triage : ${(err as Error).message}\n`);
    return 1;
  }
}
