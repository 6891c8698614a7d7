/**
 * The "⏳ Working on it…" clock starts at the ack, not when the queued engine work starts: under
 * load a turn may wait in the queue (background.ts) longer than 1.5 s, and the user must see a
 * sign of life by then. Manual timers stand in for time; nothing here sleeps.
 */
import { describe, expect, it } from '@jest/globals';
import type { Actor } from '../../src/chat/actor.ts';
import { textReply, type Reply } from '../../src/chat/reply.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createBackgroundWork } from '../../src/surfaces/slack/background.ts';
import type { Target } from '../../src/surfaces/slack/deliver.ts';
import { acceptTurn, type Timers, type TurnDeps, type TurnInput } from '../../src/surfaces/slack/turns.ts';
import type { WebClient } from '../../src/surfaces/slack/web.ts';

const manualTimers = () => {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { fn: () => void; due: number }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      pending.set(++seq, { fn, due: now + ms });
      return seq;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  return {
    timers,
    pending: () => pending.size,
    advance: (ms: number): void => {
      now += ms;
      for (const [id, t] of [...pending].sort((a, b) => a[1].due - b[1].due)) {
        if (t.due > now) continue;
        pending.delete(id);
        t.fn();
      }
    },
  };
};

const deferred = <T>() => {
  let resolve: (v: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

/** Lets every already-settled promise chain run (no timers involved). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

const setup = (o: { workingAfterMs?: number } = {}) => {
  const clock = manualTimers();
  const work = createBackgroundWork({ limit: 1, slotMs: 3_600_000 });
  const events: string[] = [];
  const answer = deferred<Reply[]>();
  const delivered: Array<{ target: Target; replies: Reply[] }> = [];
  const deps: TurnDeps = {
    engine: {
      handleTurn: async () => {
        events.push('engine');
        return answer.promise;
      },
    },
    delivery: {
      working: async () => {
        events.push('working');
        return { channel: 'C1', ts: '1700000000.000009' };
      },
      deliver: async (target, replies) => {
        events.push('deliver');
        delivered.push({ target, replies });
      },
      conversation: (teamId, channel, threadTs) => ({ surface: 'slack', workspaceId: teamId, channelId: channel, ...(threadTs ? { threadId: threadTs } : {}) }),
    },
    identity: { actor: async (_c, teamId, userId): Promise<Actor> => ({ surface: 'slack', workspaceId: teamId, userId, displayName: userId }) },
    logger: createLogger('silent'),
    workingAfterMs: o.workingAfterMs ?? 1_500,
    track: work.track,
    timers: clock.timers,
  };
  const input: TurnInput = { client: {} as WebClient, teamId: 'T1', channel: 'C1', threadTs: '1700000000.000001', userId: 'U1', text: 'list instances' };
  return { clock, work, events, answer, delivered, deps, input };
};

describe('the working clock of a Slack turn', () => {
  it('posts "working…" 1.5 s after the ack even while the turn is still queued, then replaces it', async () => {
    const s = setup();
    const busy = deferred<void>();
    s.work.run(() => busy.promise); // the only slot is taken: the turn queues
    s.work.run(acceptTurn(s.deps, s.input));
    s.clock.advance(1_499);
    await flush();
    expect(s.events).toEqual([]);
    s.clock.advance(1);
    await flush();
    // The engine has not even started: the sign of life does not wait for the queue.
    expect(s.events).toEqual(['working']);
    busy.resolve();
    await flush();
    expect(s.events).toEqual(['working', 'engine']);
    s.answer.resolve([textReply('done')]);
    await s.work.idle();
    expect(s.events).toEqual(['working', 'engine', 'deliver']);
    expect(s.delivered[0]!.target.working).toEqual({ channel: 'C1', ts: '1700000000.000009' });
  });

  it('posts nothing extra for a turn answered in time, and leaves no timer behind', async () => {
    const s = setup();
    s.work.run(acceptTurn(s.deps, s.input));
    expect(s.clock.pending()).toBe(1);
    s.clock.advance(1_000);
    s.answer.resolve([textReply('quick')]);
    await s.work.idle();
    expect(s.clock.pending()).toBe(0);
    s.clock.advance(10_000);
    await flush();
    expect(s.events).toEqual(['engine', 'deliver']);
    expect(s.delivered[0]!.target.working).toBeUndefined();
  });

  it('counts the time already spent queued: a turn that starts late gets the placeholder before its engine work', async () => {
    const s = setup();
    const busy = deferred<void>();
    s.work.run(() => busy.promise);
    s.work.run(acceptTurn(s.deps, s.input));
    s.clock.advance(2_000);
    busy.resolve();
    s.answer.resolve([textReply('late')]);
    await s.work.idle();
    expect(s.events).toEqual(['working', 'engine', 'deliver']);
  });

  it('never starts a clock for a slash command (its response_url answers), and starts at once with workingAfterMs 0', async () => {
    const slash = setup();
    slash.work.run(acceptTurn(slash.deps, { ...slash.input, respond: async () => undefined }));
    expect(slash.clock.pending()).toBe(0);
    slash.answer.resolve([textReply('ok')]);
    await slash.work.idle();
    expect(slash.events).toEqual(['engine', 'deliver']);

    const eager = setup({ workingAfterMs: 0 });
    const busy = deferred<void>();
    eager.work.run(() => busy.promise);
    eager.work.run(acceptTurn(eager.deps, eager.input));
    await flush();
    expect(eager.events).toEqual(['working']);
    busy.resolve();
    eager.answer.resolve([textReply('ok')]);
    await eager.work.idle();
    expect(eager.events).toEqual(['working', 'engine', 'deliver']);
  });
});
