import { bindRequestContext } from '../../observability/request-context.ts';

/**
 * Work that continues after Teams got its answer to the HTTP request (engine turns, posting
 * replies): at most `limit` jobs at once, so a burst of messages queues its engine work instead of
 * starving the acks; `idle()` lets shutdown and tests wait for everything started. A queued job
 * keeps the request id of the request that queued it. Each job logs its own failures.
 *
 * Acks first: while /api/messages is answering a request (`acking`), no queued job starts, unless
 * it has waited `maxDeferMs` already (so a steady stream of requests cannot starve the answers);
 * jobs already running go on. An engine turn costs the event loop and the database some twenty
 * times what an ack does, so during a burst every job started is felt by every ack in flight
 * (bench/teams-ack.ts, BENCHMARKS.md "Teams ack latency"); outside bursts no request is in flight
 * most of the time and a job starts as soon as the ack that queued it has been answered.
 */
export interface BackgroundWork {
  run(job: () => Promise<unknown>): void;
  /** Runs `answer` (a request being acknowledged); queued jobs wait for it (see above). */
  acking<T>(answer: () => Promise<T>): Promise<T>;
  idle(): Promise<void>;
}

export const createBackgroundWork = (
  o: { limit?: number; maxDeferMs?: number; now?: () => number } = {},
): BackgroundWork => {
  const limit = o.limit ?? 2;
  const maxDeferMs = o.maxDeferMs ?? 1_000;
  const now = o.now ?? (() => performance.now());
  const queue: Array<{ job: () => Promise<unknown>; queuedAt: number }> = [];
  let running = 0;
  let acks = 0;
  let deferred: NodeJS.Timeout | undefined;
  let waiting: Array<() => void> = [];
  const settle = (): void => {
    if (running > 0 || queue.length > 0) return;
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve();
  };
  const pump = (): void => {
    clearTimeout(deferred);
    deferred = undefined;
    while (running < limit && queue.length > 0) {
      if (acks > 0) {
        const wait = queue[0]!.queuedAt + maxDeferMs - now();
        if (wait > 0) {
          deferred = setTimeout(pump, wait);
          return;
        }
      }
      const { job } = queue.shift()!;
      running += 1;
      // setImmediate: requests already waiting on their sockets are read (and acked) first.
      void new Promise<void>((resolve) => setImmediate(resolve))
        .then(job)
        .catch(() => undefined)
        .finally(() => {
          running -= 1;
          pump();
          settle();
        });
    }
  };
  return {
    run: (job) => {
      queue.push({ job: bindRequestContext(job), queuedAt: now() });
      pump();
    },
    acking: async (answer) => {
      acks += 1;
      try {
        return await answer();
      } finally {
        acks -= 1;
        if (acks === 0) pump();
      }
    },
    idle: () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        settle();
      }),
  };
};
