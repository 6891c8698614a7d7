import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors.ts';
import {
  channelFor,
  loadIncidentRouting,
  parseIncidentRouting,
  quietUntil,
  targetsFor,
  type IncidentRouting,
} from '../../src/incidents/routing/config.ts';

// The routing document: service rules (first match wins), webhooks with secrets from the
// environment, quiet hours over approval windows (DST-safe); every problem listed with its path.

const env = { OPS_BUS_SECRET: 'a-secret-of-32-characters-long!!' };

const doc = {
  defaultChannel: 'slack:T123:C0INCIDENTS',
  dedupWindow: '10m',
  services: [
    {
      match: 'checkout-*',
      channel: 'slack:T123:C0CHECKOUT',
      email: ['Oncall-Checkout@Example.com'],
      webhooks: ['ops-bus'],
      minUrgency: 'low',
    },
    { match: 'payments', email: ['pay@example.com'] },
    { match: 'teams-svc', channel: 'teams:tenant-1:19:abc@thread.tacv2' },
  ],
  webhooks: [{ name: 'ops-bus', url: 'https://hooks.example.com/incidents', secretEnv: 'OPS_BUS_SECRET' }],
  quietHours: [
    {
      target: 'oncall-checkout@example.com',
      from: '22:00',
      to: '07:00',
      timeZone: 'Europe/Berlin',
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      allowUrgency: 'high',
    },
  ],
};

const problems = (d: unknown, e: Record<string, string> = env): string => {
  try {
    loadIncidentRouting(d, e);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('config_invalid');
    return (err as AppError).userMessage;
  }
  throw new AppError('internal', 'expected the document to be refused');
};

describe('loading the routing document', () => {
  it('reads the example: channels, targets, the window, the secret from the environment', () => {
    const r = loadIncidentRouting(doc, env);
    expect(r.dedupWindowMs).toBe(600_000);
    expect(r.webhooks.get('ops-bus')).toEqual({
      name: 'ops-bus',
      url: 'https://hooks.example.com/incidents',
      secret: env.OPS_BUS_SECRET,
    });
    expect(r.quietHours).toEqual([
      expect.objectContaining({ target: 'email:oncall-checkout@example.com', allowUrgency: 'high' }),
    ]);
    expect([...r.kinds]).toContain('triggered');
    expect(r.kinds.has('annotated')).toBe(false);
  });

  it('defaults: a 10 minute window, no rules, high urgency only', () => {
    const r = loadIncidentRouting(
      { defaultChannel: 'console:console:incidents', services: [{ match: '*', email: ['a@b.co'] }] },
      {},
    );
    expect(r.dedupWindowMs).toBe(600_000);
    expect(targetsFor(r, 'anything', 'low')).toEqual([]);
    expect(targetsFor(r, 'anything', 'high')).toEqual([{ type: 'email', key: 'email:a@b.co', address: 'a@b.co' }]);
  });

  it('lists every schema problem with its path', () => {
    const message = problems({
      defaultChannel: 'C0INCIDENTS',
      dedupWindow: 'ten minutes',
      services: [{ match: 'x', channel: 'irc:net:chan', email: ['not-an-email'], minUrgency: 'urgent' }],
      webhooks: [{ name: 'Ops Bus', url: 'ftp://x', secretEnv: 'ops' }],
      quietHours: [{ target: 'ops-bus', from: '25:00', to: '07:00', timeZone: 'Mars/Olympus', days: ['someday'] }],
      extra: true,
    });
    for (const path of [
      'defaultChannel: must be <surface>:<workspace>:<channel>',
      'dedupWindow: must be a duration',
      'services.0.channel: must be <surface>:<workspace>:<channel>',
      'services.0.email.0: must be an email address',
      'services.0.minUrgency:',
      'webhooks.0.name: must be lower-case',
      'webhooks.0.url: must be an http(s) URL',
      'webhooks.0.secretEnv: must be an environment variable name',
      'quietHours.0.from: must be a 24-hour time',
      'quietHours.0.timeZone: must be an IANA time zone',
      'quietHours.0.days.0: must be one of mon',
      '(document): Unrecognized key: "extra"',
    ])
      expect(message).toContain(path);
  });

  it('lists every cross-reference problem with its path', () => {
    const message = problems(
      {
        defaultChannel: 'slack:T1:C1',
        services: [{ match: 'a', webhooks: ['ops-bus', 'nowhere'] }],
        webhooks: [
          { name: 'ops-bus', url: 'https://a.example', secretEnv: 'MISSING_SECRET' },
          { name: 'ops-bus', url: 'https://b.example', secretEnv: 'SHORT_SECRET' },
        ],
        quietHours: [{ target: 'not-a-target', from: '22:00', to: '07:00' }],
      },
      { SHORT_SECRET: 'short' },
    );
    expect(message).toContain('webhooks.0.secretEnv: the environment variable MISSING_SECRET is not set');
    expect(message).toContain('webhooks.1.name: "ops-bus" is defined twice');
    expect(message).toContain('webhooks.1.secretEnv: SHORT_SECRET must hold at least 16 characters');
    expect(message).toContain('services.0.webhooks.1: no webhook named "nowhere" in webhooks');
    expect(message).toContain('quietHours.0.target: "not-a-target" is not an email address');
    // The secret's value is never in the message.
    expect(message).not.toContain('short"');
  });

  it('a window whose from equals its to is refused at its path', () => {
    expect(
      problems({ defaultChannel: 'slack:T1:C1', quietHours: [{ target: 'a@b.co', from: '07:00', to: '07:00' }] }),
    ).toContain('quietHours.0.to: from and to must differ');
  });

  it('parses YAML text, and names the line of a syntax error', () => {
    const r = parseIncidentRouting('defaultChannel: slack:T1:C1\ndedupWindow: 5m\n', {});
    expect(r.dedupWindowMs).toBe(300_000);
    expect(() => parseIncidentRouting('defaultChannel: [slack\n', {})).toThrow(/not valid YAML or JSON: .*line/);
  });
});

describe('channels and targets', () => {
  const r: IncidentRouting = loadIncidentRouting(doc, env);

  it('the first matching rule gives the channel, a glob matches case-insensitively, else the default', () => {
    expect(channelFor(r, 'checkout-api')).toEqual({ surface: 'slack', workspaceId: 'T123', channelId: 'C0CHECKOUT' });
    expect(channelFor(r, 'Checkout-Web').channelId).toBe('C0CHECKOUT');
    expect(channelFor(r, 'checkout')).toEqual(r.defaultChannel);
    expect(channelFor(r, 'payments')).toEqual({ surface: 'slack', workspaceId: 'T123', channelId: 'C0INCIDENTS' });
    expect(channelFor(r, 'unknown')).toEqual(r.defaultChannel);
    // Teams conversation ids hold colons: the rest after the workspace is the channel.
    expect(channelFor(r, 'teams-svc')).toEqual({
      surface: 'teams',
      workspaceId: 'tenant-1',
      channelId: '19:abc@thread.tacv2',
    });
  });

  it('targets of the rule, filtered by its minimum urgency; an unknown service has none', () => {
    expect(targetsFor(r, 'checkout-api', 'low').map((t) => t.key)).toEqual([
      'email:oncall-checkout@example.com',
      'webhook:ops-bus',
    ]);
    expect(targetsFor(r, 'payments', 'low')).toEqual([]);
    expect(targetsFor(r, 'payments', 'high').map((t) => t.key)).toEqual(['email:pay@example.com']);
    expect(targetsFor(r, 'unknown', 'high')).toEqual([]);
  });
});

describe('quiet hours', () => {
  const r = loadIncidentRouting(doc, env);
  const email = 'email:oncall-checkout@example.com';

  it('hold low urgency inside 22:00–07:00 Berlin, pass high urgency, and say when they end', () => {
    // 2026-12-03 is in winter: Berlin is UTC+1.
    expect(quietUntil(r, email, 'low', new Date('2026-12-03T20:59:00Z'))).toBeUndefined();
    expect(quietUntil(r, email, 'low', new Date('2026-12-03T21:00:00Z'))).toEqual(new Date('2026-12-04T06:00:00Z'));
    expect(quietUntil(r, email, 'high', new Date('2026-12-03T23:00:00Z'))).toBeUndefined();
    expect(quietUntil(r, email, 'low', new Date('2026-12-04T05:59:00Z'))).toEqual(new Date('2026-12-04T06:00:00Z'));
    expect(quietUntil(r, email, 'low', new Date('2026-12-04T06:00:00Z'))).toBeUndefined();
    // Other targets have no quiet hours.
    expect(quietUntil(r, 'webhook:ops-bus', 'low', new Date('2026-12-03T23:00:00Z'))).toBeUndefined();
  });

  it('keep their wall times across the autumn DST change (the night is an hour longer)', () => {
    // Sat 2026-10-24 22:00 CEST (20:00Z) to Sun 2026-10-25 07:00 CET (06:00Z).
    expect(quietUntil(r, email, 'low', new Date('2026-10-24T19:59:00Z'))).toBeUndefined();
    expect(quietUntil(r, email, 'low', new Date('2026-10-24T20:00:00Z'))).toEqual(new Date('2026-10-25T06:00:00Z'));
    // 06:30 CET: still quiet (a fixed +2 offset would say 07:30).
    expect(quietUntil(r, email, 'low', new Date('2026-10-25T05:30:00Z'))).toEqual(new Date('2026-10-25T06:00:00Z'));
    expect(quietUntil(r, email, 'low', new Date('2026-10-25T06:00:00Z'))).toBeUndefined();
  });

  it('keep their wall times across the spring DST change (the night is an hour shorter)', () => {
    // Sat 2026-03-28 22:00 CET (21:00Z) to Sun 2026-03-29 07:00 CEST (05:00Z).
    expect(quietUntil(r, email, 'low', new Date('2026-03-28T21:00:00Z'))).toEqual(new Date('2026-03-29T05:00:00Z'));
    // 07:30 CEST: over (a fixed +1 offset would say 06:30, still quiet).
    expect(quietUntil(r, email, 'low', new Date('2026-03-29T05:30:00Z'))).toBeUndefined();
  });

  it('only on the listed days, and a chat channel or webhook can have them too', () => {
    const weekdays = loadIncidentRouting(
      {
        defaultChannel: 'slack:T1:C1',
        webhooks: [{ name: 'ops-bus', url: 'https://a.example', secretEnv: 'OPS_BUS_SECRET' }],
        quietHours: [
          { target: 'ops-bus', from: '18:00', to: '24:00', days: ['sat', 'sun'] },
          { target: 'slack:T1:C1', from: '00:00', to: '08:00' },
        ],
      },
      env,
    );
    // 2026-12-05 is a Saturday, 2026-12-04 a Friday (UTC zone by default).
    expect(quietUntil(weekdays, 'webhook:ops-bus', 'high', new Date('2026-12-05T19:00:00Z'))).toEqual(
      new Date('2026-12-06T00:00:00Z'),
    );
    expect(quietUntil(weekdays, 'webhook:ops-bus', 'high', new Date('2026-12-04T19:00:00Z'))).toBeUndefined();
    expect(quietUntil(weekdays, 'chat:slack:T1:C1', 'low', new Date('2026-12-04T07:00:00Z'))).toEqual(
      new Date('2026-12-04T08:00:00Z'),
    );
  });
});
