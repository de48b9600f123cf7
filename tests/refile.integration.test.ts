import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reprocessCase } from '../src/commands/reprocess.js';
import { createLogger } from '../src/log.js';
import { type Service, startService } from '../src/service.js';
import { fixture, mail, rubrics } from './support/analyzer.js';
import { runCli } from './support/cli.js';
import { appendMail, type DovecotServer, imapClient, startDovecot } from './support/dovecot.js';
import { folderContents, quietLog, testConfig, testEnv, waitFor } from './support/pipeline.js';
import { caseRefsOf } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const STANDARD = 'CDAP.Standard';
const PRIORITY = 'CDAP.Prioritaire';

/** The events a service logged, in order. */
function recordingLog(): { log: ReturnType<typeof createLogger>; events: Array<Record<string, unknown>> } {
  const events: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) events.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger({ level: 'info', stream }), events };
}

describe('moves of filed mail happen under the mailbox lease (real Dovecot and Redis)', () => {
  let server: DovecotServer;
  let redis: Redis;
  let configDir: string;
  const prefixes: string[] = [];

  beforeAll(async () => {
    server = await startDovecot();
    redis = new Redis(redisUrl);
    configDir = await mkdtemp(join(tmpdir(), 'cdap-refile-'));
  });
  afterAll(async () => {
    for (const p of prefixes) await deleteKeys(redis, p);
    redis.disconnect();
    await server?.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  /**
   * A standard request triaged and filed, then moved by hand to the priority folder (its
   * recorded place follows): a reprocess, which finds it standard, has to move it back.
   */
  async function misfiledCase(service: Service, prefix: string): Promise<string> {
    await appendMail(server, 'INBOX', fixture('form-standard-clean.eml'));
    const [ref] = await waitFor('case', async () => {
      const refs = await caseRefsOf(prefix);
      return refs.length === 1 ? refs : null;
    });
    const at = await waitFor('filed', async () => service.caseStore.filedAt(ref as string));
    expect(at.path).toBe(STANDARD);
    const client = imapClient(server);
    await client.connect();
    try {
      const lock = await client.getMailboxLock(STANDARD);
      try {
        const moved = await client.messageMove(String(at.uid), PRIORITY, { uid: true });
        const uid = moved ? moved.uidMap?.get(at.uid) : undefined;
        if (!moved || uid === undefined)
          throw new Error('the test server did not answer the MOVE with COPYUID');
        await service.caseStore.setFiledAt(ref as string, {
          path: PRIORITY,
          uidValidity: String(moved.uidValidity),
          uid,
        });
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
    return ref as string;
  }

  async function where(): Promise<{ standard: number; priority: number; inbox: number }> {
    const f = await folderContents(server);
    return {
      standard: f[STANDARD]?.length ?? 0,
      priority: f[PRIORITY]?.length ?? 0,
      inbox: f.INBOX?.length ?? 0,
    };
  }

  /** The next test starts from empty folders. */
  async function emptyFolders(): Promise<void> {
    const client = imapClient(server);
    await client.connect();
    try {
      for (const box of ['INBOX', STANDARD, PRIORITY]) {
        const lock = await client.getMailboxLock(box);
        try {
          if ((client.mailbox ? client.mailbox.exists : 0) > 0) await client.messageDelete('1:*');
        } finally {
          lock.release();
        }
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  it('reprocess beside a running intake: the intake, which holds the lease, moves the mail', async () => {
    const prefix = uniquePrefix('refile-handoff');
    prefixes.push(prefix);
    const { log, events } = recordingLog();
    const service = await startService(testConfig(testEnv(prefix, server)), log);
    try {
      await waitFor('intake connected', async () => service.intakes[0]?.active);
      const ref = await misfiledCase(service, prefix);
      expect(await where()).toMatchObject({ standard: 0, priority: 1 });

      const { after } = await reprocessCase(service, ref);
      expect(after.route).toBe('standard');
      expect(await where()).toMatchObject({ standard: 1, priority: 0, inbox: 0 });
      expect((await service.caseStore.filedAt(ref))?.path).toBe(STANDARD);
      // The move was the intake's, not the command's: the command never held the lease.
      expect(events.filter((e) => e.event === 'intake.refiled' && e.ref === ref)).toHaveLength(1);
      expect(await redis.hlen(`${prefix}:refiling:default`)).toBe(0);
    } finally {
      await service.stop();
    }
    await emptyFolders();
  });

  it('an escalation while the case’s own mail still waits in the inbox: the mail is filed straight to the priority folder, flagged', async () => {
    const prefix = uniquePrefix('refile-pending');
    prefixes.push(prefix);
    const env = testEnv(prefix, server);
    const log = recordingLog();
    // Nothing leaves the inbox while this first service runs: both mails wait there.
    const first = await startService(
      testConfig(env, (c) => {
        c.intake.filingDelayMs = 600_000;
      }),
      log.log,
    );
    let ref: string;
    try {
      await appendMail(server, 'INBOX', Buffer.from(mail(rubrics(), { Subject: 'Demande APL' })));
      [ref] = (await waitFor('case', async () => {
        const refs = await caseRefsOf(prefix);
        return refs.length === 1 ? refs : null;
      })) as [string];
      const followUp = mail(
        'URGENCE DEFINIE\nLe RSA est suspendu depuis le 1er octobre 2026, plus rien n’est versé.',
        {
          Subject: `RE: Accusé de réception [${ref}]`,
          'In-Reply-To': `<${ref}.ack@caf35.example.fr>`,
        },
      );
      await appendMail(server, 'INBOX', Buffer.from(followUp));
      await waitFor('escalated', async () => (await first.caseStore.get(ref))?.route === 'priority');
      await waitFor('escalation taken by the intake', async () =>
        log.events.some((e) => e.event === 'intake.refiled' && e.ref === ref && e.stillInInbox === true),
      );
      expect(await where()).toMatchObject({ inbox: 2, standard: 0, priority: 0 });
    } finally {
      await first.stop();
    }
    const second = await startService(
      testConfig(env, (c) => {
        c.intake.filingDelayMs = 0;
      }),
      quietLog(),
    );
    try {
      const folders = await waitFor('both mails filed', async () => {
        const f = await folderContents(server);
        return (f.INBOX?.length ?? 0) === 0 && (f[PRIORITY]?.length ?? 0) === 2 ? f : null;
      });
      expect(folders[STANDARD] ?? []).toHaveLength(0);
      for (const m of folders[PRIORITY] ?? []) expect(m.flags).toContain('\\Flagged');
      expect((await second.caseStore.filedAt(ref))?.path).toBe(PRIORITY);
    } finally {
      await second.stop();
    }
    await emptyFolders();
  });

  it('reprocess while another replica holds the lease and does not answer: nothing moves, French error, exit 1', async () => {
    const prefix = uniquePrefix('refile-busy');
    prefixes.push(prefix);
    const env = testEnv(prefix, server);
    const filer = await startService(testConfig(env), quietLog());
    let ref: string;
    try {
      await waitFor('intake connected', async () => filer.intakes[0]?.active);
      ref = await misfiledCase(filer, prefix);
    } finally {
      await filer.stop();
    }
    const lease = `${prefix}:lease:default`;
    await redis.set(lease, 'another-replica', 'PX', 120_000);

    // As the command runs it: no intake of its own.
    const service = await startService(testConfig(env), quietLog(), { intake: false, workers: false });
    try {
      const before = await service.caseStore.get(ref);
      await expect(reprocessCase(service, ref, { holderWaitMs: 1000 })).rejects.toThrow(
        /relève la boîte default .* rien n’a été modifié, ni le dossier ni la boîte/,
      );
      expect(await where()).toMatchObject({ standard: 0, priority: 1, inbox: 0 });
      expect((await service.caseStore.filedAt(ref))?.path).toBe(PRIORITY);
      expect(await service.caseStore.get(ref)).toEqual(before);
      // Withdrawn: a holder that comes back later does not move it behind the operator's back.
      expect(await redis.hlen(`${prefix}:refiling:default`)).toBe(0);
      expect(await redis.get(lease)).toBe('another-replica');
    } finally {
      await service.stop();
    }

    const configFile = join(configDir, `${prefix}.yaml`);
    await writeFile(configFile, 'intake:\n  leaseTtlMs: 2000\n');
    const cliEnv = { ...process.env, ...env, CONFIG_FILE: configFile };
    const busy = await runCli(['reprocess', ref], cliEnv);
    expect({ code: busy.code, err: busy.err }).toMatchObject({
      code: 1,
      err: expect.stringMatching(/relève la boîte default/),
    });
    expect(await where()).toMatchObject({ standard: 0, priority: 1 });

    // The lease free (the other replica gone): the command takes it and moves the mail itself.
    await redis.del(lease);
    const done = await runCli(['reprocess', ref], cliEnv);
    expect({ code: done.code, err: done.code === 0 ? '' : done.err }).toEqual({ code: 0, err: '' });
    expect(await where()).toMatchObject({ standard: 1, priority: 0, inbox: 0 });
    expect(await redis.exists(lease)).toBe(0);
  }, 120_000); // Two service starts and a CLI run: generous on a loaded machine.
});
