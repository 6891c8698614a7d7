import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { badRequest, zodIssueLines } from '../../errors.ts';
import { environmentHint, mergeResources, resourcesFromText } from '../hints.ts';
import { IncidentSignal, type IncidentStatus, type SignalKind } from '../model.ts';

/**
 * PagerDuty V3 webhooks (webhook subscriptions): the signature check and the body → IncidentSignal
 * mapping. No SDK here (pdjs has no webhook helper). The body shape is PagerDuty's developer docs
 * (docs/webhooks/01-Overview.md: one `event` per delivery, `event.data` by `event_type`) and
 * go-pagerduty's webhookv3 package; unknown fields are kept and ignored.
 * docs/architecture.md#incidents.
 */

/** More `v1=` values than this in one header is not a rotation, it is noise: rejected. */
const MAX_SIGNATURES = 10;

/**
 * `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(secret, rawBody)>[,v1=…]` (several values while
 * PagerDuty rotates a subscription's secret). True when any value matches any configured secret.
 * Compares in constant time on the raw bytes; a missing or garbled header is false.
 */
export const verifyPagerDutySignature = (
  rawBody: Buffer,
  header: string | undefined,
  secrets: readonly string[],
): boolean => {
  if (typeof header !== 'string' || header.length === 0) return false;
  const parts = header.split(',');
  if (parts.length > MAX_SIGNATURES) return false;
  const given = parts
    .map((p) => /^v1=([0-9a-f]{64})$/i.exec(p.trim())?.[1])
    .filter((h): h is string => h !== undefined)
    .map((h) => Buffer.from(h, 'hex'));
  if (given.length === 0) return false;
  let ok = false;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    // 32 bytes each by construction; every pair is compared, so timing says nothing of which matched.
    for (const g of given) ok = timingSafeEqual(g, expected) || ok;
  }
  return ok;
};

/** A PagerDuty reference (`user_reference`, `service_reference`, …). */
const Reference = z.looseObject({
  id: z.string().min(1),
  type: z.string().optional(),
  summary: z.string().optional(),
  html_url: z.string().optional(),
});

/** `event.data` when `data.type` is `incident`. */
export const PagerDutyIncidentData = z.looseObject({
  id: z.string().min(1),
  type: z.string().optional(),
  html_url: z.string().optional(),
  number: z.number().int().positive().optional(),
  status: z.string().min(1),
  incident_key: z.string().nullish(),
  created_at: z.string().optional(),
  title: z.string().min(1),
  service: Reference,
  assignees: z.array(Reference).nullish(),
  escalation_policy: Reference.nullish(),
  teams: z.array(Reference).nullish(),
  priority: Reference.nullish(),
  urgency: z.string().nullish(),
  /** Not in the documented V3 payload; read when present. */
  escalation_level: z.number().int().positive().nullish(),
  /** A string, or an object such as `{ type: 'merge_resolve_reason', incident }`. */
  resolve_reason: z.unknown().optional(),
});
export type PagerDutyIncidentData = z.infer<typeof PagerDutyIncidentData>;

/** `event.data` when `data.type` is `incident_note` (`incident.annotated`). */
export const PagerDutyNoteData = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  content: z.string(),
  trimmed: z.boolean().optional(),
  incident: Reference,
});

/** The envelope: one event per delivery. */
export const PagerDutyWebhookBody = z.looseObject({
  event: z.looseObject({
    id: z.string().min(1).max(200),
    event_type: z.string().min(1),
    resource_type: z.string().optional(),
    occurred_at: z.iso.datetime({ offset: true }),
    agent: Reference.nullish(),
    client: z.looseObject({ name: z.string().optional() }).nullish(),
    data: z.record(z.string(), z.unknown()),
  }),
});
export type PagerDutyWebhookBody = z.infer<typeof PagerDutyWebhookBody>;

const KINDS: Readonly<Record<string, SignalKind>> = {
  'incident.triggered': 'triggered',
  'incident.acknowledged': 'acknowledged',
  'incident.unacknowledged': 'unacknowledged',
  'incident.resolved': 'resolved',
  'incident.reopened': 'reopened',
  'incident.escalated': 'escalated',
  'incident.reassigned': 'reassigned',
  // Reassigned to another escalation policy: for the thread, the same thing.
  'incident.delegated': 'reassigned',
  'incident.annotated': 'annotated',
  'incident.priority_updated': 'priority_updated',
};

/** The status an event leaves the incident in, when the payload's `status` is not one we know. */
const STATUS_AFTER: Partial<Record<SignalKind, IncidentStatus>> = {
  triggered: 'triggered',
  acknowledged: 'acknowledged',
  unacknowledged: 'triggered',
  resolved: 'resolved',
  reopened: 'triggered',
};

const ignoredReason = (eventType: string): string => {
  if (eventType === 'pagey.ping') return 'pagey.ping is PagerDuty testing the subscription';
  if (eventType.startsWith('incident.responder.')) return `${eventType}: responder requests are not tracked`;
  if (eventType.startsWith('service.')) return `${eventType}: service changes are not incidents`;
  return `${eventType} is not an event the bot acts on`;
};

const invalid = (issues: readonly string[]) =>
  badRequest(`The PagerDuty webhook body is not valid: ${issues.join('; ')}`);

/** Issues of `event.data`, named by their path in the whole body. */
const prefixed = (error: z.ZodError): string[] =>
  zodIssueLines({ issues: error.issues.map((i) => ({ ...i, path: ['event', 'data', ...i.path] })) });

const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

const httpUrl = (u: string | undefined): string | undefined => {
  if (!u) return undefined;
  try {
    const url = new URL(u);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
};

const resolveReasonText = (r: unknown): string | undefined => {
  if (typeof r === 'string' && r.trim()) return r.trim();
  if (r && typeof r === 'object' && typeof (r as { type?: unknown }).type === 'string') {
    const type = (r as { type: string }).type;
    const into = (r as { incident?: { summary?: unknown; id?: unknown } }).incident;
    const target = typeof into?.summary === 'string' ? into.summary : typeof into?.id === 'string' ? into.id : '';
    return type === 'merge_resolve_reason' && target ? `merged into ${target}` : type.replace(/_/g, ' ');
  }
  return undefined;
};

const agentOf = (event: PagerDutyWebhookBody['event']): IncidentSignal['agent'] => {
  const a = event.agent;
  const name = a?.summary?.trim() || event.client?.name?.trim();
  if (!name) return undefined;
  return { name: clip(name, 200), ...(a ? { id: a.id } : {}) };
};

/** PagerDuty's incident fields as `labels` (strings; nothing secret in them). */
const labelsOf = (d: PagerDutyIncidentData): Record<string, string> => {
  const labels: Record<string, string> = { service: d.service.summary ?? d.service.id };
  if (d.incident_key) labels.incident_key = d.incident_key;
  if (d.priority) labels.priority = d.priority.summary ?? d.priority.id;
  if (d.escalation_policy) labels.escalation_policy = d.escalation_policy.summary ?? d.escalation_policy.id;
  if (d.teams?.length) labels.teams = d.teams.map((t) => t.summary ?? t.id).join(', ');
  if (d.urgency) labels.urgency = d.urgency;
  return labels;
};

const fromIncident = (
  event: PagerDutyWebhookBody['event'],
  kind: SignalKind,
  d: PagerDutyIncidentData,
): IncidentSignal => {
  const labels = labelsOf(d);
  const known = ['triggered', 'acknowledged', 'resolved'].includes(d.status);
  const note =
    kind === 'resolved'
      ? resolveReasonText(d.resolve_reason)
      : kind === 'priority_updated'
        ? (d.priority?.summary ?? 'no priority')
        : undefined;
  const htmlUrl = httpUrl(d.html_url);
  const agent = agentOf(event);
  const environment = environmentHint([d.title, ...Object.values(labels)]);
  return {
    source: 'pagerduty',
    eventId: event.id,
    kind,
    occurredAt: new Date(event.occurred_at),
    externalId: d.id,
    ...(d.number ? { number: d.number } : {}),
    title: clip(d.title, 1000),
    service: clip(d.service.summary?.trim() || d.service.id, 200),
    serviceId: d.service.id,
    urgency: d.urgency === 'low' ? 'low' : 'high',
    ...(known ? { status: d.status as IncidentStatus } : STATUS_AFTER[kind] ? { status: STATUS_AFTER[kind] } : {}),
    ...(htmlUrl ? { htmlUrl } : {}),
    ...(agent ? { agent } : {}),
    ...(d.assignees ? { assignees: d.assignees.map((a) => a.summary ?? a.id) } : {}),
    ...(kind === 'escalated' && d.escalation_level ? { escalationLevel: d.escalation_level } : {}),
    ...(note ? { note: clip(note, 10_000) } : {}),
    labels,
    resources: mergeResources([resourcesFromText(d.title)], 50),
    ...(environment ? { environment } : {}),
  };
};

const fromNote = (event: PagerDutyWebhookBody['event'], d: z.infer<typeof PagerDutyNoteData>): IncidentSignal => {
  const title = d.incident.summary?.trim() || d.incident.id;
  const htmlUrl = httpUrl(d.incident.html_url);
  const agent = agentOf(event);
  return {
    source: 'pagerduty',
    eventId: event.id,
    kind: 'annotated',
    occurredAt: new Date(event.occurred_at),
    externalId: d.incident.id,
    title: clip(title, 1000),
    service: 'PagerDuty',
    urgency: 'high',
    ...(htmlUrl ? { htmlUrl } : {}),
    ...(agent ? { agent } : {}),
    note: clip(d.content, 10_000),
    labels: {},
    resources: mergeResources([resourcesFromText(title)], 50),
    partial: true,
  };
};

/**
 * A V3 webhook body (already signature-checked and JSON-parsed) as one IncidentSignal, or the
 * reason it is ignored (responder requests, service changes, `pagey.ping`, event types the bot
 * does not act on). A body missing what the bot needs throws a bad_request AppError listing the
 * paths at fault (`event.data.title: …`).
 */
export const parsePagerDutyWebhook = (body: unknown): { signal: IncidentSignal } | { ignored: string } => {
  const envelope = PagerDutyWebhookBody.safeParse(body);
  if (!envelope.success) throw invalid(zodIssueLines(envelope.error));
  const { event } = envelope.data;
  const kind = KINDS[event.event_type];
  if (!kind) return { ignored: ignoredReason(event.event_type) };
  let signal: IncidentSignal;
  if (kind === 'annotated') {
    const data = PagerDutyNoteData.safeParse(event.data);
    if (!data.success) throw invalid(prefixed(data.error));
    signal = fromNote(event, data.data);
  } else {
    const data = PagerDutyIncidentData.safeParse(event.data);
    if (!data.success) throw invalid(prefixed(data.error));
    signal = fromIncident(event, kind, data.data);
  }
  const checked = IncidentSignal.safeParse(signal);
  if (!checked.success) throw invalid(zodIssueLines(checked.error));
  return { signal: checked.data };
};
