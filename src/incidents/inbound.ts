import type { IncomingHttpHeaders } from 'node:http';
import { isAppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { checkAlertmanagerAuth, parseAlertmanagerWebhook } from './alertmanager.ts';
import { parsePagerDutyWebhook, verifyPagerDutySignature } from './pagerduty/webhook.ts';
import type { IncidentService } from './service.ts';

/**
 * The two alert webhooks, as transport-free handlers (app.ts mounts them on the HTTP server at
 * `/webhooks/pagerduty` and `/webhooks/alertmanager`). Each verifies before it reads anything,
 * records the delivery once, and answers at once: processing (thread, diagnosis, routing) happens
 * after, from the inbox. Nothing is stored for a refused delivery.
 */

export interface InboundResult {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface InboundDeps {
  incidents: IncidentService;
  logger: Logger;
  metrics: Metrics;
}

const parseJson = (raw: Buffer): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false };
  }
};

const invalid = (message: string): InboundResult => ({ status: 400, body: { error: message } });

/** PagerDuty V3: `X-PagerDuty-Signature` checked against every configured secret (rotation). */
export const pagerDutyInbound =
  (d: InboundDeps & { secrets: readonly string[] }) =>
  async (raw: Buffer, headers: IncomingHttpHeaders): Promise<InboundResult> => {
    const count = (outcome: string) => d.metrics.incidentWebhooks.inc({ source: 'pagerduty', outcome });
    const header = headers['x-pagerduty-signature'];
    if (!verifyPagerDutySignature(raw, Array.isArray(header) ? header.join(',') : header, d.secrets)) {
      count('unauthorized');
      return { status: 401, body: { error: 'signature missing or invalid' } };
    }
    const body = parseJson(raw);
    if (!body.ok) {
      count('invalid');
      return invalid('the body is not JSON');
    }
    try {
      const parsed = parsePagerDutyWebhook(body.value);
      if ('ignored' in parsed) {
        count('ignored');
        return { status: 200, body: { ok: true, ignored: parsed.ignored } };
      }
      const outcome = await d.incidents.receive(parsed.signal);
      count(outcome);
      return { status: 202, body: { ok: true, [outcome]: true } };
    } catch (e) {
      if (isAppError(e) && e.code === 'bad_request') {
        count('invalid');
        return invalid(e.userMessage);
      }
      throw e;
    }
  };

/** Alertmanager: a bearer token (or basic auth) as its `http_config` sends it; one delivery per group. */
export const alertmanagerInbound =
  (d: InboundDeps & { bearerTokens: readonly string[]; basic?: { username: string; password: string } }) =>
  async (raw: Buffer, headers: IncomingHttpHeaders): Promise<InboundResult> => {
    const count = (outcome: string) => d.metrics.incidentWebhooks.inc({ source: 'alertmanager', outcome });
    if (!checkAlertmanagerAuth(headers, { bearerTokens: d.bearerTokens, ...(d.basic ? { basic: d.basic } : {}) })) {
      count('unauthorized');
      return {
        status: 401,
        body: { error: 'authorization missing or invalid' },
        headers: { 'www-authenticate': d.basic ? 'Basic realm="alertmanager"' : 'Bearer' },
      };
    }
    const body = parseJson(raw);
    if (!body.ok) {
      count('invalid');
      return invalid('the body is not JSON');
    }
    try {
      const signal = parseAlertmanagerWebhook(body.value);
      const outcome = await d.incidents.receive(signal);
      count(outcome);
      return { status: 202, body: { ok: true, [outcome]: true } };
    } catch (e) {
      if (isAppError(e) && e.code === 'bad_request') {
        count('invalid');
        return invalid(e.userMessage);
      }
      throw e;
    }
  };
