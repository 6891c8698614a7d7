import { z } from 'zod';
import { withProgress } from '../../chat/progress.ts';

/**
 * The progress of console turns while they run: the console API runs each turn through `run`,
 * whose sink keeps the newest step (`reportProgress` from deep inside the turn: "looking at the
 * inventory…", "writing: …") for the one person who sent it, in that conversation; the page polls
 * `latest` and shows it in place of "Working on it…". An entry is removed when its turn ends.
 *
 * It lives in this process's memory: with several replicas, a poll answered by a replica that is
 * not running the turn sees no progress (the page keeps what it showed; the answer is unaffected).
 * Memory is bounded: at most `maxEntries` entries (the least recently updated go first), each
 * dropped once `maxAgeMs` passes without a new step, and every text cut to `maxProgressChars`.
 */
export interface ProgressKey {
  /** conversationKey(conversation) */
  conversation: string;
  /** actorKey(actor) of the person who sent the turn: nobody else sees its progress. */
  viewer: string;
}

export interface TurnProgressOptions {
  maxEntries?: number;
  maxAgeMs?: number;
  clock?: () => Date;
}

export interface TurnProgress {
  /** Runs `work` (the engine's turn) with a progress sink for `key`; the entry is cleared when it settles. */
  run<T>(key: ProgressKey, work: () => Promise<T>): Promise<T>;
  /** The newest step of the turn `key.viewer` is running in `key.conversation`, or null. */
  latest(key: ProgressKey): string | null;
  /** How many entries are held (for tests of the bound). */
  size(): number;
}

export const maxProgressChars = 500;
export const defaultMaxProgressEntries = 2_000;
/** Longer than any pause between two steps of a healthy turn, short enough that a leak cannot pile up. */
export const defaultProgressMaxAgeMs = 5 * 60_000;

/** Cuts to `max` characters with an ellipsis, never between the two halves of a surrogate pair. */
const cut = (text: string, max: number): string => {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
};

/** What a step may be: any string from inside the turn (model text included), trimmed and cut. */
const ProgressText = z
  .string()
  .trim()
  .min(1)
  .transform((s) => cut(s, maxProgressChars));

interface Entry {
  text: string;
  at: number;
  /** The turn that wrote it: a turn that ends clears only its own entry, not a newer turn's. */
  turn: object;
}

export const createTurnProgress = (opts: TurnProgressOptions = {}): TurnProgress => {
  const maxEntries = opts.maxEntries ?? defaultMaxProgressEntries;
  const maxAgeMs = opts.maxAgeMs ?? defaultProgressMaxAgeMs;
  const now = () => (opts.clock ?? (() => new Date()))().getTime();
  // A Map iterates in insertion order and `set` re-inserts, so the first entries are the stalest.
  const entries = new Map<string, Entry>();
  const keyOf = (k: ProgressKey): string => JSON.stringify([k.conversation, k.viewer]);

  const dropStale = (at: number): void => {
    for (const [key, entry] of entries) {
      if (entries.size <= maxEntries && at - entry.at <= maxAgeMs) break;
      entries.delete(key);
    }
  };

  const record = (key: string, text: string, turn: object): void => {
    const at = now();
    entries.delete(key);
    entries.set(key, { text, at, turn });
    dropStale(at);
  };

  return {
    async run(key, work) {
      const k = keyOf(key);
      const turn = {};
      let running = true;
      const sink = (text: string): void => {
        // Work the turn started may outlive it (it keeps the async context): its steps come too late.
        if (!running) return;
        const parsed = ProgressText.safeParse(text);
        if (parsed.success) record(k, parsed.data, turn);
      };
      try {
        return await withProgress(sink, work);
      } finally {
        running = false;
        if (entries.get(k)?.turn === turn) entries.delete(k);
      }
    },
    latest(key) {
      const k = keyOf(key);
      const entry = entries.get(k);
      if (!entry) return null;
      if (now() - entry.at > maxAgeMs) {
        entries.delete(k);
        return null;
      }
      return entry.text;
    },
    size: () => entries.size,
  };
};
