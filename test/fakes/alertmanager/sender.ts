/**
 * Prometheus Alertmanager's webhook receiver side, for tests: builds version "4" payloads for one
 * alert group (as Alertmanager's `webhook_config` sends them: receiver, status, alerts with
 * fingerprints, groupLabels/commonLabels/commonAnnotations, externalURL, groupKey,
 * truncatedAlerts) and POSTs them with `http_config` credentials (bearer or basic) as
 * Alertmanager does (`Content-Type: application/json`, `User-Agent: Alertmanager/<version>`).
 */
import { createHash } from 'node:crypto';

export interface FakeAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: Date;
  /** Set when the alert resolved. */
  endsAt?: Date;
}

export interface AlertmanagerGroup {
  receiver: string;
  /** The route's `group_by` labels and their values for this group. */
  groupLabels: Record<string, string>;
  externalURL?: string;
  /** The route part of the group key (`{}` for the root route). */
  routeKey?: string;
}

/** Alertmanager's `0001-01-01T00:00:00Z` for "not ended". */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** A label set's fingerprint: 16 hex digits, stable for the same labels (Alertmanager uses FNV-64a). */
export const fingerprintOf = (labels: Record<string, string>): string =>
  createHash('sha256')
    .update(
      Object.keys(labels)
        .sort()
        .map((k) => `${k}\u0000${labels[k]}`)
        .join('\u0001'),
    )
    .digest('hex')
    .slice(0, 16);

const common = (maps: ReadonlyArray<Record<string, string>>): Record<string, string> => {
  const [first, ...rest] = maps;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first ?? {})) if (rest.every((m) => m[k] === v)) out[k] = v;
  return out;
};

export const groupKeyOf = (g: AlertmanagerGroup): string =>
  `${g.routeKey ?? '{}'}:{${Object.keys(g.groupLabels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(g.groupLabels[k])}`)
    .join(', ')}}`;

/** A version "4" payload for the group; status `resolved` only when every alert has ended. */
export const buildAlertmanagerPayload = (
  g: AlertmanagerGroup,
  alerts: readonly FakeAlert[],
  opts: { truncatedAlerts?: number } = {},
): Record<string, unknown> => {
  const all = alerts.map((a) => ({
    status: a.endsAt ? 'resolved' : 'firing',
    labels: a.labels,
    annotations: a.annotations ?? {},
    startsAt: a.startsAt.toISOString(),
    endsAt: a.endsAt ? a.endsAt.toISOString() : ZERO_TIME,
    generatorURL: `http://prometheus.test:9090/graph?g0.expr=${encodeURIComponent(a.labels.alertname ?? 'up')}`,
    fingerprint: fingerprintOf(a.labels),
  }));
  return {
    receiver: g.receiver,
    status: all.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts: all,
    groupLabels: g.groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations ?? {})),
    externalURL: g.externalURL ?? 'http://alertmanager.test:9093',
    version: '4',
    groupKey: groupKeyOf(g),
    truncatedAlerts: opts.truncatedAlerts ?? 0,
  };
};

export type AlertmanagerAuth =
  | { bearer: string }
  | { basic: { username: string; password: string } }
  | { authorization: string }
  | Record<string, never>;

export interface AlertmanagerDelivery {
  status: number;
  responseBody: string;
  raw: Buffer;
  headers: Record<string, string>;
}

/** POSTs a payload (an object, or raw bytes to send as they are) with the given credentials. */
export const postAlertmanager = async (
  url: string,
  payload: object | Buffer,
  auth: AlertmanagerAuth = {},
): Promise<AlertmanagerDelivery> => {
  const raw = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload), 'utf8');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Alertmanager/0.28.1',
  };
  if ('bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
  else if ('basic' in auth)
    headers.authorization = `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}`;
  else if ('authorization' in auth) headers.authorization = auth.authorization;
  const res = await fetch(url, { method: 'POST', headers, body: raw });
  return { status: res.status, responseBody: await res.text(), raw, headers };
};
