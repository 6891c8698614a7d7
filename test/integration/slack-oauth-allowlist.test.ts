import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { slackInstallations } from '../../src/surfaces/slack/store/schema.ts';
import { startSlackFake, type OAuthGrant, type SlackFake } from '../fakes/slack-api.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** SLACK_ALLOWED_TEAMS: an install from any other workspace is refused before anything is stored. */
const grant: OAuthGrant = {
  clientId: '1111.2222',
  clientSecret: 'client-secret',
  code: 'code-from-slack',
  teamId: 'T0STRANGER',
  teamName: 'Someone Else',
  botToken: 'xoxb-stranger-token',
  botUserId: 'U0BOT00001',
  appId: 'A0APP00001',
  scope: 'chat:write',
  installerUserId: 'U0EVE00001',
};

let fake: SlackFake;
let app: TestApp;
beforeAll(async () => {
  fake = await startSlackFake({ tokens: [grant.botToken], oauth: grant });
  app = await startTestApp(
    {
      SLACK_CLIENT_ID: grant.clientId,
      SLACK_CLIENT_SECRET: grant.clientSecret,
      SLACK_STATE_SECRET: 'state-secret-0123456789',
      SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
      SLACK_API_URL: fake.url,
      SLACK_ALLOWED_TEAMS: 'T0OURTEAM1',
      TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    },
    { slack: { retryConfig: { retries: 0 } } },
  );
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await fake?.stop();
});

it('refuses an install from a workspace not in SLACK_ALLOWED_TEAMS and stores nothing', async () => {
  const start = await fetch(`${app.url}/slack/install`, { redirect: 'manual' });
  const state = new URL(start.headers.get('location') ?? 'http://invalid/').searchParams.get('state') ?? '';
  const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0]!;
  const res = await fetch(`${app.url}/slack/oauth_redirect?code=${grant.code}&state=${encodeURIComponent(state)}`, {
    headers: { cookie },
  });
  expect(res.status).toBe(403);
  expect(await res.text()).toMatch(/does not accept installs from workspace T0STRANGER/);
  expect(await app.store.db.select().from(slackInstallations)).toHaveLength(0);
});
