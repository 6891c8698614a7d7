import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { textReply } from '../../src/chat/reply.ts';
import { DAVE, DAVE_CHAT, TENANT, startTeamsHarness, type TeamsHarness } from '../fixtures/teams-harness.ts';

/** Posting without being asked (jobs, the notifier), and what the Bot Connector answers back. */
let h: TeamsHarness;
beforeAll(async () => {
  h = await startTeamsHarness();
  await h.message(DAVE, DAVE_CHAT, 'whoami');
  await h.message(DAVE, 'a:personal-gone', 'whoami');
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const ref = (channelId: string) => ({ surface: 'teams' as const, workspaceId: TENANT, channelId });

describe('proactive messages in Teams', () => {
  it('posts from a job after a restart (a new app instance on the same database)', async () => {
    await h.restart();
    const posted = await h.app.teams!.surface.post(ref(DAVE_CHAT), textReply('Nightly digest: 3 idle boxes'));
    expect(posted.messageId).toMatch(/^act-/);
    expect(JSON.stringify(h.fake.messages(DAVE_CHAT).at(-1)!.activity)).toContain('Nightly digest');
  });

  it('waits out a 429 (Retry-After) and retries a 5xx, then succeeds', async () => {
    h.fake.fail(DAVE_CHAT, { status: 429, retryAfter: 1, method: 'POST' }, { status: 503, method: 'POST' });
    const before = h.fake.calls.length;
    await h.app.teams!.surface.post(ref(DAVE_CHAT), textReply('after the storm'));
    const tried = h.fake.calls.slice(before).filter((c) => c.method === 'POST');
    expect(tried.map((c) => c.status)).toEqual([429, 503, 200]);
    expect(tried[1]!.at - tried[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('gives up after the retries with an error, and loses nothing it was not told to lose', async () => {
    h.fake.fail(DAVE_CHAT, { status: 500 }, { status: 500 }, { status: 500 });
    await expect(h.app.teams!.surface.post(ref(DAVE_CHAT), textReply('never'))).rejects.toThrow();
    expect(JSON.stringify(h.fake.messages(DAVE_CHAT).at(-1)!.activity)).not.toContain('never');
  });

  it('marks a conversation the bot was removed from (403) and skips it afterwards', async () => {
    h.fake.fail('a:personal-gone', { status: 403 });
    await expect(h.app.teams!.surface.post(ref('a:personal-gone'), textReply('hello?'))).rejects.toThrow(
      /can no longer post/,
    );
    const before = h.fake.calls.length;
    await expect(h.app.teams!.surface.post(ref('a:personal-gone'), textReply('hello again?'))).rejects.toThrow(
      /can no longer post/,
    );
    expect(h.fake.calls.length).toBe(before);
    // Talking to the bot there again brings it back.
    await h.message(DAVE, 'a:personal-gone', 'whoami');
    expect(h.fake.messages('a:personal-gone').length).toBeGreaterThan(1);
  });
});
