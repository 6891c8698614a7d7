import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BOT, DAVE, DAVE_CHAT, startTeamsHarness, type TeamsHarness } from '../fixtures/teams-harness.ts';

/**
 * Teams shows a typing indicator for about three seconds: while a turn waits on slow work (here
 * the sandbox cloud held), the bot sends it again every `typingEveryMs`, and stops once the
 * answer is out.
 */
let h: TeamsHarness;
beforeAll(async () => {
  h = await startTeamsHarness({
    opts: { teams: { workingAfterMs: 60_000, invokeBudgetMs: 5_000, retries: 2, backoffMs: 10, typingEveryMs: 25 } },
  });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const typings = () => h.fake.activities(DAVE_CHAT).filter((a) => a.activity.type === 'typing').length;

/** Resolves when `ok()` holds, checked on each turn of the event loop (fails after `ms`). */
const until = async (ok: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('typing indicator in Teams', () => {
  it('is sent again while the work runs and stops once the answer is posted', async () => {
    const release = h.app.sandbox!.hold();
    const before = typings();
    const answers = h.fake.messages(DAVE_CHAT).length;
    let released = false;
    try {
      const res = await fetch(`${h.app.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          id: 'typing-1',
          text: 'stop web-dev-1',
          channelId: 'msteams',
          serviceUrl: h.fake.url,
          from: DAVE,
          recipient: BOT,
          conversation: { id: DAVE_CHAT, conversationType: 'personal' },
        }),
      });
      expect(res.status).toBe(200);
      // The cloud is held: no answer yet, and the indicator keeps coming.
      await until(() => typings() >= before + 3);
      expect(h.fake.messages(DAVE_CHAT)).toHaveLength(answers);
      release();
      released = true;
      await h.app.teams!.idle();
    } finally {
      if (!released) release();
    }
    expect(h.fake.messages(DAVE_CHAT).length).toBeGreaterThan(answers);
    const after = typings();
    // Several intervals later, no more indicators.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(typings()).toBe(after);
  });
});
