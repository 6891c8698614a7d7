import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSlackFake, type SlackFake } from '../fakes/slack-api.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { appMentionEvent, blockActionsPayload, eventCallback } from '../helpers/slack-sign.ts';

/**
 * Socket Mode (SLACK_APP_TOKEN): the app opens apps.connections.open, connects to the returned
 * WebSocket (a loopback one here), acks envelopes on it and answers through the Web API as in
 * HTTP mode. No /slack/events route is mounted.
 */
const APP_TOKEN = 'xapp-1-A0APP00001-test';
let fake: SlackFake;
let app: TestApp;
beforeAll(async () => {
  fake = await startSlackFake({
    appToken: APP_TOKEN,
    users: [{ id: 'U0DAVE0001', name: 'dave', displayName: 'Dave' }],
    channels: [{ id: 'C0OPS00001', name: 'ops' }],
  });
  app = await startTestApp(
    { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: fake.url },
    { slack: { retryConfig: { retries: 0 } } },
  );
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await fake?.stop();
});

describe('Slack Socket Mode', () => {
  it('is connected once the app has started, and mounts no HTTP endpoint for events', async () => {
    await fake.socket.connected();
    expect(app.slack?.mode).toBe('socket');
    const res = await fetch(`${app.url}/slack/events`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });

  it('acks an events_api envelope and answers the mention in its thread', async () => {
    const ev = appMentionEvent({
      user: 'U0DAVE0001',
      channel: 'C0OPS00001',
      text: `<@${fake.botUserId}> list instances env=prod`,
    });
    const ack = await fake.socket.send({
      envelope_id: 'env-0001',
      type: 'events_api',
      payload: eventCallback(ev),
      accepts_response_payload: false,
    });
    expect(ack.envelope_id).toBe('env-0001');
    await app.slack!.idle();
    const reply = fake.messages('C0OPS00001').find((m) => m.threadTs === ev.ts);
    expect(reply?.text).toMatch(/Instances env=prod/);
  });

  it('runs a redelivered envelope (same event_id) once', async () => {
    const ev = appMentionEvent({
      user: 'U0DAVE0001',
      channel: 'C0OPS00001',
      text: `<@${fake.botUserId}> list instances env=dev`,
    });
    const body = eventCallback(ev, { eventId: 'Ev0SOCKET001' });
    await fake.socket.send({
      envelope_id: 'env-0002',
      type: 'events_api',
      payload: body,
      accepts_response_payload: false,
    });
    await fake.socket.send({
      envelope_id: 'env-0003',
      type: 'events_api',
      payload: body,
      accepts_response_payload: false,
      retry_attempt: 1,
      retry_reason: 'timeout',
    });
    await app.slack!.idle();
    expect(fake.messages('C0OPS00001').filter((m) => m.threadTs === ev.ts)).toHaveLength(1);
  });

  it('acks an interactive envelope (a button click) and answers privately', async () => {
    const payload = blockActionsPayload({
      userId: 'U0DAVE0001',
      channelId: 'C0OPS00001',
      messageTs: '1700000000.000001',
      actionId: 'change.approve',
      value: 'CR-999',
      responseUrl: fake.responseUrl({ channel: 'C0OPS00001' }),
    });
    const ack = await fake.socket.send({
      envelope_id: 'env-0004',
      type: 'interactive',
      payload,
      accepts_response_payload: true,
    });
    expect(ack.envelope_id).toBe('env-0004');
    await app.slack!.idle();
    expect(fake.ephemerals('C0OPS00001').at(-1)?.text).toMatch(/no change request CR-999/);
  });

  it('got an answer from the fake alone for every Web API method the bot called', () => {
    const methods = new Set(fake.calls.map((c) => c.method));
    expect(methods.size).toBeGreaterThan(2);
    expect(fake.calls.filter((c) => c.response.error === 'unknown_method').map((c) => c.method)).toEqual([]);
  });
});
