import { describe, expect, it } from '@jest/globals';
import {
  DAY_NAMES,
  latestDue,
  nextTransition,
  offShare,
  parseDays,
  transitionsBetween,
  zonedToUtc,
  type ScheduleTimes,
} from '../../src/scans/offhours/time.ts';
import { parseWindow } from '../../src/scans/offhours/tools.ts';

// Off-hours schedule times at fixed clocks: office hours in a zone, across DST changes.

const berlin: ScheduleTimes = { stop: '19:00', start: '08:00', days: DAY_NAMES.slice(0, 5), timezone: 'Europe/Berlin' };
const at = (iso: string) => new Date(iso);
const iso = (d: Date | undefined) => d?.toISOString();

describe('office hours in a time zone', () => {
  it('stops at 19:00 and starts at 08:00 local on weekdays (winter: UTC+1)', () => {
    const t = transitionsBetween(berlin, at('2026-12-07T00:00:00Z'), at('2026-12-08T23:59:00Z'));
    expect(t.map((x) => `${x.kind} ${x.at.toISOString()}`)).toEqual([
      'start 2026-12-07T07:00:00.000Z',
      'stop 2026-12-07T18:00:00.000Z',
      'start 2026-12-08T07:00:00.000Z',
      'stop 2026-12-08T18:00:00.000Z',
    ]);
  });

  it('keeps the wall time across the spring change: Friday stop in CET, Monday start in CEST', () => {
    // DST begins in the EU on Sunday 2026-03-29.
    const saturday = at('2026-03-28T12:00:00Z');
    expect(latestDue(berlin, saturday)).toEqual({ kind: 'stop', at: at('2026-03-27T18:00:00Z') });
    expect(nextTransition(berlin, saturday)).toEqual({ kind: 'start', at: at('2026-03-30T06:00:00Z') });
  });

  it('and across the autumn change (EU: 2026-10-25)', () => {
    const sunday = at('2026-10-25T12:00:00Z');
    expect(latestDue(berlin, sunday)).toEqual({ kind: 'stop', at: at('2026-10-23T17:00:00Z') });
    expect(nextTransition(berlin, sunday)).toEqual({ kind: 'start', at: at('2026-10-26T07:00:00Z') });
  });

  it('runs a skipped wall time after the change and a repeated one at its first occurrence', () => {
    // New York: 02:30 does not exist on 2026-03-08 (→ 03:30 EDT), 01:30 happens twice on 2026-11-01.
    expect(iso(zonedToUtc(Date.UTC(2026, 2, 8, 2, 30), 'America/New_York'))).toBe('2026-03-08T07:30:00.000Z');
    expect(iso(zonedToUtc(Date.UTC(2026, 10, 1, 1, 30), 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(zonedToUtc(Date.UTC(2026, 6, 1, 12, 0), 'Asia/Kolkata'))).toBe('2026-07-01T06:30:00.000Z');
    expect(iso(zonedToUtc(Date.UTC(2026, 6, 1, 12, 0), 'UTC'))).toBe('2026-07-01T12:00:00.000Z');
  });

  it('is latest-due at an exact transition, and nothing is due before the first one', () => {
    expect(latestDue(berlin, at('2026-12-07T18:00:00Z'))).toEqual({ kind: 'stop', at: at('2026-12-07T18:00:00Z') });
    expect(latestDue(berlin, at('2026-12-07T17:59:59Z'))).toEqual({ kind: 'start', at: at('2026-12-07T07:00:00Z') });
    const sundayOnly: ScheduleTimes = { ...berlin, days: ['sun'] };
    expect(latestDue(sundayOnly, at('2026-12-07T10:00:00Z'))).toEqual({ kind: 'stop', at: at('2026-12-06T18:00:00Z') });
  });

  it('runs a night shift past midnight (start 20:00, stop 06:00)', () => {
    const night: ScheduleTimes = { stop: '06:00', start: '20:00', days: ['mon'], timezone: 'UTC' };
    const t = transitionsBetween(night, at('2026-12-07T00:00:00Z'), at('2026-12-09T00:00:00Z'));
    expect(t.map((x) => `${x.kind} ${x.at.toISOString()}`)).toEqual([
      'start 2026-12-07T20:00:00.000Z',
      'stop 2026-12-08T06:00:00.000Z',
    ]);
  });
});

describe('schedule words', () => {
  it('reads days, windows, and the share of the week stopped', () => {
    expect(parseDays('weekdays')).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
    expect(parseDays('sun-thu')).toEqual(['mon', 'tue', 'wed', 'thu', 'sun']);
    expect(parseDays('mon,wed,friday')).toEqual(['mon', 'wed', 'fri']);
    expect(parseDays('daily')).toHaveLength(7);
    expect(parseDays('someday')).toBeUndefined();
    expect(parseWindow('19:00-08:00')).toEqual({ stop: '19:00', start: '08:00' });
    expect(parseWindow('7:30–18:15')).toEqual({ stop: '07:30', start: '18:15' });
    expect(parseWindow('25:00-08:00')).toBeUndefined();
    // 08:00–19:00 on five days runs 55 of 168 hours.
    expect(offShare(berlin)).toBeCloseTo(113 / 168, 10);
    expect(offShare({ ...berlin, days: DAY_NAMES })).toBeCloseTo(13 / 24, 10);
  });
});
