import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import { reportProgress } from '../../src/chat/progress.ts';
import { createTurnProgress, maxProgressChars } from '../../src/surfaces/console/progress.ts';

/**
 * A turn held open until `end` is called. `report` runs in the turn's async context (as work the
 * turn started does), though the test calls it from outside.
 */
const openTurn = () => {
  const ended = Promise.withResolvers<void>();
  let report: (text: string) => void = () => {
    throw new Error('the turn has not started');
  };
  const work = async () => {
    report = AsyncLocalStorage.bind((text: string) => reportProgress(text));
    await ended.promise;
  };
  return { work, report: (text: string) => report(text), end: () => ended.resolve() };
};

const key = (viewer: string, conversation = 'console:console:ops') => ({ conversation, viewer });

describe('console turn progress memory', () => {
  it('holds at most maxEntries, dropping the least recently updated', async () => {
    const progress = createTurnProgress({ maxEntries: 3 });
    const turns = ['a', 'b', 'c', 'd'].map((viewer) => ({ viewer, turn: openTurn() }));
    const running = turns.map(({ viewer, turn }) => progress.run(key(viewer), turn.work));
    for (const { viewer, turn } of turns.slice(0, 3)) turn.report(`step of ${viewer}`);
    // a steps again: b is now the stalest, and goes when d arrives.
    turns[0]!.turn.report('second step of a');
    turns[3]!.turn.report('step of d');
    expect(progress.size()).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((v) => progress.latest(key(v)))).toEqual([
      'second step of a',
      null,
      'step of c',
      'step of d',
    ]);
    for (const { turn } of turns) turn.end();
    await Promise.all(running);
    expect(progress.size()).toBe(0);
  });

  it('drops a step older than maxAgeMs', async () => {
    let now = Date.parse('2025-05-01T10:00:00Z');
    const progress = createTurnProgress({ maxAgeMs: 60_000, clock: () => new Date(now) });
    const stale = openTurn();
    const fresh = openTurn();
    const running = [progress.run(key('alice'), stale.work), progress.run(key('bob'), fresh.work)];
    stale.report('looking at the inventory…');
    now += 60_000;
    fresh.report('reading web-prod-1…');
    expect(progress.latest(key('alice'))).toBe('looking at the inventory…');
    now += 1;
    expect(progress.latest(key('alice'))).toBeNull();
    expect(progress.latest(key('bob'))).toBe('reading web-prod-1…');
    // A new step is recorded again, and also sweeps what expired meanwhile.
    now += 60_000;
    stale.report('writing: there are 12…');
    expect(progress.size()).toBe(1);
    expect(progress.latest(key('alice'))).toBe('writing: there are 12…');
    stale.end();
    fresh.end();
    await Promise.all(running);
  });

  it('trims and cuts texts, ignores empty ones, and never splits a surrogate pair', async () => {
    const progress = createTurnProgress();
    const turn = openTurn();
    const running = progress.run(key('alice'), turn.work);
    turn.report('  reading web-prod-1…\n');
    expect(progress.latest(key('alice'))).toBe('reading web-prod-1…');
    turn.report('   ');
    expect(progress.latest(key('alice'))).toBe('reading web-prod-1…');
    turn.report('x'.repeat(maxProgressChars));
    expect(progress.latest(key('alice'))).toBe('x'.repeat(maxProgressChars));
    // Character 499 would be the first half of an emoji: the cut moves before it.
    turn.report(`${'x'.repeat(maxProgressChars - 2)}🚀🚀`);
    expect(progress.latest(key('alice'))).toBe(`${'x'.repeat(maxProgressChars - 2)}…`);
    turn.end();
    await running;
  });

  it('clears on failure and ignores steps after the turn', async () => {
    const progress = createTurnProgress();
    let late: () => void = () => {};
    await expect(
      progress.run(key('alice'), async () => {
        reportProgress('looking at the inventory…');
        expect(progress.latest(key('alice'))).toBe('looking at the inventory…');
        late = AsyncLocalStorage.bind(() => reportProgress('too late'));
        throw new Error('planner failed');
      }),
    ).rejects.toThrow('planner failed');
    expect(progress.latest(key('alice'))).toBeNull();
    late();
    expect(progress.size()).toBe(0);
  });
});
