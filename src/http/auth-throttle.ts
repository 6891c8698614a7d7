import { HttpError } from './errors.ts';

/**
 * Guessing a shared secret (CONSOLE_TOKEN) from one address: after `maxFailures` wrong tokens
 * within `windowMs` of its first, that address's token checks answer 429 with Retry-After until
 * the window ends, a right token included (a guess cannot be confirmed meanwhile). Requests that
 * present no token are not counted. Per process: each replica counts its own. Keyed by the peer
 * address, so behind a reverse proxy its clients share one count, and a guesser there holds the
 * token form shut for everyone for the rest of the minute.
 */
export interface AuthThrottle {
  /** Throws 429 while `client` is over its limit. */
  check(client: string): void;
  /** Counts a wrong token from `client`. */
  failed(client: string): void;
}

export interface AuthThrottleOptions {
  /** Wrong tokens allowed per window (default 10). */
  maxFailures?: number;
  /** Default 60 s. */
  windowMs?: number;
  now?: () => number;
  /** Addresses remembered at most (default 10,000): the oldest are forgotten first. */
  maxClients?: number;
}

export const createAuthThrottle = (o: AuthThrottleOptions = {}): AuthThrottle => {
  const max = o.maxFailures ?? 10;
  const windowMs = o.windowMs ?? 60_000;
  const maxClients = o.maxClients ?? 10_000;
  const now = o.now ?? Date.now;
  /** In order of each window's start (a Map keeps insertion order). */
  const windows = new Map<string, { since: number; failures: number }>();
  const current = (client: string) => {
    const w = windows.get(client);
    if (w && now() - w.since >= windowMs) {
      windows.delete(client);
      return undefined;
    }
    return w;
  };
  return {
    check: (client) => {
      const w = current(client);
      if (!w || w.failures < max) return;
      const seconds = Math.max(1, Math.ceil((w.since + windowMs - now()) / 1000));
      throw new HttpError(429, `too many wrong tokens from this address: try again in ${seconds} s`, {
        'retry-after': String(seconds),
      });
    },
    failed: (client) => {
      const w = current(client);
      if (w) {
        w.failures++;
        return;
      }
      windows.set(client, { since: now(), failures: 1 });
      for (const key of windows.keys()) {
        if (windows.size <= maxClients) break;
        windows.delete(key);
      }
    },
  };
};
