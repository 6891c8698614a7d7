import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors.ts';
import { checkAlertmanagerAuth, parseAlertmanagerWebhook } from '../../src/incidents/alertmanager.ts';
import { environmentHint, resourcesFromText } from '../../src/incidents/hints.ts';
import { buildAlertmanagerPayload, type FakeAlert } from '../fakes/alertmanager/sender.ts';

const group = { receiver: 'devops-agent', groupLabels: { alertname: 'PodCrashLooping', namespace: 'shop' } };
const t0 = new Date('2026-11-02T10:00:00Z');
const at = (min: number) => new Date(t0.getTime() + min * 60_000);

const crash = (pod: string, over: Partial<FakeAlert> = {}): FakeAlert => ({
  labels: {
    alertname: 'PodCrashLooping',
    namespace: 'shop',
    pod,
    deployment: 'api',
    instance: '10.0.3.7:8080',
    job: 'kube-state-metrics',
    severity: 'critical',
    environment: 'production',
  },
  annotations: { summary: 'api pods are crash looping', runbook_url: 'https://runbooks.example/crash' },
  startsAt: at(0),
  ...over,
});

const thrown = (f: () => unknown): AppError => {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('did not throw');
};

describe('parseAlertmanagerWebhook', () => {
  it('maps a firing group to one triggered signal keyed by the group key', () => {
    const payload = buildAlertmanagerPayload(group, [crash('api-7d9-abc'), crash('api-7d9-def', { startsAt: at(2) })]);
    const s = parseAlertmanagerWebhook(payload);
    expect(s).toMatchObject({
      source: 'alertmanager',
      kind: 'triggered',
      status: 'triggered',
      externalId: '{}:{alertname="PodCrashLooping", namespace="shop"}',
      title: 'api pods are crash looping',
      service: 'kube-state-metrics',
      urgency: 'high',
      occurredAt: at(2),
      environment: 'production',
      agent: { name: 'Alertmanager' },
    });
    expect(s.eventId).toMatch(/^am-[0-9a-f]{64}$/);
    expect(s.labels).toEqual({
      alertname: 'PodCrashLooping',
      namespace: 'shop',
      deployment: 'api',
      instance: '10.0.3.7:8080',
      job: 'kube-state-metrics',
      severity: 'critical',
      environment: 'production',
      summary: 'api pods are crash looping',
      runbook_url: 'https://runbooks.example/crash',
    });
    // Namespaced names first, then bare names; the instance without its port; no duplicates.
    expect(s.resources).toEqual([
      'shop/api',
      'shop/api-7d9-abc',
      'shop/api-7d9-def',
      'api',
      '10.0.3.7',
      'api-7d9-abc',
      'api-7d9-def',
    ]);
    expect(s.htmlUrl).toMatch(/^http:\/\/prometheus\.test:9090\/graph/);
  });

  it('gives a redelivery the same event id, and a changed group a new one', () => {
    const alerts = [crash('api-7d9-abc'), crash('api-7d9-def')];
    const first = parseAlertmanagerWebhook(buildAlertmanagerPayload(group, alerts));
    const again = parseAlertmanagerWebhook(buildAlertmanagerPayload(group, [...alerts].reverse()));
    expect(again.eventId).toBe(first.eventId);
    const grown = parseAlertmanagerWebhook(buildAlertmanagerPayload(group, [...alerts, crash('api-7d9-ghi')]));
    expect(grown.eventId).not.toBe(first.eventId);
    expect(grown.externalId).toBe(first.externalId);
    expect(grown.kind).toBe('triggered');
  });

  it('maps a resolved group to a resolved signal at the last end time', () => {
    const alerts = [crash('api-7d9-abc', { endsAt: at(9) }), crash('api-7d9-def', { endsAt: at(12) })];
    const firing = parseAlertmanagerWebhook(
      buildAlertmanagerPayload(
        group,
        alerts.map((a) => ({ ...a, endsAt: undefined })),
      ),
    );
    const s = parseAlertmanagerWebhook(buildAlertmanagerPayload(group, alerts));
    expect(s).toMatchObject({
      kind: 'resolved',
      status: 'resolved',
      occurredAt: at(12),
      externalId: firing.externalId,
    });
    expect(s.eventId).not.toBe(firing.eventId);
  });

  it('names the alert and its count without a summary, takes service from labels, low urgency below critical', () => {
    const alerts: FakeAlert[] = ['a', 'b', 'c'].map((n) => ({
      labels: {
        alertname: 'HighLatency',
        service: 'checkout',
        severity: 'warning',
        instance: `web-${n}.internal:9100`,
      },
      startsAt: at(0),
    }));
    const s = parseAlertmanagerWebhook(
      buildAlertmanagerPayload({ receiver: 'r', groupLabels: { alertname: 'HighLatency' } }, alerts),
    );
    expect(s.title).toBe('HighLatency (3 firing)');
    expect(s.service).toBe('checkout');
    expect(s.urgency).toBe('low');
    expect(s.resources).toEqual(['checkout', 'web-a.internal', 'web-b.internal', 'web-c.internal']);
    expect(s.environment).toBeUndefined();
  });

  it('falls back to the receiver for the service, and counts truncated alerts', () => {
    const payload = buildAlertmanagerPayload(
      { receiver: 'team-db', groupLabels: {} },
      [{ labels: { alertname: 'Up', severity: 'page' }, startsAt: at(0) }],
      { truncatedAlerts: 4 },
    );
    const s = parseAlertmanagerWebhook(payload);
    expect(s.service).toBe('team-db');
    expect(s.urgency).toBe('high');
    expect(s.labels.truncated_alerts).toBe('4');
    expect(s.externalId).toBe('{}:{}');
  });

  it('tolerates unknown fields and lists the paths of missing ones', () => {
    const payload = { ...buildAlertmanagerPayload(group, [crash('p1')]), orgId: 1, extra: { x: 1 } };
    expect(parseAlertmanagerWebhook(payload).externalId).toContain('PodCrashLooping');
    const broken = buildAlertmanagerPayload(group, [crash('p1')]) as { alerts: Array<Record<string, unknown>> };
    delete broken.alerts[0]!.fingerprint;
    const e = thrown(() => parseAlertmanagerWebhook({ ...broken, groupKey: undefined, status: 'weird' }));
    expect(e.code).toBe('bad_request');
    expect(e.userMessage).toMatch(/^The Alertmanager webhook body is not valid: /);
    expect(e.userMessage).toContain('groupKey:');
    expect(e.userMessage).toContain('status:');
    expect(e.userMessage).toContain('alerts.0.fingerprint:');
    expect(thrown(() => parseAlertmanagerWebhook({ ...broken, alerts: [] })).userMessage).toContain('alerts:');
  });
});

describe('checkAlertmanagerAuth', () => {
  const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  const auth = { bearerTokens: ['tok-old', 'tok-new'], basic: { username: 'am', password: 'pa:ss' } };

  it('accepts any configured bearer token and the basic credentials (a colon in the password included)', () => {
    expect(checkAlertmanagerAuth({ authorization: 'Bearer tok-new' }, auth)).toBe(true);
    expect(checkAlertmanagerAuth({ authorization: 'bearer tok-old' }, auth)).toBe(true);
    expect(checkAlertmanagerAuth(basic('am', 'pa:ss'), auth)).toBe(true);
  });

  it('rejects wrong, missing and malformed credentials', () => {
    expect(checkAlertmanagerAuth({}, auth)).toBe(false);
    expect(checkAlertmanagerAuth({ authorization: 'Bearer tok' }, auth)).toBe(false);
    expect(checkAlertmanagerAuth({ authorization: 'Bearer tok-new-and-more' }, auth)).toBe(false);
    expect(checkAlertmanagerAuth({ authorization: 'Bearer' }, auth)).toBe(false);
    expect(checkAlertmanagerAuth({ authorization: 'Token tok-new' }, auth)).toBe(false);
    expect(checkAlertmanagerAuth(basic('am', 'wrong'), auth)).toBe(false);
    expect(checkAlertmanagerAuth(basic('other', 'pa:ss'), auth)).toBe(false);
    expect(checkAlertmanagerAuth({ authorization: 'Basic bm9jb2xvbg==' }, auth)).toBe(false); // "nocolon"
    // Basic when only bearer tokens are configured, and an empty configured token.
    expect(checkAlertmanagerAuth(basic('am', 'pa:ss'), { bearerTokens: ['tok-new'] })).toBe(false);
    expect(checkAlertmanagerAuth({ authorization: 'Bearer x' }, { bearerTokens: [''] })).toBe(false);
    expect(checkAlertmanagerAuth(basic('', ''), { bearerTokens: [], basic: { username: '', password: '' } })).toBe(
      false,
    );
  });
});

describe('hints', () => {
  it('finds resource-looking tokens, most specific first, without prose or numbers', () => {
    expect(
      resourcesFromText(
        'CRITICAL: https://api.shop.example.com/health failing, e.g. on shop/api-7d9 and node-3 (vol-0123abcd4567ef890) at 99.5% since 10:02',
      ),
    ).toEqual(['vol-0123abcd4567ef890', 'shop/api-7d9', 'api.shop.example.com', 'node-3']);
    expect(resourcesFromText('db-1:5432 down')).toEqual(['db-1']);
    expect(resourcesFromText('Everything is fine')).toEqual([]);
    expect(resourcesFromText(Array.from({ length: 30 }, (_, n) => `host-${n}`).join(' '))).toHaveLength(10);
  });

  it('names one environment, or none when several appear', () => {
    expect(environmentHint(['High CPU on api-prod-1'])).toBe('prod');
    expect(environmentHint(['Staging deploy failed'])).toBe('staging');
    expect(environmentHint(['api-prod-1 and api-staging-1'])).toBeUndefined();
    expect(environmentHint(['product page slow', 'developer portal'])).toBeUndefined();
  });
});
