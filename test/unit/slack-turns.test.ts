/**
 * The "⏳ Working on it…" clock starts at the ack, not when the queued engine work starts: under
 * load a turn may wait in the queue (background.ts) longer than 1.5 s, and the user must see a
 * sign of life by then. Manual timers stand in for time; nothing here sleeps.
 */
import { describe, expect, it } from '@jest/globals';
import type { Actor } from '../../src/chat/actor.ts';
import { reportProgress } from '../../src/chat/progress.ts';
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

/** Lets every already-settled promise chain run, and queued jobs start (they start on setImmediate); no timers involved. */
const flush = async (): Promise<void> => {
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 20; i++) await Promise.resolve();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
};

const setup = (o: { workingAfterMs?: number; engine?: TurnDeps['engine']; updateGate?: () => Promise<void> } = {}) => {
  const clock = manualTimers();
  const work = createBackgroundWork({ limit: 1, slotMs: 3_600_000 });
  const events: string[] = [];
  const answer = deferred<Reply[]>();
  const delivered: Array<{ target: Target; replies: Reply[] }> = [];
  const updates: string[] = [];
  const deps: TurnDeps = {
    engine: o.engine ?? {
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
      update: async (_client, _channel, ts, reply) => {
        events.push('update');
        updates.push(`${ts} ${reply.text}`);
        await o.updateGate?.();
      },
      workingNote: async (_target, step) => {
        events.push(step === undefined ? 'note' : 'note-step');
        if (step !== undefined) updates.push(`note ${step}`);
        return true;
      },
      conversation: (teamId, channel, threadTs) => ({
        surface: 'slack',
        workspaceId: teamId,
        channelId: channel,
        ...(threadTs ? { threadId: threadTs } : {}),
      }),
    },
    identity: {
      actor: async (_c, teamId, userId): Promise<Actor> => ({
        surface: 'slack',
        workspaceId: teamId,
        userId,
        displayName: userId,
      }),
    },
    logger: createLogger('silent'),
    workingAfterMs: o.workingAfterMs ?? 1_500,
    track: work.track,
    timers: clock.timers,
  };
  const input: TurnInput = {
    client: {} as WebClient,
    teamId: 'T1',
    channel: 'C1',
    threadTs: '1700000000.000001',
    userId: 'U1',
    text: 'list instances',
  };
  return { clock, work, events, answer, delivered, updates, deps, input };
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

  it('a slash command gets a private note (response_url) instead of a public placeholder, and at most 2 steps in it', async () => {
    const slash = setup();
    slash.work.run(acceptTurn(slash.deps, { ...slash.input, respond: async () => undefined }));
    expect(slash.clock.pending()).toBe(1);
    slash.clock.advance(1_500);
    await flush();
    expect(slash.events).toEqual(['note', 'engine']);
    slash.answer.resolve([textReply('ok')]);
    await slash.work.idle();
    expect(slash.events).toEqual(['note', 'engine', 'deliver']);
    expect(slash.delivered[0]!.target.workingNote).toBe(true);
    expect(slash.delivered[0]!.target.working).toBeUndefined();

    const fast = setup();
    fast.work.run(acceptTurn(fast.deps, { ...fast.input, respond: async () => undefined }));
    fast.answer.resolve([textReply('ok')]);
    await fast.work.idle();
    expect(fast.events).toEqual(['engine', 'deliver']);
    expect(fast.delivered[0]!.target.workingNote).toBeUndefined();
    expect(fast.clock.pending()).toBe(0);

    const steps = setup({
      engine: {
        handleTurn: async () => {
          for (const step of ['one', 'two', 'three', 'four']) {
            reportProgress(step);
            await flush();
          }
          return [textReply('done')];
        },
      },
    });
    steps.work.run(acceptTurn(steps.deps, { ...steps.input, respond: async () => undefined }));
    await steps.work.idle();
    // response_url takes 5 uses: the note, two steps, and the answers.
    expect(steps.events).toEqual(['note', 'note-step', 'note-step', 'deliver']);
    expect(steps.updates).toEqual(['note one', 'note two']);
  });

  it('starts at once with workingAfterMs 0', async () => {
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

  it('shows the steps of long work at once in the placeholder, merges steps that come faster than updates, and answers last', async () => {
    const step = deferred<void>();
    const finish = deferred<void>();
    // The first chat.update stays in flight until released: the steps reported meanwhile are merged.
    const firstUpdate = deferred<void>();
    let updateCalls = 0;
    const s = setup({
      updateGate: () => (++updateCalls === 1 ? firstUpdate.promise : Promise.resolve()),
      engine: {
        handleTurn: async () => {
          reportProgress('CR-1 · web-1: stopping it…');
          await step.promise;
          reportProgress('CR-1 · web-1: waiting (check 1 of 40)…');
          reportProgress('CR-1 · web-1: waiting (check 2 of 40)…');
          reportProgress('CR-1 · web-1: starting it again…');
          await finish.promise;
          return [textReply('CR-1 done')];
        },
      },
    });
    s.work.run(acceptTurn(s.deps, s.input));
    await flush();
    // Before the 1.5 s clock: the first step posts the placeholder and shows itself in it.
    expect(s.events).toEqual(['working', 'update']);
    expect(s.clock.pending()).toBe(0);
    step.resolve();
    await flush();
    // Three steps arrived while the first update was in flight: nothing more is sent yet.
    expect(s.updates).toHaveLength(1);
    firstUpdate.resolve();
    await flush();
    expect(s.updates).toEqual([
      '1700000000.000009 ⏳ Working on it… CR-1 · web-1: stopping it…',
      '1700000000.000009 ⏳ Working on it… CR-1 · web-1: starting it again…',
    ]);
    finish.resolve();
    await s.work.idle();
    expect(s.events).toEqual(['working', 'update', 'update', 'deliver']);
    expect(s.delivered[0]!.target.working).toEqual({ channel: 'C1', ts: '1700000000.000009' });
    // Progress reported outside any turn goes nowhere and does not throw.
    expect(() => reportProgress('nobody listens')).not.toThrow();
  });

  it('lets the answer wait for an update in flight, so a late progress update never overwrites it', async () => {
    const firstUpdate = deferred<void>();
    const s = setup({
      updateGate: () => firstUpdate.promise,
      engine: {
        handleTurn: async () => {
          reportProgress('CR-2 · web-2: stopping it…');
          return [textReply('CR-2 done')];
        },
      },
    });
    s.work.run(acceptTurn(s.deps, s.input));
    await flush();
    expect(s.events).toEqual(['working', 'update']);
    firstUpdate.resolve();
    await s.work.idle();
    expect(s.events).toEqual(['working', 'update', 'deliver']);
  });
});
