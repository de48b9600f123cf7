import { describe, expect, it } from 'vitest';
import { offsetOf, pageOf, statsRangeOf } from './queryParams.js';

const now = new Date('2026-11-30T15:00:00Z');

describe('statsRangeOf', () => {
  it('reads a period up to now, a calendar year, or two days both included', () => {
    const range = (q: Record<string, string>) => {
      const r = statsRangeOf(q, now);
      if (!r.ok) throw new Error(r.error.en);
      return { ...r.value, from: r.value.from.toISOString(), until: r.value.until.toISOString() };
    };
    expect(range({})).toMatchObject({
      period: 'month',
      from: '2026-11-01T00:00:00.000Z',
      until: '2026-11-30T15:00:00.001Z',
    });
    expect(range({ period: 'week' })).toMatchObject({
      from: '2026-11-23T15:00:00.000Z',
      query: 'period=week',
    });
    expect(range({ year: '2024', period: 'week' })).toEqual({
      period: 'calendar-year',
      year: 2024,
      query: 'year=2024',
      from: '2024-01-01T00:00:00.000Z',
      until: '2025-01-01T00:00:00.000Z',
    });
    expect(range({ from: '2024-02-28', to: '2024-02-29', year: '2020' })).toEqual({
      period: 'dates',
      year: null,
      query: 'from=2024-02-28&to=2024-02-29',
      from: '2024-02-28T00:00:00.000Z',
      until: '2024-03-01T00:00:00.000Z',
    });
    expect(range({ from: '2024-02-28', to: '2024-02-28' }).until).toBe('2024-02-29T00:00:00.000Z');
    // Up to ten calendar years: 2016 to 2025 are ten.
    expect(range({ from: '2016-01-01', to: '2025-12-31' }).period).toBe('dates');
    expect(statsRangeOf({ from: '2016-01-01', to: '2026-01-01' }, now)).toMatchObject({ ok: false });
  });

  it('refuses what is not a period, a year or two real days in order, in French and in English', () => {
    const refused = [
      { period: 'decade' },
      { year: '24' },
      { year: '1900' },
      { from: '2024-01-01' },
      { to: '2024-01-01' },
      { from: '2023-02-29', to: '2023-03-01' },
      { from: '2024-1-1', to: '2024-01-02' },
      { from: '1970-01-01', to: '2100-12-31' },
      { from: '2024-03-02', to: '2024-03-01' },
    ].map((q) => statsRangeOf(q, now));
    expect(refused.every((r) => !r.ok)).toBe(true);
    const last = refused.at(-1);
    expect(last?.ok === false && last.error).toEqual({
      fr: 'La date de début (from) est postérieure à la date de fin (to).',
      en: 'from must not be after to',
    });
  });
});

describe('pageOf and offsetOf', () => {
  it('defaults to 100 from 0, allows up to 500, refuses the rest', () => {
    expect(pageOf({})).toEqual({ ok: true, value: { limit: 100, offset: 0 } });
    expect(pageOf({ limit: '500', offset: '1000' })).toEqual({
      ok: true,
      value: { limit: 500, offset: 1000 },
    });
    for (const q of [
      { limit: '501' },
      { limit: '0' },
      { limit: '-5' },
      { limit: '1e2' },
      { offset: '-1' },
      { offset: 'x' },
    ])
      expect(pageOf(q).ok).toBe(false);
    expect(offsetOf(undefined)).toEqual({ ok: true, value: 0 });
    expect(offsetOf('200')).toEqual({ ok: true, value: 200 });
    expect(offsetOf('2.5').ok).toBe(false);
  });
});
