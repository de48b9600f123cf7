import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntakeStateStore } from '../src/mailbox/intakeState.js';
import { type Service, startService } from '../src/service.js';
import { Metrics } from '../src/web/metrics.js';
import { fixture, mail } from './support/analyzer.js';
import { appendMail, type DovecotServer, startDovecot } from './support/dovecot.js';
import { quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function deadLetters(metrics: Metrics, queue: string): Promise<number> {
  const values = (await metrics.registry.getSingleMetric('cdap_dead_letters_total')?.get())?.values ?? [];
  return values.find((v) => v.labels.queue === queue)?.value ?? 0;
}

describe('dead letters (real Redis, BullMQ worker)', () => {
  const prefix = uniquePrefix('dead-letters');
  let redis: Redis;
  let queue: Queue;
  let worker: Worker;

  beforeAll(() => {
    redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  });

  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('counts a job once when it fails for good, not on each failed attempt', async () => {
    queue = new Queue('triage', { connection: redis, prefix });
    worker = new Worker(
      'triage',
      async (job) => {
        throw job.data.give === 'up'
          ? new UnrecoverableError('cannot be fixed by retrying')
          : new Error('again');
      },
      { connection: redis, prefix, settings: { backoffStrategy: () => 20 } },
    );
    const metrics = new Metrics();
    metrics.countDeadLetters(worker, 'triage');
    let failedAttempts = 0;
    worker.on('failed', () => failedAttempts++);

    await queue.add('retried', { give: 'later' }, { attempts: 3, backoff: { type: 'custom' } });
    await queue.add('unrecoverable', { give: 'up' }, { attempts: 5, backoff: { type: 'custom' } });
    // Three attempts of the first job, one of the second.
    await waitFor('every attempt failed', async () => failedAttempts === 4);
    expect((await queue.getJobCounts('failed')).failed).toBe(2);
    expect(await deadLetters(metrics, 'triage')).toBe(2);
  });
});

describe('/readyz and intake metrics of a web replica (real Redis)', () => {
  const prefix = uniquePrefix('readyz');
  const USER = 'exploitant';
  const PASSWORD = 'mot-de-passe-de-test';
  const auth = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };
  let redis: Redis;
  let service: Service;
  let state: IntakeStateStore;
  let staleAfterMs: number;

  beforeAll(async () => {
    redis = new Redis(redisUrl);
    // No intake nor workers here: the IMAP server is never contacted.
    const noImap = { host: '127.0.0.1', port: 1, user: 'nobody', password: 'x' } as DovecotServer;
    const config = testConfig(testEnv(prefix, noImap, { HTTP_USER: USER, HTTP_PASSWORD: PASSWORD }), (c) => {
      c.http.port = 0;
    });
    staleAfterMs = 3 * config.intake.reconcileIntervalMs;
    service = await startService(config, quietLog(), { web: true, intake: false, workers: false });
    state = new IntakeStateStore(redis, prefix);
  });

  afterAll(async () => {
    await service?.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  async function readyz() {
    const res = await fetch(`${service.webUrl}/readyz`, { headers: auth });
    const body = (await res.json()) as {
      status: string;
      checks: { intake: { fresh: boolean; secondsSinceLastCheck: Record<string, number | null> } };
    };
    return { status: res.status, body };
  }

  async function metrics(): Promise<string> {
    return (await fetch(`${service.webUrl}/metrics`, { headers: auth })).text();
  }

  it('answers 503 while the mailbox was never checked', async () => {
    const { status, body } = await readyz();
    expect(status).toBe(503);
    expect(body.status).toBe('not-ready');
    expect(body.checks.intake).toEqual({ fresh: false, secondsSinceLastCheck: { default: null } });
  });

  it('answers 200 when the mailbox was checked within its limit', async () => {
    await state.markChecked('default', new Date());
    const { status, body } = await readyz();
    expect(status).toBe(200);
    expect(body.checks.intake.fresh).toBe(true);
  });

  it('answers 503 when the last check is older than the limit, and exports both for the alert', async () => {
    await state.markChecked('default', new Date(Date.now() - staleAfterMs - 60_000));
    const { status, body } = await readyz();
    expect(status).toBe(503);
    expect(body.status).toBe('not-ready');
    expect(body.checks.intake.fresh).toBe(false);
    expect(body.checks.intake.secondsSinceLastCheck.default).toBeGreaterThan(staleAfterMs / 1000);
    const text = await metrics();
    const age = Number(/^cdap_intake_seconds_since_last_check\{mailbox="default"\} (\S+)$/m.exec(text)?.[1]);
    const limit = Number(/^cdap_intake_stale_after_seconds\{mailbox="default"\} (\S+)$/m.exec(text)?.[1]);
    expect(limit).toBe(staleAfterMs / 1000);
    expect(age).toBeGreaterThan(limit);
    expect(text).toContain('cdap_connection_up{server="imap"} 0');
  });

  it('exports whether some replica holds the mailbox lease, and no active intake of its own', async () => {
    expect(await metrics()).toContain('cdap_intake_lease_held{mailbox="default"} 0');
    await redis.set(`${prefix}:lease:default`, 'another-replica', 'PX', 60_000);
    const text = await metrics();
    expect(text).toContain('cdap_intake_lease_held{mailbox="default"} 1');
    expect(text).not.toMatch(/^cdap_intake_active\{/m);
  });
});

describe('loop, urgent and unreadable counters through the pipeline (real Redis, Dovecot)', () => {
  const prefix = uniquePrefix('ops-counters');
  let server: DovecotServer;
  let redis: Redis;
  let service: Service;

  beforeAll(async () => {
    server = await startDovecot();
    redis = new Redis(redisUrl);
    const config = testConfig(testEnv(prefix, server), (c) => {
      // Small enough for the large mail below to be unreadable, large enough for the fixtures.
      c.analysis.maxMessageBytes = 40_000;
    });
    service = await startService(config, quietLog());
  });

  afterAll(async () => {
    await service?.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await server?.stop();
  });

  async function counter(name: string, labels: Record<string, string>): Promise<number> {
    const values = (await service.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    return values
      .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
      .reduce((sum, v) => sum + v.value, 0);
  }

  it('counts our reply come back (loop header), a robot, an urgent and an unreadable mail', async () => {
    await appendMail(server, 'INBOX', fixture('auto-reply-own-loop-header.eml'));
    await appendMail(server, 'INBOX', fixture('auto-reply-out-of-office.eml'));
    await appendMail(server, 'INBOX', fixture('form-urgent-rsa-substantiated.eml'));
    await appendMail(server, 'INBOX', mail(`Bonjour,\n${'Une ligne de texte assez longue.\n'.repeat(2000)}`));
    await waitFor('four cases', async () => (await counter('cdap_mails_total', {})) === 4, 30_000);
    expect(await counter('cdap_loops_suppressed_total', { reason: 'loop-header' })).toBe(1);
    expect(await counter('cdap_loops_suppressed_total', { reason: 'robot' })).toBe(1);
    expect(await counter('cdap_mails_urgent_total', { check: 'substantiated' })).toBe(1);
    expect(await counter('cdap_mails_unreadable_total', { route: 'standard' })).toBe(1);
    const text = await service.metrics.registry.metrics();
    expect(text).toContain('cdap_intake_active{mailbox="default"} 1');
    expect(text).toContain('cdap_intake_lease_held{mailbox="default"} 1');
  });
});
