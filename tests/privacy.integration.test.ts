import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { familyKeysOf } from '../src/cases/familyKeys.js';
import { createLogger } from '../src/log.js';
import { startService } from '../src/service.js';
import { fixture, fixturesDir, mail, rubrics } from './support/analyzer.js';
import { type DovecotServer, startDovecot } from './support/dovecot.js';
import {
  appendAll,
  expected,
  fixtureNames,
  folderContents,
  testConfig,
  testEnv,
  waitFor,
} from './support/pipeline.js';
import { everyRowAsText, queryRecords } from './support/records.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';
import { type SmtpSink, startSmtpSink } from './support/smtpSink.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Personal numbers written the ways people write them — hyphens, non-breaking
 * spaces, grouped digits — in the subject and in a Message-ID a client built from it.
 */
const HOSTILE_NIR = '1850535238123';
const hostileMails = [
  mail(rubrics(), {
    Subject: 'NIR 1-85-05-35-238-123-45 Mme DUPONTEL Élodie',
    'Message-ID': '<NIR185053523812345.alloc7654321.dupontel@mail.example>',
  }),
  mail(rubrics(), {
    Subject: 'Dossier NIR 1\u00a085\u00a005\u00a035\u00a0238\u00a0123\u00a045 alloc 765 43 21',
  }),
  mail(rubrics(), { Subject: 'alloc 765 43 21 — M. DUPONTEL' }),
].map((m) => Buffer.from(m));

/** True when a text holds the hostile NIR or allocataire number, whatever separates their digits. */
function holdsHostileNumber(text: string): boolean {
  const digits = text.replace(/[\s\u00a0\u202f.-]/g, '');
  return digits.includes(HOSTILE_NIR) || /(?<!\d)765\D{0,3}43\D{0,3}21(?!\d)/.test(text);
}

// NIR: sex, year, month, department (2A/2B for Corsica), commune, order, optional key; spaces or dots allowed.
const NIR =
  /(?<![\dA-Za-z])[12][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[AaBb])[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d{2})?(?![\dA-Za-z])/;

/** The personal data the fixtures carry, read from their decoded text. */
async function personalData(): Promise<{
  nirs: Set<string>;
  numbers: Set<string>;
  addresses: Set<string>;
  names: Set<string>;
}> {
  const { simpleParser } = await import('mailparser');
  const nirs = new Set<string>();
  const numbers = new Set<string>();
  const addresses = new Set<string>();
  const names = new Set<string>();
  for (const name of fixtureNames) {
    const parsed = await simpleParser(readFileSync(`${fixturesDir}/${name}`));
    const text = `${parsed.text ?? ''}\n${parsed.html ?? ''}\n${parsed.subject ?? ''}`;
    for (const m of text.matchAll(new RegExp(NIR.source, 'g')))
      nirs.add(m[0].replace(/[ .]/g, '').slice(0, 13));
    for (const m of text.matchAll(/(?<!\d)\d{7}(?!\d)/g)) numbers.add(m[0]);
    for (const m of text.matchAll(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g)) addresses.add(m[0].toLowerCase());
    for (const a of [parsed.from, parsed.replyTo].flatMap((x) => x?.value ?? []))
      if (a.address) addresses.add(a.address.toLowerCase());
    for (const m of text.matchAll(/(?:Madame|Monsieur|Mme|M\.)\s+([A-ZÉÈ][A-ZÉÈ'-]{2,})/g))
      names.add(m[1] as string);
    for (const m of text.matchAll(/Vos nom et pr[ée]nom\s*[:|]\s*([^\n|]+)/gi)) {
      for (const part of (m[1] as string).trim().split(/\s+/)) if (part.length > 2) names.add(part);
    }
  }
  // Generic institutional mailboxes are public configuration, not personal data.
  for (const a of [...addresses])
    if (/^cdas-|^partenaires|^cdap-formulaire|^transmettreundocument|^accompagnement/.test(a))
      addresses.delete(a);
  return { nirs, numbers, addresses, names };
}

describe('personal data: never in logs, never a NIR in Redis (whole pipeline over the fixtures)', () => {
  let server: DovecotServer;
  let sink: SmtpSink;
  let redis: Redis;
  const prefix = uniquePrefix('privacy');
  const lines: string[] = [];

  beforeAll(async () => {
    server = await startDovecot();
    sink = await startSmtpSink();
    redis = new Redis(redisUrl);
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    const config = testConfig(
      testEnv(prefix, server, { REPLY_MODE: 'live', SMTP_HOST: sink.host, SMTP_PORT: String(sink.port) }),
      (c) => {
        c.replies.perRecipientPerHour = 1000;
        c.replies.perRecipientPerDay = 1000;
      },
    );
    const service = await startService(config, createLogger({ level: 'trace', stream }), { web: false });
    try {
      await appendAll(server, [...fixtureNames.map(fixture), ...hostileMails]);
      const replies = fixtureNames.filter((n) => expected[n]?.reply !== 'none').length + hostileMails.length;
      await waitFor('all filed', async () => (await folderContents(server)).INBOX?.length === 0, 60_000);
      await sink.waitForMessages(replies, 60_000);
      await waitFor(
        'queues drained',
        async () => (await service.queues.notify.getJobCounts('waiting', 'active', 'delayed')).waiting === 0,
      );
    } finally {
      await service.stop();
    }
  });

  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await server?.stop();
    await sink?.stop();
  });

  it('logged something for every mail (the scan below looks at real lines)', () => {
    expect(lines.filter((l) => l.includes('"event":"triage.case_opened"')).length).toBe(
      fixtureNames.length + hostileMails.length,
    );
    expect(lines.filter((l) => l.includes('"event":"reply.sent"')).length).toBeGreaterThan(10);
  });

  it('no log line holds a NIR, an allocataire number, an address or a name from the fixtures', async () => {
    const pii = await personalData();
    expect(pii.numbers.size).toBeGreaterThan(20);
    expect(pii.addresses.size).toBeGreaterThan(20);
    expect(pii.names.size).toBeGreaterThan(20);
    const hits: string[] = [];
    for (const line of lines) {
      const lower = line.toLowerCase();
      if (NIR.test(line)) hits.push(`NIR: ${line}`);
      if (holdsHostileNumber(line) || /dupontel/i.test(line)) hits.push(`hostile: ${line}`);
      for (const n of pii.numbers) if (line.includes(n)) hits.push(`number ${n}: ${line}`);
      for (const a of pii.addresses) if (lower.includes(a)) hits.push(`address ${a}: ${line}`);
      for (const n of pii.names)
        if (new RegExp(`\\b${n}\\b`, 'i').test(line) && n.length > 3) hits.push(`name ${n}: ${line}`);
    }
    expect(hits.slice(0, 5)).toEqual([]);
  });

  it('stores no NIR anywhere in Redis once mail is triaged and answered', async () => {
    // Millisecond timestamps look like NIRs to a pattern: look for the fixtures' own NIRs.
    const { nirs } = await personalData();
    expect(nirs.size).toBeGreaterThan(3);
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.length).toBeGreaterThan(100);
    const hits: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      let values: string[] = [];
      if (type === 'string') values = [(await redis.get(key)) ?? ''];
      else if (type === 'hash') values = Object.entries(await redis.hgetall(key)).flat();
      else if (type === 'list') values = await redis.lrange(key, 0, -1);
      else if (type === 'set') values = await redis.smembers(key);
      else if (type === 'zset') values = await redis.zrange(key, '0', '-1');
      else if (type === 'stream') values = (await redis.xrange(key, '-', '+')).flatMap(([, f]) => f);
      for (const v of values) {
        const digits = v.replace(/[ .]/g, '');
        for (const n of nirs) if (digits.includes(n)) hits.push(`${key}: ${v.slice(0, 120)}`);
        if (holdsHostileNumber(v) || /dupontel/i.test(v)) hits.push(`hostile ${key}: ${v.slice(0, 120)}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('stores no NIR, allocataire number or name anywhere in PostgreSQL (every row of every table)', async () => {
    const pii = await personalData();
    const rows = await everyRowAsText(prefix);
    expect(rows.filter((r) => r.startsWith('cases:')).length).toBe(fixtureNames.length + hostileMails.length);
    const hits: string[] = [];
    for (const stored of rows) {
      // A partner's professional address is kept on purpose: the acknowledgement goes there.
      const row = stored.replace(/[\w.+-]+@(?:[\w-]+\.)*ille-et-vilaine\.fr\b/gi, '[partenaire]');
      const digits = row.replace(/[ .-]/g, '');
      for (const n of pii.nirs) if (digits.includes(n)) hits.push(`NIR ${n}: ${row.slice(0, 160)}`);
      for (const n of pii.numbers) if (row.includes(n)) hits.push(`number ${n}: ${row.slice(0, 160)}`);
      for (const n of pii.names)
        if (n.length > 3 && new RegExp(`\\b${n}\\b`, 'i').test(row))
          hits.push(`name ${n}: ${row.slice(0, 160)}`);
      if (holdsHostileNumber(row) || /dupontel/i.test(row)) hits.push(`hostile: ${row.slice(0, 160)}`);
    }
    expect(hits.slice(0, 5)).toEqual([]);
  });

  it('links families by keyed hashes only: the fixture naming a number and a NIR has both keys, neither number', async () => {
    const rows = await queryRecords<{ family_keys: string[]; record: { familyKeys?: string[] } }>(
      prefix,
      'SELECT family_keys, record FROM cases',
    );
    const linked = rows.filter((r) => r.family_keys.length > 0);
    expect(linked.length).toBeGreaterThan(3);
    for (const r of linked) {
      expect(r.record.familyKeys).toEqual(r.family_keys);
      for (const k of r.family_keys) expect(k).toMatch(/^[0-9a-f]{32}$/);
    }
    // form-allocataire-number-and-nir.eml: its allocataire number and its NIR, as HMACs with the key.
    const keys = familyKeysOf(
      { allocataireNumbers: ['1975326'], nirs: ['1960235288017'] },
      'test-family-key-0123456789abcdef',
    );
    expect(rows.some((r) => keys.every((k) => r.family_keys.includes(k)))).toBe(true);
  });
});
