import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSlackFake, type DisconnectReason, type SlackFake } from '../fakes/slack-api.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { appMentionEvent, eventCallback } from '../helpers/slack-sign.ts';

/**
 * Socket Mode reconnection. Slack ends connections on its own schedule: a `disconnect` message
 * (`refresh_requested`, `warning`), sometimes followed by its own close, or a dropped TCP connection.
 * @slack/socket-mode then calls apps.connections.open again (the fake hands out single-use URLs, so
 * reusing the old one would fail) and connects anew; events keep flowing on the new connection, and
 * an envelope Slack redelivers there runs once (event id kept in the database).
 */
const APP_TOKEN = 'xapp-1-A0APP00001-test';
const CHANNEL = 'C0OPS00001';
// Also the SDK's wait before each reconnect (× consecutive failures): short keeps the tests fast,
// long enough that a busy machine does not miss a pong and reconnect on its own.
const PING_TIMEOUT_MS = 1_000;
// Each test waits through at least one reconnect; Jest's 5 s default is too close for a busy machine.
const TEST_TIMEOUT_MS = 30_000;
let fake: SlackFake;
let app: TestApp;
beforeAll(async () => {
  fake = await startSlackFake({
    appToken: APP_TOKEN,
    users: [{ id: 'U0DAVE0001', name: 'dave', displayName: 'Dave' }],
    channels: [{ id: CHANNEL, name: 'ops' }],
  });
  app = await startTestApp(
    { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: fake.url },
    { slack: { retryConfig: { retries: 0 }, socketClientPingTimeoutMs: PING_TIMEOUT_MS } },
  );
  await fake.socket.connected();
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await fake?.stop();
});

/** Fails with `what` instead of hanging until Jest's timeout when `p` never settles. */
const within = <T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)),
  );
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
};

const opens = (): number => fake.callsTo('apps.connections.open').filter((c) => c.response.ok === true).length;

let envelopes = 0;
/** Delivers an app_mention on the newest connection; resolves once acked and its work is done. */
const mention = async (
  text: string,
  opts: { eventId?: string; body?: Record<string, unknown>; retry?: number } = {},
) => {
  const ev = appMentionEvent({ user: 'U0DAVE0001', channel: CHANNEL, text: `<@${fake.botUserId}> ${text}` });
  const body = opts.body ?? eventCallback(ev, opts.eventId ? { eventId: opts.eventId } : {});
  const envelopeId = `env-rc-${++envelopes}`;
  const ack = await within(
    fake.socket.send({
      envelope_id: envelopeId,
      type: 'events_api',
      payload: body,
      accepts_response_payload: false,
      ...(opts.retry ? { retry_attempt: opts.retry, retry_reason: 'timeout' } : {}),
    }),
    `ack of ${envelopeId}`,
  );
  expect(ack.envelope_id).toBe(envelopeId);
  await app.slack!.idle();
  const threadTs = String((body.event as { ts: string }).ts);
  return { body, replies: () => fake.messages(CHANNEL).filter((m) => m.threadTs === threadTs) };
};

describe('Slack Socket Mode reconnection', () => {
  it.each<{ reason: DisconnectReason; close: boolean; how: string }>([
    { reason: 'refresh_requested', close: true, how: 'then sends its close frame' },
    { reason: 'warning', close: false, how: 'leaves the closing to the client' },
  ])(
    'after a disconnect message ($reason, Slack $how) opens a new connection and answers a mention that arrives on it',
    async ({ reason, close }) => {
      const before = { opens: opens(), connections: fake.socket.connections() };
      await within(fake.socket.disconnect(reason, { close }), 'the old connection to close');
      await within(fake.socket.connection(before.connections + 1), 'a new connection');
      expect(opens()).toBe(before.opens + 1);

      const { replies } = await mention('list instances env=prod');
      expect(replies()).toHaveLength(1);
      expect(replies()[0]?.text).toMatch(/Instances env=prod/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'runs an envelope that Slack redelivers on the new connection (same event id) once',
    async () => {
      const first = await mention('list instances env=dev', { eventId: 'Ev0RECONNECT1' });
      expect(first.replies()).toHaveLength(1);
      // As when that ack never reached Slack before the connection went: it redelivers the envelope on
      // the next connection (new envelope id, retry_attempt 1, same event id).
      const before = fake.socket.connections();
      await within(fake.socket.disconnect('refresh_requested', { close: true }), 'the old connection to close');
      await within(fake.socket.connection(before + 1), 'a new connection');

      await mention('list instances env=dev', { body: first.body, retry: 1 });
      expect(first.replies()).toHaveLength(1);
      // A new event on the same connection still runs: the dedup is per event id, not a stuck connection.
      const other = await mention('list instances env=staging', { eventId: 'Ev0RECONNECT2' });
      expect(other.replies()).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'reconnects when the TCP connection drops without a disconnect message or close frame',
    async () => {
      const before = { opens: opens(), connections: fake.socket.connections() };
      await within(fake.socket.drop(), 'the dropped connection to close');
      await within(fake.socket.connection(before.connections + 1), 'a new connection after the drop');
      expect(opens()).toBe(before.opens + 1);

      const { replies } = await mention('list instances env=prod');
      expect(replies()).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'keeps asking apps.connections.open when Slack answers 503 at reconnect time, although Web API calls are not retried here',
    async () => {
      // The bot's own calls run with `retries: 0` in this file; the reconnect must not inherit that.
      fake.failNext('apps.connections.open', { status: 503 });
      fake.failNext('apps.connections.open', { status: 503 });
      const before = { opens: opens(), connections: fake.socket.connections() };
      await within(fake.socket.disconnect('refresh_requested', { close: true }), 'the old connection to close');
      await within(fake.socket.connection(before.connections + 1), 'a new connection after two 503s');
      expect(
        fake
          .callsTo('apps.connections.open')
          .slice(-3)
          .map((c) => c.status),
      ).toEqual([503, 503, 200]);
      expect(opens()).toBe(before.opens + 1);

      const { replies } = await mention('list instances env=prod');
      expect(replies()).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it('opened exactly one new connection per reconnect, each from its own apps.connections.open', () => {
    // 1 at start + 2 disconnect messages + 1 in the redelivery test + 1 drop + 1 after the 503s.
    expect(fake.socket.connections()).toBe(6);
    expect(opens()).toBe(6);
    expect(fake.socket.openConnections()).toBe(1);
  });
});
