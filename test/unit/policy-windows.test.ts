import { describe, expect, test } from '@jest/globals';
import { resolveUntil } from '../../src/changes/until.ts';
import { ApprovalWindow, nextOpening, openingText, openWindow, windowsText } from '../../src/changes/windows.ts';

/**
 * Approval windows and freeze end times against fixed instants, in zones with DST (Europe/Paris:
 * CET +1 / CEST +2, switching on 2026-03-29 and 2026-10-25; America/New_York: EST -5 / EDT -4,
 * switching on 2026-03-08 and 2026-11-01). Every instant is written in UTC.
 */

const at = (iso: string) => new Date(iso);
const w = (doc: unknown): ApprovalWindow => ApprovalWindow.parse(doc);

const office = w({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timeZone: 'Europe/Paris' });

describe('openWindow', () => {
  test.each([
    // Winter (CET, +1): 09:00–17:00 Paris is 08:00–16:00 UTC.
    ['2026-11-04T07:59:59Z', false],
    ['2026-11-04T08:00:00Z', true],
    ['2026-11-04T15:59:59Z', true],
    ['2026-11-04T16:00:00Z', false],
    // Summer (CEST, +2): 07:00–15:00 UTC.
    ['2026-07-08T06:59:00Z', false],
    ['2026-07-08T07:00:00Z', true],
    ['2026-07-08T15:00:00Z', false],
    // Saturday and Sunday: shut all day.
    ['2026-11-07T10:00:00Z', false],
    ['2026-11-08T10:00:00Z', false],
  ])('office hours at %s: open %s', (instant, open) => {
    expect(Boolean(openWindow([office], at(instant)))).toBe(open);
  });

  test('a window keeps its wall times on the days the clocks change', () => {
    // Monday 2026-03-30, first weekday after the spring change: 09:00 CEST = 07:00 UTC.
    expect(openWindow([office], at('2026-03-30T06:59:00Z'))).toBeUndefined();
    expect(openWindow([office], at('2026-03-30T07:00:00Z'))?.closes).toEqual(at('2026-03-30T15:00:00Z'));
    // Monday 2026-10-26, first weekday after the autumn change: 09:00 CET = 08:00 UTC.
    expect(openWindow([office], at('2026-10-26T07:30:00Z'))).toBeUndefined();
    expect(openWindow([office], at('2026-10-26T08:00:00Z'))?.closes).toEqual(at('2026-10-26T16:00:00Z'));
  });

  test('a window past midnight belongs to the day it opens on', () => {
    const night = w({ days: ['fri'], from: '22:00', to: '06:00', timeZone: 'America/New_York' });
    // Friday 2026-11-06 22:00 EST = Saturday 03:00 UTC; it closes Saturday 06:00 EST = 11:00 UTC.
    expect(openWindow([night], at('2026-11-07T02:59:00Z'))).toBeUndefined();
    expect(openWindow([night], at('2026-11-07T03:00:00Z'))?.closes).toEqual(at('2026-11-07T11:00:00Z'));
    expect(openWindow([night], at('2026-11-07T10:59:00Z'))).toBeDefined();
    expect(openWindow([night], at('2026-11-07T11:00:00Z'))).toBeUndefined();
    // Saturday night is not listed.
    expect(openWindow([night], at('2026-11-08T04:00:00Z'))).toBeUndefined();
  });

  test('a night window across the autumn change closes at its wall time, an hour later in UTC', () => {
    // Saturday 2026-10-31 22:00 EDT (02:00 UTC Sunday) → Sunday 2026-11-01 06:00 EST (11:00 UTC): 9 hours.
    const night = w({ days: ['sat'], from: '22:00', to: '06:00', timeZone: 'America/New_York' });
    const open = openWindow([night], at('2026-11-01T02:00:00Z'));
    expect(open?.closes).toEqual(at('2026-11-01T11:00:00Z'));
  });

  test('24:00 is the end of the day; any of several windows will do', () => {
    const evening = w({ days: ['sat', 'sun'], from: '18:00', to: '24:00' });
    expect(openWindow([evening], at('2026-11-07T23:59:00Z'))?.closes).toEqual(at('2026-11-08T00:00:00Z'));
    expect(openWindow([office, evening], at('2026-11-07T19:00:00Z'))?.window).toBe(evening);
    expect(openWindow([office, evening], at('2026-11-04T10:00:00Z'))?.window).toBe(office);
  });
});

describe('nextOpening', () => {
  test('Friday evening → Monday morning, in the zone of the window', () => {
    const next = nextOpening([office], at('2026-11-06T18:00:00Z'));
    expect(next?.opens).toEqual(at('2026-11-09T08:00:00Z'));
    expect(openingText(next!.opens, 'Europe/Paris')).toBe('Mon 2026-11-09 09:00 Europe/Paris (2026-11-09 08:00 UTC)');
  });

  test('before the opening on the same day: today', () => {
    expect(nextOpening([office], at('2026-11-04T05:00:00Z'))?.opens).toEqual(at('2026-11-04T08:00:00Z'));
  });

  test('across the spring change: Friday 2026-03-27 evening → Monday 09:00 CEST (07:00 UTC)', () => {
    expect(nextOpening([office], at('2026-03-27T17:00:00Z'))?.opens).toEqual(at('2026-03-30T07:00:00Z'));
  });

  test('a wall time the spring change skips opens as far after the change', () => {
    // Sunday 2026-03-29 in Paris: 02:00 → 03:00. A window from 02:30 opens at 03:30 CEST = 01:30 UTC.
    const early = w({ days: ['sun'], from: '02:30', to: '04:00', timeZone: 'Europe/Paris' });
    expect(nextOpening([early], at('2026-03-28T12:00:00Z'))?.opens).toEqual(at('2026-03-29T01:30:00Z'));
  });

  test('the earliest of several windows', () => {
    const weekend = w({ days: ['sat'], from: '10:00', to: '12:00' });
    expect(nextOpening([office, weekend], at('2026-11-06T18:00:00Z'))).toEqual({
      window: weekend,
      opens: at('2026-11-07T10:00:00Z'),
    });
  });

  test('texts', () => {
    expect(windowsText([office, w({ days: ['sat', 'sun'], from: '10:00', to: '12:00' })])).toBe(
      'Mon–Fri 09:00–17:00 Europe/Paris, or Sat, Sun 10:00–12:00 UTC',
    );
    expect(openingText(at('2026-11-07T10:00:00Z'), 'UTC')).toBe('Sat 2026-11-07 10:00 UTC');
  });
});

describe('resolveUntil (freeze end times)', () => {
  // Wednesday 2026-11-04 10:00 UTC (11:00 in Paris).
  const now = at('2026-11-04T10:00:00Z');

  test.each([
    [{ kind: 'in', ms: 7_200_000 }, '2026-11-04T12:00:00.000Z'],
    [{ kind: 'instant', iso: '2026-11-20T17:00:00.000Z' }, '2026-11-20T17:00:00.000Z'],
    [{ kind: 'at', date: '2026-11-20', time: '18:00', timeZone: 'UTC' }, '2026-11-20T18:00:00.000Z'],
    [{ kind: 'at', date: '2026-11-20', timeZone: 'Europe/Paris' }, '2026-11-19T23:00:00.000Z'],
    [{ kind: 'at', day: 'fri', time: '18:00', timeZone: 'Europe/Paris' }, '2026-11-06T17:00:00.000Z'],
    // Today's 18:00 is still ahead; today's 09:00 is not, so tomorrow's.
    [{ kind: 'at', time: '18:00', timeZone: 'UTC' }, '2026-11-04T18:00:00.000Z'],
    [{ kind: 'at', time: '09:00', timeZone: 'UTC' }, '2026-11-05T09:00:00.000Z'],
    [{ kind: 'at', day: 'tomorrow', timeZone: 'UTC' }, '2026-11-05T00:00:00.000Z'],
    // A weekday without a time is its start; today's start has passed, so next week's.
    [{ kind: 'at', day: 'wed', timeZone: 'UTC' }, '2026-11-11T00:00:00.000Z'],
    [{ kind: 'at', day: 'wed', time: '17:00', timeZone: 'UTC' }, '2026-11-04T17:00:00.000Z'],
  ] as const)('%j → %s', (u, expected) => {
    expect(resolveUntil(u as Parameters<typeof resolveUntil>[0], now).toISOString()).toBe(expected);
  });

  test('across the autumn change the wall time holds: Sunday 2026-10-25 12:00 Paris is CET (+1)', () => {
    const before = at('2026-10-23T10:00:00Z');
    expect(
      resolveUntil({ kind: 'at', day: 'sun', time: '12:00', timeZone: 'Europe/Paris' }, before).toISOString(),
    ).toBe('2026-10-25T11:00:00.000Z');
  });

  test('an end that is not ahead is refused', () => {
    expect(() => resolveUntil({ kind: 'at', date: '2026-11-01', timeZone: 'UTC' }, now)).toThrow(/not in the future/);
    expect(() => resolveUntil({ kind: 'at', day: 'today', time: '08:00', timeZone: 'UTC' }, now)).toThrow(
      /2026-11-04 08:00 UTC\) is not in the future/,
    );
  });
});
