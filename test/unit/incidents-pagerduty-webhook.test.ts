import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors.ts';
import { parsePagerDutyWebhook, verifyPagerDutySignature } from '../../src/incidents/pagerduty/webhook.ts';
import type { IncidentSignal } from '../../src/incidents/model.ts';

const sign = (raw: Buffer, secret: string) => `v1=${createHmac('sha256', secret).update(raw).digest('hex')}`;

/** An incident as PagerDuty's V3 docs show `event.data` (type `incident`), with our own values. */
const incident = (over: Record<string, unknown> = {}) => ({
  id: 'Q1ABCDEF',
  type: 'incident',
  self: 'https://api.pagerduty.com/incidents/Q1ABCDEF',
  html_url: 'https://acme.pagerduty.com/incidents/Q1ABCDEF',
  number: 42,
  status: 'triggered',
  incident_key: 'cpu-api-prod-1',
  created_at: '2026-11-02T10:00:00Z',
  title: 'High CPU on api-prod-1.eu-west-1.internal (i-0abc1234def567890)',
  service: {
    html_url: 'https://acme.pagerduty.com/services/PSVC1',
    id: 'PSVC1',
    self: 'https://api.pagerduty.com/services/PSVC1',
    summary: 'Checkout API',
    type: 'service_reference',
  },
  assignees: [{ id: 'PUSER1', summary: 'Ana Silva', type: 'user_reference' }],
  escalation_policy: { id: 'PEP1', summary: 'Checkout on-call', type: 'escalation_policy_reference' },
  teams: [
    { id: 'PT1', summary: 'Payments', type: 'team_reference' },
    { id: 'PT2', summary: 'SRE', type: 'team_reference' },
  ],
  priority: { id: 'PPRI1', summary: 'P1', type: 'priority_reference' },
  urgency: 'high',
  conference_bridge: { conference_number: '+1 555', conference_url: 'https://meet.example/x' },
  resolve_reason: null,
  some_future_field: { kept: true },
  ...over,
});

const envelope = (eventType: string, data: unknown, over: Record<string, unknown> = {}) => ({
  event: {
    id: 'EV-01',
    event_type: eventType,
    resource_type: 'incident',
    occurred_at: '2026-11-02T10:01:02.345Z',
    agent: {
      id: 'PUSER1',
      summary: 'Ana Silva',
      type: 'user_reference',
      html_url: 'https://acme.pagerduty.com/users/PUSER1',
    },
    client: { name: 'PagerDuty' },
    data,
    ...over,
  },
});

const signalOf = (body: unknown): IncidentSignal => {
  const r = parsePagerDutyWebhook(body);
  if (!('signal' in r)) throw new Error(`ignored: ${r.ignored}`);
  return r.signal;
};

const thrown = (f: () => unknown): AppError => {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('did not throw');
};

describe('verifyPagerDutySignature', () => {
  const raw = Buffer.from(JSON.stringify(envelope('incident.triggered', incident())), 'utf8');

  it('accepts the v1 HMAC of the raw body under the configured secret', () => {
    expect(verifyPagerDutySignature(raw, sign(raw, 's3cret'), ['s3cret'])).toBe(true);
  });

  it('accepts any matching value during a rotation, and any configured secret', () => {
    const header = `${sign(raw, 'old-secret')},${sign(raw, 'new-secret')}`;
    expect(verifyPagerDutySignature(raw, header, ['new-secret'])).toBe(true);
    expect(verifyPagerDutySignature(raw, header, ['old-secret'])).toBe(true);
    expect(verifyPagerDutySignature(raw, sign(raw, 'new-secret'), ['old-secret', 'new-secret'])).toBe(true);
    // Spaces after the commas, as some proxies rewrite lists.
    expect(verifyPagerDutySignature(raw, `${sign(raw, 'x')}, ${sign(raw, 'new-secret')}`, ['new-secret'])).toBe(true);
  });

  it('rejects a wrong secret, a tampered body, and a body re-serialised differently', () => {
    expect(verifyPagerDutySignature(raw, sign(raw, 'forged'), ['s3cret'])).toBe(false);
    const tampered = Buffer.from(raw.toString('utf8').replace('High CPU', 'Low CPU'), 'utf8');
    expect(verifyPagerDutySignature(tampered, sign(raw, 's3cret'), ['s3cret'])).toBe(false);
    const pretty = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8')), null, 2), 'utf8');
    expect(verifyPagerDutySignature(pretty, sign(raw, 's3cret'), ['s3cret'])).toBe(false);
  });

  it('rejects a missing, empty or garbled header, and no configured secret', () => {
    const good = sign(raw, 's3cret');
    expect(verifyPagerDutySignature(raw, undefined, ['s3cret'])).toBe(false);
    expect(verifyPagerDutySignature(raw, '', ['s3cret'])).toBe(false);
    expect(verifyPagerDutySignature(raw, good.slice(3), ['s3cret'])).toBe(false); // no v1=
    expect(verifyPagerDutySignature(raw, good.replace('v1=', 'v2='), ['s3cret'])).toBe(false);
    expect(verifyPagerDutySignature(raw, good.slice(0, -2), ['s3cret'])).toBe(false); // short
    expect(verifyPagerDutySignature(raw, `${good}zz`, ['s3cret'])).toBe(false);
    expect(verifyPagerDutySignature(raw, 'v1=not-hex', ['s3cret'])).toBe(false);
    expect(verifyPagerDutySignature(raw, good, [])).toBe(false);
    expect(verifyPagerDutySignature(raw, sign(raw, ''), [''])).toBe(false);
    // A header stuffed with many values is not a rotation.
    expect(verifyPagerDutySignature(raw, [...Array(11).fill(sign(raw, 'x')), good].join(','), ['s3cret'])).toBe(false);
  });
});

describe('parsePagerDutyWebhook', () => {
  it('maps incident.triggered with labels, resources, agent, link and number', () => {
    const s = signalOf(envelope('incident.triggered', incident()));
    expect(s).toEqual({
      source: 'pagerduty',
      eventId: 'EV-01',
      kind: 'triggered',
      occurredAt: new Date('2026-11-02T10:01:02.345Z'),
      externalId: 'Q1ABCDEF',
      number: 42,
      title: 'High CPU on api-prod-1.eu-west-1.internal (i-0abc1234def567890)',
      service: 'Checkout API',
      serviceId: 'PSVC1',
      urgency: 'high',
      status: 'triggered',
      htmlUrl: 'https://acme.pagerduty.com/incidents/Q1ABCDEF',
      agent: { name: 'Ana Silva', id: 'PUSER1' },
      assignees: ['Ana Silva'],
      labels: {
        service: 'Checkout API',
        incident_key: 'cpu-api-prod-1',
        priority: 'P1',
        escalation_policy: 'Checkout on-call',
        teams: 'Payments, SRE',
        urgency: 'high',
      },
      // The cloud id first, then the qualified host name.
      resources: ['i-0abc1234def567890', 'api-prod-1.eu-west-1.internal'],
      environment: 'prod',
    });
  });

  it.each([
    ['incident.acknowledged', 'acknowledged', 'acknowledged'],
    ['incident.unacknowledged', 'unacknowledged', 'triggered'],
    ['incident.resolved', 'resolved', 'resolved'],
    ['incident.reopened', 'reopened', 'triggered'],
    ['incident.escalated', 'escalated', 'triggered'],
    ['incident.reassigned', 'reassigned', 'triggered'],
    ['incident.delegated', 'reassigned', 'triggered'],
    ['incident.priority_updated', 'priority_updated', 'triggered'],
  ] as const)('maps %s to %s', (eventType, kind, status) => {
    const s = signalOf(envelope(eventType, incident({ status })));
    expect(s.kind).toBe(kind);
    expect(s.status).toBe(status);
    expect(s.externalId).toBe('Q1ABCDEF');
  });

  it('carries the resolve reason, the new priority, the escalation level when present, and new assignees', () => {
    expect(
      signalOf(envelope('incident.resolved', incident({ status: 'resolved', resolve_reason: 'rolled back CR-12' })))
        .note,
    ).toBe('rolled back CR-12');
    expect(
      signalOf(
        envelope(
          'incident.resolved',
          incident({
            status: 'resolved',
            resolve_reason: { type: 'merge_resolve_reason', incident: { id: 'Q9', summary: 'API down' } },
          }),
        ),
      ).note,
    ).toBe('merged into API down');
    expect(
      signalOf(envelope('incident.priority_updated', incident({ priority: { id: 'P2', summary: 'P2' } }))).note,
    ).toBe('P2');
    expect(signalOf(envelope('incident.escalated', incident({ escalation_level: 2 }))).escalationLevel).toBe(2);
    expect(signalOf(envelope('incident.escalated', incident())).escalationLevel).toBeUndefined();
    const reassigned = signalOf(
      envelope(
        'incident.reassigned',
        incident({ assignees: [{ id: 'PUSER2', summary: 'Bo Chen', type: 'user_reference' }] }),
      ),
    );
    expect(reassigned.assignees).toEqual(['Bo Chen']);
  });

  it('maps incident.annotated (an incident_note) to a partial signal with the note', () => {
    const s = signalOf(
      envelope('incident.annotated', {
        incident: {
          html_url: 'https://acme.pagerduty.com/incidents/Q1ABCDEF',
          id: 'Q1ABCDEF',
          self: 'https://api.pagerduty.com/incidents/Q1ABCDEF',
          summary: 'High CPU on api-prod-1',
          type: 'incident_reference',
        },
        id: 'PNOTE1',
        content: 'Looking at the deploy from 10:02',
        trimmed: false,
        type: 'incident_note',
      }),
    );
    expect(s).toMatchObject({
      kind: 'annotated',
      externalId: 'Q1ABCDEF',
      title: 'High CPU on api-prod-1',
      note: 'Looking at the deploy from 10:02',
      agent: { name: 'Ana Silva', id: 'PUSER1' },
      partial: true,
      resources: ['api-prod-1'],
    });
  });

  it('takes low urgency, a system agent and no environment when the payload says so', () => {
    const s = signalOf(
      envelope('incident.triggered', incident({ urgency: 'low', title: 'Disk 91% on db-7', incident_key: null }), {
        agent: null,
        client: null,
      }),
    );
    expect(s.urgency).toBe('low');
    expect(s.agent).toBeUndefined();
    expect(s.environment).toBeUndefined();
    expect(s.labels.incident_key).toBeUndefined();
    expect(s.resources).toEqual(['db-7']);
  });

  it.each([
    ['incident.responder.added', /responder/],
    ['incident.responder.replied', /responder/],
    ['service.updated', /service changes/],
    ['service.created', /service changes/],
    ['pagey.ping', /testing the subscription/],
    ['incident.status_update_published', /not an event the bot acts on/],
  ])('ignores %s with a reason', (eventType, reason) => {
    const r = parsePagerDutyWebhook(envelope(eventType, { id: 'X', type: 'whatever' }));
    expect(r).toEqual({ ignored: expect.stringMatching(reason) });
  });

  it('lists the missing paths of a malformed body', () => {
    const e = thrown(() =>
      parsePagerDutyWebhook(envelope('incident.triggered', incident({ title: undefined, service: { summary: 'x' } }))),
    );
    expect(e.code).toBe('bad_request');
    expect(e.userMessage).toMatch(/^The PagerDuty webhook body is not valid: /);
    expect(e.userMessage).toContain('event.data.title:');
    expect(e.userMessage).toContain('event.data.service.id:');

    const noEvent = thrown(() => parsePagerDutyWebhook({ messages: [] }));
    expect(noEvent.userMessage).toContain('event:');
    const badTime = thrown(() =>
      parsePagerDutyWebhook(envelope('incident.triggered', incident(), { occurred_at: 'yesterday' })),
    );
    expect(badTime.userMessage).toContain('event.occurred_at:');
    const badNote = thrown(() => parsePagerDutyWebhook(envelope('incident.annotated', { content: 'x' })));
    expect(badNote.userMessage).toContain('event.data.incident:');
    expect(thrown(() => parsePagerDutyWebhook('not json')).code).toBe('bad_request');
  });

  it('clips an over-long title instead of refusing the event', () => {
    const s = signalOf(envelope('incident.triggered', incident({ title: 'x'.repeat(5000) })));
    expect(s.title).toHaveLength(1000);
  });
});
