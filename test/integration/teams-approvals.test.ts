import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ALICE,
  APP_ID,
  CHANNEL,
  DAVE,
  DAVE_CHAT,
  TENANT,
  startTeamsHarness,
  type TeamsHarness,
  botAddedToChannel,
} from '../fixtures/teams-harness.ts';

/**
 * Teams with an app id: the SDK checks every token against the fake's JWKS; approval cards in the
 * requester's thread and the approvals conversation, decided by card clicks (Universal Actions).
 */
const APPROVALS = '19:approvals@thread.tacv2';
let h: TeamsHarness;
beforeAll(async () => {
  h = await startTeamsHarness({ appId: true, env: { TEAMS_APPROVALS_CONVERSATION: APPROVALS } });
  // The bot was added to the approvals channel: Teams says so, and the reference is kept.
  await botAddedToChannel(h, APPROVALS);
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const claims = { aud: APP_ID, tid: TENANT, nbf: now() - 10, exp: now() + 600 };
const dump = (a: { activity: Record<string, unknown> }) => JSON.stringify(a.activity);
const stops = () => h.app.sandbox!.requests.filter((r) => r.action === 'StopInstances');
const cardOf = (prefix: string, id: string) => h.fake.messages(prefix).find((a) => dump(a).includes(`${id} `))!;

describe('Teams tokens', () => {
  it('refuses a missing, forged (other key or alg none), wrong-audience or expired token with 401, before anything runs', async () => {
    const before = h.fake.calls.length;
    const activity = {
      type: 'message',
      id: 'm-auth',
      text: 'list instances',
      channelId: 'msteams',
      serviceUrl: h.fake.url,
      from: DAVE,
      recipient: { id: '28:bot-app-id' },
      conversation: { id: DAVE_CHAT, conversationType: 'personal', tenantId: TENANT },
    };
    const iss = h.fake.issuer;
    const tokens: Array<string | null> = [
      null,
      h.fake.token({ ...claims, iss }, { key: 'other' }),
      h.fake.token({ ...claims, iss }, { header: { alg: 'none' } }),
      h.fake.token({ ...claims, iss, aud: 'someone-else' }),
      h.fake.token({ ...claims, iss, exp: now() - 3600, nbf: now() - 7200 }),
      h.fake.token({ ...claims, iss: 'https://evil.example.com/v2.0' }),
    ];
    for (const token of tokens) {
      const r = await h.send(activity, { token });
      expect({ token: token?.slice(0, 20) ?? null, status: r.status }).toEqual({
        token: token?.slice(0, 20) ?? null,
        status: 401,
      });
    }
    expect(h.fake.calls.length).toBe(before);
    // A good token: the answer goes out with the bot's own token.
    expect((await h.send(activity)).status).toBe(200);
    expect(h.fake.calls.slice(before).every((c) => c.authorization === 'Bearer outbound-token')).toBe(true);
    expect(h.fake.messages(DAVE_CHAT).length).toBeGreaterThan(0);
  });
});

describe('approval cards in Teams', () => {
  it('grant takes a Teams @mention of someone the bot has not met', async () => {
    await h.message(DAVE, DAVE_CHAT, `grant <at>${ALICE.name}</at> approver`, {
      entities: [{ type: 'mention', text: `<at>${ALICE.name}</at>`, mentioned: { id: ALICE.id, name: ALICE.name } }],
    });
    expect(dump(h.fake.messages(DAVE_CHAT).at(-1)!)).toContain(`${ALICE.name} is now approver`);
    expect(h.fake.calls.some((c) => c.method === 'GET' && c.path.endsWith(`/members/${ALICE.id}`))).toBe(true);
  });

  it('posts the card in the thread and the approvals conversation; self-approval is refused; another approver runs it once and every copy updates', async () => {
    const root = 'root-stop';
    await h.message(DAVE, `${CHANNEL};messageid=${root}`, 'stop web-prod-1', { id: root, mention: true });
    const thread = `${CHANNEL};messageid=${root}`;
    const own = h.fake.messages(thread).find((a) => /CR-\d+ /.test(dump(a)));
    expect(own).toBeDefined();
    const id = /(CR-\d+) /.exec(dump(own!))![1]!;
    const copy = cardOf(APPROVALS, id);
    expect(copy).toBeDefined();

    const self = await h.click(DAVE, thread, 'change.approve', { value: id });
    expect(self.status).toBe(200);
    expect(JSON.stringify(self.json)).toMatch(/cannot approve it yourself/);
    expect(stops()).toHaveLength(0);

    const ok = await h.click(ALICE, APPROVALS, 'change.approve', { value: id });
    expect(ok.json.type).toBe('application/vnd.microsoft.activity.message');
    expect(String(ok.json.value)).toMatch(new RegExp(`approved ${id}`, 'i'));
    expect(stops()).toHaveLength(1);
    for (const card of [cardOf(thread, id), cardOf(APPROVALS, id)]) {
      expect(card.versions.length).toBeGreaterThan(1);
      expect(dump(card)).toMatch(/done/);
    }
    const again = await h.click(ALICE, thread, 'change.approve', { value: id });
    expect(JSON.stringify(again.json)).toMatch(/already/i);
    expect(stops()).toHaveLength(1);
  });

  it('rejects with the reason typed on the card', async () => {
    await h.message(DAVE, DAVE_CHAT, 'reboot api-prod-1');
    const id = /(CR-\d+) /.exec(dump(h.fake.messages(DAVE_CHAT).find((a) => /CR-\d+ .*reboot/i.test(dump(a)))!))![1]!;
    await h.click(ALICE, APPROVALS, 'change.reject', { value: id, reason: 'release freeze' });
    const c = await h.app.changes.get(id);
    expect(c?.status).toBe('rejected');
    expect(c?.reason).toBe('release freeze');
    expect(dump(cardOf(APPROVALS, id))).toMatch(/rejected/i);
  });

  it('answers card data it cannot read with a clear private message', async () => {
    const r = await h.send({
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: 'inv-bad',
      channelId: 'msteams',
      serviceUrl: h.fake.url,
      from: ALICE,
      recipient: { id: '28:bot-app-id' },
      conversation: { id: APPROVALS, conversationType: 'channel', tenantId: TENANT },
      channelData: { tenant: { id: TENANT } },
      value: { action: { type: 'Action.Execute', verb: 'change.approve', data: { nonsense: 1 } } },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/could not read/);
  });

  it('ignores activities from a tenant that is not allowed', async () => {
    const before = h.fake.calls.length;
    const r = await h.send({
      type: 'message',
      id: 'other-tenant',
      text: 'list instances',
      channelId: 'msteams',
      serviceUrl: h.fake.url,
      from: DAVE,
      recipient: { id: '28:bot-app-id' },
      conversation: { id: 'a:elsewhere', conversationType: 'personal', tenantId: 'another-tenant' },
      channelData: { tenant: { id: 'another-tenant' } },
    });
    expect(r.status).toBe(200);
    expect(h.fake.calls.length).toBe(before);
  });
});
