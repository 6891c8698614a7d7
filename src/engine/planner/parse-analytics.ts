import { looksLikePeriod, PERIOD_FORMS, periodKey } from '../../analytics/team/period.ts';
import { ok, quote, usage, type CommandParser } from './results.ts';
import type { Token } from './tokens.ts';

/**
 * `analytics [team] [period]`: `analytics`, `analytics payments`, `analytics payments 2026-11`,
 * `analytics last month`, `analytics payments for the last 30 days`. The period comes last; a word
 * that looks like a period but is none (`2026-13`, `12d`) is refused naming the accepted forms, any
 * other word is a team (the tool answers an unknown one with the known teams).
 */

const FILLER = new Set(['for', 'in', 'over', 'the', 'during', 'team']);

const badPeriod = (t: string) => usage('analytics', `${quote(t)} is not a period: say ${PERIOD_FORMS}.`);

export const parseAnalytics: CommandParser = (args) => {
  // `last 30 days` is `30d`: `last` before a number is filler too.
  const words: Token[] = args.filter(
    (t, i) => t.quoted || !(FILLER.has(t.lower) || (t.lower === 'last' && /^\d/.test(args[i + 1]?.text ?? ''))),
  );
  let period: string | undefined;
  const last = words.at(-1);
  const lastTwo = words.length >= 2 && !last!.quoted ? `${words.at(-2)!.text} ${last!.text}` : undefined;
  if (lastTwo && !words.at(-2)!.quoted && periodKey(lastTwo)) {
    period = periodKey(lastTwo);
    words.splice(-2);
  } else if (last && !last.quoted && periodKey(last.text)) {
    period = periodKey(last.text);
    words.pop();
  }
  if (words.length > 1) {
    // `analytics payments nonsense`: a team, then something where the period goes.
    if (!period && words.length === 2 && !words[1]!.quoted) return badPeriod(words[1]!.text);
    return usage('analytics', `I read one team and one period, not ${quote(words.map((t) => t.text).join(' '))}.`);
  }
  const team = words[0];
  if (team && !team.quoted && !period && looksLikePeriod(team.text)) return badPeriod(team.text);
  return ok({
    kind: 'analytics',
    ...(team ? { team: team.quoted ? team.text : team.lower } : {}),
    ...(period ? { period } : {}),
  });
};
