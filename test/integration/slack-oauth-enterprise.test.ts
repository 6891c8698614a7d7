import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/observability/logger.ts';
import { createSecretBox } from '../../src/store/secret-box.ts';
import { createInstallationStore } from '../../src/surfaces/slack/store/installation-store.ts';
import { slackEnterpriseTeams, slackInstallations } from '../../src/surfaces/slack/store/schema.ts';
import { startSlackFake, type FakeMessage, type OAuthGrant, type SlackFake } from '../fakes/slack-api.ts';
import { buttonsOf } from '../fixtures/slack-harness.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  appMentionEvent,
  blockActionsPayload,
  eventCallback,
  interactivityForm,
  postSigned,
  signSlackRequest,
} from '../helpers/slack-sign.ts';

/**
 * Enterprise Grid, installed org-wide: one installation (`enterprise:E…`) for every workspace of
 * the org, no row per workspace. Requests from a workspace name the org and are answered; the
 * notifier's outbound calls (approval-channel copy, updating every card after a decision) know
 * only the workspace and must still find the org's token, naming the workspace on each call.
 */
const SECRET = 'grid-signing-secret-0123456789';
const KEY = Buffer.alloc(32, 7).toString('base64');
const ORG = 'E0ORG00001';
const TEAM = 'T0GRID0001';
const OPS = 'C0OPS00001';
const APPROVALS = 'C0APPROV01';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const grant: OAuthGrant = {
  clientId: '1111.2222',
  clientSecret: 'client-secret',
  code: 'code-from-slack',
  teamId: 'T0UNUSED01',
  teamName: 'unused',
  enterprise: { id: ORG, name: 'Fake Org' },
  botToken: 'xoxb-org-wide-token',
  botUserId: 'U0BOT00001',
  appId: 'A0APP00001',
  scope: 'app_mentions:read,chat:write,commands',
  installerUserId: ALICE,
};

let fake: SlackFake;
let app: TestApp;
beforeAll(async () => {
  // Only the org's token is valid: every answer proves it came from the org's installation.
  fake = await startSlackFake({
    tokens: [grant.botToken],
    oauth: grant,
    teamId: TEAM,
    users: [
      { id: ALICE, name: 'alice', displayName: 'Alice' },
      { id: BOB, name: 'bob', displayName: 'Bob' },
    ],
    channels: [
      { id: OPS, name: 'ops' },
      { id: APPROVALS, name: 'approvals' },
    ],
  });
  app = await startTestApp(
    {
      SLACK_CLIENT_ID: grant.clientId,
      SLACK_CLIENT_SECRET: grant.clientSecret,
      SLACK_STATE_SECRET: 'state-secret-0123456789',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.url,
      TOKEN_ENCRYPTION_KEY: KEY,
      SLACK_APPROVALS_CHANNEL: `${TEAM}:${APPROVALS}`,
      BOOTSTRAP_ADMINS: BOB,
      DEFAULT_ROLE: 'operator',
    },
    { slack: { retryConfig: { retries: 0 } } },
  );
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await fake?.stop();
});

const send = async (body: { json: unknown } | { form: Record<string, string> }) => {
  const r = await postSigned(`${app.url}/slack/events`, signSlackRequest(SECRET, body));
  await r.text();
  await app.slack!.idle();
  return r.status;
};

/** An event from workspace TEAM as Slack sends it to an org-wide install: the authorization names the org, not the team. */
const orgEvent = (event: Record<string, unknown>) => ({
  ...eventCallback(event, { teamId: TEAM }),
  enterprise_id: ORG,
  context_enterprise_id: ORG,
  authorizations: [
    { enterprise_id: ORG, team_id: null, user_id: grant.botUserId, is_bot: true, is_enterprise_install: true },
  ],
});

const click = (user: string, m: FakeMessage, label: string) => {
  const b = buttonsOf(m).find((x) => x.label === label)!;
  const payload = blockActionsPayload({
    userId: user,
    channelId: m.channel,
    messageTs: m.ts,
    actionId: b.actionId,
    value: b.value,
    label,
    teamId: TEAM,
    responseUrl: fake.responseUrl({ channel: m.channel, ts: m.ts, user }),
    ...(m.threadTs ? { threadTs: m.threadTs } : {}),
  });
  return send({
    form: interactivityForm({
      ...payload,
      team: { id: TEAM, domain: 'grid-team', enterprise_id: ORG },
      enterprise: { id: ORG, name: 'Fake Org' },
      is_enterprise_install: true,
    }),
  });
};

const card = (channel: string, id: string) => fake.messages(channel).find((m) => m.text.startsWith(`${id} `));

describe('Slack OAuth, installed org-wide on Enterprise Grid', () => {
  it('stores one sealed installation for the org', async () => {
    const res = await fetch(`${app.url}/slack/install`, { redirect: 'manual' });
    const state = new URL(res.headers.get('location')!).searchParams.get('state')!;
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const cb = await fetch(`${app.url}/slack/oauth_redirect?code=${grant.code}&state=${encodeURIComponent(state)}`, {
      headers: { cookie },
    });
    await cb.text();
    expect(cb.status).toBe(200);
    const rows = await app.store.db.select().from(slackInstallations);
    expect(
      rows.map((r) => ({
        id: r.id,
        teamId: r.teamId,
        enterpriseId: r.enterpriseId,
        isEnterpriseInstall: r.isEnterpriseInstall,
      })),
    ).toEqual([{ id: `enterprise:${ORG}`, teamId: null, enterpriseId: ORG, isEnterpriseInstall: true }]);
    expect(JSON.stringify(rows)).not.toContain('xoxb-');
  });

  it('has no token for a workspace it has not heard from (no guessing which org a team is in)', async () => {
    await expect(
      app.slack!.surface.post({ surface: 'slack', workspaceId: TEAM, channelId: OPS }, { text: 'hello', blocks: [] }),
    ).rejects.toThrow(/no Slack installation for team T0GRID0001/);
  });

  it('answers a mention from a workspace of the org and remembers that workspace belongs to it', async () => {
    const ev = appMentionEvent({
      user: ALICE,
      channel: OPS,
      text: `<@${grant.botUserId}> list instances env=prod`,
      teamId: TEAM,
    });
    expect(await send({ json: orgEvent(ev) })).toBe(200);
    expect(fake.messages(OPS).find((m) => m.threadTs === ev.ts)?.text).toMatch(/Instances env=prod/);
    expect(
      await app.store.db
        .select({ teamId: slackEnterpriseTeams.teamId, enterpriseId: slackEnterpriseTeams.enterpriseId })
        .from(slackEnterpriseTeams),
    ).toEqual([{ teamId: TEAM, enterpriseId: ORG }]);
  });

  it('posts the approval-channel copy and updates every card after a decision with the org token, naming the workspace', async () => {
    const ev = appMentionEvent({
      user: ALICE,
      channel: OPS,
      text: `<@${grant.botUserId}> stop web-prod-1`,
      teamId: TEAM,
    });
    await send({ json: orgEvent(ev) });
    const own = fake.messages(OPS).find((m) => m.threadTs === ev.ts && /^CR-\d+ /.test(m.text));
    expect(own).toBeDefined();
    const id = /^(CR-\d+) /.exec(own!.text)![1]!;
    // The copy in the approvals channel is posted by the notifier, outside any request.
    const copy = card(APPROVALS, id);
    expect(copy).toBeDefined();
    const copyPost = fake.callsTo('chat.postMessage').find((c) => c.args.channel === APPROVALS);
    expect(copyPost).toMatchObject({ token: grant.botToken, args: { team_id: TEAM } });

    await click(BOB, copy!, 'Approve');
    expect((await app.changes.get(id))?.status).toBe('succeeded');
    for (const m of [card(OPS, id)!, card(APPROVALS, id)!]) {
      expect(m.edited).toBeDefined();
      expect(buttonsOf(m)).toEqual([]);
      expect(m.text).toMatch(/done/);
    }
    const updates = fake.callsTo('chat.update');
    expect(updates.map((u) => u.args.channel).sort()).toEqual(expect.arrayContaining([APPROVALS, OPS]));
    for (const u of updates)
      expect(u).toMatchObject({ token: grant.botToken, status: 200, response: { ok: true }, args: { team_id: TEAM } });
  });

  it('serves the workspace after a restart of the process too: the pair is in the database, not in memory', async () => {
    // A fresh store (as another replica would have) finds the org's token for the workspace.
    const store = createInstallationStore(app.store.db, { box: createSecretBox(KEY), logger: createLogger('silent') });
    expect(await store.botFor(TEAM)).toEqual({ token: grant.botToken, orgWide: true });
    await expect(store.botFor('T0ELSEWHERE')).rejects.toThrow(/no Slack installation for team T0ELSEWHERE/);
  });

  it('got an answer from the fake alone for every Web API method the bot called', () => {
    expect(
      fake.calls.filter((c) => c.response.ok === false).map((c) => `${c.method}: ${String(c.response.error)}`),
    ).toEqual([]);
  });
});
