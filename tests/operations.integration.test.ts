import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reprocessCase } from '../src/commands/reprocess.js';
import { projectRoot } from '../src/config/loadConfig.js';
import { startService } from '../src/service.js';
import { fixture, mail, RELAY, rubrics } from './support/analyzer.js';
import { runCli } from './support/cli.js';
import { appendMail, type DovecotServer, freePort, startDovecot } from './support/dovecot.js';
import {
  folderContents,
  messageIdOf,
  quietLog,
  routeFolder,
  testConfig,
  testEnv,
  waitFor,
  waitForIdleQueues,
} from './support/pipeline.js';
import { caseRefsOf } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';
import { type SmtpSink, startSmtpSink } from './support/smtpSink.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function cli(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  return runCli(args, { ...process.env, ...env }, input);
}

describe('operator commands (real Dovecot, Redis, SMTP)', () => {
  let server: DovecotServer;
  let sink: SmtpSink;
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    server = await startDovecot();
    sink = await startSmtpSink();
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    for (const p of prefixes) {
      await deleteKeys(redis, p);
    }
    redis.disconnect();
    await sink?.stop();
    await server?.stop();
  });

  it('backfill: triages and files the mail already there, answers none, shows a summary', async () => {
    const prefix = uniquePrefix('backfill-cmd');
    prefixes.push(prefix);
    const names = [
      'form-standard-clean.eml',
      'form-urgent-rsa-substantiated.eml',
      'auto-reply-out-of-office.eml',
    ];
    for (const n of names) await appendMail(server, 'INBOX', fixture(n));
    const env = testEnv(prefix, server, {
      REPLY_MODE: 'live',
      SMTP_HOST: sink.host,
      SMTP_PORT: String(sink.port),
    });
    const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const { code, out, err } = await cli(['backfill', '--since', since], env);
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    expect(out).toContain(
      '3\u00a0messages\u00a0: 1\u00a0prioritaire, 1\u00a0standard, 0\u00a0en quarantaine, 1\u00a0ignoré',
    );
    expect(out).toContain('aucune (rattrapage)');
    expect(err).toMatch(/rattrapage\u00a0: 3\/3/);
    expect((await folderContents(server)).INBOX).toHaveLength(0);
    // The command has ended, and left no reply to send behind it for a running service.
    expect(sink.messages).toHaveLength(0);
    const notify = new Queue('notify', { connection: redis, prefix, skipMetasUpdate: true });
    try {
      expect(await notify.getJobCounts('wait', 'prioritized', 'delayed', 'active')).toEqual({
        wait: 0,
        prioritized: 0,
        delayed: 0,
        active: 0,
      });
    } finally {
      await notify.close();
    }
  });

  it('backfill that finds nothing new says so and lists no earlier case', async () => {
    const prefix = uniquePrefix('backfill-nothing');
    prefixes.push(prefix);
    await appendMail(server, 'INBOX', fixture('form-standard-clean.eml'));
    const env = testEnv(prefix, server, { REPLY_MODE: 'off' });
    const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const first = await cli(['backfill', '--since', since], env);
    expect({ code: first.code, err: first.code === 0 ? '' : first.err }).toEqual({ code: 0, err: '' });
    const [ref] = await caseRefsOf(prefix);
    expect(first.out).toContain(ref as string);
    // The INBOX is empty now: a second backfill has nothing to do.
    const again = await cli(['backfill', '--since', since], env);
    expect(again.code).toBe(0);
    expect(again.out).toContain('Rien à rattraper');
    expect(again.out).not.toContain(ref as string);
    expect(again.out).not.toContain('Aucune réponse n’a été envoyée pour ces messages');
  });

  it('reprocess: runs the analysis again on the filed mail, keeps the case, sends no second reply', async () => {
    const prefix = uniquePrefix('reprocess');
    prefixes.push(prefix);
    const env = testEnv(prefix, server, {
      REPLY_MODE: 'live',
      SMTP_HOST: sink.host,
      SMTP_PORT: String(sink.port),
    });
    const service = await startService(testConfig(env), quietLog());
    const before = sink.messages.length;
    const raw = fixture('form-rubric-specificites-missing.eml');
    const filedIn = async (folder: string) =>
      (await folderContents(server))[folder]?.some((m) => m.messageId === messageIdOf(raw));
    try {
      await appendMail(server, 'INBOX', raw);
      await waitFor('answered', async () => sink.messages.length === before + 1);
      const [ref] = await caseRefsOf(prefix);
      await waitFor('filed place known', async () => service.caseStore.filedAt(ref as string));
      // A rule changed since: the requester's domain is no longer a partner's. Only an analysis
      // run again can move the case from standard to quarantine.
      const changed = { ...service.config, allowedDomains: ['autre-partenaire.example.fr'] };
      const { before: was, after } = await reprocessCase({ ...service, config: changed }, ref as string);
      expect(was.route).toBe('standard');
      expect(after.route).toBe('quarantine');
      expect(after.routeReason).not.toBe(was.routeReason);
      expect(after.ref).toBe(ref);
      expect(after.replyState?.status).toBe('sent');
      expect((await service.caseStore.get(ref as string))?.route).toBe('quarantine');
      expect(await filedIn(routeFolder.quarantine as string)).toBe(true);
      await waitForIdleQueues(service.queues);
      expect(sink.messages).toHaveLength(before + 1);
      // The command, with the rules of the configuration: back to standard, still no reply.
      const result = await cli(['reprocess', ref as string], env);
      expect(result.out).toContain('Aucune réponse envoyée');
      expect((await service.caseStore.get(ref as string))?.route).toBe('standard');
      expect(await filedIn(routeFolder.standard as string)).toBe(true);
      const unknown = await cli(['reprocess', 'CDAP-2026-999999'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain('aucun dossier CDAP-2026-999999');
      await waitForIdleQueues(service.queues);
      expect(sink.messages).toHaveLength(before + 1);
    } finally {
      await service.stop();
    }
  }, 120_000); // Three service starts and two CLI runs: generous on a loaded machine.

  it('lint: prints the feedback a CDAS would get on a draft, exit 1 when something is to fix', async () => {
    const env = { CDAP_RELAY_SENDERS: RELAY, LOG_LEVEL: 'silent' };
    const bad = await cli(['lint'], env, 'Bonjour, le RSA de Madame est suspendu. Merci.');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('« Motif(s) de la demande » manque');
    expect(bad.out).toContain('non-paiement');
    const good = await cli(['lint'], env, rubrics());
    expect(good.code).toBe(0);
    expect(good.out).toContain('Aucune remarque');
    // A whole mail works too.
    const eml = await cli(['lint', '-'], env, mail(rubrics({ motif: '...' })));
    expect(eml.out).toContain('n’est pas remplie');
  });

  it('every command has --help with examples and exit codes', async () => {
    for (const command of ['run', 'web', 'analyze', 'lint', 'backfill', 'reprocess', 'config', 'demo']) {
      const { out, code } = await cli([command, '--help'], {});
      expect({
        command,
        code,
        examples: /Exemples?\u00a0:/.test(out) && /Codes de sortie/.test(out),
      }).toEqual({
        command,
        code: 0,
        examples: true,
      });
    }
  });

  it('errors name the fix: wrong IMAP password, Redis down, mailbox unreachable', async () => {
    const prefix = uniquePrefix('errors');
    prefixes.push(prefix);
    const base = testEnv(prefix, server, { REPLY_MODE: 'off' });
    const wrong = await cli(['run', '--no-web'], { ...base, IMAP_PASSWORD: 'not-the-password' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('vérifiez IMAP_USER et IMAP_PASSWORD');

    const deadRedis = await cli(['run', '--no-web'], {
      ...base,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    expect(deadRedis.code).toBe(1);
    expect(deadRedis.err).toMatch(
      /Redis ne répond pas à .*démarrez-le \(redis-server\) ou définissez REDIS_URL/,
    );

    const env = { ...base, IMAP_PORT: String(await freePort()) };
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'cdap-triage.js'), 'run', '--no-web'], {
      env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    });
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await waitFor(
        'unreachable reported',
        async () => err.includes('vérifiez IMAP_HOST et IMAP_PORT'),
        15_000,
      );
    } finally {
      // Stopped even when the wait fails: a service left running would outlive the suite.
      child.kill('SIGTERM');
      await exited;
    }
  });
});
