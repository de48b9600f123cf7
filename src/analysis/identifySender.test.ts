import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mail, RELAY, rubrics, testAnalyzer } from '../../tests/support/analyzer.js';
import { domainAllowed } from './identifySender.js';
import { readMailbox } from './readMailbox.js';

const analyze = testAnalyzer();
const ALLOWED = ['ille-et-vilaine.fr'];

/** A CDAP relay mail whose "Votre adresse électronique" field says `address`. */
function formMail(address: string): string {
  return mail(
    [
      'Message envoyé depuis le formulaire de contact de CDAP Mon Compte Partenaire.',
      '',
      'Nom de votre organisme : CDAS Maurepas',
      'Vos nom et prénom : Essai Camille',
      `Votre adresse électronique : ${address}`,
      'Numéro allocataire (facultatif) : 4812735',
      'Votre message :',
      rubrics(),
    ].join('\n'),
    { From: `"CDAP Mon Compte Partenaire" <${RELAY}>` },
  );
}

async function expectQuarantined(raw: string, reason: string | RegExp) {
  const a = await analyze(raw);
  expect(a.route).toBe('quarantine');
  expect(a.reply).toBe('none');
  expect(a.replyTo).toBeNull();
  expect(a.routeReason).toEqual(reason instanceof RegExp ? expect.stringMatching(reason) : reason);
  expect(a.sender.problem).toBe(a.routeReason);
  return a;
}

describe('sender and reply address: exactly one mailbox, else quarantine (no backscatter)', () => {
  it('a From holding 200 addresses in one pair of brackets is quarantined, never answered', async () => {
    const list = Array.from({ length: 200 }, (_, i) => `v${i}@evil${i}.example`);
    await expectQuarantined(
      mail(rubrics(), { From: `"CDAS" <${list.join(',')},x@ille-et-vilaine.fr>` }),
      'plusieurs adresses dans l’en-tête From',
    );
  });

  it('a bracketed list ending on the allowed domain is quarantined', async () => {
    await expectQuarantined(
      mail(rubrics(), { From: '<victim@evil.example,y@ille-et-vilaine.fr>' }),
      'plusieurs adresses dans l’en-tête From',
    );
  });

  it('a `;`-joined pair whose tail is `@ille-et-vilaine.fr` is quarantined', async () => {
    await expectQuarantined(
      mail(rubrics(), { From: '<victim@evil.example;@ille-et-vilaine.fr>' }),
      'plusieurs adresses dans l’en-tête From',
    );
  });

  it('a valid From with a Reply-To list is quarantined for its Reply-To', async () => {
    await expectQuarantined(
      mail(rubrics(), { 'Reply-To': '<victim@evil.example,camille.essai@ille-et-vilaine.fr>' }),
      'plusieurs adresses dans l’en-tête Reply-To',
    );
  });

  it('a Reply-To that does not parse is quarantined as unreadable', async () => {
    await expectQuarantined(
      mail(rubrics(), { 'Reply-To': 'Camille Essai' }),
      'adresse de réponse illisible (en-tête Reply-To)',
    );
  });

  it('a group in From is quarantined', async () => {
    await expectQuarantined(
      mail(rubrics(), { From: 'CDAS: a@ille-et-vilaine.fr, b@ille-et-vilaine.fr;' }),
      'groupe d’adresses dans l’en-tête From',
    );
  });

  it('two From headers are quarantined', async () => {
    const raw = mail(rubrics()).replace(
      'From: Camille Essai <camille.essai@ille-et-vilaine.fr>\r\n',
      'From: Camille Essai <camille.essai@ille-et-vilaine.fr>\r\nFrom: victim@evil.example\r\n',
    );
    await expectQuarantined(raw, 'plusieurs en-têtes From');
  });

  it('a From list outside brackets ending on the allowed domain is quarantined', async () => {
    await expectQuarantined(
      mail(rubrics(), { From: 'victim@evil.example, camille.essai@ille-et-vilaine.fr' }),
      'plusieurs adresses dans l’en-tête From',
    );
  });

  it('a form address holding two addresses is quarantined, never answered', async () => {
    const a = await expectQuarantined(
      formMail('a@evil.example, b@ille-et-vilaine.fr'),
      'plusieurs adresses dans le champ «\u00a0Votre adresse électronique\u00a0» du formulaire',
    );
    expect(a.kind).toBe('cdap-form');
    expect(a.sender.via).toBe('form');
  });

  it('a form address list inside brackets is quarantined', async () => {
    await expectQuarantined(
      formMail('<a@evil.example,b@ille-et-vilaine.fr>'),
      /^plusieurs adresses dans le champ/,
    );
  });

  it('a clean form address is still answered', async () => {
    const a = await analyze(formMail('Camille.Essai@ille-et-vilaine.fr'));
    expect(a.route).toBe('standard');
    expect(a.replyTo).toBe('camille.essai@ille-et-vilaine.fr');
    expect(a.sender.problem).toBeNull();
  });

  it('a display name with an unclosed parenthesis keeps its single address', async () => {
    const a = await analyze(
      mail(rubrics(), { From: 'Camille (CDAS Rennes <camille.essai@ille-et-vilaine.fr>' }),
    );
    expect(a.sender.address).toBe('camille.essai@ille-et-vilaine.fr');
    expect(a.route).toBe('standard');
    expect(a.replyTo).toBe('camille.essai@ille-et-vilaine.fr');
  });

  it('a display name with an unclosed quote keeps its single address', async () => {
    const a = await analyze(mail(rubrics(), { From: '"Camille <camille.essai@ille-et-vilaine.fr>' }));
    expect(a.sender.address).toBe('camille.essai@ille-et-vilaine.fr');
    expect(a.route).toBe('standard');
  });

  it('an unclosed parenthesis around a second address is quarantined, saying why', async () => {
    await expectQuarantined(
      mail(rubrics(), { From: 'Camille (x@evil.example <camille.essai@ille-et-vilaine.fr>' }),
      'plusieurs adresses dans l’en-tête From',
    );
  });

  it('a display name that repeats the address, unquoted, is one mailbox', async () => {
    const a = await analyze(
      mail(rubrics(), { From: 'camille.essai@ille-et-vilaine.fr <camille.essai@ille-et-vilaine.fr>' }),
    );
    expect(a.route).toBe('standard');
    expect(a.replyTo).toBe('camille.essai@ille-et-vilaine.fr');
  });

  it('a display name holding another address is quarantined', async () => {
    await expectQuarantined(
      mail(rubrics(), { From: 'victim@evil.example <camille.essai@ille-et-vilaine.fr>' }),
      'plusieurs adresses dans l’en-tête From',
    );
  });

  it('a quoted display name with a comma is one mailbox', async () => {
    const a = await analyze(mail(rubrics(), { From: '"Essai, Camille" <camille.essai@ille-et-vilaine.fr>' }));
    expect(a.route).toBe('standard');
    expect(a.replyTo).toBe('camille.essai@ille-et-vilaine.fr');
  });
});

describe('domainAllowed: only one clean address can be on an allowed domain', () => {
  it.each([
    'victim@evil.example,y@ille-et-vilaine.fr',
    'victim@evil.example;@ille-et-vilaine.fr',
    '<y@ille-et-vilaine.fr>',
    'a b@ille-et-vilaine.fr',
    '@ille-et-vilaine.fr',
    'a@@ille-et-vilaine.fr',
    '"a@evil"@ille-et-vilaine.fr',
  ])('refuses %s', (address) => {
    expect(domainAllowed(address, ALLOWED)).toBe(false);
  });

  it('accepts the domain and its subdomains, any case', () => {
    expect(domainAllowed('c.essai@ille-et-vilaine.fr', ALLOWED)).toBe(true);
    expect(domainAllowed('c.essai@cdas.ILLE-ET-VILAINE.FR', ALLOWED)).toBe(true);
    expect(domainAllowed('c.essai@cdas-ille-et-vilaine.fr', ALLOWED)).toBe(false);
  });
});

describe('property: a From header built from several addresses is never answered', () => {
  const local = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/);
  const domain = fc.constantFrom('evil.example', 'ille-et-vilaine.fr', 'cdas.ille-et-vilaine.fr', 'x.fr');
  const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
  const header = fc
    .record({
      addresses: fc.array(address, { minLength: 2, maxLength: 6 }),
      joiner: fc.constantFrom(',', ';', ', ', ' ,', ';@'),
      bracketed: fc.boolean(),
      name: fc.constantFrom('', 'CDAS ', '"CDAS Rennes" ', 'Camille (CDAS) '),
    })
    .map(({ addresses, joiner, bracketed, name }) => {
      const list = addresses.join(joiner);
      return bracketed ? `${name}<${list}>` : list;
    });

  it('is never "allowed with a replyTo", and replyTo is never a list', async () => {
    await fc.assert(
      fc.asyncProperty(header, async (from) => {
        const a = await analyze(mail(rubrics(), { From: from }));
        expect(a.sender.allowed && a.replyTo !== null).toBe(false);
        expect(a.reply).toBe('none');
        if (a.replyTo !== null) expect(a.replyTo).not.toMatch(/[,;<>\s]/);
      }),
      { numRuns: 150 },
    );
  });

  it('readMailbox never returns an address holding a separator', () => {
    fc.assert(
      fc.property(header, (from) => {
        const r = readMailbox(from);
        expect(r.address).toBeNull();
        expect(r.problem).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});
