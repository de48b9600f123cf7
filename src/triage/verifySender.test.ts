import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { mail, rubrics } from '../../tests/support/analyzer.js';
import { createSenderVerifier } from './verifySender.js';

// A real RSA key and a DNS of our own: DKIM and DMARC are verified for real, offline.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const dns: Record<string, string[][]> = {
  'sel1._domainkey.ille-et-vilaine.fr:TXT': [[`v=DKIM1; k=rsa; p=${p}`]],
  '_dmarc.ille-et-vilaine.fr:TXT': [['v=DMARC1; p=reject']],
};
const resolver = async (name: string, type: string) => {
  const hit = dns[`${name}:${type}`];
  if (hit) return hit;
  throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
};
const verify = createSenderVerifier({ trustReceived: false, resolver });

async function signed(raw: string): Promise<string> {
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' });
  // mailauth's runtime takes signatureData (its typings describe an older shape).
  const options = {
    signatureData: [{ signingDomain: 'ille-et-vilaine.fr', selector: 'sel1', privateKey: key }],
  };
  const { signatures } = await dkimSign(raw, options as unknown as Parameters<typeof dkimSign>[1]);
  return signatures + raw;
}

describe('sender verification with mailauth (DKIM + DMARC, offline DNS)', () => {
  it('passes DMARC for a partner mail signed by its domain', async () => {
    expect(await verify(Buffer.from(await signed(mail(rubrics()))))).toBe('pass');
  });

  it('fails DMARC when the signed mail was altered on the way', async () => {
    const raw = (await signed(mail(rubrics()))).replace('non-paiement', 'non-paiemenT');
    expect(await verify(Buffer.from(raw))).toBe('fail');
  });

  it('fails DMARC for an unsigned mail claiming a partner domain with p=reject', async () => {
    expect(await verify(Buffer.from(mail(rubrics())))).toBe('fail');
  });
});
