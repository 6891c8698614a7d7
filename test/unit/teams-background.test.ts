import { describe, expect, it } from '@jest/globals';
import { createBackgroundWork } from '../../src/surfaces/teams/background.ts';

/**
 * The Teams surface's background queue (src/surfaces/teams/background.ts): at most `limit` jobs
 * at once, none started while a request is being acknowledged unless it has waited `maxDeferMs`,
 * and `idle()` once everything is done. The clock is a fixed counter moved by hand; the deferral
 * timer itself is real (setTimeout), so the long-wait case uses a tiny `maxDeferMs`.
 */
const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};
/** Lets setImmediate-started jobs begin. */
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('Teams background work', () => {
  it('starts no queued job while an ack is in progress, and starts them when the last ack ends', async () => {
    const work = createBackgroundWork({ limit: 2, maxDeferMs: 60_000, now: () => 0 });
    const started: number[] = [];
    const acks = [deferred(), deferred()];
    const first = work.acking(() => acks[0]!.promise);
    const second = work.acking(() => acks[1]!.promise);
    for (const i of [1, 2, 3]) work.run(async () => void started.push(i));
    await turn();
    await turn();
    expect(started).toEqual([]);
    acks[0]!.resolve();
    await first;
    await turn();
    expect(started).toEqual([]);
    acks[1]!.resolve();
    await second;
    await work.idle();
    expect(started).toEqual([1, 2, 3]);
  });

  it('keeps at most `limit` jobs running', async () => {
    const work = createBackgroundWork({ limit: 2 });
    let running = 0;
    let most = 0;
    const gates = [deferred(), deferred(), deferred()];
    for (const g of gates)
      work.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await g.promise;
        running -= 1;
      });
    await turn();
    await turn();
    expect(running).toBe(2);
    for (const g of gates) g.resolve();
    await work.idle();
    expect(most).toBe(2);
  });

  it('starts a job that has waited `maxDeferMs` even while acks go on', async () => {
    let clock = 0;
    const work = createBackgroundWork({ limit: 1, maxDeferMs: 5, now: () => clock });
    const ack = deferred();
    const acking = work.acking(() => ack.promise);
    const done = deferred();
    work.run(async () => done.resolve());
    await turn();
    clock = 10;
    // The deferral timer fires after ~5 ms of real time and finds the job old enough.
    await done.promise;
    ack.resolve();
    await acking;
    await work.idle();
  });

  it('passes the ack’s result and failure through, and keeps the queue going after a failed ack', async () => {
    const work = createBackgroundWork({ now: () => 0, maxDeferMs: 60_000 });
    expect(await work.acking(async () => 42)).toBe(42);
    await expect(
      work.acking(async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    const ran = deferred();
    work.run(async () => ran.resolve());
    await ran.promise;
    await work.idle();
  });
});
