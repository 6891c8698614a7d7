import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reportProgress } from '../../src/chat/progress.ts';
import type { Turn } from '../../src/chat/interaction.ts';
import { maxProgressChars } from '../../src/surfaces/console/progress.ts';
import { startConsoleApp, type ConsoleTestApp } from './http-console-app.ts';

/**
 * A console turn's progress through the HTTP API: the echo engine runs a script per turn text (as
 * a planner and its tools would: report a step, wait for the model), held on promises the test
 * resolves, so each poll below happens at a known point of the turn.
 */
type Script = (turn: Turn) => Promise<void>;
const scripts = new Map<string, Script>();

interface Poll {
  messages: { author: string; text: string }[];
  progress: string | null;
}

const post = (app: ConsoleTestApp, path: string, body: unknown) =>
  fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const poll = async (app: ConsoleTestApp, user: string, channel = 'ops'): Promise<Poll> => {
  const res = await fetch(`${app.baseUrl}/console/api/messages?channel=${channel}&user=${user}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Poll;
};

/** A turn's script that reports `steps` one by one, each time resolving `reported` and waiting for `next`. */
const stepper = (steps: string[]) => {
  const points = steps.map(() => ({ reported: Promise.withResolvers<void>(), next: Promise.withResolvers<void>() }));
  const script: Script = async () => {
    for (const [i, step] of steps.entries()) {
      reportProgress(step);
      points[i]!.reported.resolve();
      await points[i]!.next.promise;
    }
  };
  return {
    script,
    /** Resolves once step `i` has been reported (the turn then waits for `release(i)`). */
    reported: (i: number) => points[i]!.reported.promise,
    release: (i: number) => points[i]!.next.resolve(),
  };
};

describe('console turn progress', () => {
  let app: ConsoleTestApp;
  beforeAll(async () => {
    app = await startConsoleApp({}, { duringTurn: (turn) => scripts.get(turn.text)?.(turn) ?? Promise.resolve() });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('shows the newest step to the sender while the turn runs, to nobody else, and nothing after', async () => {
    // What a planner streaming the model's answer reports: the last 300 characters so far.
    const answerSoFar = Array.from({ length: 12 }, (_, i) => `web-prod-${i + 1} is running.`).join(' ');
    const writing = `writing: ${answerSoFar.slice(-300)}`;
    const turn = stepper(['looking at the inventory…', 'reading web-prod-1…', writing]);
    scripts.set('how many instances?', turn.script);
    const answered = post(app, '/console/api/turn', { user: 'alice', text: 'how many instances?' });

    await turn.reported(0);
    const first = await poll(app, 'alice');
    expect(first.progress).toBe('looking at the inventory…');
    expect(first.messages.map((m) => m.text)).toContain('how many instances?');
    // Bob reads the same channel (he sees Alice's question), but not her turn's progress.
    const bob = await poll(app, 'bob');
    expect(bob.messages.map((m) => m.text)).toContain('how many instances?');
    expect(bob.progress).toBeNull();
    // Alice in another channel: not this turn either.
    expect((await poll(app, 'alice', 'dev')).progress).toBeNull();

    turn.release(0);
    await turn.reported(1);
    expect((await poll(app, 'alice')).progress).toBe('reading web-prod-1…');
    turn.release(1);
    await turn.reported(2);
    expect((await poll(app, 'alice')).progress).toBe(writing);
    turn.release(2);

    const res = await answered;
    expect(res.status).toBe(200);
    expect((await poll(app, 'alice')).progress).toBeNull();
  });

  it('clears the progress of a turn that fails', async () => {
    const reported = Promise.withResolvers<void>();
    const fail = Promise.withResolvers<void>();
    scripts.set('break it', async () => {
      reportProgress('looking at the inventory…');
      reported.resolve();
      await fail.promise;
      throw new Error('the planner gave up');
    });
    const answered = post(app, '/console/api/turn', { user: 'carol', text: 'break it' });
    await reported.promise;
    expect((await poll(app, 'carol')).progress).toBe('looking at the inventory…');
    fail.resolve();
    expect((await answered).status).toBe(500);
    expect((await poll(app, 'carol')).progress).toBeNull();
  });

  it('cuts a long step, and ignores steps reported after the turn ended', async () => {
    const reported = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    const lateGo = Promise.withResolvers<void>();
    const lateDone = Promise.withResolvers<void>();
    scripts.set('leave work behind', async () => {
      reportProgress(`writing: ${'é'.repeat(2_000)}`);
      reported.resolve();
      // Work the turn started but did not await: it keeps the turn's context and reports late.
      void lateGo.promise.then(() => {
        reportProgress('a step from after the answer');
        lateDone.resolve();
      });
      await release.promise;
    });
    const answered = post(app, '/console/api/turn', { user: 'dave', text: 'leave work behind' });
    await reported.promise;
    const long = (await poll(app, 'dave')).progress!;
    expect(long).toHaveLength(maxProgressChars);
    expect(long.startsWith('writing: éé')).toBe(true);
    expect(long.endsWith('é…')).toBe(true);
    release.resolve();
    expect((await answered).status).toBe(200);

    lateGo.resolve();
    await lateDone.promise;
    expect((await poll(app, 'dave')).progress).toBeNull();
  });

  it('keeps a running turn’s progress when another turn of the same person ends', async () => {
    const long = stepper(['checking every region…', 'checking eu-west-1…']);
    const short = stepper(['reading web-dev-1…']);
    scripts.set('audit everything', long.script);
    scripts.set('show web-dev-1', short.script);
    const longAnswered = post(app, '/console/api/turn', { user: 'bob', text: 'audit everything' });
    await long.reported(0);
    const shortAnswered = post(app, '/console/api/turn', { user: 'bob', text: 'show web-dev-1' });
    await short.reported(0);
    expect((await poll(app, 'bob')).progress).toBe('reading web-dev-1…');
    long.release(0);
    await long.reported(1);
    expect((await poll(app, 'bob')).progress).toBe('checking eu-west-1…');
    // The short turn ends: the newest step is the long turn's, so it stays.
    short.release(0);
    expect((await shortAnswered).status).toBe(200);
    expect((await poll(app, 'bob')).progress).toBe('checking eu-west-1…');
    long.release(1);
    expect((await longAnswered).status).toBe(200);
    expect((await poll(app, 'bob')).progress).toBeNull();
  });
});
