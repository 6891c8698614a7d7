import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from '../../src/store/orm.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createSecretBox } from '../../src/store/secret-box.ts';
import { createInstallationStore } from '../../src/surfaces/slack/store/installation-store.ts';
import { slackInstallations } from '../../src/surfaces/slack/store/schema.ts';
import { startSlackFake, type OAuthGrant, type SlackFake } from '../fakes/slack-api.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { appMentionEvent, eventCallback, postSigned, signSlackRequest } from '../helpers/slack-sign.ts';

/**
 * Installations at rest: sealed with TOKEN_ENCRYPTION_KEY. A row the key cannot open (key lost or
 * changed, row damaged) is a logged, named error and counts as not installed: requests get no
 * answer, outbound calls fail cleanly, the process keeps running, a reinstall repairs it. Rows an
 * earlier version stored in clear are sealed when read and at start-up.
 */
const SECRET = 'sealed-signing-secret-0123456789';
const KEY = Buffer.alloc(32, 7).toString('base64');
const LOST_KEY = Buffer.alloc(32, 8).toString('base64');
const TEAM = 'T0FAKE0001';
const OPS = 'C0OPS00001';
const ROW = `team:${TEAM}`;
const grant: OAuthGrant = {
  clientId: '1111.2222',
  clientSecret: 'client-secret',
  code: 'code-from-slack',
  teamId: TEAM,
  teamName: 'Fake Team',
  botToken: 'xoxb-sealed-token',
  botUserId: 'U0BOT00001',
  appId: 'A0APP00001',
  scope: 'app_mentions:read,chat:write,commands',
  installerUserId: 'U0ALICE001',
};

const lines: string[] = [];
const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
let fake: SlackFake;
let app: TestApp;
beforeAll(async () => {
  fake = await startSlackFake({
    tokens: [grant.botToken],
    oauth: grant,
    users: [{ id: 'U0ALICE001', name: 'alice' }],
    channels: [{ id: OPS, name: 'ops' }],
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
    {
      slack: { retryConfig: { retries: 0 } },
      logger: createLogger(
        'info',
        new Writable({
          write: (chunk: Buffer, _e, cb) => {
            lines.push(chunk.toString());
            cb();
          },
        }),
      ),
    },
  );
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await fake?.stop();
});

const install = async () => {
  const res = await fetch(`${app.url}/slack/install`, { redirect: 'manual' });
  const state = new URL(res.headers.get('location')!).searchParams.get('state')!;
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const cb = await fetch(`${app.url}/slack/oauth_redirect?code=${grant.code}&state=${encodeURIComponent(state)}`, {
    headers: { cookie },
  });
  await cb.text();
  expect(cb.status).toBe(200);
};

/** Mentions the bot; returns its answer in the thread, if any. */
const ask = async (text = 'list instances env=prod') => {
  const ev = appMentionEvent({ user: 'U0ALICE001', channel: OPS, text: `<@${grant.botUserId}> ${text}` });
  const r = await postSigned(`${app.url}/slack/events`, signSlackRequest(SECRET, { json: eventCallback(ev) }));
  await r.text();
  expect(r.status).toBe(200);
  await app.slack!.idle();
  return fake.messages(OPS).find((m) => m.threadTs === ev.ts);
};

const row = async () =>
  (await app.store.db.select().from(slackInstallations).where(eq(slackInstallations.id, ROW)))[0]!;
const plaintextOf = async () =>
  JSON.parse(createSecretBox(KEY).open((await row()).sealedInstallation!, ROW)) as Record<string, unknown>;

describe('Slack installations sealed at rest', () => {
  it('stores the installation sealed and answers with the token inside it', async () => {
    await install();
    const raw = await app.store.pool.query<{ row: string }>(
      'SELECT row_to_json(i)::text AS row FROM slack_installations i',
    );
    expect(raw.rows).toHaveLength(1);
    expect(raw.rows[0]!.row).not.toContain('xoxb-');
    expect((await ask())?.text).toMatch(/Instances env=prod/);
  });

  it('treats a row the key cannot open as not installed: a named error, no answer, no crash; outbound calls fail cleanly', async () => {
    // As if the deployment lost its key: the row was sealed with another one.
    const installation = await plaintextOf();
    await app.store.db
      .update(slackInstallations)
      .set({ sealedInstallation: createSecretBox(LOST_KEY).seal(JSON.stringify(installation), ROW) })
      .where(eq(slackInstallations.id, ROW));
    const posted = fake.callsTo('chat.postMessage').length;
    lines.length = 0;

    expect(await ask()).toBeUndefined();
    expect(fake.callsTo('chat.postMessage')).toHaveLength(posted);
    const error = logged().find((l) => l.installation === ROW);
    expect(error).toMatchObject({ level: 50, teamId: TEAM });
    expect(String(error?.msg)).toMatch(
      /Slack installation team:T0FAKE0001 cannot be decrypted with TOKEN_ENCRYPTION_KEY: reinstall the app there .* or restore TOKEN_ENCRYPTION_KEY/,
    );
    expect(lines.join('')).not.toContain(grant.botToken);

    await expect(
      app.slack!.surface.post({ surface: 'slack', workspaceId: TEAM, channelId: OPS }, { text: 'hello', blocks: [] }),
    ).rejects.toThrow(/cannot be decrypted/);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('reports such rows at start-up (prepare), naming them', async () => {
    const sink: string[] = [];
    const store = createInstallationStore(app.store.db, {
      box: createSecretBox(KEY),
      logger: createLogger(
        'info',
        new Writable({
          write: (c: Buffer, _e, cb) => {
            sink.push(c.toString());
            cb();
          },
        }),
      ),
    });
    await store.prepare();
    const error = sink.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 50);
    expect(error).toMatchObject({ installations: [ROW] });
    expect(String(error?.msg)).toMatch(
      /1 Slack installation\(s\) cannot be decrypted with TOKEN_ENCRYPTION_KEY .*restore TOKEN_ENCRYPTION_KEY/,
    );
  });

  it('a reinstall replaces the unreadable row and the bot answers again', async () => {
    await install();
    expect((await ask())?.text).toMatch(/Instances env=prod/);
  });

  it('seals a row stored in clear by an earlier version when it is read', async () => {
    const installation = await plaintextOf();
    await app.store.db
      .update(slackInstallations)
      .set({ installation, sealedInstallation: null })
      .where(eq(slackInstallations.id, ROW));
    expect((await ask())?.text).toMatch(/Instances env=prod/);
    const after = await row();
    expect(after.installation).toBeNull();
    expect(after.sealedInstallation).toMatch(/^v1:/);
    expect(await plaintextOf()).toEqual(installation);
  });

  it('seals every row stored in clear at start-up (prepare)', async () => {
    const installation = { ...(await plaintextOf()), team: { id: 'T0LEGACY02', name: 'Legacy' } };
    await app.store.db.insert(slackInstallations).values({ id: 'team:T0LEGACY02', teamId: 'T0LEGACY02', installation });
    await createInstallationStore(app.store.db, {
      box: createSecretBox(KEY),
      logger: createLogger('silent'),
    }).prepare();
    const raw = await app.store.pool.query<{ row: string }>(
      'SELECT row_to_json(i)::text AS row FROM slack_installations i',
    );
    expect(raw.rows).toHaveLength(2);
    for (const r of raw.rows) expect(r.row).not.toContain('xoxb-');
    const legacy = (
      await app.store.db.select().from(slackInstallations).where(eq(slackInstallations.id, 'team:T0LEGACY02'))
    )[0]!;
    expect(JSON.parse(createSecretBox(KEY).open(legacy.sealedInstallation!, legacy.id))).toEqual(installation);
  });
});
