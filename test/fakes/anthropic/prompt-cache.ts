/**
 * Token counting and the prompt cache of the Anthropic fake, close enough to the real API's
 * accounting that a bench can measure how much of a planner's input is served from the cache.
 *
 * Tokens: ceil(chars / 4) of the canonical JSON (sorted keys, `cache_control` left out) of each
 * part of the prompt. The parts, in the cache's prefix order: each tool definition, each system
 * block (a string system is one text block), each content block of each message (a string
 * content is one text block). A part with `cache_control` is a breakpoint.
 *
 * Cache: the prefix up to and including a part is keyed by a chained hash of the model and every
 * part so far (role and message index included), so any change before a breakpoint misses, while
 * moving `cache_control` (it is not part of the key) does not. On a request:
 * - read: the longest cached, unexpired prefix ending at one of the 20 parts up to and including
 *   one of the request's breakpoints (the real API looks back about 20 blocks from each
 *   breakpoint, which is what lets a conversation move its breakpoint forward every turn). A read
 *   refreshes the entry's lifetime.
 * - write: every breakpoint whose prefix has at least `minTokens` tokens is stored (shorter
 *   prefixes are not cached, as with the real API); the tokens from the read point to the last
 *   breakpoint count as cache creation, split by the breakpoints' TTL (`5m`, the default, or `1h`).
 * - input_tokens: the rest (everything after the last breakpoint, or all when nothing is cacheable).
 */
import { createHash } from 'node:crypto';
import type { Block, MessagesRequest } from './validate.ts';

const LOOKBACK = 20;
const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;
type Ttl = keyof typeof TTL_MS;

/** JSON with sorted keys and no `cache_control`, so equal content counts and hashes the same. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (key, v: unknown) => {
    if (key === 'cache_control') return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });

export const countTokens = (value: unknown): number => Math.ceil(canonicalJson(value).length / 4);

interface Part {
  /** What the cache key chains over: the part's content and where it sits. */
  key: string;
  tokens: number;
  /** TTL of the breakpoint on this part, if it has `cache_control`. */
  breakpoint?: Ttl;
}

const breakpointOf = (b: object): Ttl | undefined => {
  const cc = (b as { cache_control?: { ttl?: Ttl } | null }).cache_control;
  return cc ? (cc.ttl ?? '5m') : undefined;
};

const part = (where: unknown, content: object): Part => {
  const bp = breakpointOf(content);
  return {
    key: canonicalJson({ where, content }),
    tokens: countTokens(content),
    ...(bp ? { breakpoint: bp } : {}),
  };
};

/** The prompt as cacheable parts, in prefix order: tools, system, messages. */
export const promptParts = (req: MessagesRequest): Part[] => {
  const parts: Part[] = [];
  for (const t of req.tools ?? []) parts.push(part('tool', t));
  const system = typeof req.system === 'string' ? [{ type: 'text' as const, text: req.system }] : (req.system ?? []);
  for (const b of system) parts.push(part('system', b));
  for (const [i, m] of req.messages.entries()) {
    const blocks: Block[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    for (const b of blocks) parts.push(part({ message: i, role: m.role }, b));
  }
  return parts;
};

export interface InputUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

export interface PromptCache {
  /** Accounts one answered request: reads, refreshes and writes entries, returns its input usage. */
  account(model: string, parts: Part[]): InputUsage;
  clear(): void;
  /** Number of live entries (for tests of the fake). */
  size(): number;
}

export const createPromptCache = (opts: { minTokens: number; now: () => number }): PromptCache => {
  const entries = new Map<string, { at: number; ttl: Ttl }>();
  const live = (hash: string, now: number): boolean => {
    const e = entries.get(hash);
    return e !== undefined && now - e.at <= TTL_MS[e.ttl];
  };

  return {
    account(model, parts) {
      const now = opts.now();
      const hashes: string[] = [];
      const cumulative: number[] = [];
      let hash = createHash('sha256').update(`model:${model}`).digest('hex');
      let sum = 0;
      for (const p of parts) {
        hash = createHash('sha256').update(hash).update('\n').update(p.key).digest('hex');
        sum += p.tokens;
        hashes.push(hash);
        cumulative.push(sum);
      }
      const tokensThrough = (i: number): number => (i < 0 ? 0 : (cumulative[i] ?? 0));
      const breakpoints = parts.flatMap((p, i) => (p.breakpoint ? [i] : []));

      let read = -1;
      for (const b of breakpoints)
        for (let j = b; j >= Math.max(0, b - LOOKBACK + 1) && j > read; j--)
          if (live(hashes[j] as string, now)) {
            read = j;
            break;
          }
      if (read >= 0) (entries.get(hashes[read] as string) as { at: number }).at = now;

      const creation = { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
      const last = breakpoints.at(-1);
      if (last !== undefined && tokensThrough(last) >= opts.minTokens) {
        let from = read;
        for (const b of breakpoints) {
          const ttl = parts[b]?.breakpoint as Ttl;
          if (tokensThrough(b) >= opts.minTokens) entries.set(hashes[b] as string, { at: now, ttl });
          if (b <= from) continue;
          creation[ttl === '1h' ? 'ephemeral_1h_input_tokens' : 'ephemeral_5m_input_tokens'] +=
            tokensThrough(b) - tokensThrough(from);
          from = b;
        }
      }
      const cacheRead = tokensThrough(read);
      const cacheCreation = creation.ephemeral_5m_input_tokens + creation.ephemeral_1h_input_tokens;
      return {
        input_tokens: sum - cacheRead - cacheCreation,
        cache_creation_input_tokens: cacheCreation,
        cache_read_input_tokens: cacheRead,
        cache_creation: creation,
      };
    },
    clear: () => entries.clear(),
    size: () => entries.size,
  };
};
