import { describe, expect, it } from '@jest/globals';
import { lastWeek } from '../../src/analytics/team/period.ts';

/** The weekly summary's week: seven whole days of the calendar in ANALYTICS_WEEKLY_AT's zone. */
describe('lastWeek', () => {
  it('in UTC: the seven UTC days before the run’s day', () => {
    expect(lastWeek(new Date('2026-12-03T09:00:00Z'))).toEqual({
      key: 'week-2026-11-26',
      label: '2026-11-26 – 2026-12-02',
      from: new Date('2026-11-26T00:00:00Z'),
      to: new Date('2026-12-03T00:00:00Z'),
    });
  });

  it('in a zone ahead of UTC: a Monday 01:00 in Tokyo is still Sunday in UTC, but the week is Tokyo’s', () => {
    // 2026-11-30 01:00 in Tokyo (UTC+9) is 2026-11-29 16:00 UTC.
    const now = new Date('2026-11-29T16:00:00Z');
    expect(lastWeek(now, 'UTC').key).toBe('week-2026-11-22');
    expect(lastWeek(now, 'Asia/Tokyo')).toEqual({
      key: 'week-2026-11-23',
      label: '2026-11-23 – 2026-11-29 (Asia/Tokyo)',
      from: new Date('2026-11-22T15:00:00Z'),
      to: new Date('2026-11-29T15:00:00Z'),
    });
  });

  it('in a zone behind UTC, and across the end of summer time (a week of 169 hours)', () => {
    // Monday 2026-11-02 09:00 in New York (EST, UTC−5); summer time ended on Sunday 2026-11-01.
    const week = lastWeek(new Date('2026-11-02T14:00:00Z'), 'America/New_York');
    expect(week.key).toBe('week-2026-10-26');
    expect(week.from).toEqual(new Date('2026-10-26T04:00:00Z')); // midnight EDT (UTC−4)
    expect(week.to).toEqual(new Date('2026-11-02T05:00:00Z')); // midnight EST (UTC−5)
    expect((week.to.getTime() - week.from.getTime()) / 3_600_000).toBe(169);
  });
});
