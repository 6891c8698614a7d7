import { z } from 'zod';
import { badRequest } from '../errors.ts';
import { DAY_MS, DAY_NAMES, dayNameOf, isTimeZone, localDay, zonedToUtc } from '../util/time-zone.ts';

/**
 * When something typed in chat ends (`freeze prod until friday 18:00`, `… for 3d`), as the
 * grammar read it, before the clock is known: the tool resolves it against the turn's time.
 * - `in`: a duration from now;
 * - `instant`: an ISO time with its offset (`2026-11-20T18:00Z`);
 * - `at`: a wall time in `timeZone` (UTC by default): a date, `today`, `tomorrow` or a weekday,
 *   and/or a time. A weekday or a time alone means the next one still ahead; a day without a time
 *   means its start (00:00).
 */
export const Until = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('in'), ms: z.number().int().positive() }),
  z.object({ kind: z.literal('instant'), iso: z.iso.datetime({ offset: true }) }),
  z
    .object({
      kind: z.literal('at'),
      date: z.iso.date().optional(),
      day: z.enum(['today', 'tomorrow', ...DAY_NAMES]).optional(),
      time: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
        .optional(),
      timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone, like Europe/Paris').default('UTC'),
    })
    .refine((a) => a.date !== undefined || a.day !== undefined || a.time !== undefined, {
      message: 'give a date, a day or a time',
    })
    .refine((a) => !(a.date !== undefined && a.day !== undefined), { message: 'give a date or a day, not both' }),
]);
export type Until = z.infer<typeof Until>;

const clockMs = (time: string | undefined): number =>
  time ? (Number(time.slice(0, 2)) * 60 + Number(time.slice(3))) * 60_000 : 0;

/** The instant `u` names, seen at `now`; a bad request when it is not after `now`. */
export const resolveUntil = (u: Until, now: Date): Date => {
  const at = ((): Date => {
    switch (u.kind) {
      case 'in':
        return new Date(now.getTime() + u.ms);
      case 'instant':
        return new Date(u.iso);
      case 'at': {
        const tz = u.timeZone;
        const time = clockMs(u.time);
        if (u.date) return zonedToUtc(Date.parse(`${u.date}T00:00:00Z`) + time, tz);
        const today = localDay(now, tz);
        if (u.day === 'today') return zonedToUtc(today + time, tz);
        if (u.day === 'tomorrow') return zonedToUtc(today + DAY_MS + time, tz);
        // A weekday, or a time alone: the first one still ahead (today's when it is).
        for (let day = today; day <= today + 7 * DAY_MS; day += DAY_MS) {
          if (u.day !== undefined && dayNameOf(day) !== u.day) continue;
          const candidate = zonedToUtc(day + time, tz);
          if (candidate.getTime() > now.getTime()) return candidate;
        }
        return zonedToUtc(today + 7 * DAY_MS + time, tz);
      }
    }
  })();
  if (at.getTime() <= now.getTime())
    throw badRequest(`That end time (${at.toISOString().slice(0, 16).replace('T', ' ')} UTC) is not in the future.`);
  return at;
};

/** A duration in words for replies: `2 hours`, `3 days`, `90 minutes`. */
export const durationText = (ms: number): string => {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (ms % (7 * DAY_MS) === 0) return plural(ms / (7 * DAY_MS), 'week');
  if (ms % DAY_MS === 0) return plural(ms / DAY_MS, 'day');
  if (ms % 3_600_000 === 0) return plural(ms / 3_600_000, 'hour');
  return plural(Math.round(ms / 60_000), 'minute');
};
