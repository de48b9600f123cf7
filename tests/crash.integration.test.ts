import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../src/config/loadConfig.js';
import { fixture } from './support/analyzer.js';
import { appendMail, type DovecotServer, startDovecot } from './support/dovecot.js';
import { fixtureNames, folderContents, messageIdOf, testEnv, waitFor } from './support/pipeline.js';
import { uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Fast timers so a dead process's lease and job locks expire within seconds. */
function fastConfigFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdap-crash-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    [
      'intake:',
      '  reconcileIntervalMs: 2000',
      '  leaseTtlMs: 3000',
      '  maxBackoffMs: 1000',
      'triage:',
      '  lockDurationMs: 3000',
      '  concurrency: 2',
      'shutdownTimeoutMs: 3000',
    ].join('\n'),
  );
  return file;
}

function runService(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [join(projectRoot, 'bin', 'cdap-triage.js'), 'run'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

describe('crash safety: kill -9 of the running service (real processes, Dovecot, Redis)', () => {
  let server: DovecotServer;
  let redis: Redis;
  const prefix = uniquePrefix('crash');

  beforeAll(async () => {
    server = await startDovecot();
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await server?.stop();
  });

  it('handles every mail exactly once after SIGKILL mid-batch and a restart', async () => {
    const env = testEnv(prefix, server, { CONFIG_FILE: fastConfigFile() });
    const names = [...fixtureNames, ...fixtureNames].slice(0, 100);
    // Distinct copies: the second round gets a new Message-ID so it is a different mail.
    const mails = names.map((n, i) =>
      i < fixtureNames.length
        ? fixture(n)
        : Buffer.from(
            fixture(n)
              .toString('latin1')
              .replace(/^(Message-ID:\s*<)/im, `$1copy${i}.`),
            'latin1',
          ),
    );
    for (const m of mails) await appendMail(server, 'INBOX', m);

    const first = runService(env);
    await waitFor(
      'some cases opened',
      async () => (await redis.zcard(`${prefix}:cases:all`)) >= 10,
      30_000,
      20,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const second = runService(env);
    try {
      await waitFor(
        'every mail filed',
        async () => {
          const folders = await folderContents(server);
          return folders.INBOX?.length === 0 && (await redis.zcard(`${prefix}:cases:all`)) === mails.length;
        },
        60_000,
        250,
      );
      const folders = await folderContents(server);
      const filed = Object.entries(folders)
        .filter(([path]) => path.startsWith('CDAP.'))
        .flatMap(([, items]) => items.map((m) => m.messageId));
      expect(filed).toHaveLength(mails.length);
      expect(new Set(filed).size).toBe(mails.length);
      for (const m of mails) expect(filed).toContain(messageIdOf(m));
      expect(await redis.zcard(`${prefix}:cases:all`)).toBe(mails.length);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
  });
});
