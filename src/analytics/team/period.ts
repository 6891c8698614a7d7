import { badRequest } from '../../errors.ts';
import { monthOf, monthRange, monthStart, UsageMonth } from '../../usage/month.ts';
import { DAY_MS, localDay, zonedToUtc } from '../../util/time-zone.ts';

/**
 * The periods analytics are read over, in UTC (the weekly summary's week excepted): a calendar month (`2026-11`), `this-month` (from its
 * first day to now), `last-month`, or the last `7d`, `30d` or `90d` up to now. Trends are monthly
 * buckets (UTC calendar months).
 */

/** A half-open range [from, to) and how to say it. */
export interface Period {
  /** As typed, normalised: `2026-11`, `this-month`, `last-month`, `7d`, `30d`, `90d`, or `week-2026-11-23` (the weekly summary). */
  key: string;
  /** For people: "November 2026", "the last 30 days". */
  label: string;
  from: Date;
  to: Date;
}

/** What `analytics … <period>` accepts, as error messages name it. */
export const PERIOD_FORMS = 'a month like 2026-11, this-month, last-month, 7d, 30d or 90d';

const ROLLING: Record<string, number> = { '7d': 7, '30d': 30, '90d': 90 };
const monthName = (m: string): string =>
  new Date(`${m}-01T00:00:00Z`).toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** Normalises what people type (`this month`, `Last-Month`, `30 days`) to a period key; undefined when it is not one. */
export const periodKey = (text: string): string | undefined => {
  const t = text.trim().toLowerCase().replace(/\s+/g, '-');
  if (UsageMonth.safeParse(t).success) return t;
  if (t === 'this-month' || t === 'last-month') return t;
  const days = /^(\d+)-?(?:d|days?)$/.exec(t);
  if (days && `${Number(days[1])}d` in ROLLING) return `${Number(days[1])}d`;
  return undefined;
};

/** Does the text look like an attempt at a period (digits, `month`), so a failure is a period error rather than a team name? */
export const looksLikePeriod = (text: string): boolean => /^\d|month|^(?:this|last)$|days?$/i.test(text.trim());

/** Reads a period at `now`; a text that is not one throws bad_request naming the accepted forms. */
export const parsePeriod = (text: string | undefined, now: Date): Period => {
  const key = periodKey(text ?? 'this-month');
  if (!key) throw badRequest(`“${text}” is not a period I know: say ${PERIOD_FORMS}.`, undefined, 'period');
  if (key in ROLLING) {
    const days = ROLLING[key]!;
    return { key, label: `the last ${days} days`, from: new Date(now.getTime() - days * DAY_MS), to: now };
  }
  if (key === 'this-month') {
    const m = monthOf(now);
    return { key, label: `${monthName(m)} so far`, from: monthStart(now), to: now };
  }
  const month = key === 'last-month' ? monthOf(new Date(monthStart(now).getTime() - 1)) : key;
  const { since, until } = monthRange(month);
  if (since.getTime() > now.getTime())
    throw badRequest(`${month} has not begun yet: say ${PERIOD_FORMS}.`, undefined, 'period');
  return { key, label: monthName(month), from: since, to: until.getTime() > now.getTime() ? now : until };
};

/**
 * The seven whole days before `now`'s day, as the calendar reads in `timeZone` (the zone of
 * ANALYTICS_WEEKLY_AT; UTC by default): what the weekly summary covers. Its key names the first
 * local day; a week across a DST change is 167 or 169 hours long.
 */
export const lastWeek = (now: Date, timeZone = 'UTC'): Period => {
  const today = localDay(now, timeZone);
  const first = today - 7 * DAY_MS;
  const day = (localMs: number) => new Date(localMs).toISOString().slice(0, 10);
  const zone = timeZone === 'UTC' ? '' : ` (${timeZone})`;
  return {
    key: `week-${day(first)}`,
    label: `${day(first)} – ${day(today - DAY_MS)}${zone}`,
    from: zonedToUtc(first, timeZone),
    to: zonedToUtc(today, timeZone),
  };
};

/** The `count` UTC months ending with the one `period` ends in (oldest first): the trend's buckets. */
export const trendMonths = (period: Period, count = 6): string[] => {
  const last = monthStart(new Date(period.to.getTime() - 1));
  return Array.from({ length: count }, (_, i) =>
    monthOf(new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - (count - 1 - i), 1))),
  );
};

/** Days in the period (for per-week rates), at least a minute's worth so a rate is never divided by 0. */
export const periodDays = (p: Period): number => Math.max(p.to.getTime() - p.from.getTime(), 60_000) / DAY_MS;
