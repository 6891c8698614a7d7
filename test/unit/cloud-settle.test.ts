import { describe, expect, it } from '@jest/globals';
import { settleAll } from '../../src/cloud/settle.ts';

/** The listing parts of one source: a failure stops the others and is reported once they have all ended. */
describe('settleAll', () => {
  it('answers every part in order when none fails', async () => {
    const out = await settleAll(() => [Promise.resolve(1), Promise.resolve('two')] as const);
    expect(out).toEqual([1, 'two']);
  });

  it('stops the other parts at their next page and throws the first failure only after they ended', async () => {
    const events: string[] = [];
    const paging = async (signal: AbortSignal, name: string): Promise<number> => {
      for (let page = 1; page <= 100; page++) {
        await new Promise((r) => setImmediate(r));
        signal.throwIfAborted();
        events.push(`${name}:${page}`);
      }
      return 100;
    };
    const refused = new Error('refused');
    const failing = async (): Promise<number> => {
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      throw refused;
    };
    const settled = settleAll((signal) => [paging(signal, 'a'), failing(), paging(signal, 'b')]);
    await expect(settled).rejects.toBe(refused);
    const seen = events.length;
    // Nothing runs after the answer: each part stopped at its next page.
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toHaveLength(seen);
    expect(seen).toBeLessThan(10);
  });

  it('passes an outer abort to every part', async () => {
    const outer = new AbortController();
    const waiting = (signal: AbortSignal) =>
      new Promise<number>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const settled = settleAll((signal) => [waiting(signal), waiting(signal)], outer.signal);
    outer.abort(new Error('shutting down'));
    await expect(settled).rejects.toThrow('shutting down');
  });
});
