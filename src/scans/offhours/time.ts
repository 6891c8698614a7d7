import { z } from 'zod';
import { badRequest } from '../../errors.ts';

/**
 * Off-hours schedule times, pure. Semantics of AWS Instance Scheduler's "office hours": on each
 * listed day the instances run from `start` to `stop` (local wall time in the schedule's IANA
 * time zone) and are stopped otherwise. A window whose stop is not after its start runs past
 * midnight (start 20:00, stop 06:00: the night shift, stopped by day). Local times are turned into
 * instants with the zone's own offset on that date, so a transition keeps its wall time across
 * DST changes; a wall time the change skips (02:30 on a spring-forward night) runs at the same
 * distance after the change (03:30), and one that happens twice runs at its first occurrence.
 */

export const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type DayName = (typeof DAY_NAMES)[number];

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

/** Whether `tz` is an IANA zone this runtime knows. */
export const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
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

/** `Mon–Fri`, `every day`, `Mon, Wed, Fri`. */
export const daysText = (days: readonly DayName[]): string => {
  const cap = (d: string) => d[0]!.toUpperCase() + d.slice(1);
  if (days.length === 7) return 'every day';
  const idx = days.map((d) => DAY_NAMES.indexOf(d));
  const consecutive = idx.length > 2 && idx.every((v, i) => i === 0 || v === idx[i - 1]! + 1);
  return consecutive ? `${cap(days[0]!)}–${cap(days.at(-1)!)}` : days.map(cap).join(', ');
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

// ---- time zones

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatter = (tz: string): Intl.DateTimeFormat => {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
};

/** The wall clock in `tz` at `ms` as if it were UTC (ms), seconds included. */
const wallMs = (ms: number, tz: string): number => {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(ms)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
};

/** The zone's offset from UTC at `ms`, in ms (Berlin in summer: +7,200,000). */
const offsetAt = (ms: number, tz: string): number =>
  wallMs(Math.floor(ms / 1000) * 1000, tz) - Math.floor(ms / 1000) * 1000;

/**
 * The instant of a local wall time (`localMs`: the wall time written as if UTC) in `tz`. A
 * skipped wall time gives the instant as far after the change as the time was after its start;
 * a repeated one gives its first occurrence. (Offsets change at most once within a day either side.)
 */
export const zonedToUtc = (localMs: number, tz: string): Date => {
  const candidates = [offsetAt(localMs - 86_400_000, tz), offsetAt(localMs + 86_400_000, tz)].map((o) => localMs - o);
  const valid = candidates.filter((t) => wallMs(t, tz) === localMs);
  return new Date(valid.length > 0 ? Math.min(...valid) : Math.max(...candidates));
};

/** The local calendar date in `tz` at `at`: as a UTC midnight (ms). */
const localDay = (at: Date, tz: string): number => {
  const w = wallMs(at.getTime(), tz);
  return w - (w % 86_400_000);
};

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
  for (let day = localDay(from, t.timezone) - 86_400_000; day <= localDay(to, t.timezone); day += 86_400_000) {
    // 1970-01-01 was a Thursday: index 3 of mon…sun.
    const name = DAY_NAMES[(Math.floor(day / 86_400_000) + 3) % 7]!;
    if (!t.days.includes(name)) continue;
    out.push({ kind: 'start', at: zonedToUtc(day + start, t.timezone) });
    out.push({ kind: 'stop', at: zonedToUtc(day + (overnight ? 86_400_000 : 0) + stop, t.timezone) });
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

/** `Mon 19:00` in the schedule's zone. */
export const localText = (at: Date, tz: string): string => {
  const w = new Date(wallMs(at.getTime(), tz));
  const name = DAY_NAMES[(w.getUTCDay() + 6) % 7]!;
  return `${name[0]!.toUpperCase()}${name.slice(1)} ${w.toISOString().slice(0, 10)} ${w.toISOString().slice(11, 16)}`;
};
