import type { ProviderName } from '../../cloud/resource.ts';
import type { ListType } from './command.ts';
import { isValue } from './args.ts';
import { correction, didYouMean, ok, quote, usage, type CommandParser, type ParseContext } from './results.ts';
import { closest } from '../../chat/suggest.ts';
import { replaceToken, type Token } from './tokens.ts';
import {
  CHANGE_FILTER_WORDS,
  ENV_KEYS,
  GROUPING_WORDS,
  KNOWN_ENVIRONMENTS,
  PLURAL_TYPE_WORDS,
  PROVIDER_KEYS,
  PROVIDER_WORDS,
  TYPE_KEYS,
  TYPE_WORDS,
  lookup,
} from './vocabulary.ts';

/** Parsers of the inventory questions: `list`, `costs`, `changes`. */

const TYPE_CANDIDATES = Object.keys(TYPE_WORDS);
const PROVIDER_CANDIDATES = Object.keys(PROVIDER_WORDS);
const SCOPE_WORDS = new Set(['in', 'on', 'from', 'at', 'for']);
const FILLERS = new Set(['the', 'my', 'of', 'me', 'with']);
const ENV_NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.-]*$/u;

interface ListFilters {
  type?: ListType;
  provider?: ProviderName;
  environment?: string;
  leftovers: Token[];
}

/** `key=value`, `key:value` or `env value` at `i`: the key, its value token and how many tokens it used. */
const readKeyValue = (
  args: Token[],
  i: number,
): { key: string; value: Token | undefined; used: number } | undefined => {
  const t = args[i];
  if (!t || t.quoted) return undefined;
  const isKey = (k: string) => ENV_KEYS.has(k) || PROVIDER_KEYS.has(k) || TYPE_KEYS.has(k);
  const colon = /^([a-z]+):(.*)$/.exec(t.lower);
  if (colon?.[1] && isKey(colon[1])) {
    const start = t.start + colon[1].length + 1;
    const text = t.text.slice(colon[1].length + 1);
    const value = text ? { ...t, text, lower: text.toLowerCase(), start } : args[i + 1];
    return { key: colon[1], value, used: text ? 1 : 2 };
  }
  if (!isKey(t.lower)) return undefined;
  if (args[i + 1]?.text === '=') return { key: t.lower, value: args[i + 2], used: 3 };
  if ((t.lower === 'env' || t.lower === 'environment') && args[i + 1])
    return { key: t.lower, value: args[i + 1], used: 2 };
  return undefined;
};

/** Fails with a typo fix when one is close, else with the usage line and `reason`. */
const fixOrUsage = (ctx: ParseContext, t: Token, candidates: readonly string[], reason: string) => {
  const fixed = correction(ctx, t, candidates);
  return fixed ? didYouMean(ctx.text, fixed) : usage(ctx.word, reason);
};

const setType = (f: ListFilters, type: ListType): boolean => {
  // `list all instances`: a specific type wins over `all`.
  if (f.type === undefined || f.type === 'all') f.type = type;
  return type === 'all' || f.type === type;
};

export const parseList: CommandParser = (args, ctx) => {
  const [first] = args;
  if (first && !first.quoted && (first.lower === 'changes' || first.lower === 'change')) {
    return parseChanges(args.slice(args[1]?.lower === 'requests' ? 2 : 1), { ...ctx, word: 'changes' });
  }
  const f: ListFilters = { leftovers: [] };
  for (let i = 0; i < args.length; i++) {
    const t = args[i];
    const next = args[i + 1];
    if (!t) break;
    const kv = readKeyValue(args, i);
    if (kv) {
      i += kv.used - 1;
      const v = kv.value;
      if (!v || !isValue(v)) return usage(ctx.word, `Give a value after “${kv.key}”.`);
      if (ENV_KEYS.has(kv.key)) f.environment = v.lower;
      else if (PROVIDER_KEYS.has(kv.key)) {
        const p = lookup(PROVIDER_WORDS, v.lower);
        if (!p) return fixOrUsage(ctx, v, PROVIDER_CANDIDATES, `I don't know the provider ${quote(v.text)}.`);
        f.provider = p;
      } else {
        const type = lookup(TYPE_WORDS, v.lower);
        if (!type) return fixOrUsage(ctx, v, TYPE_CANDIDATES, `I don't know the type ${quote(v.text)}.`);
        if (!setType(f, type)) return usage(ctx.word, 'One type at a time, please.');
      }
      continue;
    }
    if (t.quoted || !isValue(t)) {
      f.leftovers.push(t);
      continue;
    }
    if (SCOPE_WORDS.has(t.lower) && next && isValue(next)) {
      i++;
      const p = lookup(PROVIDER_WORDS, next.lower);
      // `in asw` is a provider typo but `in qa` an environment: only a near miss of a provider is corrected.
      const near =
        p || next.quoted || KNOWN_ENVIRONMENTS.has(next.lower)
          ? undefined
          : closest(next.lower, PROVIDER_CANDIDATES, 1);
      if (p) f.provider = p;
      else if (near) return didYouMean(ctx.text, replaceToken(ctx.text, next, near));
      else if (ENV_NAME.test(next.text)) f.environment = next.lower;
      else return usage(ctx.word, `${quote(next.text)} is not a provider or an environment.`);
      continue;
    }
    // Two words that name a type: `security groups`, `load balancers`, `target groups`, `hosted zones`.
    const twoWords = next && !next.quoted ? lookup(TYPE_WORDS, `${t.lower}-${next.lower}`) : undefined;
    if (twoWords) {
      i++;
      if (!setType(f, twoWords)) return usage(ctx.word, 'One type at a time, please.');
      continue;
    }
    const provider = lookup(PROVIDER_WORDS, t.lower);
    const type = lookup(TYPE_WORDS, t.lower);
    if (provider) {
      if (f.provider && f.provider !== provider) return usage(ctx.word, 'One provider at a time, please.');
      f.provider = provider;
    } else if (type) {
      if (!setType(f, type)) return usage(ctx.word, 'One type at a time, please.');
    } else if (!FILLERS.has(t.lower)) f.leftovers.push(t);
  }
  return finishList(f, ctx);
};

/** Leftover words: a well-known environment (`list prod instances`), a typo, or a mistake to explain. */
const finishList = (f: ListFilters, ctx: ParseContext) => {
  const [left, ...more] = f.leftovers;
  if (left && more.length === 0 && f.environment === undefined && !left.quoted && KNOWN_ENVIRONMENTS.has(left.lower)) {
    f.environment = left.lower;
  } else if (left) {
    const fixed = correction(ctx, left, [...TYPE_CANDIDATES, ...PROVIDER_CANDIDATES]);
    if (fixed) return didYouMean(ctx.text, fixed);
    // A word beside a type is most likely an environment we do not know by name.
    if (f.type !== undefined && more.length === 0 && f.environment === undefined && ENV_NAME.test(left.text)) {
      const without = replaceToken(ctx.text, left, '').replace(/\s+/g, ' ').trim();
      return didYouMean(ctx.text, `${without} env=${left.lower}`);
    }
    return usage(ctx.word, `I don't know the type ${quote(left.text)}.`);
  }
  return ok({
    kind: 'list',
    type: f.type ?? 'all',
    ...(f.provider ? { provider: f.provider } : {}),
    ...(f.environment ? { environment: f.environment } : {}),
  });
};

export const parseCosts: CommandParser = (args, ctx) => {
  const words = args.filter((t) => t.quoted || !['by', 'per', 'grouped'].includes(t.lower));
  const [group, ...rest] = words;
  if (!group) return ok({ kind: 'costs', by: 'service' });
  if (rest.length > 0) return usage(ctx.word);
  const by = group.quoted ? undefined : lookup(GROUPING_WORDS, group.lower);
  if (by) return ok({ kind: 'costs', by });
  return fixOrUsage(
    ctx,
    group,
    Object.keys(GROUPING_WORDS),
    `I can group costs by service, env or provider, not ${quote(group.text)}.`,
  );
};

export const parseChanges: CommandParser = (args, ctx) => {
  const [filter, ...rest] = args;
  if (!filter) return ok({ kind: 'changes', filter: 'all' });
  if (rest.length > 0) return usage(ctx.word);
  const found = filter.quoted ? undefined : lookup(CHANGE_FILTER_WORDS, filter.lower);
  if (found) return ok({ kind: 'changes', filter: found });
  const fixed = correction(ctx, filter, ['pending', 'mine']);
  return fixed ? didYouMean(ctx.text, fixed) : usage(ctx.word);
};

/** `show instances`, `show security groups`: a plural type word means the user wants a list. */
export const startsList = (args: Token[]): boolean => {
  const [a, b] = args;
  if (!a || a.quoted) return false;
  return PLURAL_TYPE_WORDS.has(a.lower) || Boolean(b && !b.quoted && PLURAL_TYPE_WORDS.has(`${a.lower}-${b.lower}`));
};
