import { bindRequestContext } from '../../observability/request-context.ts';

/**
 * Work that continues after Teams got its answer to the HTTP request (engine turns, posting
 * replies): at most `limit` jobs at once, so a burst of messages queues its engine work instead of
 * starving the acks; `idle()` lets shutdown and tests wait for everything started. A queued job
 * keeps the request id of the request that queued it. Each job logs its own failures.
 */
export interface BackgroundWork {
  run(job: () => Promise<unknown>): void;
  idle(): Promise<void>;
}

export const createBackgroundWork = (o: { limit?: number } = {}): BackgroundWork => {
  const limit = o.limit ?? 2;
  const queue: Array<() => Promise<unknown>> = [];
  let running = 0;
  let waiting: Array<() => void> = [];
  const settle = (): void => {
    if (running > 0 || queue.length > 0) return;
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve();
  };
  const pump = (): void => {
    while (running < limit && queue.length > 0) {
      const job = queue.shift()!;
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
      queue.push(bindRequestContext(job));
      pump();
    },
    idle: () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        settle();
      }),
  };
};
