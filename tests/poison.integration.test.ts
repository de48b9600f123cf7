import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../src/service.js';
import { fixture, mail, rubrics } from './support/analyzer.js';
import { appendMail, type DovecotServer, startDovecot } from './support/dovecot.js';
import { folderContents, messageIdOf, quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const poisonWorker = fileURLToPath(new URL('./support/poisonWorker.mjs', import.meta.url));

describe('poison mail: an analyzer that hangs or crashes stops alone (worker threads)', () => {
  let server: DovecotServer;
  let redis: Redis;
  const prefix = uniquePrefix('poison');

  beforeAll(async () => {
    server = await startDovecot();
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await server?.stop();
  });

  it('flags the hanging and the crashing mail unreadable, in the error folder, while other mail flows', async () => {
    const config = testConfig(testEnv(prefix, server), (c) => {
      c.analysis.hardTimeLimitMs = 1500;
      c.triage.concurrency = 2;
    });
    const service = await startService(config, quietLog(), { analysisWorkerFile: poisonWorker });
    try {
      const hang = mail(`POISON-HANG\n${rubrics()}`, { 'Message-ID': '<hang@test.example>' });
      const crash = mail(`POISON-CRASH\n${rubrics()}`, { 'Message-ID': '<crash@test.example>' });
      await appendMail(server, 'INBOX', hang);
      await appendMail(server, 'INBOX', crash);
      const healthy = [
        'form-standard-clean.eml',
        'form-urgent-rsa-substantiated.eml',
        'direct-cdas-generic-clean.eml',
      ];
      for (const n of healthy) await appendMail(server, 'INBOX', fixture(n));

      await waitFor('all filed', async () => (await folderContents(server)).INBOX?.length === 0, 30_000);
      const folders = await folderContents(server);
      const errors = (folders['CDAP.Erreurs'] ?? []).map((m) => m.messageId);
      expect(errors.sort()).toEqual(['<crash@test.example>', '<hang@test.example>']);
      expect(folders['CDAP.Prioritaire']?.map((m) => m.messageId)).toEqual([
        messageIdOf(fixture('form-urgent-rsa-substantiated.eml')),
      ]);
      expect(folders['CDAP.Standard']).toHaveLength(2);

      const refs = await redis.zrange(`${prefix}:cases:all`, '0', '-1');
      const cases = await service.caseStore.getMany(refs);
      const unreadable = cases.filter((c) => c.unreadable);
      expect(unreadable).toHaveLength(2);
      expect(unreadable.map((c) => c.unreadableReason).join(' ')).toMatch(
        /longer than 1500 ms and was stopped/,
      );
      expect(unreadable.map((c) => c.unreadableReason).join(' ')).toMatch(/failed in its worker/);
      expect(unreadable.every((c) => c.route === 'standard' && c.status === 'open')).toBe(true);
    } finally {
      await service.stop();
    }
  });
});
