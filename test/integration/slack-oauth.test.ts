import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSecretBox } from '../../src/store/secret-box.ts';
import { slackInstallations } from '../../src/surfaces/slack/store/schema.ts';
import { startSlackFake, type OAuthGrant, type SlackFake } from '../fakes/slack-api.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { appMentionEvent, eventCallback, postSigned, signSlackRequest } from '../helpers/slack-sign.ts';

/**
 * Many workspaces: the OAuth install flow on our server (install → Slack's consent → callback →
 * oauth.v2.access), the installation kept in our database, and events from the installed
 * workspace answered with the token stored there.
 */
const SECRET = 'oauth-signing-secret-0123456789';
const KEY = Buffer.alloc(32, 7).toString('base64');
const grant: OAuthGrant = {
  clientId: '1111.2222',
  clientSecret: 'client-secret',
  code: 'code-from-slack',
  teamId: 'T0FAKE0001',
  teamName: 'Fake Team',
  botToken: 'xoxb-installed-token',
  botUserId: 'U0BOT00001',
  appId: 'A0APP00001',
  scope: 'app_mentions:read,chat:write,commands',
  installerUserId: 'U0ALICE001',
};

let fake: SlackFake;
let app: TestApp;
const oauthCalls = () => fake.callsTo('oauth.v2.access').map((c) => c.args);
beforeAll(async () => {
  // Only the installed token is valid: an answer proves it came from the database.
  fake = await startSlackFake({
    tokens: [grant.botToken],
    oauth: grant,
    users: [{ id: 'U0ALICE001', name: 'alice' }],
    channels: [{ id: 'C0OPS00001', name: 'ops' }],
  });
  app = await startTestApp(
    {
      SLACK_CLIENT_ID: grant.clientId,
      SLACK_CLIENT_SECRET: grant.clientSecret,
      SLACK_STATE_SECRET: 'state-secret-0123456789',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.url,
      TOKEN_ENCRYPTION_KEY: KEY,
    },
    { slack: { retryConfig: { retries: 0 } } },
  );
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await fake?.stop();
});

const install = async () => {
  const res = await fetch(`${app.url}/slack/install`, { redirect: 'manual' });
  const location = new URL(res.headers.get('location') ?? 'http://invalid/');
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { res, location, cookie, state: location.searchParams.get('state') ?? '' };
};

describe('Slack OAuth installs', () => {
  it('sends the installer to the consent page of the configured Slack host, with the bot scopes and a state cookie', async () => {
    const { res, location, cookie, state } = await install();
    expect(res.status).toBe(302);
    expect(location.origin).toBe(fake.origin);
    expect(location.pathname).toBe('/oauth/v2/authorize');
    expect(location.searchParams.get('client_id')).toBe(grant.clientId);
    expect(location.searchParams.get('scope')).toContain('chat:write');
    expect(state.length).toBeGreaterThan(10);
    expect(cookie).toBe(`slack-app-oauth-state=${state}`);
  });

  it('refuses a callback whose state is not this browser session, and stores nothing', async () => {
    const { state } = await install();
    const res = await fetch(`${app.url}/slack/oauth_redirect?code=${grant.code}&state=${state}`, {
      headers: { cookie: 'slack-app-oauth-state=someone-else' },
    });
    await res.text();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(oauthCalls()).toHaveLength(0);
    expect(await app.store.db.select().from(slackInstallations)).toHaveLength(0);
  });

  it('exchanges the code, stores the installation sealed (no token in clear), then answers that workspace with its stored token', async () => {
    const { state, cookie } = await install();
    const res = await fetch(`${app.url}/slack/oauth_redirect?code=${grant.code}&state=${encodeURIComponent(state)}`, {
      headers: { cookie },
    });
    await res.text();
    expect(res.status).toBe(200);
    expect(oauthCalls().at(-1)).toMatchObject({ code: grant.code, client_id: grant.clientId });
    const rows = await app.store.db.select().from(slackInstallations);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: `team:${grant.teamId}`,
      teamId: grant.teamId,
      isEnterpriseInstall: false,
      installation: null,
    });
    // Nothing token-like anywhere in the row as PostgreSQL holds it.
    const raw = await app.store.pool.query<{ row: string }>(
      'SELECT row_to_json(i)::text AS row FROM slack_installations i',
    );
    expect(raw.rows[0]!.row).toContain('"sealed_installation":"v1:');
    expect(raw.rows[0]!.row).not.toMatch(/xox[bpare]-/);
    expect(raw.rows[0]!.row).not.toContain(grant.botToken);
    // Sealed with the configured key, for this row only.
    const opened = JSON.parse(createSecretBox(KEY).open(rows[0]!.sealedInstallation!, rows[0]!.id)) as {
      bot?: { token?: string; userId?: string };
    };
    expect(opened.bot).toMatchObject({ token: grant.botToken, userId: grant.botUserId });

    const ev = appMentionEvent({
      user: 'U0ALICE001',
      channel: 'C0OPS00001',
      text: `<@${grant.botUserId}> list instances env=prod`,
    });
    const r = await postSigned(`${app.url}/slack/events`, signSlackRequest(SECRET, { json: eventCallback(ev) }));
    expect(r.status).toBe(200);
    await app.slack!.idle();
    const reply = fake.messages('C0OPS00001').find((m) => m.threadTs === ev.ts);
    expect(reply?.text).toMatch(/Instances env=prod/);
    expect(fake.callsTo('chat.postMessage').at(-1)?.token).toBe(grant.botToken);
  });

  const uninstall = signSlackRequest(SECRET, {
    json: eventCallback({ type: 'app_uninstalled', event_ts: '1700000000.000001' }, { eventId: 'Ev0UNINST001' }),
  });

  it('forgets the installation when the app is uninstalled', async () => {
    const r = await postSigned(`${app.url}/slack/events`, uninstall);
    expect(r.status).toBe(200);
    await app.slack!.idle();
    expect(await app.store.db.select().from(slackInstallations)).toHaveLength(0);
  });

  it('a replayed uninstall (same event id, sent again within the signature window) leaves a new installation alone', async () => {
    const { state, cookie } = await install();
    const res = await fetch(`${app.url}/slack/oauth_redirect?code=${grant.code}&state=${encodeURIComponent(state)}`, {
      headers: { cookie },
    });
    await res.text();
    expect(await app.store.db.select().from(slackInstallations)).toHaveLength(1);
    // Replayed as captured, and as Slack would retry it (re-signed later, same event id).
    const retried = signSlackRequest(
      SECRET,
      { json: JSON.parse(uninstall.body) as unknown },
      {
        timestamp: Number(uninstall.headers['x-slack-request-timestamp']) + 1,
        retryNum: 1,
      },
    );
    for (const again of [uninstall, retried]) {
      const r = await postSigned(`${app.url}/slack/events`, again);
      expect(r.status).toBe(200);
      await app.slack!.idle();
    }
    expect(await app.store.db.select().from(slackInstallations)).toHaveLength(1);
  });

  it('got an answer from the fake alone for every Web API method the bot called', () => {
    const methods = new Set(fake.calls.map((c) => c.method));
    expect(methods.size).toBeGreaterThan(2);
    expect(fake.calls.filter((c) => c.response.error === 'unknown_method').map((c) => c.method)).toEqual([]);
  });
});
