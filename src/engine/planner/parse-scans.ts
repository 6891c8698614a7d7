import type { ProviderName } from '../../cloud/resource.ts';
import type { CommandOf } from './command.ts';
import { correction, didYouMean, ok, quote, usage, type CommandParser, type ParseContext } from './results.ts';
import type { Token } from './tokens.ts';
import { ENV_KEYS, PROVIDER_WORDS, lookup } from './vocabulary.ts';

/**
 * Parsers of the scan commands: `scan`, `findings`, `savings`, `compliance`, `suppress`,
 * `unsuppress`. Filters read like `list`'s (`aws`, `env=prod`), plus the scan words
 * (`cost`, `security`, severities, `rule=<id>`, `account=<id>`).
 */

const CATEGORY_WORDS: Readonly<Record<string, 'cost' | 'security'>> = {
  cost: 'cost',
  costs: 'cost',
  money: 'cost',
  waste: 'cost',
  security: 'security',
  compliance: 'security',
};
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
const STATUS_WORDS = ['open', 'resolved', 'suppressed'] as const;
const FILLERS = new Set(['the', 'my', 'of', 'for', 'all', 'in', 'now', 'findings', 'only']);

/** `key=value` / `key:value` at `i`: the key, the value and how many tokens it used. */
const keyValue = (args: Token[], i: number): { key: string; value: string; used: number } | undefined => {
  const t = args[i];
  if (!t || t.quoted) return undefined;
  const colon = /^([a-z]+)[:=](.+)$/.exec(t.lower);
  if (colon?.[1] && colon[2]) return { key: colon[1], value: t.text.slice(colon[1].length + 1), used: 1 };
  if (args[i + 1]?.text === '=' && args[i + 2]) return { key: t.lower, value: args[i + 2]!.text, used: 3 };
  return undefined;
};

interface Filters {
  category?: 'cost' | 'security';
  provider?: ProviderName;
  account?: string;
  environment?: string;
  severity?: (typeof SEVERITIES)[number];
  status?: (typeof STATUS_WORDS)[number];
  rule?: string;
  resource?: string;
  owner?: string;
  page?: number;
}

/** Reads filters; the first token it cannot place is returned as `unknown`. */
const readFilters = (args: Token[], allow: ReadonlySet<keyof Filters>): { f: Filters; unknown?: Token } => {
  const f: Filters = {};
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!;
    const kv = keyValue(args, i);
    if (kv) {
      const key = ENV_KEYS.has(kv.key)
        ? 'environment'
        : kv.key === 'provider' || kv.key === 'cloud'
          ? 'provider'
          : kv.key;
      if (key === 'environment' && allow.has('environment')) f.environment = kv.value.toLowerCase();
      else if (key === 'provider' && allow.has('provider') && lookup(PROVIDER_WORDS, kv.value.toLowerCase()))
        f.provider = lookup(PROVIDER_WORDS, kv.value.toLowerCase());
      else if (key === 'account' && allow.has('account')) f.account = kv.value;
      else if (key === 'rule' && allow.has('rule')) f.rule = kv.value.toLowerCase();
      else if ((key === 'owner' || key === 'team') && allow.has('owner')) f.owner = kv.value.toLowerCase();
      else if ((key === 'resource' || key === 'on') && allow.has('resource')) f.resource = kv.value;
      else if (
        key === 'severity' &&
        allow.has('severity') &&
        (SEVERITIES as readonly string[]).includes(kv.value.toLowerCase())
      )
        f.severity = kv.value.toLowerCase() as Filters['severity'];
      else return { f, unknown: t };
      i += kv.used - 1;
      continue;
    }
    if (t.quoted) return { f, unknown: t };
    const w = t.lower;
    if ((w === 'on' || w === 'for') && allow.has('resource') && args[i + 1] && !CATEGORY_WORDS[args[i + 1]!.lower]) {
      f.resource = args[i + 1]!.text;
      i++;
    } else if (w === 'page' && allow.has('page') && /^\d+$/.test(args[i + 1]?.text ?? '')) {
      f.page = Number(args[i + 1]!.text);
      i++;
    } else if ((w === 'env' || w === 'environment') && allow.has('environment') && args[i + 1]) {
      f.environment = args[i + 1]!.lower;
      i++;
    } else if (CATEGORY_WORDS[w] && allow.has('category')) f.category = CATEGORY_WORDS[w];
    else if (lookup(PROVIDER_WORDS, w) && allow.has('provider')) f.provider = lookup(PROVIDER_WORDS, w);
    else if ((SEVERITIES as readonly string[]).includes(w) && allow.has('severity'))
      f.severity = w as Filters['severity'];
    else if ((STATUS_WORDS as readonly string[]).includes(w) && allow.has('status')) f.status = w as Filters['status'];
    else if (FILLERS.has(w)) continue;
    else return { f, unknown: t };
  }
  return { f };
};

const unplaced = (ctx: ParseContext, t: Token, candidates: readonly string[]) => {
  const fixed = correction(ctx, t, candidates);
  return fixed ? didYouMean(ctx.text, fixed) : usage(ctx.word, `I can't place ${quote(t.text)} in ${ctx.word}.`);
};

const SCAN_ALLOWS = new Set<keyof Filters>(['category', 'provider', 'account', 'environment']);

/** `scan`, `scan now`, `scan cost aws`, `scan security account=123 env=prod`. */
export const parseScan: CommandParser = (args, ctx) => {
  if (args[0] && !args[0].quoted && args[0].lower === 'schedule') {
    const rest = args[1] ? ctx.text.slice(args[1].start).trim() : '';
    return ok(rest ? { kind: 'scan_schedule', schedule: rest } : { kind: 'scan_schedule' });
  }
  const { f, unknown } = readFilters(args, SCAN_ALLOWS);
  if (unknown) return unplaced(ctx, unknown, [...Object.keys(CATEGORY_WORDS), ...Object.keys(PROVIDER_WORDS)]);
  const command: CommandOf<'scan'> = { kind: 'scan', category: f.category ?? 'all' };
  if (f.provider) command.provider = f.provider;
  if (f.account) command.account = f.account;
  if (f.environment) command.environment = f.environment;
  return ok(command);
};

const FINDINGS_ALLOWS = new Set<keyof Filters>([
  'category',
  'provider',
  'account',
  'environment',
  'severity',
  'status',
  'rule',
  'resource',
  'owner',
  'page',
]);

/** `findings`, `findings critical security aws`, `findings resolved`, `findings on web-1`, `findings page 2`. */
export const parseFindings: CommandParser = (args, ctx) => {
  const { f, unknown } = readFilters(args, FINDINGS_ALLOWS);
  if (unknown)
    return unplaced(ctx, unknown, [
      ...Object.keys(CATEGORY_WORDS),
      ...SEVERITIES,
      ...STATUS_WORDS,
      ...Object.keys(PROVIDER_WORDS),
    ]);
  const command: CommandOf<'findings'> = { kind: 'findings' };
  for (const k of [
    'status',
    'category',
    'severity',
    'provider',
    'account',
    'environment',
    'rule',
    'resource',
    'owner',
    'page',
  ] as const)
    if (f[k] !== undefined) (command as Record<string, unknown>)[k] = f[k];
  return ok(command);
};

export const parseSavings: CommandParser = (args, ctx) =>
  args.every((t) => !t.quoted && ['open', 'all', 'cost', 'costs', 'monthly'].includes(t.lower))
    ? ok({ kind: 'savings' })
    : usage(ctx.word);

/** `compliance cis-aws`, `compliance soc2`, `compliance pci dss` (words joined with `-`). */
export const parseCompliance: CommandParser = (args, ctx) => {
  const words = args.filter((t) => t.quoted || !['for', 'score', 'report', 'the'].includes(t.lower));
  if (words.length === 0)
    return usage(
      ctx.word,
      'Which framework? cis-aws, cis-azure, cis-gcp, cis-kubernetes, soc2, hipaa, pci-dss or gdpr.',
    );
  const framework = words
    .map((t) => t.lower)
    .join('-')
    .replace(/^soc-2$/, 'soc2')
    .replace(/^pci$/, 'pci-dss');
  return ok({ kind: 'compliance', framework });
};

const DURATION = /^(\d+)\s*(d|day|days|w|wk|week|weeks|m|mo|month|months|y|yr|year|years)$/i;
const DAYS_PER: Record<string, number> = { d: 1, w: 7, m: 30, y: 365 };

/** `30d`, `30 days`, `2w`, `3 months`, `1y` → days; undefined when it is not a duration. */
export const readDuration = (text: string): number | undefined => {
  const m = DURATION.exec(text.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const unit = m[2].toLowerCase();
  const per = unit.startsWith('mo') || unit === 'm' ? 30 : (DAYS_PER[unit[0]!] ?? 1);
  return Number(m[1]) * per;
};

const SUPPRESS_HINT =
  'Say how long and why: `suppress F-3fa2c1d9e0b1 for 30d because it is a test bucket`, `suppress rule aws.s3.public_block where team=web for 90 days because …`, or `suppress account aws 123456789012 because …`.';

/**
 * `suppress <finding> [for <duration>] because <reason>`, `suppress rule <id> [where <key>=<value>] …`,
 * `suppress account <provider> <account> [rule <id>] …`. The reason is kept as typed after `because`.
 */
export const parseSuppress: CommandParser = (args, ctx) => {
  const becauseAt = args.findIndex(
    (t) => !t.quoted && (t.lower === 'because' || t.lower === 'reason' || t.lower === 'reason:'),
  );
  const head = becauseAt >= 0 ? args.slice(0, becauseAt) : args;
  const reasonFrom = becauseAt >= 0 ? args[becauseAt + 1] : undefined;
  const reason = reasonFrom
    ? ctx.text
        .slice(reasonFrom.start)
        .replace(/^[:\-–—]\s*/, '')
        .trim()
    : undefined;
  const command: CommandOf<'suppress'> = { kind: 'suppress' };
  if (reason) command.reason = reason;
  let i: number;
  const first = head[0];
  if (!first) return usage(ctx.word, SUPPRESS_HINT);
  if (!first.quoted && first.lower === 'rule') {
    const id = head[1];
    if (!id) return usage(ctx.word, SUPPRESS_HINT);
    command.rule = id.lower;
    i = 2;
  } else if (!first.quoted && first.lower === 'account') {
    const provider = lookup(PROVIDER_WORDS, head[1]?.lower ?? '');
    const account = head[2];
    if (!provider || !account) return usage(ctx.word, SUPPRESS_HINT);
    command.provider = provider;
    command.account = account.text;
    i = 3;
    if (head[3] && !head[3].quoted && head[3].lower === 'rule' && head[4]) {
      command.rule = head[4].lower;
      i = 5;
    }
  } else {
    command.finding = first.lower;
    i = 1;
  }
  for (; i < head.length; i++) {
    const t = head[i]!;
    if (
      !t.quoted &&
      (t.lower === 'where' || t.lower === 'on' || t.lower === 'tagged') &&
      command.rule &&
      !command.account
    ) {
      const kv = keyValue(head, i + 1);
      if (!kv) return usage(ctx.word, SUPPRESS_HINT);
      command.tag = `${kv.key}=${kv.value}`;
      i += kv.used;
    } else if (!t.quoted && t.lower === 'for') {
      const one = head[i + 1]?.text ?? '';
      const two = `${one} ${head[i + 2]?.text ?? ''}`;
      const days = readDuration(one) ?? readDuration(two);
      if (days === undefined) return usage(ctx.word, `${quote(one)} is not a duration (like 30d, 2 weeks, 3 months).`);
      command.days = days;
      i += readDuration(one) !== undefined ? 1 : 2;
    } else if (!t.quoted && t.lower === 'owner' && head[i + 1]) {
      command.owner = head[i + 1]!.text;
      i++;
    } else return usage(ctx.word, `I can't place ${quote(t.text)}. ${SUPPRESS_HINT}`);
  }
  return ok(command);
};

/** `fix F-3fa2c1d9e0b1` (a prefix of at least 6 characters will do). */
export const parseFix: CommandParser = (args, ctx) => {
  const m = args.length === 1 ? /^(?:f-)?([0-9a-f]{6,12})$/i.exec(args[0]!.text) : null;
  return m?.[1]
    ? ok({ kind: 'fix', finding: m[1].toLowerCase() })
    : usage(ctx.word, 'Name the finding, like F-3fa2c1d9e0b1.');
};

/** `unsuppress S-12`, `unsuppress 12`. */
export const parseUnsuppress: CommandParser = (args, ctx) => {
  const m = args.length === 1 ? /^(?:s-?)?(\d+)$/i.exec(args[0]!.text) : null;
  return m?.[1]
    ? ok({ kind: 'unsuppress', suppression: Number(m[1]) })
    : usage(ctx.word, 'Name the suppression, like S-12.');
};

const OFFHOURS_HINT =
  'Say which findings or whose: `offhours F-3fa2c1d9e0b1 F-…` or `offhours owner=web`, optionally `19:00-08:00` (stop-start), `weekdays` / `daily` / `mon-fri` and `tz=Europe/Berlin`; `offhours pause|resume|remove OH-3FA2C1`.';
const DAY_LIST =
  /^(weekdays?|workdays|weekends?|daily|every-?day|(mon|tue|wed|thu|fri|sat|sun)[a-z]*([-,](mon|tue|wed|thu|fri|sat|sun)[a-z]*)*)$/;
const WINDOW = /^\d{1,2}[:.h]?\d{2}\s*[-–—]\s*\d{1,2}[:.h]?\d{2}$/;

/**
 * `offhours [all]`, `offhours pause|resume|remove <schedule>`, and
 * `offhours <finding…>|owner=<owner> [<stop>-<start>] [<days>] [tz=<zone>]`.
 */
export const parseOffHours: CommandParser = (args, ctx) => {
  const first = args[0];
  if (!first || (args.length === 1 && !first.quoted && ['all', 'list'].includes(first.lower)))
    return ok(first ? { kind: 'offhours', all: first.lower === 'all' } : { kind: 'offhours' });
  if (!first.quoted && ['pause', 'resume', 'remove', 'delete', 'unpause'].includes(first.lower)) {
    const id = args[1];
    if (!id || args.length > 2) return usage(ctx.word, 'Name the schedule, like OH-3FA2C1.');
    const op = first.lower === 'delete' ? 'remove' : first.lower === 'unpause' ? 'resume' : first.lower;
    return ok({ kind: `offhours_${op}` as 'offhours_pause', schedule: id.text });
  }
  const command: CommandOf<'offhours_request'> = { kind: 'offhours_request' };
  const findings: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!;
    const kv = keyValue(args, i);
    if (kv && (kv.key === 'owner' || kv.key === 'team')) command.owner = kv.value.toLowerCase();
    else if (kv && (kv.key === 'tz' || kv.key === 'timezone' || kv.key === 'zone')) command.timezone = kv.value;
    else if (kv) return usage(ctx.word, `I can't place ${quote(t.text)}. ${OFFHOURS_HINT}`);
    else if (/^(?:f-)?[0-9a-f]{6,12}$/i.test(t.text)) findings.push(t.text.toLowerCase().replace(/^f-/, ''));
    else if (WINDOW.test(t.text)) command.window = t.text;
    else if (
      /^\d{1,2}[:.h]?\d{2}$/.test(t.text) &&
      ['-', 'to', '–'].includes(args[i + 1]?.lower ?? '') &&
      args[i + 2]
    ) {
      command.window = `${t.text}-${args[i + 2]!.text}`;
      i += 2;
      continue;
    } else if (DAY_LIST.test(t.lower)) command.days = t.lower;
    else if (!t.quoted && FILLERS.has(t.lower)) continue;
    else return usage(ctx.word, `I can't place ${quote(t.text)}. ${OFFHOURS_HINT}`);
    if (kv) i += kv.used - 1;
  }
  if (findings.length > 0) command.findings = findings;
  if (!command.findings && !command.owner) return usage(ctx.word, OFFHOURS_HINT);
  return ok(command);
};
