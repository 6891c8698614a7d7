import type { Until } from '../../changes/until.ts';
import { isTimeZone } from '../../util/time-zone.ts';
import { readChangeId, readRole, readUser } from './args.ts';
import type { CommandOf } from './command.ts';
import { ok, quote, usage, type CommandParser, type ParseContext } from './results.ts';
import type { Token } from './tokens.ts';

/**
 * Parsers of the approval-policy commands: `approve <change> override <reason>`, change freezes
 * (`freeze`, `unfreeze`, `freezes`) and just-in-time roles (`grant … for <duration>`, `revoke`,
 * `grants`). Times are read here but resolved by the tool against the turn's clock (src/changes/until.ts).
 */

/** The rest of the message from `from` as typed: a leading `because`, `reason:` or dash and wrapping quotes dropped. */
export const restText = (ctx: ParseContext, from: Token | undefined): string | undefined => {
  if (!from) return undefined;
  let text = ctx.text
    .slice(from.start)
    .replace(/^(?:because\b|reason\s*[:=]?|[-–—:])\s*/i, '')
    .trim();
  const wrapped = /^(["'“‘`])(.*)(["'”’`])$/s.exec(text);
  if (wrapped?.[2] !== undefined) text = wrapped[2].trim();
  return text || undefined;
};

const notAChangeId = (args: Token[]): string | undefined =>
  args[0] ? `${quote(args[0].text)} is not a change id (like CR-12).` : undefined;

const OVERRIDE_HINT =
  'Say why you override (it is audited): `approve CR-12 override "hotfix for the checkout outage"`.';

/** `approve <change>`, `approve <change> override <reason…>`. */
export const parseApprove: CommandParser = (args, ctx) => {
  const id = readChangeId(args);
  if (!id) return usage(ctx.word, notAChangeId(args));
  const next = args[id.used];
  if (!next) return ok({ kind: 'approve', changeId: id.changeId });
  if (next.quoted || !['override', 'overriding', 'force'].includes(next.lower))
    return usage(ctx.word, 'One change at a time, please.');
  const reason = restText(ctx, args[id.used + 1]);
  if (!reason) return usage(ctx.word, OVERRIDE_HINT);
  return ok({ kind: 'approve', changeId: id.changeId, override: reason });
};

const SPAN_UNITS: Readonly<Record<string, number>> = {
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  wk: 604_800_000,
  wks: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/** `2h`, `90m`, `3d`, `1w`, `2 hours` at `args[i]` → ms and how many tokens it used. */
export const readSpan = (args: Token[], i: number): { ms: number; used: number } | undefined => {
  const t = args[i];
  if (!t || t.quoted) return undefined;
  const joined = /^(\d{1,5})([a-z]+)$/.exec(t.lower);
  if (joined?.[1] && joined[2] && SPAN_UNITS[joined[2]])
    return { ms: Number(joined[1]) * SPAN_UNITS[joined[2]]!, used: 1 };
  const unit = args[i + 1];
  if (/^\d{1,5}$/.test(t.lower) && unit && !unit.quoted && SPAN_UNITS[unit.lower])
    return { ms: Number(t.lower) * SPAN_UNITS[unit.lower]!, used: 2 };
  return undefined;
};

const WEEKDAYS: Readonly<Record<string, NonNullable<Extract<Until, { kind: 'at' }>['day']>>> = {
  today: 'today',
  tonight: 'today',
  tomorrow: 'tomorrow',
  tmrw: 'tomorrow',
  mon: 'mon',
  monday: 'mon',
  tue: 'tue',
  tues: 'tue',
  tuesday: 'tue',
  wed: 'wed',
  wednesday: 'wed',
  thu: 'thu',
  thur: 'thu',
  thurs: 'thu',
  thursday: 'thu',
  fri: 'fri',
  friday: 'fri',
  sat: 'sat',
  saturday: 'sat',
  sun: 'sun',
  sunday: 'sun',
};

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})$/i;
const LOCAL_DATE_TIME = /^(\d{4}-\d{2}-\d{2})t(\d{1,2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date (`2026-02-30` is not). */
const realDate = (s: string): boolean => {
  const ms = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s;
};

/** `18:00`, `9:30`, `18h00`, `6pm`, `6:30pm` → `HH:MM`. */
const readClock = (t: Token | undefined): string | undefined => {
  if (!t || t.quoted) return undefined;
  const h24 = /^([01]?\d|2[0-3])[:.h]([0-5]\d)$/.exec(t.lower);
  if (h24) return `${h24[1]!.padStart(2, '0')}:${h24[2]}`;
  const h12 = /^(1[0-2]|0?[1-9])(?::([0-5]\d))?(am|pm)$/.exec(t.lower);
  if (!h12) return undefined;
  const hour = (Number(h12[1]) % 12) + (h12[3] === 'pm' ? 12 : 0);
  return `${String(hour).padStart(2, '0')}:${h12[2] ?? '00'}`;
};

/** `UTC`, `tz=Europe/Paris`, `tz:Europe/Paris` or a bare IANA zone with a slash. */
const readZone = (args: Token[], i: number): { zone: string; used: number } | undefined => {
  const t = args[i];
  if (!t || t.quoted) return undefined;
  if (['utc', 'gmt', 'z'].includes(t.lower)) return { zone: 'UTC', used: 1 };
  const inline = /^(?:tz|timezone|zone)[:=](.+)$/i.exec(t.text);
  if (inline?.[1]) return { zone: inline[1], used: 1 };
  if (['tz', 'timezone', 'zone'].includes(t.lower) && args[i + 1]?.text === '=' && args[i + 2])
    return { zone: args[i + 2]!.text, used: 3 };
  if (t.text.includes('/') && isTimeZone(t.text)) return { zone: t.text, used: 1 };
  return undefined;
};

const WHEN_HINT =
  'Say when it ends: `until 2026-11-20 18:00`, `until friday 18:00 tz=Europe/Paris`, `until tomorrow`, or `for 3d`.';

type Read<T> = { value: T; used: number } | { error: string };

/** The end time after `until` at `args[i]`. */
export const readUntil = (args: Token[], i: number): Read<Until> => {
  const t = args[i];
  if (!t) return { error: WHEN_HINT };
  if (!t.quoted && INSTANT.test(t.text)) {
    const ms = Date.parse(t.text);
    if (Number.isNaN(ms)) return { error: `${quote(t.text)} is not a time I can read. ${WHEN_HINT}` };
    return { value: { kind: 'instant', iso: new Date(ms).toISOString() }, used: 1 };
  }
  const at: Extract<Until, { kind: 'at' }> = { kind: 'at', timeZone: 'UTC' };
  let used = 0;
  const localDateTime = t.quoted ? null : LOCAL_DATE_TIME.exec(t.lower);
  if (localDateTime?.[1] && localDateTime[2]) {
    at.date = localDateTime[1];
    at.time = readClock({ ...t, text: localDateTime[2], lower: localDateTime[2] });
    used = 1;
  } else if (!t.quoted && DATE.test(t.lower)) {
    at.date = t.lower;
    used = 1;
  } else if (!t.quoted && WEEKDAYS[t.lower]) {
    at.day = WEEKDAYS[t.lower];
    used = 1;
  }
  if (at.date !== undefined && !realDate(at.date)) return { error: `${quote(t.text)} is not a date. ${WHEN_HINT}` };
  if (at.time === undefined) {
    // `friday at 18:00`: the `at` is a filler.
    const skip = used > 0 && !args[i + used]?.quoted && args[i + used]?.lower === 'at' ? 1 : 0;
    const clock = readClock(args[i + used + skip]);
    if (clock) {
      at.time = clock;
      used += 1 + skip;
    }
  }
  if (used === 0) return { error: `${quote(t.text)} is not a time I can read. ${WHEN_HINT}` };
  const zone = readZone(args, i + used);
  if (zone) {
    if (!isTimeZone(zone.zone))
      return { error: `${quote(zone.zone)} is not an IANA time zone (like Europe/Paris or UTC).` };
    at.timeZone = zone.zone;
    used += zone.used;
  }
  return { value: at, used };
};

const ENVIRONMENT = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
const ALL_WORDS = new Set(['all', 'everything', '*', 'every']);

/** `prod`, `env=prod`, `all` (`all environments`, `everything`) at `args[i]`. */
const readEnvironment = (args: Token[], i: number): Read<string> => {
  const t = args[i];
  if (!t) return { error: 'Name the environment (as tagged, like prod) or `all`.' };
  const kv = /^(?:env|environment)[:=](.+)$/i.exec(t.text);
  const eq = ['env', 'environment'].includes(t.lower) && args[i + 1]?.text === '=' && args[i + 2];
  const raw = kv?.[1] ?? (eq ? args[i + 2]!.text : t.text);
  const used = eq ? 3 : 1;
  const value = raw.toLowerCase();
  if (!t.quoted && ALL_WORDS.has(value)) {
    const plural = args[i + used];
    const extra = plural && !plural.quoted && /^(?:environments?|envs?)$/.test(plural.lower) ? 1 : 0;
    return { value: 'all', used: used + extra };
  }
  if (!ENVIRONMENT.test(value))
    return { error: `${quote(raw)} is not an environment name (letters, digits, - _ .), or say \`all\`.` };
  return { value, used };
};

/** `freeze <environment|all> until <time>|for <duration> [reason…]`. */
export const parseFreeze: CommandParser = (args, ctx) => {
  const env = readEnvironment(args, 0);
  if ('error' in env) return usage(ctx.word, env.error);
  let i = env.used;
  const word = args[i];
  let until: Until;
  if (word && !word.quoted && ['until', 'till', 'til'].includes(word.lower)) {
    const when = readUntil(args, i + 1);
    if ('error' in when) return usage(ctx.word, when.error);
    until = when.value;
    i += 1 + when.used;
  } else if (word && !word.quoted && word.lower === 'for') {
    const span = readSpan(args, i + 1);
    if (!span)
      return usage(
        ctx.word,
        `${args[i + 1] ? quote(args[i + 1]!.text) : 'Nothing'} is not a duration (like 2h, 3d, 1w). ${WHEN_HINT}`,
      );
    until = { kind: 'in', ms: span.ms };
    i += 1 + span.used;
  } else return usage(ctx.word, WHEN_HINT);
  const reason = restText(ctx, args[i]);
  return ok({ kind: 'freeze', environment: env.value, until, ...(reason ? { reason } : {}) });
};

/** `unfreeze <environment|all>`. */
export const parseUnfreeze: CommandParser = (args, ctx) => {
  const env = readEnvironment(args, 0);
  if ('error' in env) return usage(ctx.word, env.error);
  if (env.used !== args.length) return usage(ctx.word, 'One environment (or `all`) at a time, please.');
  return ok({ kind: 'unfreeze', environment: env.value });
};

/** A command word alone: `freezes`, `grants`. */
export const bare =
  (kind: 'freezes' | 'grants'): CommandParser =>
  (args, ctx) =>
    args.length === 0 ? ok({ kind }) : usage(ctx.word);

const REVOKE_FILLERS = new Set(['the', 'grant', 'role', 'temporary', 'from', 'of', 'for']);

/** `revoke <user>`; a role word after the user is tolerated (`revoke @bob approver`). */
export const parseRevoke: CommandParser = (args, ctx) => {
  const words = args.filter((t) => t.quoted || t.mentionId !== undefined || !REVOKE_FILLERS.has(t.lower));
  const [who, role, ...rest] = words;
  if (!who || rest.length > 0 || (role && !readRole(role))) return usage(ctx.word);
  const user = readUser(who);
  return user ? ok({ kind: 'revoke', user }) : usage(ctx.word);
};

const GRANT_HINT =
  'Say for how long: `grant @bob approver for 2h` (1 minute to 7 days), optionally with a reason after it.';

/**
 * The `for <duration> [reason…]` part of `grant <user> <role> for …`, given the tokens after
 * `for`; undefined when there is no `for`.
 */
export const readGrantSpan = (
  ctx: ParseContext,
  after: Token[],
): { ok: true; durationMs: number; reason?: string } | { ok: false; message: string } => {
  const span = readSpan(after, 0);
  if (!span)
    return { ok: false, message: `${after[0] ? `${quote(after[0].text)} is not a duration. ` : ''}${GRANT_HINT}` };
  const reason = restText(ctx, after[span.used]);
  return { ok: true, durationMs: span.ms, ...(reason ? { reason } : {}) };
};

export type GrantTemporary = CommandOf<'grant_temporary'>;
