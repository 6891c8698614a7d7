import { z } from 'zod';
import { badRequest } from '../../errors.ts';
import {
  DAY_MS,
  DAY_NAMES,
  dayNameOf,
  daysText,
  isTimeZone,
  localDay,
  localText,
  zonedToUtc,
  type DayName,
} from '../../util/time-zone.ts';

/**
 * Off-hours schedule times, pure. Semantics of AWS Instance Scheduler's "office hours": on each
 * listed day the instances run from `start` to `stop` (local wall time in the schedule's IANA
 * time zone) and are stopped otherwise. A window whose stop is not after its start runs past
 * midnight (start 20:00, stop 06:00: the night shift, stopped by day). Local times are turned into
 * instants with the zone's own offset on that date, so a transition keeps its wall time across
 * DST changes; a wall time the change skips (02:30 on a spring-forward night) runs at the same
 * distance after the change (03:30), and one that happens twice runs at its first occurrence.
 */

export { DAY_NAMES, daysText, isTimeZone, localText, zonedToUtc, type DayName };

/** `HH:MM`, 24-hour. */
export const ClockTime = z
  .string()
  .trim()
  .regex(/^([01]?\d|2[0-3])[:.h]?([0-5]\d)$/, 'must be a time like 19:00')
  .transform((s) => {
    const m = /^([01]?\d|2[0-3])[:.h]?([0-5]\d)$/.exec(s)!;
    return `${m[1]!.padStart(2, '0')}:${m[2]}`;
  });

export interface ScheduleTimes {
  /** `HH:MM`: when the instances are stopped on a listed day. */
  stop: string;
  /** `HH:MM`: when they are started on a listed day. */
  start: string;
  /** Listed days, in week order. */
  days: readonly DayName[];
  /** IANA zone the times are read in. */
  timezone: string;
}

/** The default: stopped 19:00–08:00 and at weekends. */
export const defaultTimes = { stop: '19:00', start: '08:00', days: DAY_NAMES.slice(0, 5) } as const;

export const minutesOf = (clock: string): number => {
  const [h, m] = clock.split(':').map(Number);
  return h! * 60 + m!;
};

const DAY_WORDS: Readonly<Record<string, readonly DayName[]>> = {
  weekdays: DAY_NAMES.slice(0, 5),
  weekday: DAY_NAMES.slice(0, 5),
  workdays: DAY_NAMES.slice(0, 5),
  daily: DAY_NAMES,
  everyday: DAY_NAMES,
  'every-day': DAY_NAMES,
  all: DAY_NAMES,
  weekends: DAY_NAMES.slice(5),
  weekend: DAY_NAMES.slice(5),
};

/**
 * `weekdays`, `daily`, `weekends`, `mon-fri`, `mon,wed,fri`, `sun-thu` → days in week order;
 * undefined when it is not a day list.
 */
export const parseDays = (text: string): DayName[] | undefined => {
  const t = text.trim().toLowerCase();
  const word = DAY_WORDS[t];
  if (word) return [...word];
  const idx = (w: string) => DAY_NAMES.findIndex((d) => w.startsWith(d) && d.startsWith(w.slice(0, 3)));
  const out = new Set<DayName>();
  for (const part of t.split(',').map((p) => p.trim())) {
    if (!part) return undefined;
    const range = part.split('-');
    if (range.length === 1) {
      const i = idx(range[0]!);
      if (i < 0) return undefined;
      out.add(DAY_NAMES[i]!);
    } else if (range.length === 2) {
      const a = idx(range[0]!);
      const b = idx(range[1]!);
      if (a < 0 || b < 0) return undefined;
      for (let i = a; ; i = (i + 1) % 7) {
        out.add(DAY_NAMES[i]!);
        if (i === b) break;
      }
    } else return undefined;
  }
  return DAY_NAMES.filter((d) => out.has(d));
};

/** Checks a schedule's times; throws a bad request naming what is wrong. */
export const checkTimes = (t: ScheduleTimes): void => {
  if (t.stop === t.start) throw badRequest(`Stop and start are both ${t.stop}: that window never stops anything.`);
  if (t.days.length === 0) throw badRequest('Name at least one day (weekdays, daily, mon-fri, …).');
  if (!isTimeZone(t.timezone)) throw badRequest(`“${t.timezone}” is not an IANA time zone (like Europe/Berlin).`);
};

/** Minutes the instances run on each listed day. */
const runMinutes = (t: Pick<ScheduleTimes, 'stop' | 'start'>): number => {
  const d = minutesOf(t.stop) - minutesOf(t.start);
  return d > 0 ? d : d + 1440;
};

/** The share of the week's hours in which the schedule keeps the instances stopped (0…1). */
export const offShare = (t: Pick<ScheduleTimes, 'stop' | 'start' | 'days'>): number =>
  1 - (runMinutes(t) * t.days.length) / (7 * 1440);

export interface Transition {
  kind: 'stop' | 'start';
  at: Date;
}

/** Every start and stop of the schedule from `from` to `to` (both included), in time order. */
export const transitionsBetween = (t: ScheduleTimes, from: Date, to: Date): Transition[] => {
  const out: Transition[] = [];
  const start = minutesOf(t.start) * 60_000;
  const stop = minutesOf(t.stop) * 60_000;
  const overnight = stop <= start;
  // A day's window may end the next day: begin one local day before `from`.
  for (let day = localDay(from, t.timezone) - DAY_MS; day <= localDay(to, t.timezone); day += DAY_MS) {
    if (!t.days.includes(dayNameOf(day))) continue;
    out.push({ kind: 'start', at: zonedToUtc(day + start, t.timezone) });
    out.push({ kind: 'stop', at: zonedToUtc(day + (overnight ? DAY_MS : 0) + stop, t.timezone) });
  }
  return out
    .filter((x) => x.at.getTime() >= from.getTime() && x.at.getTime() <= to.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime());
};

const week = 8 * 86_400_000;

/** The latest transition at or before `now` (within the last eight days), if any. */
export const latestDue = (t: ScheduleTimes, now: Date): Transition | undefined =>
  transitionsBetween(t, new Date(now.getTime() - week), now).at(-1);

/** The first transition after `now`, if any. */
export const nextTransition = (t: ScheduleTimes, now: Date): Transition | undefined =>
  transitionsBetween(t, new Date(now.getTime() + 1), new Date(now.getTime() + week))[0];
