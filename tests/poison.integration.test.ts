import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashMessageId } from '../src/cases/caseRecord.js';
import { startService } from '../src/service.js';
import { fixture, mail, rubrics } from './support/analyzer.js';
import { appendMail, type DovecotServer, startDovecot } from './support/dovecot.js';
import { folderContents, messageIdOf, quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { caseRefsOf } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const poisonWorker = fileURLToPath(new URL('./support/poisonWorker.mjs', import.meta.url));

/** A mail well over the 4 KB under which Node's buffers share one pool: this one is moved to the thread. */
function bigMail(marker: string, messageId: string): string {
  const filler = 'Texte de remplissage pour dépasser largement quatre kilo-octets.\n'.repeat(3200);
  return mail(`${marker}\n${rubrics()}\n${filler}`, { 'Message-ID': messageId });
}

describe('poison mail: an analyzer that hangs or crashes stops alone (worker threads)', () => {
  let server: DovecotServer;
  let redis: Redis;
  const prefix = uniquePrefix('poison');
  // Its own keys for the second test: the healthy fixtures it reuses must not look already triaged.
  const bigPrefix = uniquePrefix('poison-big');
  const logDir = mkdtempSync(join(tmpdir(), 'poison-'));
  const poisonLog = join(logDir, 'analysed.log');

  beforeAll(async () => {
    server = await startDovecot();
    redis = new Redis(redisUrl);
    // Read by the poison worker's threads, which copy the environment when they start.
    process.env.POISON_LOG = poisonLog;
  });
  afterAll(async () => {
    delete process.env.POISON_LOG;
    rmSync(logDir, { recursive: true, force: true });
    await deleteKeys(redis, prefix);
    await deleteKeys(redis, bigPrefix);
    redis.disconnect();
    await server?.stop();
  });

  it('flags the hanging and the crashing mail unreadable, in the error folder, while other mail flows', async () => {
    const config = testConfig(testEnv(prefix, server), (c) => {
      // Generous, so that a cold thread start on a busy machine is never taken for a hang.
      c.analysis.hardTimeLimitMs = 5000;
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

      await waitFor('all filed', async () => (await folderContents(server)).INBOX?.length === 0, 120_000);
      const folders = await folderContents(server);
      const errors = (folders['CDAP.Erreurs'] ?? []).map((m) => m.messageId);
      expect(errors.sort()).toEqual(['<crash@test.example>', '<hang@test.example>']);
      expect(folders['CDAP.Prioritaire']?.map((m) => m.messageId)).toEqual([
        messageIdOf(fixture('form-urgent-rsa-substantiated.eml')),
      ]);
      expect(folders['CDAP.Standard']).toHaveLength(2);

      const refs = await caseRefsOf(prefix);
      const cases = await service.caseStore.getMany(refs);
      const unreadable = cases.filter((c) => c.unreadable);
      expect(unreadable).toHaveLength(2);
      expect(unreadable.map((c) => c.unreadableReason).join(' ')).toMatch(
        /longer than 5000 ms and was stopped/,
      );
      expect(unreadable.map((c) => c.unreadableReason).join(' ')).toMatch(/failed in its worker/);
      expect(unreadable.every((c) => c.route === 'standard' && c.status === 'nouveau')).toBe(true);
    } finally {
      await service.stop();
    }
  }, 180_000);
  it('a large (200 KB) mail that hangs or crashes its thread is analysed once, filed unreadable, and triage goes on', async () => {
    const config = testConfig(testEnv(bigPrefix, server), (c) => {
      // Generous, so that a cold thread start on a busy machine is never taken for a hang.
      c.analysis.hardTimeLimitMs = 5000;
      c.triage.concurrency = 2;
    });
    const service = await startService(config, quietLog(), { analysisWorkerFile: poisonWorker });
    try {
      const hang = bigMail('POISON-HANG', '<big-hang@test.example>');
      const crash = bigMail('POISON-CRASH', '<big-crash@test.example>');
      expect(Buffer.byteLength(hang)).toBeGreaterThan(200_000);
      await appendMail(server, 'INBOX', hang);
      await appendMail(server, 'INBOX', crash);
      const healthy = ['form-urgent-rsa-substantiated.eml', 'direct-cdas-generic-clean.eml'];
      for (const n of healthy) await appendMail(server, 'INBOX', fixture(n));

      await waitFor('all filed', async () => (await folderContents(server)).INBOX?.length === 0, 120_000);
      const folders = await folderContents(server);
      const errors = (folders['CDAP.Erreurs'] ?? []).map((m) => m.messageId);
      expect(errors).toEqual(expect.arrayContaining(['<big-crash@test.example>', '<big-hang@test.example>']));
      expect(folders['CDAP.Prioritaire']?.map((m) => m.messageId)).toContain(
        messageIdOf(fixture('form-urgent-rsa-substantiated.eml')),
      );
      expect(folders['CDAP.Standard']?.map((m) => m.messageId)).toContain(
        messageIdOf(fixture('direct-cdas-generic-clean.eml')),
      );

      // One analysis each: the failure became an unreadable case, not a job retried.
      const analysed = readFileSync(poisonLog, 'utf8').split('\n').filter(Boolean);
      expect(analysed.filter((id) => id.startsWith('<big-')).sort()).toEqual([
        '<big-crash@test.example>',
        '<big-hang@test.example>',
      ]);

      const refs = await caseRefsOf(bigPrefix);
      const cases = (await service.caseStore.getMany(refs)).filter((c) =>
        ['<big-crash@test.example>', '<big-hang@test.example>']
          .map(hashMessageId)
          .includes(c.messageIdHash ?? ''),
      );
      expect(cases).toHaveLength(2);
      expect(cases.every((c) => c.unreadable && c.route === 'standard' && c.status === 'nouveau')).toBe(true);
      expect(cases.map((c) => c.unreadableReason).join(' ')).toMatch(/longer than 5000 ms and was stopped/);
      expect(cases.map((c) => c.unreadableReason).join(' ')).toMatch(/failed in its worker/);
    } finally {
      await service.stop();
    }
  }, 180_000);
});
