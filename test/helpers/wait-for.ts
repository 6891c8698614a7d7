import { inspect } from 'node:util';

/**
 * The one way a test waits for something that happens in the background (a job run, a timer in
 * another process, a server becoming ready): poll a condition until it returns a truthy value.
 * It checks once more at the deadline, then throws an Error naming what it waited for, the last
 * value the condition returned and, with `detail`, whatever explains the state it was left in.
 * An exception thrown by the condition ends the wait at once (a broken probe is not "not yet").
 *
 * Prefer awaiting a promise or event when the code under test offers one; poll only what has none.
 */
export interface WaitForOptions {
  /** What is awaited, for the timeout message: "the expiry job to mark CR-1 expired". */
  what: string;
  /** Give up after this many milliseconds (of real time, or of fake time under jest's fake timers). */
  timeoutMs: number;
  /** Pause between checks. Default 25 ms. */
  intervalMs?: number;
  /** Called once on timeout; its result is added to the message (e.g. counts, a table's rows). */
  detail?: () => unknown;
}

export const defaultWaitIntervalMs = 25;

type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

const show = (v: unknown): string => (typeof v === 'string' ? v : inspect(v, { depth: 4, breakLength: Infinity }));

export const waitFor = async <T>(condition: () => T | Promise<T>, opts: WaitForOptions): Promise<Truthy<T>> => {
  const intervalMs = opts.intervalMs ?? defaultWaitIntervalMs;
  const started = Date.now();
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    const elapsed = Date.now() - started;
    if (elapsed >= opts.timeoutMs) {
      let message = `Timed out after ${opts.timeoutMs} ms waiting for ${opts.what}; last value: ${show(value)}`;
      if (opts.detail)
        message += `; ${await Promise.resolve()
          .then(opts.detail)
          .then(show, (e: unknown) => `detail failed: ${e instanceof Error ? e.message : show(e)}`)}`;
      throw new Error(message);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, opts.timeoutMs - elapsed)));
  }
};
