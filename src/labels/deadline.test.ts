import { describe, expect, it } from 'vitest';
import { deadlineInDays } from './deadline.js';

const NBSP = '\u00a0';

describe('deadlineInDays', () => {
  // 10:00 in Paris (UTC+1 in winter).
  const now = new Date('2025-01-15T09:00:00Z');

  it('counts calendar days of Paris ahead of the deadline', () => {
    expect(deadlineInDays('2025-01-15T17:00:00Z', now).text).toBe('aujourd’hui');
    expect(deadlineInDays('2025-01-16T08:00:00Z', now).text).toBe('demain');
    expect(deadlineInDays('2025-01-18T10:00:00Z', now)).toEqual({
      days: 3,
      overdue: false,
      text: `dans 3${NBSP}jours`,
    });
    // 23:30 UTC on the 15th is already the 16th in Paris.
    expect(deadlineInDays('2025-01-15T23:30:00Z', now).text).toBe('demain');
  });

  it('says how late, in days, singular and plural', () => {
    expect(deadlineInDays('2025-01-15T08:00:00Z', now).text).toBe('en retard depuis aujourd’hui');
    expect(deadlineInDays('2025-01-14T12:00:00Z', now).text).toBe(`en retard de 1${NBSP}jour`);
    expect(deadlineInDays('2025-01-13T12:00:00Z', now)).toEqual({
      days: -2,
      overdue: true,
      text: `en retard de 2${NBSP}jours`,
    });
  });
});
