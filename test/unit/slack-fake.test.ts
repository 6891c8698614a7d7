/**
 * The Slack wire fake, driven by the real @slack/web-api client (through Bolt's re-export) so its
 * answers are proven against the SDK's own parser. Assertions read the fake's state.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { webApi } from '@slack/bolt';
import { renderBlockKit } from '../../src/surfaces/slack/render.ts';
import { renderPart } from '../../src/surfaces/slack/show-more.ts';
import { startSlackFake, type SlackFake } from '../fakes/slack-api.ts';

const TOKEN = 'xoxb-test-token';
const noop = (): void => undefined;
/** Rejections are the point of several tests here; the SDK would log each one. */
const silent = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  setLevel: noop,
  getLevel: () => webApi.LogLevel.ERROR,
  setName: noop,
};
let fake: SlackFake;
const client = (opts: { token?: string; retries?: number } = {}) =>
  new webApi.WebClient(opts.token ?? TOKEN, {
    slackApiUrl: fake.url,
    retryConfig: { retries: opts.retries ?? 0, minTimeout: 0, maxTimeout: 0 },
    logger: silent,
  });

/** The platform error code of a rejected call (`data.error`), or 'resolved'. */
const errorOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: { data?: { error?: string } }) => e.data?.error ?? String(e),
  );

beforeEach(async () => {
  fake = await startSlackFake({
    users: [{ id: 'U0ALICE001', name: 'alice', realName: 'Alice Smith', email: 'alice@example.com' }],
    channels: [
      { id: 'C0OPS00001', name: 'ops' },
      { id: 'C0SECRET01', name: 'secret', isPrivate: true, member: false },
    ],
  });
});
afterEach(async () => {
  await fake.stop();
});

describe('Slack fake', () => {
  it('takes an upload the SDK makes with filesUploadV2 and shares it in the thread', async () => {
    const { ts } = await client().chat.postMessage({ channel: 'C0OPS00001', text: 'digest' });
    await client().filesUploadV2({
      channel_id: 'C0OPS00001',
      thread_ts: ts!,
      file_uploads: [{ file: Buffer.from('a,b\r\n1,2\r\n'), filename: 'r.csv', title: 'Report' }],
    });
    expect(fake.files('C0OPS00001')).toEqual([
      expect.objectContaining({ name: 'r.csv', title: 'Report', threadTs: ts, bytes: Buffer.from('a,b\r\n1,2\r\n') }),
    ]);
    expect(fake.callsTo('upload')).toHaveLength(1);
  });

  it('refuses an upload of another length than announced, and completing a file never uploaded', async () => {
    const { upload_url, file_id } = await client().files.getUploadURLExternal({ filename: 'x.txt', length: 3 });
    expect((await fetch(upload_url!, { method: 'POST', body: 'abcd' })).status).toBe(400);
    expect(
      await errorOf(client().files.completeUploadExternal({ files: [{ id: file_id! }], channel_id: 'C0OPS00001' })),
    ).toBe('file_not_found');
    expect((await fetch(upload_url!, { method: 'POST', body: 'abc' })).status).toBe(200);
    expect(
      await errorOf(client().files.completeUploadExternal({ files: [{ id: file_id! }], channel_id: 'C0NOPE0000' })),
    ).toBe('channel_not_found');
    expect(fake.files('C0OPS00001')).toEqual([]);
  });

  it('answers auth.test with the bot identity Bolt reads', async () => {
    const r = await client().auth.test();
    expect(r).toMatchObject({ ok: true, user_id: 'U0BOT00001', bot_id: 'B0BOT00001', team_id: 'T0FAKE0001' });
  });

  it('checks the bearer token', async () => {
    expect(await errorOf(client({ token: 'xoxb-wrong' }).auth.test())).toBe('invalid_auth');
    expect(fake.calls).toMatchObject([
      { method: 'auth.test', token: 'xoxb-wrong', response: { ok: false, error: 'invalid_auth' } },
    ]);
  });

  it('stores posted messages and edits them in place on chat.update', async () => {
    const c = client();
    const reply = renderBlockKit({
      text: 'CR-1 pending',
      blocks: [
        { type: 'header', text: 'CR-1' },
        { type: 'actions', buttons: [{ actionId: 'change.approve', label: 'Approve', value: 'CR-1' }] },
      ],
    });
    const posted = await c.chat.postMessage({ channel: 'C0OPS00001', ...reply });
    expect(posted).toMatchObject({ ok: true, channel: 'C0OPS00001', ts: '1700000000.000001' });
    const inThread = await c.chat.postMessage({ channel: 'C0OPS00001', thread_ts: posted.ts, text: 'details' });
    expect(inThread.ts).toBe('1700000000.000002');

    const decided = renderBlockKit({
      text: 'CR-1 approved by Alice',
      blocks: [{ type: 'header', text: 'CR-1 approved' }],
    });
    await c.chat.update({ channel: 'C0OPS00001', ts: posted.ts ?? '', ...decided });

    const [card, detail] = fake.messages('C0OPS00001');
    expect(card).toMatchObject({
      ts: posted.ts,
      text: 'CR-1 approved by Alice',
      blocks: decided.blocks,
      edited: { user: 'U0BOT00001' },
    });
    expect(detail).toMatchObject({ threadTs: posted.ts, text: 'details' });
    // Objects travel JSON-encoded inside the form, as the SDK sends them.
    expect(fake.callsTo('chat.postMessage')[0]).toMatchObject({ encoding: 'form', args: { blocks: reply.blocks } });
  });

  it('answers channel_not_found, not_in_channel and message_not_found', async () => {
    const c = client();
    expect(await errorOf(c.chat.postMessage({ channel: 'C0NOPE0001', text: 'x' }))).toBe('channel_not_found');
    expect(await errorOf(c.chat.postMessage({ channel: 'C0SECRET01', text: 'x' }))).toBe('not_in_channel');
    expect(await errorOf(c.chat.update({ channel: 'C0OPS00001', ts: '1.2', text: 'x' }))).toBe('message_not_found');
    expect(fake.messages('C0OPS00001')).toEqual([]);
  });

  it.each([
    ['51 blocks', Array.from({ length: 51 }, () => ({ type: 'divider' }))],
    ['a 3001-character section', [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }]],
    ['11 fields', [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }]],
    [
      '26 buttons',
      [
        {
          type: 'actions',
          elements: Array.from({ length: 26 }, (_, i) => ({
            type: 'button',
            text: { type: 'plain_text', text: 'b' },
            action_id: `a${i}`,
          })),
        },
      ],
    ],
    [
      'a repeated action_id',
      [1, 2].map(() => ({
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'b' }, action_id: 'same' }],
      })),
    ],
    ['a 151-character header', [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }]],
  ])('rejects %s with invalid_blocks and stores nothing', async (_name, blocks) => {
    const err = await client()
      .chat.postMessage({ channel: 'C0OPS00001', text: 't', blocks })
      .catch((e: { data: { error: string; response_metadata?: { messages?: string[] } } }) => e.data);
    expect(err).toMatchObject({
      error: 'invalid_blocks',
      response_metadata: { messages: [expect.stringMatching(/^\[ERROR\] .+ \[json-pointer:\/blocks/)] },
    });
    expect(fake.messages('C0OPS00001')).toEqual([]);
  });

  it("rejects blocks whose total text passes Slack's cumulative limit", async () => {
    const blocks = Array.from({ length: 5 }, () => ({
      type: 'section',
      text: { type: 'mrkdwn', text: 'x'.repeat(2900) },
    }));
    expect(await errorOf(client().chat.postMessage({ channel: 'C0OPS00001', text: 't', blocks }))).toBe(
      'msg_blocks_too_long',
    );
  });

  it("accepts the renderer's output for a 40 KB answer", async () => {
    const reply = renderPart({
      text: 'long',
      messageId: '1',
      blocks: [{ type: 'text', text: 'lorem ipsum & <dolor> '.repeat(2000) }],
    });
    expect(reply.nextUnit).toBeDefined();
    await client().chat.postMessage({ channel: 'C0OPS00001', text: reply.text, blocks: reply.blocks });
    expect(fake.messages('C0OPS00001')).toHaveLength(1);
  });

  it('answers 429 with Retry-After once, and the client retries into a stored message', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const r = await client({ retries: 1 }).chat.postMessage({ channel: 'C0OPS00001', text: 'after the wait' });
    expect(r.ok).toBe(true);
    expect(fake.callsTo('chat.postMessage').map((c) => [c.status, c.response.error ?? 'ok'])).toEqual([
      [429, 'ratelimited'],
      [200, 'ok'],
    ]);
    expect(fake.messages('C0OPS00001').map((m) => m.text)).toEqual(['after the wait']);
  });

  it('injects a platform error for the next call only', async () => {
    fake.failNext('chat.update', { error: 'cant_update_message' });
    const c = client();
    const { ts } = await c.chat.postMessage({ channel: 'C0OPS00001', text: 'v1' });
    expect(await errorOf(c.chat.update({ channel: 'C0OPS00001', ts: ts ?? '', text: 'v2' }))).toBe(
      'cant_update_message',
    );
    await c.chat.update({ channel: 'C0OPS00001', ts: ts ?? '', text: 'v3' });
    expect(fake.messages('C0OPS00001').map((m) => m.text)).toEqual(['v3']);
  });

  it('serves seeded users, channel info, DMs and ephemerals', async () => {
    const c = client();
    expect((await c.users.info({ user: 'U0ALICE001' })).user).toMatchObject({
      id: 'U0ALICE001',
      real_name: 'Alice Smith',
      profile: { email: 'alice@example.com' },
    });
    expect(await errorOf(c.users.info({ user: 'U0NOBODY01' }))).toBe('user_not_found');
    expect((await c.conversations.info({ channel: 'C0SECRET01' })).channel).toMatchObject({
      name: 'secret',
      is_private: true,
      is_member: false,
    });
    const dm = await c.chat.postMessage({ channel: 'U0ALICE001', text: 'your change ran' });
    expect(dm.channel).toBe('D0ALICE001');
    expect(fake.messages('D0ALICE001').map((m) => m.text)).toEqual(['your change ran']);
    await c.chat.postEphemeral({ channel: 'C0OPS00001', user: 'U0ALICE001', text: 'only you' });
    expect(fake.ephemerals('C0OPS00001')).toMatchObject([{ user: 'U0ALICE001', text: 'only you' }]);
  });

  it('opens modals and publishes Home tabs, validating views', async () => {
    const c = client();
    const view = {
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: 'Reject CR-1' },
      callback_id: 'change.reject',
      blocks: [],
    };
    const opened = await c.views.open({ trigger_id: '1.2.abc', view });
    expect(opened.view).toMatchObject({ callback_id: 'change.reject', type: 'modal' });
    expect(fake.openedViews).toHaveLength(1);
    const tooLong = { ...view, title: { type: 'plain_text' as const, text: 'a title longer than 24 chars' } };
    expect(await errorOf(c.views.open({ trigger_id: '1.2.abc', view: tooLong }))).toBe('invalid_arguments');
    await c.views.publish({
      user_id: 'U0ALICE001',
      view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*2* pending approvals' } }] },
    });
    expect(fake.homeView('U0ALICE001')).toMatchObject({ type: 'home', blocks: [{ type: 'section' }] });
  });

  it('applies response_url posts to the message they belong to', async () => {
    const { ts } = await client().chat.postMessage({ channel: 'C0OPS00001', text: 'card' });
    const url = fake.responseUrl({ channel: 'C0OPS00001', ts: ts ?? '', user: 'U0ALICE001' });
    const post = (body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ replace_original: true, text: 'approved' })).status).toBe(200);
    expect((await post({ text: 'just for you' })).status).toBe(200);
    expect((await post({ response_type: 'in_channel', text: 'for all' })).status).toBe(200);
    expect(fake.messages('C0OPS00001').map((m) => m.text)).toEqual(['approved', 'for all']);
    expect(fake.ephemerals('C0OPS00001')).toMatchObject([{ user: 'U0ALICE001', text: 'just for you' }]);
    expect(fake.callsTo('response_url')).toHaveLength(3);
  });

  it('speaks the app-level methods itself: oauth.v2.access and apps.connections.open', async () => {
    const grant = {
      clientId: '1.2',
      clientSecret: 's3cret',
      code: 'c0de',
      teamId: 'T0NEW00001',
      teamName: 'New',
      botToken: 'xoxb-new',
      botUserId: 'U0BOT00002',
      appId: 'A0APP00001',
      scope: 'chat:write',
      installerUserId: 'U0ALICE001',
    };
    const app = await startSlackFake({ oauth: grant, appToken: 'xapp-1-test' });
    try {
      const anon = new webApi.WebClient(undefined, {
        slackApiUrl: app.url,
        retryConfig: { retries: 0 },
        logger: silent,
      });
      const ok = await anon.oauth.v2.access({ client_id: '1.2', client_secret: 's3cret', code: 'c0de' });
      expect(ok).toMatchObject({
        ok: true,
        access_token: 'xoxb-new',
        team: { id: 'T0NEW00001' },
        bot_user_id: 'U0BOT00002',
      });
      expect(await errorOf(anon.oauth.v2.access({ client_id: '1.2', client_secret: 'wrong', code: 'c0de' }))).toBe(
        'invalid_client_id',
      );
      expect(await errorOf(anon.oauth.v2.access({ client_id: '1.2', client_secret: 's3cret', code: 'old' }))).toBe(
        'invalid_code',
      );
      const open = await new webApi.WebClient('xapp-1-test', {
        slackApiUrl: app.url,
        retryConfig: { retries: 0 },
        logger: silent,
      }).apps.connections.open();
      // Like Slack's wss://wss-primary.slack.com/link/?ticket=…&app_id=…: one URL per connection.
      expect(open.url).toMatch(
        new RegExp(`^${app.origin.replace('http:', 'ws:')}/socket\\?ticket=[0-9a-f-]{36}&app_id=A\\w+$`),
      );
      expect(
        await errorOf(
          new webApi.WebClient('xapp-1-other', {
            slackApiUrl: app.url,
            retryConfig: { retries: 0 },
            logger: silent,
          }).apps.connections.open(),
        ),
      ).toBe('invalid_auth');
      expect(
        await errorOf(
          new webApi.WebClient(TOKEN, {
            slackApiUrl: app.url,
            retryConfig: { retries: 0 },
            logger: silent,
          }).apps.connections.open(),
        ),
      ).toBe('not_allowed_token_type');
      expect(app.callsTo('oauth.v2.access')).toHaveLength(3);
    } finally {
      await app.stop();
    }
  });
});
