import { describe, expect, it } from 'vitest';
import { fixture } from '../../tests/support/analyzer.js';
import { looksUrgent } from './looksUrgent.js';

describe('looksUrgent: the intake’s hint that puts a mail first in the triage queue', () => {
  it('sees the keyword in a plain subject or body', () => {
    expect(looksUrgent(fixture('direct-urgent-keyword-subject-only.eml'))).toBe(true);
  });

  it('sees the keyword in an RFC 2047 encoded subject (base64 and quoted-printable)', () => {
    expect(looksUrgent(fixture('direct-urgent-subject-rfc2047-b-hyphenated.eml'))).toBe(true);
    const b = Buffer.from(`=?UTF-8?B?${Buffer.from('URGENCE DÉFINIE : RSA coupé').toString('base64')}?=`);
    expect(looksUrgent(Buffer.from(`Subject: ${b}\r\nFrom: a@b.fr\r\n\r\nBonjour`))).toBe(true);
    expect(looksUrgent(Buffer.from('Subject: =?utf-8?Q?Urgence_d=C3=A9finie_AAH?=\r\n\r\nBonjour'))).toBe(
      true,
    );
  });

  it('says nothing of a mail without the keyword', () => {
    expect(looksUrgent(Buffer.from('Subject: =?utf-8?Q?Demande_d=C3=A9finie?=\r\n\r\nBonjour'))).toBe(false);
    expect(looksUrgent(fixture('form-standard-clean.eml'))).toBe(false);
  });
});
