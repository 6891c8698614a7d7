import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHANNEL, DAVE, DAVE_CHAT, startTeamsHarness, type TeamsHarness } from '../fixtures/teams-harness.ts';

/**
 * Talking to the bot in Teams through the real app, anonymous (emulator) mode: activities posted
 * to /api/messages, answers read from the Bot Connector fake.
 */
let h: TeamsHarness;
beforeAll(async () => {
  h = await startTeamsHarness();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const cardText = (a: Record<string, unknown>): string => JSON.stringify(a);

describe('conversations in Teams', () => {
  it('answers a personal message in the personal chat, with a typing indicator first', async () => {
    const r = await h.message(DAVE, DAVE_CHAT, 'list instances env=prod');
    expect(r.status).toBe(200);
    const sent = h.fake.activities(DAVE_CHAT);
    expect(sent[0]?.activity.type).toBe('typing');
    const replies = h.fake.messages(DAVE_CHAT);
    expect(replies).toHaveLength(1);
    expect(cardText(replies[0]!.activity)).toContain('Instances env=prod');
    // Anonymous mode: the bot sends without a token.
    expect(h.fake.calls.every((c) => c.authorization === null)).toBe(true);
  });

  it('answers a channel @mention in the thread of that post, and ignores channel posts without a mention', async () => {
    const { id } = await h.message(DAVE, `${CHANNEL};messageid=root-1`, 'list instances env=prod', {
      id: 'root-1',
      mention: true,
    });
    const thread = h.fake.messages(`${CHANNEL};messageid=${id}`);
    expect(thread).toHaveLength(1);
    expect(cardText(thread[0]!.activity)).toContain('Instances env=prod');
    const before = h.fake.messages(CHANNEL).length;
    await h.message(DAVE, `${CHANNEL};messageid=root-2`, 'list instances', { id: 'root-2' });
    expect(h.fake.messages(CHANNEL)).toHaveLength(before);
  });

  it('runs a redelivered activity (same id) once', async () => {
    await h.message(DAVE, DAVE_CHAT, 'show web-prod-1', { id: 'dup-1' });
    const after = h.fake.messages(DAVE_CHAT).length;
    await h.message(DAVE, DAVE_CHAT, 'show web-prod-1', { id: 'dup-1' });
    expect(h.fake.messages(DAVE_CHAT)).toHaveLength(after);
  });

  it('shows the home view for `home` and as the welcome card when the bot is added to a personal chat', async () => {
    await h.message(DAVE, DAVE_CHAT, 'home');
    const home = cardText(h.fake.messages(DAVE_CHAT).at(-1)!.activity);
    expect(home).toMatch(/admin/i);
    // The workspace at a glance (issue 18): the figures' labels on the card.
    expect(home).toMatch(/At a glance[\s\S]*Open findings[\s\S]*Deployments \(30 days\)/);
    const before = h.fake.messages('a:personal-new').length;
    await h.send({
      type: 'conversationUpdate',
      channelId: 'msteams',
      serviceUrl: h.fake.url,
      from: DAVE,
      recipient: { id: '28:bot-app-id', name: 'DevOps Agent' },
      conversation: { id: 'a:personal-new', conversationType: 'personal' },
      membersAdded: [{ id: '28:bot-app-id' }],
    });
    expect(h.fake.messages('a:personal-new')).toHaveLength(before + 1);
  });

  it('answers malformed activities and unknown invokes with 400, and refuses a bad token even when anonymous', async () => {
    expect((await h.send({ type: 'message' })).status).toBe(400);
    const bad = await fetch(`${h.app.url}/api/messages`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    const unknown = await h.send({
      type: 'invoke',
      name: 'composeExtension/query',
      id: 'inv-x',
      channelId: 'msteams',
      serviceUrl: h.fake.url,
      from: DAVE,
      recipient: { id: '28:bot-app-id' },
      conversation: { id: DAVE_CHAT, conversationType: 'personal' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('unknown invoke name');
    expect((await h.send({ type: 'message' }, { token: 'garbage' })).status).toBe(401);
  });
});
