import { describe, expect, it } from 'vitest';
import { foldText } from './foldText.js';
import { readFamilyIds } from './readFamilyIds.js';

const read = (text: string, form: string | null = null) => readFamilyIds(foldText(text), form);

describe('readFamilyIds', () => {
  it('reads the form field and an announced number, digits only', () => {
    expect(read('Numéro allocataire (facultatif) : 1975326', '1975326').allocataireNumbers).toEqual([
      '1975326',
    ]);
    expect(read('rien', '197 53 26').allocataireNumbers).toEqual(['1975326']);
    expect(read('N° allocataire : 765 43 21').allocataireNumbers).toEqual(['7654321']);
    expect(read('son matricule CAF 7654321').allocataireNumbers).toEqual(['7654321']);
  });

  it('does not take any seven digits for an allocataire number', () => {
    expect(read('tél. 0299642071, le 08/10/2026, 1234567 euros').allocataireNumbers).toEqual([]);
  });

  it('normalises a NIR with or without its key, spaces, dots or hyphens', () => {
    const a = read('NIR 1 96 02 35 288 017 32').nirs;
    const b = read('nir 1.96.02.35.288.017').nirs;
    const c = read('196023528801732').nirs;
    expect(a).toEqual(['1960235288017']);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(read('2 78 06 2A 113 094').nirs).toEqual(['278062A113094']);
  });

  it('keeps a few at most', () => {
    const many = Array.from({ length: 9 }, (_, i) => `allocataire ${1000000 + i}`).join('\n');
    expect(read(many).allocataireNumbers).toHaveLength(4);
  });
});
