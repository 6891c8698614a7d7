import { bindRequestContext } from '../../observability/request-context.ts';

/**
 * Work that continues after Slack got its ack (engine turns, posting answers). Two reasons for it:
 * - Acks first. Slack times the ack, not the answer: at most `limit` jobs start at once, so a burst
 *   of clicks queues its (slower) engine work instead of starving the acks of the event loop and
 *   the database pool (bench/slack-ack.ts and BENCHMARKS.md: the ack latency against bare Bolt's).
 *   A job still running after `slotMs` (an approved change executing on a cloud) gives its slot
 *   back, so long executions never hold up everyone else's answers.
 * - Waiting without guessing. Shutdown and tests wait until everything a request started is done.
 * A queued job keeps the request context (request id) of the request that queued it, though it is
 * started by whichever job frees a slot.
 * Failures belong to each job (each one logs its own).
 */
export interface BackgroundWork {
  /** Queues a job; it starts when fewer than `limit` jobs are running. */
  run(job: () => Promise<unknown>): void;
  /** Follows work already started (not limited). */
  track(p: Promise<unknown>): void;
  /** Resolves once nothing is queued or running, including work added while waiting. */
  idle(): Promise<void>;
  readonly pending: number;
}

export const createBackgroundWork = (o: { limit?: number; slotMs?: number } = {}): BackgroundWork => {
  const limit = o.limit ?? 2;
  const slotMs = o.slotMs ?? 1_000;
  const inflight = new Set<Promise<unknown>>();
  const queue: Array<() => Promise<unknown>> = [];
  let running = 0;
  let wake: Array<() => void> = [];

  const settleIfIdle = (): void => {
    if (inflight.size > 0 || queue.length > 0) return;
    const waiting = wake;
    wake = [];
    for (const w of waiting) w();
  };

  const track = (p: Promise<unknown>): void => {
    const tracked = p.then(
      () => undefined,
      () => undefined,
    );
    inflight.add(tracked);
    void tracked.then(() => {
      inflight.delete(tracked);
      settleIfIdle();
    });
  };

  const pump = (): void => {
    while (running < limit && queue.length > 0) {
      const job = queue.shift()!;
      running += 1;
      let holding = true;
      const release = (): void => {
        if (!holding) return;
        holding = false;
        running -= 1;
        pump();
      };
      // Only gives a slot back: the job itself keeps the process alive while it has work to do.
      const timer = setTimeout(release, slotMs);
      timer.unref();
      track(
        // setImmediate, not a microtask: requests already waiting on their sockets are read (and
        // acked) before this job's first stretch of CPU work runs.
        new Promise<void>((resolve) => setImmediate(resolve)).then(job).finally(() => {
          clearTimeout(timer);
          release();
        }),
      );
    }
  };

  return {
    run: (job) => {
      queue.push(bindRequestContext(job));
      pump();
    },
    track,
    idle: () =>
      new Promise<void>((resolve) => {
        wake.push(resolve);
        settleIfIdle();
      }),
    get pending() {
      return inflight.size + queue.length;
    },
  };
};
