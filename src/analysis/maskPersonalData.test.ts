import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASKED_NAME, MASKED_NUMBER, maskPersonalData } from './maskPersonalData.js';

const N = MASKED_NUMBER;

describe('maskPersonalData: NIR', () => {
  it.each([
    ['NIR 1-85-05-35-238-123-45', `NIR ${N}`],
    ['NIR 1 85 05 35 238 123 45 joint', `NIR ${N} joint`],
    ['NIR 1\u00a085\u00a005\u00a035\u00a0238\u00a0123\u00a045.', `NIR ${N}.`],
    ['NIR 2\u202f85\u202f05\u202f35\u202f238\u202f123', `NIR ${N}`],
    ['n° sécu 1.85.05.35.238.123.45', `n° sécu ${N}`],
    ['(185053523812345)', `(${N})`],
    ['NIR 2 85 05 2A 238 123 45', `NIR ${N}`],
    ['NIR 18505 2B238 12345', `NIR ${N}`],
    ['NIR 7 85 05 35 238 123', `NIR ${N}`],
  ])('%j → %j', (text, masked) => {
    expect(maskPersonalData(text)).toBe(masked);
  });

  it('masks every identifier glued into a Message-ID', () => {
    const masked = maskPersonalData('<NIR185053523812345.alloc7654321.dupontel@x>');
    expect(masked).not.toMatch(/\d{5}/);
    expect(masked).not.toContain('dupontel');
    expect(masked).toBe('<[adresse masquée]@x>');
  });
});

describe('maskPersonalData: allocataire numbers', () => {
  it.each([
    ['alloc 765 43 21', `alloc ${N}`],
    ['Alloc. 7654321 (RSA)', `Alloc. ${N} (RSA)`],
    ['n° allocataire 5548016', `n° allocataire ${N}`],
    ['N° CAF : 765-43-21', `N° CAF : ${N}`],
    ['numéro d’allocataire 765.43.21', `numéro d’allocataire ${N}`],
    ['matricule 765\u00a043\u00a021', `matricule ${N}`],
    ['dossier 7654321, merci', `dossier ${N}, merci`],
    ['réf 12345678', `réf ${N}`],
  ])('%j → %j', (text, masked) => {
    expect(maskPersonalData(text)).toBe(masked);
  });
});

describe('maskPersonalData: names after a civility word', () => {
  it.each([
    ['Mme DUPONT Élodie', `Mme ${MASKED_NAME}`],
    ['Demande pour M. Le Gall, RSA', `Demande pour M. ${MASKED_NAME}, RSA`],
    ['Monsieur BOUVIER (n° allocataire 5548016)', `Monsieur ${MASKED_NAME} (n° allocataire ${N})`],
    ['Madame LARCHER a emménagé', `Madame ${MASKED_NAME} a emménagé`],
    ['Mlle Martin', `Mlle ${MASKED_NAME}`],
    ['Mr Nguyen Van Anh', `Mr ${MASKED_NAME} Anh`],
  ])('%j → %j', (text, masked) => {
    expect(maskPersonalData(text)).toBe(masked);
  });

  it('leaves a salutation and lower-case words alone', () => {
    expect(maskPersonalData('Madame, Monsieur, M. le directeur')).toBe('Madame, Monsieur, M. le directeur');
  });
});

describe('maskPersonalData: what is not personal stays', () => {
  it.each([
    'Versement du 12/11/2026 attendu',
    'Montant : 1 250,00 € depuis 2026',
    'Dossier CDAP-2026-000123 — APL',
    'Tél. 02 99 12 34 56',
    'URGENCE DEFINIE - RSA suspendu depuis 3 mois',
  ])('%j', (text) => {
    expect(maskPersonalData(text)).toBe(text);
  });
});

describe('maskPersonalData: property', () => {
  const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n });
  const nirParts = fc.tuple(
    fc.constantFrom('1', '2', '7', '8'),
    digits(2).map((d) => d.join('')),
    fc.oneof(
      fc.integer({ min: 1, max: 12 }).map((m) => String(m).padStart(2, '0')),
      fc.integer({ min: 20, max: 99 }).map(String),
    ),
    fc.oneof(
      fc.integer({ min: 1, max: 95 }).map((d) => String(d).padStart(2, '0')),
      fc.constantFrom('2A', '2B'),
    ),
    digits(3).map((d) => d.join('')),
    digits(3).map((d) => d.join('')),
    fc.option(
      digits(2).map((d) => d.join('')),
      { nil: undefined },
    ),
  );
  const separator = fc.constantFrom('', ' ', '\u00a0', '\u202f', '-', '.');
  const around = fc.constantFrom('', 'NIR ', 'NIR', 'n° sécu : ', '(', 'le ', '<', 'Mme DUPONT ');
  const after = fc.constantFrom('', ' ', '.', ')', ' du 12/11/2026', 'x', '>');

  it('a NIR written with any of the separators never stays readable', () => {
    fc.assert(
      fc.property(
        nirParts,
        fc.array(separator, { minLength: 6, maxLength: 6 }),
        around,
        after,
        (parts, seps, before, end) => {
          const groups = parts.filter((p): p is string => p !== undefined);
          const nir = groups.map((g, i) => (i === 0 ? g : `${seps[i - 1]}${g}`)).join('');
          const masked = maskPersonalData(`${before}${nir}${end}`);
          const visible = masked.replace(/[ \u00a0\u202f.-]/g, '');
          expect(visible).not.toMatch(/\d{13}/);
          expect(visible).not.toContain(groups.join('').slice(0, 13));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const once = maskPersonalData(text);
        expect(maskPersonalData(once)).toBe(once);
      }),
    );
  });
});
