import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { amendConfig, loadConfig } from '../../src/config/loadConfig.js';
import type { Config, Draft } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { fixturesDir, RELAY } from './analyzer.js';
import { type DovecotServer, imapClient } from './dovecot.js';
import { schemaOf } from './records.js';

/** The expected decision of every fixture, from fixtures/expected.json. */
export const expected = JSON.parse(readFileSync(join(fixturesDir, 'expected.json'), 'utf8')) as Record<
  string,
  { route: string; reply: string; urgent: boolean; kind: string }
>;

export const fixtureNames = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.eml'))
  .sort();

/** Environment for a service under test: its own key prefix, the test Dovecot, fast timers. */
export function testEnv(
  prefix: string,
  server: DovecotServer,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    CDAP_RELAY_SENDERS: RELAY,
    QUEUE_PREFIX: prefix,
    // The run's database (tests/support/database.global.ts), a schema of its own per prefix.
    DATABASE_URL: process.env.CDAP_TEST_DATABASE_URL ?? '',
    DATABASE_SCHEMA: schemaOf(prefix),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    IMAP_HOST: server.host,
    IMAP_PORT: String(server.port),
    IMAP_USER: server.user,
    IMAP_PASSWORD: server.password,
    IMAP_SECURE: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Pipeline tests that do not look at replies send none; reply tests pass SMTP_* and REPLY_MODE=live.
    REPLY_MODE: 'off',
    // Test mail carries no Authentication-Results; the refusal itself is tested on its own.
    SENDER_VERIFICATION: 'off',
    SENDER_VERIFICATION_ACKNOWLEDGE_OFF: 'true',
    // The family's history is linked in every test, as in production.
    CDAP_FAMILY_KEY: 'test-family-key-0123456789abcdef',
    ...extra,
  };
}

export function testConfig(env: NodeJS.ProcessEnv, change: (c: Draft<Config>) => void = () => {}): Config {
  return amendConfig(loadConfig({ env }), (config) => {
    config.intake.reconcileIntervalMs = 2000;
    config.intake.maxBackoffMs = 1000;
    config.intake.leaseTtlMs = 3000;
    config.triage.lockDurationMs = 3000;
    config.shutdownTimeoutMs = 3000;
    // The outbound rate limit has a test of its own (faults, 1,000 mails): elsewhere it only slows replies.
    config.smtp.maxMessagesPerSecond = 200;
    change(config);
  });
}

export const quietLog = () => createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | false | null | undefined>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** How many messages each folder holds, and their flags, read as a technician's mail client would. */
export async function folderContents(
  server: DovecotServer,
): Promise<Record<string, Array<{ uid: number; messageId: string | null; flags: string[] }>>> {
  const client = imapClient(server);
  await client.connect();
  try {
    const out: Record<string, Array<{ uid: number; messageId: string | null; flags: string[] }>> = {};
    for (const box of await client.list()) {
      if (box.flags.has('\\Noselect')) continue;
      const lock = await client.getMailboxLock(box.path);
      try {
        const items: Array<{ uid: number; messageId: string | null; flags: string[] }> = [];
        const info = client.mailbox;
        if (info ? info.exists > 0 : false) {
          for await (const m of client.fetch('1:*', { uid: true, envelope: true, flags: true })) {
            items.push({ uid: m.uid, messageId: m.envelope?.messageId ?? null, flags: [...(m.flags ?? [])] });
          }
        }
        out[box.path] = items;
      } finally {
        lock.release();
      }
    }
    return out;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * Appends mails in this order over one connection (a connection per mail costs more than the
 * append); `flagsOf` gives the flags of the i-th. Resolves to their UIDs.
 */
export async function appendAll(
  server: DovecotServer,
  raws: Array<Buffer | string>,
  mailbox = 'INBOX',
  flagsOf: (i: number) => string[] = () => [],
): Promise<number[]> {
  const client = imapClient(server);
  await client.connect();
  try {
    // An existing mailbox answers ALREADYEXISTS, which imapflow reports as created: false.
    if (mailbox.toUpperCase() !== 'INBOX') await client.mailboxCreate(mailbox);
    const uids: number[] = [];
    for (const [i, raw] of raws.entries()) {
      const appended = await client.append(mailbox, raw, flagsOf(i));
      if (!appended) throw new Error(`APPEND to ${mailbox} failed`);
      uids.push(appended.uid ?? 0);
    }
    return uids;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Message-ID of a fixture, to find it again in the folders. */
export function messageIdOf(raw: Buffer): string | null {
  return /^message-id:\s*(<[^>\r\n]+>)/im.exec(raw.toString('latin1'))?.[1] ?? null;
}

export const routeFolder: Record<string, string> = {
  priority: 'CDAP.Prioritaire',
  standard: 'CDAP.Standard',
  quarantine: 'CDAP.Quarantaine',
  ignored: 'CDAP.Ignore',
};

/** States of a job that may still run: a queue with none has nothing left to do. */
const UNFINISHED = ['active', 'wait', 'prioritized', 'delayed', 'waiting-children'] as const;

async function unfinished(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts(...UNFINISHED);
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/**
 * Waits until triage and replies have nothing left to do: what has not happened by then (a
 * second reply, a second case) will not happen. Triage adds a mail's reply job before its own
 * job ends, so the triage queue is looked at first. A service in another process is reached
 * through its Redis URL and key prefix.
 */
export async function waitForIdleQueues(
  where: { triage: Queue; notify: Queue } | { url: string; prefix: string },
  timeoutMs = 60_000,
): Promise<void> {
  const own = 'url' in where ? new Redis(where.url, { maxRetriesPerRequest: 3 }) : null;
  const queues =
    'url' in where
      ? {
          triage: new Queue('triage', {
            connection: own as Redis,
            prefix: where.prefix,
            skipMetasUpdate: true,
          }),
          notify: new Queue('notify', {
            connection: own as Redis,
            prefix: where.prefix,
            skipMetasUpdate: true,
          }),
        }
      : where;
  try {
    await waitFor(
      'triage and reply queues idle',
      async () => (await unfinished(queues.triage)) === 0 && (await unfinished(queues.notify)) === 0,
      timeoutMs,
      100,
    );
  } finally {
    if (own) {
      await Promise.all([queues.triage.close(), queues.notify.close()]);
      own.disconnect();
    }
  }
}
