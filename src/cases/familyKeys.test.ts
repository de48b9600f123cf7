import { describe, expect, it } from 'vitest';
import { familyKeysOf } from './familyKeys.js';

describe('familyKeysOf', () => {
  const ids = { allocataireNumbers: ['8123457'], nirs: ['2910335238047'] };

  it('keeps keyed hashes only, one per number, the same for the same number', () => {
    const keys = familyKeysOf(ids, 'secret');
    expect(keys).toHaveLength(2);
    for (const k of keys) {
      expect(k).toMatch(/^[0-9a-f]{32}$/);
      expect(k).not.toContain('8123457');
    }
    expect(familyKeysOf({ allocataireNumbers: ['8123457'], nirs: [] }, 'secret')).toEqual([keys[0]]);
  });

  it('depends on the secret: another deployment cannot match them', () => {
    expect(familyKeysOf(ids, 'secret')).not.toEqual(familyKeysOf(ids, 'other'));
  });

  it('keeps nothing without a secret', () => {
    expect(familyKeysOf(ids, '')).toEqual([]);
  });

  it('never takes a number for a NIR with the same digits', () => {
    const [asNumber] = familyKeysOf({ allocataireNumbers: ['2910335238047'], nirs: [] }, 'secret');
    const [asNir] = familyKeysOf({ allocataireNumbers: [], nirs: ['2910335238047'] }, 'secret');
    expect(asNumber).not.toBe(asNir);
  });
});
