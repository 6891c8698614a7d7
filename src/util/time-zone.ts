/**
 * Wall clocks in IANA time zones, pure and DST-safe, through Intl only (no zone database of our
 * own). A "local ms" is a wall time written as if it were UTC (`Date.UTC(y, m, d, h, min)`): the
 * arithmetic on calendar days and clock times happens there, and `zonedToUtc` turns the result
 * into an instant with the zone's own offset on that date. Shared by the off-hours schedules
 * (src/scans/offhours/time.ts) and the approval windows (src/changes/windows.ts).
 */

export const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type DayName = (typeof DAY_NAMES)[number];

export const DAY_MS = 86_400_000;

/** Whether `tz` is an IANA zone this runtime knows. */
export const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

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
export const wallMs = (ms: number, tz: string): number => {
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
  const candidates = [offsetAt(localMs - DAY_MS, tz), offsetAt(localMs + DAY_MS, tz)].map((o) => localMs - o);
  const valid = candidates.filter((t) => wallMs(t, tz) === localMs);
  return new Date(valid.length > 0 ? Math.min(...valid) : Math.max(...candidates));
};

/** The local calendar date in `tz` at `at`: as a UTC midnight (ms). */
export const localDay = (at: Date, tz: string): number => {
  const w = wallMs(at.getTime(), tz);
  return w - (w % DAY_MS);
};

/** The day of the week of a local calendar day (a UTC midnight in ms). 1970-01-01 was a Thursday. */
export const dayNameOf = (localDayMs: number): DayName => DAY_NAMES[(Math.floor(localDayMs / DAY_MS) + 3) % 7]!;

/** `Mon–Fri`, `every day`, `Mon, Wed, Fri`. */
export const daysText = (days: readonly DayName[]): string => {
  const cap = (d: string) => d[0]!.toUpperCase() + d.slice(1);
  if (days.length === 7) return 'every day';
  const idx = days.map((d) => DAY_NAMES.indexOf(d));
  const consecutive = idx.length > 2 && idx.every((v, i) => i === 0 || v === idx[i - 1]! + 1);
  return consecutive ? `${cap(days[0]!)}–${cap(days.at(-1)!)}` : days.map(cap).join(', ');
};

/** `Mon 2026-11-02 19:00` in `tz`. */
export const localText = (at: Date, tz: string): string => {
  const w = new Date(wallMs(at.getTime(), tz));
  const name = DAY_NAMES[(w.getUTCDay() + 6) % 7]!;
  return `${name[0]!.toUpperCase()}${name.slice(1)} ${w.toISOString().slice(0, 10)} ${w.toISOString().slice(11, 16)}`;
};
