/**
 * The signing helper and payload builders, checked against Bolt itself: requests signed here pass
 * Bolt's verifier and HTTPReceiver, and the handlers' replies land in the Slack fake.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { App, HTTPReceiver, LogLevel, verifySlackRequest } from '@slack/bolt';
import { startSlackFake, type SlackFake } from '../fakes/slack-api.ts';
import {
  appMentionEvent,
  blockActionsPayload,
  eventCallback,
  interactivityForm,
  postSigned,
  signSlackRequest,
  slashCommandForm,
  urlVerification,
  viewSubmissionPayload,
} from '../helpers/slack-sign.ts';

const SECRET = 'test-signing-secret';

describe('signSlackRequest', () => {
  const verify = (req: ReturnType<typeof signSlackRequest>, secret: string, nowMs: number): void =>
    verifySlackRequest({
      signingSecret: secret,
      body: req.body,
      headers: {
        'x-slack-signature': req.headers['x-slack-signature'] ?? '',
        'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
      },
      nowMilliseconds: nowMs,
    });

  it('produces signatures Bolt accepts, and only for the right secret and a fresh timestamp', () => {
    const req = signSlackRequest(
      SECRET,
      { json: eventCallback(appMentionEvent({ user: 'U1', channel: 'C1', text: 'hi' })) },
      { timestamp: 1_700_000_000 },
    );
    expect(req.headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(() => verify(req, SECRET, 1_700_000_000_000)).not.toThrow();
    expect(() => verify(req, 'other-secret', 1_700_000_000_000)).toThrow(/signature mismatch/);
    expect(() => verify(req, SECRET, 1_700_000_000_000 + 6 * 60_000)).toThrow(/stale/);
  });
});

describe('Bolt over the fake, driven by signed requests', () => {
  let fake: SlackFake;
  let server: Server;
  let url: string;
  let app: InstanceType<typeof App>;

  beforeEach(async () => {
    fake = await startSlackFake({
      users: [{ id: 'U0ALICE001', name: 'alice' }],
      channels: [{ id: 'C0OPS00001', name: 'ops' }],
    });
    const receiver = new HTTPReceiver({
      signingSecret: SECRET,
      endpoints: ['/slack/events'],
      logLevel: LogLevel.ERROR,
    });
    app = new App({
      token: 'xoxb-test-token',
      receiver,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
    });
    server = createServer((req, res) => receiver.requestListener(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await fake.stop();
  });

  /** Resolves when a handler calls `done`, so tests wait for the handler, not for time. */
  const handled = (): { done: () => void; wait: Promise<void> } => {
    let done!: () => void;
    const wait = new Promise<void>((resolve) => (done = resolve));
    return { done, wait };
  };

  it('answers url_verification', async () => {
    const res = await postSigned(url, signSlackRequest(SECRET, { json: urlVerification('abc') }));
    expect(await res.json()).toEqual({ challenge: 'abc' });
  });

  it('rejects a request signed with another secret', async () => {
    const res = await postSigned(url, signSlackRequest('wrong', { json: urlVerification('abc') }));
    expect(res.status).toBe(401);
  });

  it('delivers an app_mention whose reply lands in the thread', async () => {
    const h = handled();
    app.event('app_mention', async ({ event, say }) => {
      await say({ text: `you said: ${event.text}`, thread_ts: event.ts });
      h.done();
    });
    const event = appMentionEvent({
      user: 'U0ALICE001',
      channel: 'C0OPS00001',
      text: '<@U0BOT00001> list instances',
      ts: '1699999999.000100',
    });
    expect((await postSigned(url, signSlackRequest(SECRET, { json: eventCallback(event) }))).status).toBe(200);
    await h.wait;
    expect(fake.messages('C0OPS00001')).toMatchObject([
      { text: 'you said: <@U0BOT00001> list instances', threadTs: '1699999999.000100' },
    ]);
  });

  it('delivers /devops with a response_url the handler can answer through', async () => {
    const h = handled();
    app.command('/devops', async ({ command, ack, respond }) => {
      await ack();
      await respond({ response_type: 'in_channel', text: `running: ${command.text}` });
      h.done();
    });
    const form = slashCommandForm({
      text: 'list instances',
      userId: 'U0ALICE001',
      channelId: 'C0OPS00001',
      responseUrl: fake.responseUrl({ channel: 'C0OPS00001', user: 'U0ALICE001' }),
    });
    expect((await postSigned(url, signSlackRequest(SECRET, { form }))).status).toBe(200);
    await h.wait;
    expect(fake.messages('C0OPS00001').map((m) => m.text)).toEqual(['running: list instances']);
  });

  it('delivers a button click that replaces the card it came from', async () => {
    const { ts } = await app.client.chat.postMessage({ channel: 'C0OPS00001', text: 'CR-1 pending' });
    const h = handled();
    app.action('change.approve', async ({ ack, body, respond, action }) => {
      await ack();
      const value = action.type === 'button' ? action.value : '';
      await respond({ replace_original: true, text: `${value} approved by ${body.user.id}` });
      h.done();
    });
    const payload = blockActionsPayload({
      userId: 'U0ALICE001',
      channelId: 'C0OPS00001',
      messageTs: ts ?? '',
      actionId: 'change.approve',
      value: 'CR-1',
      responseUrl: fake.responseUrl({ channel: 'C0OPS00001', ts: ts ?? '', user: 'U0ALICE001' }),
    });
    expect((await postSigned(url, signSlackRequest(SECRET, { form: interactivityForm(payload) }))).status).toBe(200);
    await h.wait;
    expect(fake.messages('C0OPS00001').map((m) => m.text)).toEqual(['CR-1 approved by U0ALICE001']);
  });

  it('delivers a modal submission with its typed values', async () => {
    const h = handled();
    let reason = '';
    app.view('change.reject', async ({ ack, view }) => {
      await ack();
      reason = view.state.values.reason?.text?.value ?? '';
      h.done();
    });
    const payload = viewSubmissionPayload({
      userId: 'U0ALICE001',
      callbackId: 'change.reject',
      privateMetadata: 'CR-1',
      values: { reason: { text: 'not during the freeze' } },
    });
    expect((await postSigned(url, signSlackRequest(SECRET, { form: interactivityForm(payload) }))).status).toBe(200);
    await h.wait;
    expect(reason).toBe('not during the freeze');
  });
});
