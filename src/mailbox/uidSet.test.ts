import { describe, expect, it } from 'vitest';
import { uidSets } from './uidSet.js';

describe('uidSets', () => {
  it('writes runs as ranges', () => {
    expect(uidSets([9, 4, 5, 6, 7, 8, 12, 20, 21])).toEqual(['4:9,12,20:21']);
  });
  it('cuts long lists into commands under the limit, losing no UID', () => {
    const uids = Array.from({ length: 50_000 }, (_, i) => i * 2 + 1);
    const sets = uidSets(uids, 8000);
    expect(sets.length).toBeGreaterThan(1);
    for (const s of sets) expect(s.length).toBeLessThanOrEqual(8000);
    expect(sets.join(',').split(',').map(Number)).toEqual(uids);
  });
  it('is empty for no UID', () => {
    expect(uidSets([])).toEqual([]);
  });
});
