import { z } from 'zod';
import {
  DAY_MS,
  DAY_NAMES,
  dayNameOf,
  daysText,
  isTimeZone,
  localDay,
  localText,
  zonedToUtc,
} from '../util/time-zone.ts';

/**
 * Approval windows of a policy rule, pure: when a change under that rule may be approved (and so
 * run, since a change runs in the call that completes its approvals). On each listed day a window
 * is open from `from` to `to`, local wall time in its IANA `timeZone`; a `to` not after `from`
 * runs past midnight into the next day (22:00–06:00), and `24:00` is the end of the day. Local
 * times become instants with the zone's offset on that date (src/util/time-zone.ts), so a window
 * keeps its wall times across DST changes; a wall time a spring-forward change skips opens as far
 * after the change as it was after its start.
 */

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

const Clock = z.string().regex(CLOCK, 'must be a 24-hour time like 09:00 (24:00 for the end of the day)');

export const ApprovalWindow = z
  .object({
    /** Days the window opens on (the day it starts, for one that runs past midnight); every day when absent. */
    days: z
      .array(z.enum(DAY_NAMES, { error: `must be one of ${DAY_NAMES.join(', ')}` }))
      .min(1)
      .default([...DAY_NAMES]),
    from: Clock,
    to: Clock,
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone, like Europe/Paris').default('UTC'),
  })
  .strict()
  .refine((w) => w.from !== w.to && w.from !== '24:00', {
    message: 'from and to must differ, and from cannot be 24:00',
    path: ['to'],
  });
export type ApprovalWindow = z.infer<typeof ApprovalWindow>;

const minutes = (clock: string): number => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3));

/** The window's opening and closing instants for the local calendar day `day` (a UTC midnight in ms). */
const span = (w: ApprovalWindow, day: number): { opens: Date; closes: Date } => {
  const from = minutes(w.from) * 60_000;
  const to = minutes(w.to) * 60_000;
  return {
    opens: zonedToUtc(day + from, w.timeZone),
    closes: zonedToUtc(day + (to <= from ? DAY_MS : 0) + to, w.timeZone),
  };
};

/** The window open at `at`, with when it closes; undefined when every window is shut. */
export const openWindow = (
  windows: readonly ApprovalWindow[],
  at: Date,
): { window: ApprovalWindow; closes: Date } | undefined => {
  const t = at.getTime();
  for (const w of windows) {
    // A window that opened yesterday may still run past midnight.
    const today = localDay(at, w.timeZone);
    for (const day of [today - DAY_MS, today]) {
      if (!w.days.includes(dayNameOf(day))) continue;
      const { opens, closes } = span(w, day);
      if (opens.getTime() <= t && t < closes.getTime()) return { window: w, closes };
    }
  }
  return undefined;
};

/** The first opening of any window after `at` (within the next eight days); undefined when none opens. */
export const nextOpening = (
  windows: readonly ApprovalWindow[],
  at: Date,
): { window: ApprovalWindow; opens: Date } | undefined => {
  let best: { window: ApprovalWindow; opens: Date } | undefined;
  for (const w of windows) {
    const today = localDay(at, w.timeZone);
    for (let day = today - DAY_MS; day <= today + 8 * DAY_MS; day += DAY_MS) {
      if (!w.days.includes(dayNameOf(day))) continue;
      const { opens, closes } = span(w, day);
      // A skipped stretch of wall time can leave a window empty on that date: it never opens then.
      if (opens.getTime() <= at.getTime() || closes.getTime() <= opens.getTime()) continue;
      if (!best || opens.getTime() < best.opens.getTime()) best = { window: w, opens };
      break;
    }
  }
  return best;
};

/** `Mon–Fri 09:00–17:00 Europe/Paris`. */
export const windowText = (w: ApprovalWindow): string => `${daysText(w.days)} ${w.from}–${w.to} ${w.timeZone}`;

export const windowsText = (windows: readonly ApprovalWindow[]): string => windows.map(windowText).join(', or ');

/** `Mon 2026-11-09 09:00 Europe/Paris (2026-11-09 08:00 UTC)`: a moment in the window's zone, and in UTC unless that is the zone. */
export const openingText = (at: Date, tz: string): string => {
  const local = `${localText(at, tz)} ${tz}`;
  return tz === 'UTC' ? local : `${local} (${at.toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
};
