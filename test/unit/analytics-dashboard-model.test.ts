import { describe, expect, test } from '@jest/globals';
import { monthForecast } from '../../src/analytics/views/cost-history.ts';
import { parseQuery, tableShape, oneOf, pageOf } from '../../src/analytics/views/query.ts';
import { AppError } from '../../src/errors.ts';

describe('monthForecast', () => {
  const day = (d: string, cents: number) => ({ day: d, monthlyCostCents: cents, resources: 1, unpriced: 0 });

  test('accrued = each elapsed day at its snapshot for 24 h, then the run rate now until the month ends', () => {
    const f = monthForecast(new Date('2026-12-10T12:00:00Z'), 46_000, [
      day('2026-11-25', 39_000),
      day('2026-12-01', 39_000),
    ]);
    // 9 days at 39,000 × 24/730, half a day at 46,000 × 24/730; then 21.5 days at 46,000 × 24/730.
    expect(f.accruedCents).toBe(Math.round(39_000 * (24 / 730) * 9 + 46_000 * (24 / 730) * 0.5));
    expect(f.forecastCents).toBe(Math.round(39_000 * (24 / 730) * 9 + 46_000 * (24 / 730) * 22));
    expect(f.estimatedDays).toBe(0);
    expect(f.cumulative).toHaveLength(31);
    expect(f.cumulative[8]).toEqual({ day: '2026-12-09', actual: Math.round(39_000 * (24 / 730) * 9), forecast: null });
    expect(f.cumulative[30]!.forecast).toBe(f.forecastCents);
    expect(f.cumulative[30]!.actual).toBeNull();
  });

  test('a day without a snapshot takes the one before; days before the first are estimated from it', () => {
    const f = monthForecast(new Date('2026-12-05T00:00:00Z'), 2_000, [day('2026-12-03', 730)]);
    // 1st and 2nd estimated at 730, 3rd at 730, 4th carries 730: 4 days × 24 cents; today none elapsed.
    expect(f.accruedCents).toBe(96);
    expect(f.estimatedDays).toBe(2);
    expect(f.forecastCents).toBe(Math.round(96 + 2_000 * (24 / 730) * 27));
  });

  test('no history: the month so far at the run rate now, all of it estimated', () => {
    const f = monthForecast(new Date('2027-02-15T00:00:00Z'), 7_300, []);
    expect(f.accruedCents).toBe(14 * 240);
    expect(f.estimatedDays).toBe(14);
    expect(f.forecastCents).toBe(28 * 240);
  });
});

describe('parseQuery', () => {
  const shape = { colour: oneOf(['red', 'blue']).optional(), ...tableShape(['name', 'size'] as const) };

  const error = (q: Record<string, string>): AppError => {
    try {
      parseQuery('inventory', shape, q);
    } catch (e) {
      if (e instanceof AppError) return e;
      throw e;
    }
    throw new Error('expected a bad_request');
  };

  test('empty values mean "any"; defaults fill the page', () => {
    const q = parseQuery('inventory', shape, { colour: '', limit: '20' });
    expect(q).toEqual({ limit: 20 });
    expect(pageOf(q, { sort: 'size', dir: 'desc' })).toEqual({ sort: 'size', dir: 'desc', offset: 0, limit: 20 });
    expect(pageOf({ sort: 'name' }, { sort: 'size', dir: 'desc' })).toEqual({
      sort: 'name',
      dir: 'asc',
      offset: 0,
      limit: 50,
    });
  });

  test('each bad value is named with what is accepted', () => {
    expect(error({ limit: '0' }).userMessage).toBe(
      'The inventory view cannot show that: limit: must be a whole number from 1 to 200 (got "0").',
    );
    expect(error({ limit: '1e3', offset: '-1' }).userMessage).toBe(
      'The inventory view cannot show that: offset: must be a whole number from 0 to 1,000,000 (got "-1"); limit: must be a whole number from 1 to 200 (got "1e3").',
    );
    expect(error({ colour: 'x'.repeat(100) }).userMessage).toContain(`(got "${'x'.repeat(40)}…")`);
    expect(error({ size: '1' })).toMatchObject({ code: 'bad_request', field: 'size' });
  });
});
