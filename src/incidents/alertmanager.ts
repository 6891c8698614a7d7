import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { badRequest, zodIssueLines } from '../errors.ts';
import { environmentHint, mergeResources, resourcesFromText } from './hints.ts';
import { IncidentSignal } from './model.ts';

/**
 * Prometheus Alertmanager's webhook receiver (`webhook_config`, payload version "4"): one
 * delivery is one alert group (all alerts sharing the route's `group_by` labels), sent when the
 * group fires, changes, repeats, and (with `send_resolved`) resolves. It becomes ONE
 * IncidentSignal whose externalId is the group key, so one group is one incident.
 * Authentication is the receiver's `http_config` (`authorization` bearer credentials or
 * `basic_auth`); Alertmanager does not sign bodies. docs/architecture.md#incidents.
 */

const Labels = z.record(z.string(), z.string());

export const AlertmanagerAlert = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels.default({}),
  startsAt: z.string().min(1),
  /** `0001-01-01T00:00:00Z` while firing. */
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

export const AlertmanagerWebhookBody = z.looseObject({
  version: z.string().optional(),
  groupKey: z.string().min(1).max(1000),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().min(1),
  groupLabels: Labels.default({}),
  commonLabels: Labels.default({}),
  commonAnnotations: Labels.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(AlertmanagerAlert).min(1),
});
export type AlertmanagerWebhookBody = z.infer<typeof AlertmanagerWebhookBody>;

const URGENT = new Set(['critical', 'page', 'high']);

/** The labels that name what is affected, most specific first. */
const RESOURCE_LABELS = ['pod', 'deployment', 'statefulset', 'daemonset', 'instance', 'node', 'service'] as const;

const stripPort = (v: string): string => {
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(v);
  return (url ? url[1]! : v).replace(/:\d{1,5}$/, '');
};

const resourcesOf = (body: AlertmanagerWebhookBody, title: string): string[] => {
  const fromLabels: string[] = [];
  for (const labels of [body.commonLabels, ...body.alerts.map((a) => a.labels)]) {
    for (const key of RESOURCE_LABELS) {
      const v = labels[key];
      if (!v) continue;
      fromLabels.push(key === 'instance' ? stripPort(v) : v);
      // Kubernetes names are unique per namespace: `shop/api-7d9` is what the inventory knows.
      if (labels.namespace && key !== 'instance' && key !== 'node') fromLabels.push(`${labels.namespace}/${v}`);
    }
  }
  // Namespaced names first (more specific), then bare names, then what the title names.
  const namespaced = fromLabels.filter((r) => r.includes('/'));
  const bare = fromLabels.filter((r) => !r.includes('/'));
  return mergeResources([namespaced, bare, resourcesFromText(title)], 50);
};

/** A stable id per (group, status, alerts as sent): a redelivery of the same notification has the same id. */
const eventIdOf = (body: AlertmanagerWebhookBody): string => {
  const alerts = body.alerts
    .map((a) => `${a.fingerprint}|${a.startsAt}|${a.endsAt ?? ''}`)
    .sort()
    .join('\n');
  const hash = createHash('sha256').update(`${body.groupKey}\n${body.status}\n${alerts}`).digest('hex');
  return `am-${hash}`;
};

const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

const latest = (dates: string[]): Date | undefined => {
  const times = dates.map((d) => Date.parse(d)).filter((t) => Number.isFinite(t) && t > 0);
  return times.length ? new Date(Math.max(...times)) : undefined;
};

const httpUrl = (u: string | undefined): string | undefined => {
  if (!u) return undefined;
  try {
    const url = new URL(u);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
};

/**
 * One Alertmanager delivery as one IncidentSignal: `triggered` when the group fires (a firing
 * delivery for a group already open is the same incident: the service keys by externalId),
 * `resolved` when it resolves. A body missing what the bot needs throws a bad_request AppError
 * listing the paths at fault (`alerts.0.fingerprint: …`).
 */
export const parseAlertmanagerWebhook = (body: unknown): IncidentSignal => {
  const parsed = AlertmanagerWebhookBody.safeParse(body);
  if (!parsed.success)
    throw badRequest(`The Alertmanager webhook body is not valid: ${zodIssueLines(parsed.error).join('; ')}`);
  const b = parsed.data;
  const firing = b.alerts.filter((a) => a.status === 'firing').length;
  const alertname = b.commonLabels.alertname ?? b.groupLabels.alertname ?? b.alerts[0]!.labels.alertname ?? 'Alert';
  const count = b.status === 'firing' ? firing || b.alerts.length : b.alerts.length;
  const title = clip(
    b.commonAnnotations.summary?.trim() ||
      `${alertname}${count > 1 ? ` (${count} ${b.status === 'firing' ? 'firing' : 'resolved'})` : ''}`,
    1000,
  );
  const service = clip(b.commonLabels.service ?? b.commonLabels.job ?? b.receiver, 200);
  const severity = (b.commonLabels.severity ?? b.alerts[0]!.labels.severity ?? '').toLowerCase();
  const labels: Record<string, string> = { ...b.commonLabels, ...b.commonAnnotations };
  if (b.truncatedAlerts) labels.truncated_alerts = String(b.truncatedAlerts);
  const occurredAt =
    (b.status === 'resolved'
      ? latest(b.alerts.map((a) => a.endsAt ?? ''))
      : latest(b.alerts.filter((a) => a.status === 'firing').map((a) => a.startsAt))) ??
    latest(b.alerts.map((a) => a.startsAt)) ??
    new Date(0);
  const environment =
    b.commonLabels.environment ?? b.commonLabels.env ?? environmentHint([title, ...Object.values(b.commonLabels)]);
  const htmlUrl = httpUrl(b.alerts[0]!.generatorURL) ?? httpUrl(b.externalURL);
  const signal: IncidentSignal = {
    source: 'alertmanager',
    eventId: eventIdOf(b),
    kind: b.status === 'firing' ? 'triggered' : 'resolved',
    occurredAt,
    externalId: b.groupKey,
    title,
    service,
    urgency: URGENT.has(severity) ? 'high' : 'low',
    status: b.status === 'firing' ? 'triggered' : 'resolved',
    ...(htmlUrl ? { htmlUrl } : {}),
    agent: { name: 'Alertmanager' },
    labels,
    resources: resourcesOf(b, title),
    ...(environment ? { environment } : {}),
  };
  const checked = IncidentSignal.safeParse(signal);
  if (!checked.success)
    throw badRequest(`The Alertmanager webhook body is not valid: ${zodIssueLines(checked.error).join('; ')}`);
  return checked.data;
};

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant time: hashing first gives equal lengths, so neither content nor length leaks. */
const same = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected));

/**
 * Whether a delivery carries one of the configured credentials: `Authorization: Bearer <token>`
 * (Alertmanager's `http_config.authorization.credentials`) or `Authorization: Basic …`
 * (`http_config.basic_auth`). Every configured credential is compared, in constant time.
 */
export const checkAlertmanagerAuth = (
  headers: IncomingHttpHeaders,
  auth: { bearerTokens: readonly string[]; basic?: { username: string; password: string } },
): boolean => {
  const header = headers.authorization;
  if (typeof header !== 'string') return false;
  const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  let ok = false;
  if (scheme === 'bearer') {
    for (const token of auth.bearerTokens) if (token.length > 0) ok = same(value, token) || ok;
    return ok;
  }
  if (!auth.basic) return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const userOk = same(decoded.slice(0, colon), auth.basic.username);
  const passOk = same(decoded.slice(colon + 1), auth.basic.password);
  return userOk && passOk && auth.basic.password.length > 0;
};
