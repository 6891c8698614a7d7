import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { RoutingWebhook } from '../../src/incidents/routing/config.ts';
import type { IncidentNotice } from '../../src/incidents/routing/notice.ts';
import {
  createWebhookSender,
  groupedWebhookBody,
  signatureHeader,
  verifyOutgoingSignature,
  webhookBody,
  WebhookDeliveryError,
  type WebhookSender,
} from '../../src/incidents/routing/webhooks.ts';
import { startWebhookReceiver, type FakeWebhookReceiver } from '../fakes/webhook-receiver.ts';

// Outgoing webhooks over loopback HTTP to a receiver that verifies the HMAC: the versioned body,
// the signature and event id, retries with backoff on 5xx/429/timeouts, none on 4xx.

const secret = 'whsec-0123456789abcdef-0123456789';
const clock = new Date('2026-12-03T10:00:00Z');
const now = (): Date => clock;
let receiver: FakeWebhookReceiver;
let hook: RoutingWebhook;
let waits: number[];
let sender: WebhookSender;

const notice: IncidentNotice = {
  event: {
    workspaceId: 'T1',
    incidentId: 7,
    kind: 'triggered',
    incident: {
      number: 42,
      title: 'High error rate',
      service: 'checkout-api',
      urgency: 'high',
      status: 'triggered',
      htmlUrl: 'https://acme.pagerduty.com/incidents/Q1ABC',
    },
    facts: ['F1', 'F2', 'F3', 'F4', 'F5', 'F6'],
  },
  occurredAt: clock,
  repeats: 2,
};

const failure = async (p: Promise<unknown>): Promise<WebhookDeliveryError> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WebhookDeliveryError);
    return e as WebhookDeliveryError;
  }
  throw new WebhookDeliveryError('expected the delivery to fail', 0);
};

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret, now });
  hook = { name: 'ops-bus', url: receiver.url, secret };
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.received.length = 0;
  receiver.script();
  waits = [];
  sender = createWebhookSender({
    now,
    backoffMs: 1_000,
    maxDelayMs: 30_000,
    retries: 3,
    timeoutMs: 2_000,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
});

describe('outgoing incident webhooks', () => {
  it('POST a signed, versioned body the receiver verifies', async () => {
    const body = webhookBody('evt-1', notice);
    expect(await sender.send(hook, body)).toEqual({ attempts: 1, status: 200 });
    expect(receiver.received).toHaveLength(1);
    const r = receiver.received[0]!;
    expect(r.verified).toBe(true);
    expect(r.eventId).toBe('evt-1');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-devops-agent-signature']).toMatch(/^t=1796292000,v1=[0-9a-f]{64}$/);
    expect(r.body).toEqual({
      version: 1,
      id: 'evt-1',
      type: 'incident.triggered',
      occurredAt: '2026-12-03T10:00:00.000Z',
      incident: {
        id: 7,
        workspaceId: 'T1',
        number: 42,
        title: 'High error rate',
        service: 'checkout-api',
        urgency: 'high',
        status: 'triggered',
        url: 'https://acme.pagerduty.com/incidents/Q1ABC',
      },
      facts: ['F1', 'F2', 'F3', 'F4', 'F5'],
      repeats: 2,
    });
  });

  it('a receiver with another secret refuses it (401), not retried', async () => {
    const e = await failure(
      sender.send({ ...hook, secret: 'another-secret-0123456789' }, webhookBody('evt-2', notice)),
    );
    expect(e.status).toBe(401);
    expect(e.attempts).toBe(1);
    expect(e.userMessage).toContain('webhook ops-bus answered 401: the signature does not match the body');
    expect(receiver.received[0]!.verified).toBe(false);
  });

  it('retries 503 with exponential backoff, the same event id each time, then succeeds', async () => {
    receiver.script({ status: 503 }, { status: 503 });
    expect(await sender.send(hook, webhookBody('evt-3', notice))).toEqual({ attempts: 3, status: 200 });
    expect(waits).toEqual([1_000, 2_000]);
    expect(receiver.received.map((r) => [r.status, r.eventId, r.verified])).toEqual([
      [503, 'evt-3', true],
      [503, 'evt-3', true],
      [200, 'evt-3', true],
    ]);
  });

  it('honours Retry-After on 429, up to the cap', async () => {
    receiver.script({ status: 429, retryAfter: '7' }, { status: 429, retryAfter: '3600' });
    expect(await sender.send(hook, webhookBody('evt-4', notice))).toEqual({ attempts: 3, status: 200 });
    expect(waits).toEqual([7_000, 30_000]);
  });

  it('does not retry a 400, and says what the receiver answered', async () => {
    receiver.script({ status: 400, body: 'unknown field "incident"' });
    const e = await failure(sender.send(hook, webhookBody('evt-5', notice)));
    expect(e.code).toBe('unavailable');
    expect(e.attempts).toBe(1);
    expect(e.status).toBe(400);
    expect(e.userMessage).toBe('webhook ops-bus answered 400: unknown field "incident"');
    expect(receiver.received).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('gives up after the retries, on 5xx', async () => {
    receiver.script({ status: 500 }, { status: 502 }, { status: 503 }, { status: 504 }, { status: 200 });
    const e = await failure(sender.send(hook, webhookBody('evt-6', notice)));
    expect(e.attempts).toBe(4);
    expect(e.status).toBe(504);
    expect(e.userMessage).toBe('webhook ops-bus answered 504: ok (after 4 attempts)');
    expect(receiver.received).toHaveLength(4);
    expect(waits).toEqual([1_000, 2_000, 4_000]);
  });

  it('a receiver that does not answer in time is retried', async () => {
    const quick = createWebhookSender({ now, timeoutMs: 200, retries: 1, sleep: async () => {} });
    receiver.script({ hang: true });
    expect(await quick.send(hook, webhookBody('evt-7', notice))).toEqual({ attempts: 2, status: 200 });
    expect(receiver.received.map((r) => r.status)).toEqual(['none', 200]);
  });

  it('a refused connection is retried, then fails naming the webhook but not its URL', async () => {
    const gone = await startWebhookReceiver({ secret, now });
    const url = `${gone.url}?token=hidden-in-url`;
    await gone.close();
    const e = await failure(sender.send({ ...hook, url }, webhookBody('evt-8', notice)));
    expect(e.attempts).toBe(4);
    expect(e.userMessage).toBe('webhook ops-bus could not be reached (ECONNREFUSED) (after 4 attempts)');
    expect(e.userMessage).not.toContain('hidden-in-url');
  });

  it('a grouped body carries every held event', async () => {
    const resolved: IncidentNotice = { ...notice, event: { ...notice.event, kind: 'resolved' }, repeats: 0 };
    await sender.send(hook, groupedWebhookBody('batch-1', [notice, resolved], new Date('2026-12-04T06:00:00Z')));
    const body = receiver.received[0]!.body as { type: string; events: { type: string; repeats: number }[] };
    expect(receiver.received[0]!.verified).toBe(true);
    expect(body).toMatchObject({
      version: 1,
      id: 'batch-1',
      type: 'incident.grouped',
      occurredAt: '2026-12-04T06:00:00.000Z',
    });
    expect(body.events.map((e) => [e.type, e.repeats])).toEqual([
      ['incident.triggered', 2],
      ['incident.resolved', 0],
    ]);
  });
});

describe('verifyOutgoingSignature', () => {
  const raw = '{"version":1}';
  const t = Math.floor(clock.getTime() / 1000);

  it('accepts the signature of the body at t, within five minutes', () => {
    const header = signatureHeader(secret, t, raw);
    expect(verifyOutgoingSignature({ secret, header, rawBody: raw, now: clock })).toEqual({ ok: true });
    expect(verifyOutgoingSignature({ secret, header, rawBody: raw, now: new Date(clock.getTime() + 299_000) }).ok).toBe(
      true,
    );
    // Several v1 values (a receiver rotating secrets): one that matches is enough.
    const two = `${header},v1=${'0'.repeat(64)}`;
    expect(verifyOutgoingSignature({ secret, header: two, rawBody: raw, now: clock }).ok).toBe(true);
  });

  it('one reason per rejection', () => {
    const header = signatureHeader(secret, t, raw);
    const check = (over: Partial<Parameters<typeof verifyOutgoingSignature>[0]>) =>
      verifyOutgoingSignature({ secret, header, rawBody: raw, now: clock, ...over });
    expect(check({ header: undefined })).toEqual({ ok: false, reason: 'no X-DevOps-Agent-Signature header' });
    expect(check({ header: 'sha256=abc' })).toEqual({
      ok: false,
      reason: 'the signature header is not t=<seconds>,v1=<hex>',
    });
    expect(check({ now: new Date(clock.getTime() + 301_000) })).toEqual({
      ok: false,
      reason: "the signature's timestamp is more than 300s from now",
    });
    expect(check({ rawBody: '{"version":2}' })).toEqual({ ok: false, reason: 'the signature does not match the body' });
    expect(check({ secret: 'another-secret' })).toEqual({ ok: false, reason: 'the signature does not match the body' });
    // The timestamp is signed: moving it breaks the signature.
    expect(check({ header: header.replace(`t=${t}`, `t=${t + 1}`) })).toEqual({
      ok: false,
      reason: 'the signature does not match the body',
    });
  });
});
