import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createTransport } from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { appendMail, imapClient, startDovecot } from './dovecot.js';
import { deleteKeys, startPrivateRedis, testRunId, uniquePrefix } from './redis.js';
import { startSmtpSink } from './smtpSink.js';

const TIMEOUT = 30_000;
const run = promisify(execFile);

const RAW_MAIL = [
  'From: Partenaire CDAS <cdas@example.test>',
  'To: triage@example.test',
  'Subject: =?UTF-8?Q?Signalement_urgent_=C3=A9t=C3=A9?=',
  'Message-ID: <selftest-1@example.test>',
  'Date: Tue, 03 Mar 2026 10:00:00 +0100',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Bonjour, ceci est un test été.',
  '',
].join('\r\n');

describe('test servers', () => {
  it(
    'Dovecot: a mail appended to INBOX is fetched back byte for byte by UID, with a UIDVALIDITY',
    async () => {
      const server = await startDovecot();
      try {
        const appended = await appendMail(server, 'INBOX', RAW_MAIL, ['\\Seen', '$Urgent']);
        expect(appended.uid).toBeTypeOf('number');

        const client = imapClient(server);
        await client.connect();
        try {
          // The features the triage code relies on, served by this config.
          for (const capability of ['IDLE', 'MOVE', 'UIDPLUS']) {
            expect(client.capabilities.has(capability)).toBe(true);
          }
          const mailbox = await client.mailboxOpen('INBOX');
          // imapflow reports UIDVALIDITY as a bigint, not a number.
          expect(typeof mailbox.uidValidity).toBe('bigint');
          expect(mailbox.uidValidity > 0n).toBe(true);
          expect(mailbox.uidValidity).toBe(appended.uidValidity);
          expect(mailbox.permanentFlags?.has('\\*')).toBe(true);

          const message = await client.fetchOne(
            String(appended.uid),
            { source: true, flags: true },
            { uid: true },
          );
          expect(message).not.toBe(false);
          if (!message) return;
          expect(message.source?.equals(Buffer.from(RAW_MAIL))).toBe(true);
          expect(message.flags?.has('$Urgent')).toBe(true);
        } finally {
          await client.logout();
        }
      } finally {
        await server.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'Dovecot: restart() keeps the mail, its UID and UIDVALIDITY, and "." folders nest',
    async () => {
      const server = await startDovecot();
      try {
        const appended = await appendMail(server, 'Triage.Urgent', RAW_MAIL);
        await server.restart();

        const client = imapClient(server);
        await client.connect();
        try {
          const mailbox = await client.mailboxOpen('Triage.Urgent');
          expect(mailbox.uidValidity).toBe(appended.uidValidity);
          expect(mailbox.delimiter).toBe('.');
          const message = await client.fetchOne(String(appended.uid), { uid: true }, { uid: true });
          expect(message === false ? false : message.uid).toBe(appended.uid);
        } finally {
          await client.logout();
        }
      } finally {
        await server.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'SMTP sink: records envelope and raw bytes of a mail sent with nodemailer',
    async () => {
      const sink = await startSmtpSink();
      const transport = createTransport({
        host: '127.0.0.1',
        port: sink.port,
        secure: false,
        ignoreTLS: true,
      });
      try {
        await transport.sendMail({
          envelope: { from: 'bounce@example.test', to: ['partner@example.test', 'copy@example.test'] },
          raw: RAW_MAIL,
        });
        const [mail] = await sink.waitForMessages(1);
        expect(mail?.envelope).toEqual({
          from: 'bounce@example.test',
          to: ['partner@example.test', 'copy@example.test'],
        });
        // The SMTP DATA phase ends with the mail's final CRLF; dot-stuffing is undone.
        expect(mail?.raw.toString('utf8')).toBe(RAW_MAIL);
        expect(mail?.receivedAt).toBeTypeOf('number');
      } finally {
        transport.close();
        await sink.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'SMTP sink: respond() answering 451 makes nodemailer fail with that responseCode and records nothing',
    async () => {
      const sink = await startSmtpSink({ respond: () => ({ code: 451, message: 'Try again later' }) });
      const transport = createTransport({
        host: '127.0.0.1',
        port: sink.port,
        secure: false,
        ignoreTLS: true,
      });
      try {
        await expect(
          transport.sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw: RAW_MAIL }),
        ).rejects.toMatchObject({ responseCode: 451 });
        expect(sink.messages).toHaveLength(0);
        expect(sink.rejected).toHaveLength(1);
      } finally {
        transport.close();
        await sink.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'SMTP sink keeping headers only: the header block and the size of the whole mail, for the benchmark',
    async () => {
      const seen: string[] = [];
      const sink = await startSmtpSink({ keep: 'headers', onMessage: (m) => seen.push(m.envelope.from) });
      const transport = createTransport({
        host: '127.0.0.1',
        port: sink.port,
        secure: false,
        ignoreTLS: true,
      });
      try {
        await transport.sendMail({
          envelope: { from: 'a@example.test', to: ['b@example.test'] },
          raw: RAW_MAIL,
        });
        const [mail] = await sink.waitForMessages(1);
        expect(mail?.raw.toString('utf8')).toBe(`${RAW_MAIL.split('\r\n\r\n')[0]}\r\n`);
        expect(mail?.size).toBe(Buffer.byteLength(RAW_MAIL));
        expect(seen).toEqual(['a@example.test']);
      } finally {
        transport.close();
        await sink.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'deleteKeys: removes every key of the prefixes given, and only those',
    async () => {
      const server = await startPrivateRedis({ appendonly: false });
      const redis = new Redis(server.url);
      try {
        const mine = uniquePrefix('mine');
        const other = uniquePrefix('other');
        for (let i = 0; i < 1_200; i++) await redis.set(`${mine}:k${i}`, 'x');
        await redis.set(`${mine}x:not-mine`, 'y');
        await redis.set(`${other}:k`, 'z');
        expect(await deleteKeys(redis, mine)).toBe(1_200);
        expect((await redis.keys('*')).sort()).toEqual([`${mine}x:not-mine`, `${other}:k`]);
      } finally {
        redis.disconnect();
        await server.destroy();
      }
    },
    TIMEOUT,
  );

  it(
    'private Redis: an acknowledged write survives SIGKILL and restart with appendonly, on its own port',
    async () => {
      const redis = await startPrivateRedis({ appendonly: true });
      try {
        expect(redis.port).not.toBe(6379);
        const key = `${uniquePrefix('selftest')}:k`;
        const cli = (...args: string[]) => run('redis-cli', ['-p', String(redis.port), ...args]);
        expect((await cli('SET', key, 'v1')).stdout.trim()).toBe('OK');
        await redis.kill();
        await redis.restart();
        expect((await cli('GET', key)).stdout.trim()).toBe('v1');
      } finally {
        await redis.destroy();
      }
    },
    TIMEOUT,
  );

  it('uniquePrefix: two calls never collide and contain no ":"', () => {
    const a = uniquePrefix('my queue:x');
    const b = uniquePrefix('my queue:x');
    expect(a).not.toBe(b);
    expect(a).not.toContain(':');
    // One run id in every prefix: the run's global setup finds what its tests left.
    expect(a.startsWith(`cdap-test-${testRunId()}-my-queue-x-`)).toBe(true);
  });
});
