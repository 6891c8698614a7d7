import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../errors.ts';
import type { RoutingWebhook } from './config.ts';
import { MAX_FACTS, type IncidentNotice } from './notice.ts';

/**
 * Outgoing incident webhooks: a versioned JSON body, signed with the webhook's secret.
 *
 * Body (`version: 1`; new fields may be added to version 1, a change that breaks readers bumps it):
 * ```json
 * { "version": 1, "id": "<event id>", "type": "incident.triggered", "occurredAt": "2026-12-03T09:00:00.000Z",
 *   "incident": { "id": 7, "workspaceId": "T123", "number": 42, "title": "High error rate",
 *                 "service": "checkout-api", "urgency": "high", "status": "triggered",
 *                 "url": "https://…pagerduty.com/incidents/Q1", "threadUrl": "https://…slack.com/archives/…" },
 *   "facts": ["api-prod-1 was resized 30 min ago (CR-12)"], "repeats": 0 }
 * ```
 * `type` is `incident.<kind>` for every SignalKind (`incident.triggered`, `incident.resolved`, …),
 * or `incident.grouped` for what quiet hours held: `{ version, id, type, occurredAt, events: [ {
 * type, occurredAt, incident, facts, repeats } ] }`. `repeats` counts events of the same incident
 * and kind grouped into this one instead of being sent.
 *
 * Headers: `X-DevOps-Agent-Event-Id` (the same on every retry: receivers drop ids they have seen)
 * and `X-DevOps-Agent-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * To verify, a receiver takes the raw body bytes as received (before any JSON parsing), computes
 * the HMAC of `<t>.<body>` with the shared secret, compares it in constant time with a `v1` value
 * and rejects a `t` more than five minutes from its clock (`verifyOutgoingSignature` does that).
 *
 * Delivery: POST with a timeout per attempt; 5xx, 429, 408 and network failures (timeouts
 * included) are retried with exponential backoff (a Retry-After is honoured up to a cap); other
 * answers (4xx, redirects: never followed) fail at once.
 */

export const SIGNATURE_HEADER = 'X-DevOps-Agent-Signature';
export const EVENT_ID_HEADER = 'X-DevOps-Agent-Event-Id';
export const WEBHOOK_VERSION = 1;

interface IncidentBody {
  id: number;
  workspaceId: string;
  number?: number | undefined;
  title: string;
  service: string;
  urgency: string;
  status: string;
  url?: string | undefined;
  threadUrl?: string | undefined;
}

export interface WebhookEventV1 {
  type: `incident.${string}`;
  occurredAt: string;
  incident: IncidentBody;
  facts: string[];
  repeats: number;
}

export type WebhookBodyV1 =
  | ({ version: 1; id: string } & WebhookEventV1)
  | { version: 1; id: string; type: 'incident.grouped'; occurredAt: string; events: WebhookEventV1[] };

const eventOf = (n: IncidentNotice): WebhookEventV1 => {
  const { event } = n;
  return {
    type: `incident.${event.kind}`,
    occurredAt: n.occurredAt.toISOString(),
    incident: {
      id: event.incidentId,
      workspaceId: event.workspaceId,
      number: event.incident.number,
      title: event.incident.title,
      service: event.incident.service,
      urgency: event.incident.urgency,
      status: event.incident.status,
      url: event.incident.htmlUrl,
      threadUrl: event.incident.threadUrl,
    },
    facts: (event.facts ?? []).slice(0, MAX_FACTS),
    repeats: n.repeats,
  };
};

/** The body for one notice. */
export const webhookBody = (id: string, n: IncidentNotice): WebhookBodyV1 => ({ version: 1, id, ...eventOf(n) });

/** The body for the notices quiet hours held for one webhook, oldest first. */
export const groupedWebhookBody = (id: string, notices: readonly IncidentNotice[], at: Date): WebhookBodyV1 => ({
  version: 1,
  id,
  type: 'incident.grouped',
  occurredAt: at.toISOString(),
  events: notices.map(eventOf),
});

const hmac = (secret: string, t: number, rawBody: string): string =>
  createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');

/** The signature header's value for a body sent at `t` (unix seconds). */
export const signatureHeader = (secret: string, t: number, rawBody: string): string =>
  `t=${t},v1=${hmac(secret, t, rawBody)}`;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * For receivers (and tests): whether `header` signs `rawBody` with `secret`, within
 * `toleranceSeconds` (default 300) of `now`. Pure; one reason per rejection.
 */
export const verifyOutgoingSignature = (input: {
  secret: string;
  header: string | null | undefined;
  rawBody: string;
  now: Date;
  toleranceSeconds?: number;
}): SignatureCheck => {
  if (!input.header) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
  const parts = input.header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v!);
  if (!Number.isInteger(t) || signatures.length === 0)
    return { ok: false, reason: 'the signature header is not t=<seconds>,v1=<hex>' };
  const tolerance = input.toleranceSeconds ?? 300;
  if (Math.abs(input.now.getTime() / 1000 - t) > tolerance)
    return { ok: false, reason: `the signature's timestamp is more than ${tolerance}s from now` };
  const expected = Buffer.from(hmac(input.secret, t, input.rawBody), 'hex');
  const match = signatures.some((s) => {
    const given = Buffer.from(s, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return match ? { ok: true } : { ok: false, reason: 'the signature does not match the body' };
};

/** A delivery that failed for good: what the last attempt got, and how many were made. */
export class WebhookDeliveryError extends AppError {
  readonly attempts: number;
  readonly status: number | undefined;
  constructor(message: string, attempts: number, status?: number) {
    super('unavailable', message);
    this.name = 'WebhookDeliveryError';
    this.attempts = attempts;
    this.status = status;
  }
}

export interface WebhookSenderOptions {
  now: () => Date;
  fetch?: typeof fetch;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff, doubled after each retry (default 1 s). */
  backoffMs?: number;
  /** The longest wait before a retry, Retry-After included (default 30 s). */
  maxDelayMs?: number;
  /** Waits between attempts (tests record the waits instead). */
  sleep?: (ms: number) => Promise<void>;
}

export interface WebhookSender {
  /** POSTs the body; resolves with the attempts made, throws a WebhookDeliveryError. */
  send(webhook: RoutingWebhook, body: WebhookBodyV1): Promise<{ attempts: number; status: number }>;
}

const retryAfterMs = (value: string | null, now: Date): number | undefined => {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
};

const retryable = (status: number): boolean => status >= 500 || status === 429 || status === 408;

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const createWebhookSender = (opts: WebhookSenderOptions): WebhookSender => {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const retries = opts.retries ?? 3;
  const backoffMs = opts.backoffMs ?? 1_000;
  const maxDelayMs = opts.maxDelayMs ?? 30_000;
  const sleep = opts.sleep ?? sleepFor;

  return {
    send: async (webhook, body) => {
      const rawBody = JSON.stringify(body);
      let status: number | undefined;
      for (let attempt = 1; ; attempt++) {
        let wait: number | undefined;
        let failure: string;
        try {
          const t = Math.floor(opts.now().getTime() / 1000);
          const res = await doFetch(webhook.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'DevOps-Agent-Webhooks/1',
              [EVENT_ID_HEADER]: body.id,
              [SIGNATURE_HEADER]: signatureHeader(webhook.secret, t, rawBody),
            },
            body: rawBody,
            redirect: 'manual',
            signal: AbortSignal.timeout(timeoutMs),
          });
          status = res.status;
          const answer = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
          if (res.ok) return { attempts: attempt, status: res.status };
          failure = `webhook ${webhook.name} answered ${res.status}${answer ? `: ${answer}` : ''}`;
          if (!retryable(res.status)) throw new WebhookDeliveryError(failure, attempt, res.status);
          wait = retryAfterMs(res.headers.get('retry-after'), opts.now());
        } catch (e) {
          if (e instanceof WebhookDeliveryError) throw e;
          status = undefined;
          const timedOut = e instanceof Error && e.name === 'TimeoutError';
          failure = timedOut
            ? `webhook ${webhook.name} did not answer within ${timeoutMs} ms`
            : `webhook ${webhook.name} could not be reached (${networkCode(e)})`;
        }
        if (attempt > retries)
          throw new WebhookDeliveryError(`${failure} (after ${attempt} attempts)`, attempt, status);
        await sleep(Math.min(maxDelayMs, wait ?? backoffMs * 2 ** (attempt - 1)));
      }
    },
  };
};

/** `ECONNREFUSED`, `UND_ERR_SOCKET`…: fetch hides the reason in `cause`; no URL (it may hold a token). */
const networkCode = (e: unknown): string => {
  const cause = (e as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : e instanceof Error ? e.name : 'unknown error';
};
