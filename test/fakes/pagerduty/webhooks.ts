/**
 * PagerDuty's side of V3 webhooks, for tests: builds event bodies from the fake API's incidents
 * (api.ts) and POSTs them as PagerDuty does (docs/webhooks in PagerDuty's developer docs):
 * `Content-Type: application/json`, `User-Agent: PagerDuty-Webhook/V3.0`, `X-Webhook-Id` (the same
 * on every delivery attempt), `X-Webhook-Subscription`, and `X-PagerDuty-Signature: v1=<hex
 * HMAC-SHA256(secret, body)>` with one value per subscription secret (several during rotation).
 * Options forge the signature (a wrong secret), tamper the body after signing, or redeliver the
 * same bytes. `follow(api)` turns the fake API's changes (a test acting as a PagerDuty user, or
 * the bot's own API writes) into deliveries, as PagerDuty would; `idle()` waits for them.
 */
import { createHmac } from 'node:crypto';
import type { FakeChange, FakeUser, PagerDutyApiFake } from './api.ts';

export interface PagerDutyEventOptions {
  eventId?: string;
  occurredAt?: Date;
  /** The user who did it (a `user_reference` agent); none: `agent: null` (the system). */
  agent?: FakeUser;
}

export interface DeliverOptions {
  /** Sign with a secret PagerDuty does not know. */
  forge?: boolean;
  /** Change the body's bytes after signing (the title gets a suffix). */
  tamper?: boolean;
  /** Secrets to sign with, overriding the sender's (e.g. two during a rotation). */
  secrets?: string[];
  /** Send no X-PagerDuty-Signature at all. */
  unsigned?: boolean;
  url?: string;
}

export interface Delivery {
  eventId: string;
  eventType: string;
  webhookId: string;
  url: string;
  headers: Record<string, string>;
  raw: Buffer;
  status: number;
  responseBody: string;
}

export const signPagerDutyBody = (raw: Buffer, secrets: readonly string[]): string =>
  secrets.map((s) => `v1=${createHmac('sha256', s).update(raw).digest('hex')}`).join(',');

let eventCounter = 0;
const nextEventId = () => `01FAKEEVENT${String(++eventCounter).padStart(15, '0')}`;

const agentRef = (fakeUrl: string, u: FakeUser) => ({
  html_url: `${fakeUrl}/web/users/${u.id}`,
  id: u.id,
  self: `${fakeUrl}/users/${u.id}`,
  summary: u.name,
  type: 'user_reference',
});

/** A V3 body: `{ event: { id, event_type, resource_type, occurred_at, agent, client, data } }`. */
export const buildPagerDutyEvent = (
  eventType: string,
  data: Record<string, unknown>,
  opts: PagerDutyEventOptions & { fakeUrl?: string } = {},
): { event: Record<string, unknown> } => ({
  event: {
    id: opts.eventId ?? nextEventId(),
    event_type: eventType,
    resource_type: eventType.split('.')[0] ?? 'incident',
    occurred_at: (opts.occurredAt ?? new Date()).toISOString(),
    agent: opts.agent ? agentRef(opts.fakeUrl ?? 'https://acme.pagerduty.example', opts.agent) : null,
    client: opts.agent ? { name: 'PagerDuty' } : null,
    data,
  },
});

export interface PagerDutyWebhookSender {
  readonly deliveries: Delivery[];
  /** POSTs a body signed as configured. */
  deliver(body: object, opts?: DeliverOptions): Promise<Delivery>;
  /** Builds `eventType` for the fake's incident (`incident.annotated`: its last note) and delivers it. */
  send(
    eventType: string,
    incidentId: string,
    opts?: PagerDutyEventOptions & DeliverOptions & { noteId?: string },
  ): Promise<Delivery>;
  /** The same bytes, headers and webhook id again (PagerDuty's at-least-once delivery). */
  redeliver(d: Delivery): Promise<Delivery>;
  /** Delivers the fake API's changes from now on (by default both the test's and the API's). */
  follow(opts?: { via?: ReadonlyArray<FakeChange['via']> }): () => void;
  /** Resolves when every delivery started by `follow` has been answered; rejects if one could not be sent. */
  idle(): Promise<void>;
}

const EVENT_OF: Record<FakeChange['kind'], string> = {
  triggered: 'incident.triggered',
  acknowledged: 'incident.acknowledged',
  resolved: 'incident.resolved',
  escalated: 'incident.escalated',
  annotated: 'incident.annotated',
};

export const createPagerDutyWebhookSender = (opts: {
  api: PagerDutyApiFake;
  url: string;
  secrets: string[];
  subscriptionId?: string;
  now?: () => Date;
}): PagerDutyWebhookSender => {
  const deliveries: Delivery[] = [];
  /** `follow`'s deliveries, one after another (PagerDuty keeps order per subscription and incident). */
  let queue: Promise<unknown> = Promise.resolve();
  const errors: unknown[] = [];
  let webhookCounter = 0;

  const post = async (
    url: string,
    raw: Buffer,
    headers: Record<string, string>,
    meta: Pick<Delivery, 'eventId' | 'eventType' | 'webhookId'>,
  ) => {
    const res = await fetch(url, { method: 'POST', headers, body: raw });
    const d: Delivery = { ...meta, url, headers, raw, status: res.status, responseBody: await res.text() };
    deliveries.push(d);
    return d;
  };

  const deliver = async (body: object, o: DeliverOptions = {}): Promise<Delivery> => {
    const event = (body as { event?: { id?: unknown; event_type?: unknown } }).event;
    const signed = Buffer.from(JSON.stringify(body), 'utf8');
    const secrets = o.forge ? ['not-the-subscription-secret'] : (o.secrets ?? opts.secrets);
    const raw = o.tamper
      ? Buffer.from(signed.toString('utf8').replace(/"title":"/, '"title":"(tampered) '), 'utf8')
      : signed;
    const webhookId = `fake-webhook-${++webhookCounter}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'PagerDuty-Webhook/V3.0',
      'x-webhook-id': webhookId,
      'x-webhook-subscription': opts.subscriptionId ?? 'PSUB001',
      ...(o.unsigned ? {} : { 'x-pagerduty-signature': signPagerDutyBody(signed, secrets) }),
    };
    return post(o.url ?? opts.url, raw, headers, {
      eventId: typeof event?.id === 'string' ? event.id : '',
      eventType: typeof event?.event_type === 'string' ? event.event_type : '',
      webhookId,
    });
  };

  const bodyFor = (
    eventType: string,
    incidentId: string,
    o: PagerDutyEventOptions & { noteId?: string },
  ): { event: Record<string, unknown> } => {
    const base = { ...o, occurredAt: o.occurredAt ?? opts.now?.(), fakeUrl: opts.api.url };
    if (eventType !== 'incident.annotated') return buildPagerDutyEvent(eventType, opts.api.eventData(incidentId), base);
    const i = opts.api.incident(incidentId);
    const note = o.noteId ? i?.notes.find((n) => n.id === o.noteId) : i?.notes.at(-1);
    if (!i || !note) throw new Error(`fake webhooks: incident ${incidentId} has no such note`);
    return buildPagerDutyEvent(
      eventType,
      {
        incident: {
          html_url: `${opts.api.url}/web/incidents/${i.id}`,
          id: i.id,
          self: `${opts.api.url}/incidents/${i.id}`,
          summary: i.title,
          type: 'incident_reference',
        },
        id: note.id,
        content: note.content,
        trimmed: false,
        type: 'incident_note',
      },
      { ...base, agent: o.agent ?? opts.api.user(note.userId) },
    );
  };

  return {
    deliveries,
    deliver,
    send: (eventType, incidentId, o = {}) => deliver(bodyFor(eventType, incidentId, o), o),
    redeliver: (d) =>
      post(d.url, d.raw, d.headers, { eventId: d.eventId, eventType: d.eventType, webhookId: d.webhookId }),
    follow: (o = {}) =>
      opts.api.onChange((change) => {
        if (o.via && !o.via.includes(change.via)) return;
        // Built now, from the incident as the change left it; sent in the background.
        const body = bodyFor(EVENT_OF[change.kind], change.incident.id, {
          ...(change.user ? { agent: change.user } : {}),
          ...(change.note ? { noteId: change.note.id } : {}),
        });
        queue = queue.then(() => deliver(body)).catch((e: unknown) => void errors.push(e));
      }),
    idle: async () => {
      let seen: Promise<unknown> | undefined;
      while (seen !== queue) {
        seen = queue;
        await queue;
      }
      if (errors.length) throw new AggregateError(errors.splice(0), 'fake webhooks: a delivery failed');
    },
  };
};
