import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { defaultWaitIntervalMs, waitFor } from '../helpers/wait-for.ts';

// Fake timers (Date included): the helper's pauses and deadline move only when the test says so.
beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-12-01T09:00:00Z') });
});
afterEach(() => {
  jest.useRealTimers();
});

/** A condition that is falsy for the first `falsy` calls, then returns `value`; it counts its calls. */
const becomes = <T>(falsy: number, value: T) => {
  const calls: number[] = [];
  const condition = () => {
    calls.push(Date.now());
    return calls.length > falsy ? value : undefined;
  };
  return { condition, calls };
};

describe('waitFor', () => {
  it('resolves at once with the value of a condition that already holds, without waiting', async () => {
    const { condition, calls } = becomes(0, { id: 'CR-1' });
    await expect(waitFor(condition, { what: 'a change', timeoutMs: 1_000 })).resolves.toEqual({ id: 'CR-1' });
    expect(calls).toHaveLength(1);
  });

  it('polls an async condition every interval and resolves with its first truthy value', async () => {
    let n = 0;
    const p = waitFor(async () => (++n >= 3 ? n : 0), { what: 'three calls', timeoutMs: 1_000, intervalMs: 100 });
    await jest.advanceTimersByTimeAsync(199);
    expect(n).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    await expect(p).resolves.toBe(3);
  });

  it('stops polling once the condition holds', async () => {
    const { condition, calls } = becomes(2, 'ready');
    const p = waitFor(condition, { what: 'ready', timeoutMs: 10_000 });
    await jest.advanceTimersByTimeAsync(2 * defaultWaitIntervalMs);
    await expect(p).resolves.toBe('ready');
    expect(calls).toHaveLength(3);
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(3);
  });

  it('on timeout names what it waited for, the last value seen and the detail, after a last check at the deadline', async () => {
    let n = 0;
    const p = waitFor(() => (n++, 0), {
      what: 'the burst jobs to run',
      timeoutMs: 1_000,
      intervalMs: 300,
      detail: () => ({ burst: 97 }),
    });
    const failed = expect(p).rejects.toThrow(
      'Timed out after 1000 ms waiting for the burst jobs to run; last value: 0; { burst: 97 }',
    );
    await jest.advanceTimersByTimeAsync(999);
    expect(n).toBe(4); // at 0, 300, 600 and 900 ms
    await jest.advanceTimersByTimeAsync(1);
    await failed;
    expect(n).toBe(5); // and once more at 1000 ms
  });

  it('ends the wait at once when the condition throws', async () => {
    let n = 0;
    const p = waitFor(
      () => {
        n++;
        throw new Error('probe broke');
      },
      { what: 'anything', timeoutMs: 1_000 },
    );
    await expect(p).rejects.toThrow('probe broke');
    expect(n).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('still reports the timeout when the detail itself fails', async () => {
    const p = waitFor(() => false, {
      what: 'a server',
      timeoutMs: 50,
      detail: () => Promise.reject(new Error('no connection')),
    });
    const failed = expect(p).rejects.toThrow(/waiting for a server; last value: false; detail failed: no connection$/);
    await jest.advanceTimersByTimeAsync(50);
    await failed;
  });
});
