import { z } from 'zod';

/**
 * Calendar months in UTC: the unit the `usage` report and the monthly token budget count in. UTC so
 * that every replica, whatever its time zone, puts a turn in the same month.
 */

/** A month as people type it: `2026-11`. Years 2000–2999 (JavaScript reads years below 100 as 19xx). */
export const UsageMonth = z.string().regex(/^2\d{3}-(0[1-9]|1[0-2])$/, 'must be a month like 2026-11');
export type UsageMonth = z.infer<typeof UsageMonth>;

/** First instant (UTC) of the month `now` falls in. */
export const monthStart = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/** First instant (UTC) of the month after the one `now` falls in (December rolls over to January). */
export const nextMonthStart = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));

/** `2026-11` for any instant of November 2026, UTC. */
export const monthOf = (date: Date): UsageMonth =>
  `${String(date.getUTCFullYear()).padStart(4, '0')}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;

/** The half-open range [since, until) of a month. */
export const monthRange = (month: UsageMonth): { since: Date; until: Date } => {
  const [year, mon] = UsageMonth.parse(month).split('-').map(Number) as [number, number];
  const since = new Date(Date.UTC(year, mon - 1, 1));
  return { since, until: nextMonthStart(since) };
};
