import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from './paths.mjs';

export const RELAY = 'cdap-formulaire@caf35.example.fr';

export function loadFixtures() {
  const expected = JSON.parse(readFileSync(join(fixturesDir, 'expected.json'), 'utf8'));
  const names = readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.eml'))
    .sort();
  return names.map((name) => ({
    name,
    raw: readFileSync(join(fixturesDir, name)),
    expected: expected[name] ?? null,
  }));
}

/**
 * A distinct copy of a fixture: new Message-ID (how the run finds its case and
 * its reply again) plus a sequence header, so the content hash differs and the
 * service's on-purpose deduplication of identical bytes does not merge copies.
 * The body is left alone: rewriting it would change what the analyzer reads
 * (several fixtures are base64 or quoted-printable, some deliberately broken).
 */
export function uniqueCopy(raw, messageId, seq) {
  const text = raw.toString('latin1');
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
  const nl = end === crlf && crlf >= 0 ? '\r\n' : '\n';
  let head = end >= 0 ? text.slice(0, end) : text;
  const body = end >= 0 ? text.slice(end) : '';
  const idLine = /^message-id:[ \t]*(?:\r?\n[ \t]+)?[^\r\n]*(?:\r?\n[ \t]+[^\r\n]*)*/im;
  head = idLine.test(head)
    ? head.replace(idLine, `Message-ID: ${messageId}`)
    : `Message-ID: ${messageId}${nl}${head}`;
  return Buffer.from(`X-Bench-Seq: ${seq}${nl}${head}${body}`, 'latin1');
}

const RUBRICS = [
  'Motif(s) de la demande : non-paiement',
  'Prestation(s) concernée(s) : APL',
  'Commentaire : L’APL n’est plus versée depuis le 05/10/2026. Vous trouverez le justificatif en pièce jointe.',
  'Spécificité(s) de la personne s’il y a lieu : ...',
  '',
  'Cordialement',
  'Camille Essai',
].join('\r\n');

/** An allowed CDAS worker's mail with one PDF-like attachment of `bytes` (decoded size). */
export function attachmentMail(bytes, messageId) {
  const pdf = Buffer.concat([
    Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
    randomBytes(Math.max(0, bytes - 32)),
    Buffer.from('\n%%EOF\n'),
  ]);
  const b64 = pdf.toString('base64').replace(/.{76}/g, '$&\r\n');
  const boundary = `bench-${messageId.replace(/\W/g, '')}`;
  const head = [
    'From: Camille Essai <camille.essai@ille-et-vilaine.fr>',
    'To: partenaires.caf35@caf35.example.fr',
    `Subject: Demande APL avec justificatif (${(bytes / 1e6).toFixed(1)} Mo)`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ].join('\r\n');
  return Buffer.concat([
    Buffer.from(
      `${head}\r\n\r\n--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${RUBRICS}\r\n` +
        `--${boundary}\r\nContent-Type: application/pdf; name="justificatif.pdf"\r\n` +
        'Content-Disposition: attachment; filename="justificatif.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n',
      'utf8',
    ),
    Buffer.from(b64, 'latin1'),
    Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
  ]);
}

/** The decoded attachment size whose mail is just under `limit` bytes once base64-encoded. */
export function largestAttachmentUnder(limit) {
  // base64 grows 4/3, plus CRLF every 76 characters; 8 KB of margin for the headers and text part.
  return Math.floor(((limit - 8192) * 3) / 4 / (78 / 76));
}
