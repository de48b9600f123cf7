import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { mail, rubrics, testAnalyzer } from '../../tests/support/analyzer.js';
import type { Analysis } from './types.js';

const analyze = testAnalyzer();

function multipart(parts: string[], boundary = 'b0undary'): string {
  return [
    'From: Camille Essai <camille.essai@ille-et-vilaine.fr>',
    'Subject: Pièces',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    ...parts.map((p) => `--${boundary}\r\n${p}`),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

const textPart = `Content-Type: text/plain; charset=utf-8\r\n\r\n${rubrics()}`;

/** Whatever the input: an answer (a hang ends in the test's timeout), a valid route, and a reason when unreadable. */
async function survives(raw: string | Buffer): Promise<Analysis> {
  const a = await analyze(raw);
  expect(['priority', 'standard', 'quarantine', 'ignored']).toContain(a.route);
  if (a.unreadable) {
    expect(a.route).toBe('standard');
    expect(a.unreadableReason).toBeTruthy();
  }
  expect(a.routeReason).toBeTruthy();
  return a;
}

describe('hostile and broken input: no crash, no hang, a reason every time', () => {
  it('a mail with no From is quarantined, saying so', async () => {
    const a = await survives(mail(rubrics(), { From: '' }));
    expect(a.route).toBe('quarantine');
    expect(a.routeReason).toBe('expéditeur introuvable');
  });

  it('10,000 MIME parts: refused before they are decoded, flagged unreadable', async () => {
    const parts = Array.from({ length: 10_000 }, (_, i) => `Content-Type: text/plain\r\n\r\npart ${i}`);
    const a = await survives(multipart(parts));
    expect(a.unreadable).toBe(true);
    expect(a.unreadableReason).toMatch(/part|node|child/i);
  });

  it('a megabyte of headers: flagged unreadable', async () => {
    const huge = `X-Filler: ${'a'.repeat(1100 * 1024)}\r\n`;
    const a = await survives(huge + mail(rubrics()));
    expect(a.unreadable).toBe(true);
  });

  it('an unknown charset is read as well as it can be', async () => {
    const a = await survives(mail(rubrics(), { 'Content-Type': 'text/plain; charset=x-unknown-klingon' }));
    expect(a.unreadable).toBe(false);
    expect(a.rubrics.motif.present).toBe(true);
  });

  it('raw 8-bit bytes in headers do not break parsing', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: Ren'),
      Buffer.from([0xe9, 0xe9]),
      Buffer.from(' <rene@ille-et-vilaine.fr>\r\nSubject: D'),
      Buffer.from([0xe9, 0xff, 0x00]),
      Buffer.from('mande\r\n\r\n'),
      Buffer.from(rubrics()),
    ]);
    const a = await survives(raw);
    expect(a.sender.address).toBe('rene@ille-et-vilaine.fr');
  });

  it('bad base64 in an attachment still yields the text and the attachment', async () => {
    const a = await survives(
      multipart([
        textPart,
        'Content-Type: application/pdf; name="x.pdf"\r\nContent-Disposition: attachment; filename="x.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not*base64***\r\n====',
      ]),
    );
    expect(a.unreadable).toBe(false);
    expect(a.lint.map((f) => f.rule)).toContain('attachments-channel');
  });

  it('message/rfc822 nested 60 deep is not a problem', async () => {
    let inner = mail(rubrics());
    for (let i = 0; i < 60; i++) {
      inner = multipart([`Content-Type: message/rfc822\r\n\r\n${inner}`], `nest${i}`);
    }
    await survives(inner);
  });

  it('huge HTML is not converted past the limit: flagged unreadable', async () => {
    const html = `<html><body>${'<p>texte</p>'.repeat(250_000)}</body></html>`;
    const a = await survives(mail(html, { 'Content-Type': 'text/html; charset=utf-8' }));
    expect(a.unreadable).toBe(true);
    expect(a.unreadableReason).toMatch(/HTML/);
  });

  it('a zip bomb is never decompressed: only its compressed size is seen', async () => {
    // 50 MB of zeros deflated to a few kilobytes, inside a zip-looking attachment.
    const bomb = deflateRawSync(Buffer.alloc(50 * 1024 * 1024))
      .toString('base64')
      .replace(/.{76}/g, '$&\r\n');
    const a = await survives(
      multipart([
        textPart,
        `Content-Type: application/zip; name="pieces.zip"\r\nContent-Disposition: attachment; filename="pieces.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n${bomb}`,
      ]),
    );
    expect(a.attachments[0]?.size).toBeLessThan(200_000);
  });

  it('hundreds of attachments are counted, not kept', async () => {
    const parts = Array.from(
      { length: 400 },
      (_, i) =>
        `Content-Type: application/pdf; name="d${i}.pdf"\r\nContent-Disposition: attachment; filename="d${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK`,
    );
    const a = await survives(multipart([textPart, ...parts]));
    expect(a.attachments).toHaveLength(400);
    expect(a.lint.find((f) => f.rule === 'attachments-channel')?.message).toContain('400 pièces jointes');
  });

  it('header injection attempts in the subject and the form do not reach the analysis as new lines', async () => {
    const a = await survives(
      mail(
        `Nom de votre organisme : CDAS Cleunay\r\nVotre adresse électronique : x@ille-et-vilaine.fr\r\n${rubrics()}`,
        {
          Subject: '=?utf-8?Q?Demande=0D=0ABcc:_victime@example.org?=',
        },
      ),
    );
    expect(a.subject).not.toMatch(/[\r\n]/);
  });
});
