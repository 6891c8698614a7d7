/**
 * Work that continues after Slack got its ack (the engine turn, posting the answer). Tracked so
 * that shutdown and tests can wait until everything a request started has finished, instead of
 * guessing with sleeps. Failures are the tracked promise's own business (each one logs its own).
 */
export interface BackgroundWork {
  track(p: Promise<unknown>): void;
  /** Resolves once no tracked work is left, including work started while waiting. */
  idle(): Promise<void>;
  readonly pending: number;
}

export const createBackgroundWork = (): BackgroundWork => {
  const inflight = new Set<Promise<unknown>>();
  return {
    track: (p) => {
      const tracked = p.then(
        () => undefined,
        () => undefined,
      );
      inflight.add(tracked);
      void tracked.then(() => inflight.delete(tracked));
    },
    idle: async () => {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    get pending() {
      return inflight.size;
    },
  };
};
