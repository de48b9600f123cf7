import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { fixture, testAnalyzer } from '../../tests/support/analyzer.js';
import { caseFor } from '../../tests/support/cases.js';
import { projectRoot } from '../config/loadConfig.js';
import { composeReply, formatMailbox, type ReplyMessage } from './composeReply.js';
import { loadReplyTemplates } from './renderReply.js';

const analyze = testAnalyzer();
const templates = loadReplyTemplates(
  join(projectRoot, 'config', 'templates'),
  'Le service Relations partenaires',
);
const FROM = "CAF d'Ille-et-Vilaine - Relations partenaires <partenaires.caf35@caf35.example.fr>";

async function reply(file: string, extra: Partial<ReplyMessage> = {}): Promise<ReplyMessage> {
  const r = templates.render(caseFor(await analyze(fixture(file))));
  return {
    from: FROM,
    to: 'cdas.vitre@ille-et-vilaine.fr',
    subject: r.subject,
    text: r.text,
    html: r.html,
    messageId: '<CDAP-2026-000042.ack@caf35.example.fr>',
    inReplyTo: '<form-123@cdap.example.fr>',
    references: ['<form-123@cdap.example.fr>'],
    headers: {
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
      'x-cdap-triage-loop': 'CDAP-2026-000042',
    },
    ...extra,
  };
}

/** What nodemailer itself makes of the same message: the reference the composer must match. */
async function byNodemailer(m: ReplyMessage): Promise<Buffer> {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return (await t.sendMail({ ...m, from: m.from })).message as Buffer;
}

async function readBack(raw: Buffer) {
  const p = await simpleParser(raw);
  return {
    from: p.from?.value,
    to: p.to && !Array.isArray(p.to) ? p.to.value : null,
    subject: p.subject,
    messageId: p.messageId,
    inReplyTo: p.inReplyTo,
    references: p.references,
    autoSubmitted: p.headers.get('auto-submitted'),
    suppress: p.headers.get('x-auto-response-suppress'),
    loop: p.headers.get('x-cdap-triage-loop'),
    text: p.text,
    html: p.html,
  };
}

describe('composeReply', () => {
  it('reads back exactly as nodemailer’s own message: headers, text and HTML', async () => {
    for (const file of ['form-standard-clean.eml', 'form-urgent-rsa-substantiated.eml']) {
      const m = await reply(file);
      const ours = composeReply(m, formatMailbox(m.from));
      expect(await readBack(ours)).toEqual(await readBack(await byNodemailer(m)));
    }
  });

  it('keeps lines within 76 characters, CRLF only, and a multipart/alternative of text then HTML', async () => {
    const raw = composeReply(await reply('form-standard-clean.eml'), formatMailbox(FROM)).toString('latin1');
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(raw).toMatch(/^Content-Type: multipart\/alternative;\s+boundary="/);
    expect(raw.indexOf('text/plain')).toBeLessThan(raw.indexOf('text/html'));
  });

  it('an untrusted In-Reply-To cannot add a header line', async () => {
    const m = await reply('form-standard-clean.eml', {
      inReplyTo: '<a@b>\r\nBcc: victim@example.org',
      references: ['<a@b>\r\nBcc: victim@example.org'],
    });
    const raw = composeReply(m, formatMailbox(FROM)).toString('latin1');
    expect(raw).not.toMatch(/^Bcc:/im);
    const p = await simpleParser(raw);
    expect(p.bcc).toBeUndefined();
  });

  it('encodes a display name that is not plain ASCII', () => {
    expect(formatMailbox('Caf « Partenaires » <p@caf35.example.fr>')).toMatch(
      /^=\?UTF-8\?Q\?.+\?= <p@caf35\.example\.fr>$/,
    );
    expect(formatMailbox('p@caf35.example.fr')).toBe('p@caf35.example.fr');
  });
});
