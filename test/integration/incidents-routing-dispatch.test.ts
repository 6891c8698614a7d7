import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { flushHeldJob, scheduleHeldFlush } from '../../src/incidents/routing/jobs.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { loadIncidentRouting, type IncidentRouting } from '../../src/incidents/routing/config.ts';
import {
  createIncidentRouter,
  type IncidentRouter,
  type IncidentRouterDeps,
} from '../../src/incidents/routing/dispatch.ts';
import { createMailer, type Mailer } from '../../src/incidents/routing/mailer.ts';
import type { IncidentRouteEvent } from '../../src/incidents/routing/notice.ts';
import {
  claimHeld,
  claimRepeats,
  deliveriesOf,
  deliveryCounts,
  insertGrouped,
  lastWindow,
  openWindow,
} from '../../src/incidents/routing/repository.ts';
import { sql } from '../../src/store/orm.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp.ts';
import { startWebhookReceiver, type FakeWebhookReceiver } from '../fakes/webhook-receiver.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The router over a real store (PGlite, or PostgreSQL with DATABASE_URL), real SMTP and HTTP on
// loopback, a fixed clock: dedup and grouping, quiet hours and their flush, replicas, failures.

const secret = 'whsec-0123456789abcdef-0123456789';
const oncall = 'oncall-checkout@example.com';
let clock: Date;
const now = (): Date => clock;
let store: TestStore;
let smtp: FakeSmtp;
let receiver: FakeWebhookReceiver;
let mailer: Mailer;
let routing: IncidentRouting;

const router = (over: Partial<IncidentRouterDeps> = {}): IncidentRouter =>
  createIncidentRouter({
    db: store.db,
    routing,
    now,
    mailer,
    logger: createLogger('silent'),
    webhooks: { sleep: async () => {}, retries: 2 },
    ...over,
  });

const event = (
  over: { incidentId?: number; kind?: IncidentRouteEvent['kind']; urgency?: 'high' | 'low'; service?: string } = {},
): IncidentRouteEvent => ({
  workspaceId: 'T1',
  incidentId: over.incidentId ?? 7,
  kind: over.kind ?? 'triggered',
  incident: {
    number: 35 + (over.incidentId ?? 7),
    title: 'High error rate',
    service: over.service ?? 'checkout-api',
    urgency: over.urgency ?? 'high',
    status: over.kind === 'resolved' ? 'resolved' : 'triggered',
    htmlUrl: 'https://acme.pagerduty.com/incidents/Q1ABC',
  },
  facts: ['api-prod-1 was resized 30 min ago (CR-12)'],
});

const at = (iso: string): void => {
  clock = new Date(iso);
};
const minutes = (n: number): void => {
  clock = new Date(clock.getTime() + n * 60_000);
};
/** The first window of incident 7's triggered event at the webhook target, as notify would open it now. */
const webhookWindow = (eventId: string) => ({
  eventId,
  workspaceId: 'T1',
  incidentId: 7,
  kind: 'triggered',
  target: 'webhook:ops-bus',
  dedupKey: 'T1/7/triggered/webhook:ops-bus',
  windowSeq: 1,
  urgency: 'high',
  event: event(),
  at: clock,
});
const webhookBodies = () =>
  receiver.verified().map((r) => r.body as { type: string; repeats?: number; events?: unknown[] });

beforeAll(async () => {
  store = await createTestStore();
  smtp = await startFakeSmtp({ user: 'agent', pass: 'smtp-pass-123' });
  receiver = await startWebhookReceiver({ secret, now });
  mailer = createMailer({ smtpUrl: smtp.url(), from: 'agent@example.com', timeoutMs: 5_000 });
  routing = loadIncidentRouting(
    {
      defaultChannel: 'slack:T1:C0INCIDENTS',
      dedupWindow: '10m',
      services: [
        {
          match: 'checkout-*',
          channel: 'slack:T1:C0CHECKOUT',
          email: [oncall],
          webhooks: ['ops-bus'],
          minUrgency: 'low',
        },
      ],
      webhooks: [{ name: 'ops-bus', url: receiver.url, secretEnv: 'OPS_BUS_SECRET' }],
      quietHours: [{ target: oncall, from: '22:00', to: '07:00', timeZone: 'Europe/Berlin', allowUrgency: 'high' }],
    },
    { OPS_BUS_SECRET: secret },
  );
}, testStoreTimeoutMs);

afterAll(async () => {
  mailer.close();
  await Promise.all([smtp.close(), receiver.close(), store.dispose()]);
});

beforeEach(async () => {
  await store.db.execute(sql`TRUNCATE incident_deliveries`);
  smtp.messages.length = 0;
  smtp.setMode('accept');
  receiver.received.length = 0;
  receiver.script();
  // 11:00 in Berlin (winter, UTC+1): no quiet hours.
  at('2026-12-03T10:00:00Z');
});

describe('incident routing', () => {
  it('sends to the rule’s email and webhook and records both deliveries', async () => {
    const outcomes = await router().notify(event());
    expect(outcomes).toEqual([
      { target: `email:${oncall}`, status: 'sent', repeats: 0 },
      { target: 'webhook:ops-bus', status: 'sent', repeats: 0 },
    ]);
    expect(smtp.messages.map((m) => [m.to, m.subject])).toEqual([
      [[oncall], '[TRIGGERED] #42 checkout-api: High error rate'],
    ]);
    expect(webhookBodies().map((b) => b.type)).toEqual(['incident.triggered']);
    const rows = await deliveriesOf(store.db, 'T1', 7);
    expect(rows.map((r) => [r.target, r.status, r.attempts, r.dedupKey])).toEqual([
      [`email:${oncall}`, 'sent', 1, `T1/7/triggered/email:${oncall}`],
      ['webhook:ops-bus', 'sent', 1, 'T1/7/triggered/webhook:ops-bus'],
    ]);
    expect(rows[1]!.eventId).toBe(receiver.received[0]!.eventId);
    expect(rows.every((r) => r.sentAt?.getTime() === clock.getTime())).toBe(true);
  });

  it('sends nothing for a service without a rule, a kind not routed, or an invalid event', async () => {
    const r = router();
    expect(await r.notify(event({ service: 'billing' }))).toEqual([]);
    expect(await r.notify(event({ kind: 'annotated' }))).toEqual([]);
    expect(await r.notify({ ...event(), incidentId: -1 })).toEqual([]);
    expect(smtp.messages).toHaveLength(0);
    expect(receiver.received).toHaveLength(0);
    expect(await deliveryCounts(store.db)).toEqual({});
  });

  it('groups repeats inside the window and says "+N repeats" on the next delivery after it', async () => {
    const r = router();
    await r.notify(event());
    minutes(4);
    expect((await r.notify(event())).map((o) => o.status)).toEqual(['grouped', 'grouped']);
    minutes(5);
    expect((await r.notify(event())).map((o) => o.status)).toEqual(['grouped', 'grouped']);
    // Another kind of the same incident is its own series.
    expect((await r.notify(event({ kind: 'resolved' }))).map((o) => o.status)).toEqual(['sent', 'sent']);
    expect(smtp.messages).toHaveLength(2);
    minutes(2); // 11 minutes after the first delivery: the window is over.
    const next = await r.notify(event());
    expect(next).toEqual([
      { target: `email:${oncall}`, status: 'sent', repeats: 2 },
      { target: 'webhook:ops-bus', status: 'sent', repeats: 2 },
    ]);
    expect(smtp.messages.map((m) => m.subject)).toEqual([
      '[TRIGGERED] #42 checkout-api: High error rate',
      '[RESOLVED] #42 checkout-api: High error rate',
      '[TRIGGERED] #42 checkout-api: High error rate (+2 repeats)',
    ]);
    expect(webhookBodies().map((b) => [b.type, b.repeats])).toEqual([
      ['incident.triggered', 0],
      ['incident.resolved', 0],
      ['incident.triggered', 2],
    ]);
    // Reported once: the window after that starts from zero.
    minutes(11);
    expect((await r.notify(event()))[0]).toEqual({ target: `email:${oncall}`, status: 'sent', repeats: 0 });
    const rows = await deliveriesOf(store.db, 'T1', 7);
    const email = rows.filter((x) => x.target === `email:${oncall}` && x.kind === 'triggered');
    expect(email.map((x) => [x.status, x.windowSeq, x.repeats])).toEqual([
      ['sent', 1, 0],
      ['grouped', 1, 0],
      ['grouped', 1, 0],
      ['sent', 2, 2],
      ['sent', 3, 0],
    ]);
    expect(email[1]!.reportedIn).toBe(email[3]!.id);
  });

  it('holds low urgency during quiet hours, passes high urgency, and flushes the held ones as one message', async () => {
    at('2026-12-03T22:30:00Z'); // 23:30 in Berlin
    const r = router();
    expect(await r.notify(event({ incidentId: 7, urgency: 'low' }))).toEqual([
      { target: `email:${oncall}`, status: 'held' },
      { target: 'webhook:ops-bus', status: 'sent', repeats: 0 },
    ]);
    minutes(3);
    expect((await r.notify(event({ incidentId: 7, urgency: 'low' })))[0]!.status).toBe('grouped');
    expect((await r.notify(event({ incidentId: 8, urgency: 'low' })))[0]!.status).toBe('held');
    expect((await r.notify(event({ incidentId: 9, urgency: 'high' })))[0]).toEqual({
      target: `email:${oncall}`,
      status: 'sent',
      repeats: 0,
    });
    expect(smtp.messages.map((m) => m.subject)).toEqual(['[TRIGGERED] #44 checkout-api: High error rate']);
    const held = (await deliveriesOf(store.db, 'T1', 8)).find((x) => x.status === 'held')!;
    expect(held.heldUntil).toEqual(new Date('2026-12-04T06:00:00Z'));

    // 06:59 in Berlin: still quiet, nothing goes.
    expect(await r.flushHeld(new Date('2026-12-04T05:59:00Z'))).toEqual([]);
    expect(smtp.messages).toHaveLength(1);

    // 07:05: one email with both incidents, the repeat counted.
    at('2026-12-04T06:05:00Z');
    expect(await r.flushHeld()).toEqual([{ target: `email:${oncall}`, status: 'sent', repeats: 1 }]);
    expect(smtp.messages).toHaveLength(2);
    const m = smtp.messages[1]!;
    expect(m.subject).toBe('[HELD] 2 incident updates during quiet hours');
    expect(m.text).toContain('[TRIGGERED] #42 checkout-api: High error rate (+1 repeat)');
    expect(m.text).toContain('[TRIGGERED] #43 checkout-api: High error rate');
    const flushed = [...(await deliveriesOf(store.db, 'T1', 7)), ...(await deliveriesOf(store.db, 'T1', 8))].filter(
      (x) => x.target === `email:${oncall}` && x.windowKey !== null,
    );
    expect(flushed.map((x) => x.status)).toEqual(['sent', 'sent']);
    expect(new Set(flushed.map((x) => x.batchId)).size).toBe(1);
    expect(flushed[0]!.sentAt).toEqual(clock);
    // Nothing is left to flush.
    expect(await r.flushHeld()).toEqual([]);
    expect(smtp.messages).toHaveLength(2);
  });

  it('a held series opens a new window when the window ends in quiet hours: one notice with both counted', async () => {
    at('2026-12-03T22:30:00Z');
    const r = router();
    await r.notify(event({ urgency: 'low' }));
    minutes(15);
    expect((await r.notify(event({ urgency: 'low' })))[0]!.status).toBe('held');
    at('2026-12-04T06:00:00Z');
    await r.flushHeld();
    expect(smtp.messages.map((m) => m.subject)).toEqual(['[HELD] 1 incident update during quiet hours']);
    expect(smtp.messages[0]!.text).toContain('[TRIGGERED] #42 checkout-api: High error rate (+1 repeat)');
  });

  it('a held delivery whose target left the routing document is recorded failed at the flush, not sent', async () => {
    at('2026-12-03T23:00:00Z');
    await router().notify(event({ urgency: 'low' }));
    const without = loadIncidentRouting({ defaultChannel: 'slack:T1:C0INCIDENTS' }, {});
    at('2026-12-04T07:00:00Z');
    expect(await router({ routing: without }).flushHeld()).toEqual([
      { target: `email:${oncall}`, status: 'failed', error: `email:${oncall} is no longer in the routing document` },
    ]);
    expect(smtp.messages).toHaveLength(0);
  });

  it('keeps quiet hours by the wall clock across the DST change', async () => {
    // Sun 2026-10-25: Berlin goes from CEST to CET at 03:00; 06:30 CET is 05:30Z, still quiet.
    at('2026-10-25T05:30:00Z');
    const r = router();
    expect((await r.notify(event({ urgency: 'low' })))[0]!.status).toBe('held');
    expect(await r.flushHeld(new Date('2026-10-25T05:59:00Z'))).toEqual([]);
    expect(await r.flushHeld(new Date('2026-10-25T06:00:00Z'))).toEqual([
      { target: `email:${oncall}`, status: 'sent', repeats: 0 },
    ]);
  });

  it('two replicas told the same thing at once send it once', async () => {
    const a = router();
    const b = router();
    const outcomes = (await Promise.all([a.notify(event()), b.notify(event()), a.notify(event())])).flat();
    expect(
      outcomes
        .filter((o) => o.status === 'sent')
        .map((o) => o.target)
        .sort(),
    ).toEqual([`email:${oncall}`, 'webhook:ops-bus']);
    expect(outcomes.filter((o) => o.status === 'grouped')).toHaveLength(4);
    expect(smtp.messages).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it('a window is opened once: the second insert of its key is refused, whoever read what before', async () => {
    const row = { ...webhookWindow('e1'), status: 'sending' as const };
    expect(await openWindow(store.db, row)).toEqual(expect.any(Number));
    expect(await openWindow(store.db, { ...row, eventId: 'e2' })).toBeUndefined();
    expect(await openWindow(store.db, { ...row, eventId: 'e3', status: 'held' })).toBeUndefined();
    expect(await lastWindow(store.db, row.dedupKey)).toEqual({ windowSeq: 1, status: 'sending', createdAt: clock });
    // A replica that read no window before this one opened it records the event as its repeat.
    expect((await router().notify(event()))[1]).toEqual({ target: 'webhook:ops-bus', status: 'grouped' });
  });

  it('a delivery a stopped replica left sending is sent again once stale, with its event id, by one replica', async () => {
    const row = webhookWindow('e-interrupted');
    // What notify had done when the replica stopped: the window opened, one repeat claimed, nothing sent.
    const id = (await openWindow(store.db, { ...row, status: 'sending' }))!;
    await insertGrouped(store.db, { ...row, eventId: 'e-repeat', at: new Date(clock.getTime() - 60_000) });
    expect(await claimRepeats(store.db, row.dedupKey, id)).toBe(1);

    minutes(5);
    expect(await router().flushHeld()).toEqual([]);
    expect(receiver.received).toHaveLength(0);

    minutes(11);
    const outcomes = (await Promise.all([router().flushHeld(), router().flushHeld()])).flat();
    expect(outcomes).toEqual([{ target: 'webhook:ops-bus', status: 'sent', repeats: 1 }]);
    expect(receiver.verified().map((r) => r.eventId)).toEqual(['e-interrupted']);
    expect(webhookBodies()[0]).toMatchObject({ type: 'incident.triggered', repeats: 1 });
    const [sent] = (await deliveriesOf(store.db, 'T1', 7)).filter((x) => x.id === id);
    expect(sent).toMatchObject({ status: 'sent', repeats: 1, sentAt: clock });
    expect(await router().flushHeld()).toEqual([]);
  });

  it('a held batch a stopped replica left sending goes out as one message once stale', async () => {
    at('2026-12-03T23:00:00Z');
    await router().notify(event({ incidentId: 7, urgency: 'low' }));
    await router().notify(event({ incidentId: 8, urgency: 'low' }));
    at('2026-12-04T06:30:00Z');
    // The flush claimed them, then its replica stopped before sending.
    expect(await claimHeld(store.db, `email:${oncall}`, ['low'], 'batch-interrupted', clock)).toHaveLength(2);
    expect(await router({ staleSendingMs: 60_000 }).flushHeld()).toEqual([]);
    minutes(2);
    expect(await router({ staleSendingMs: 60_000 }).flushHeld()).toEqual([
      { target: `email:${oncall}`, status: 'sent', repeats: 0 },
    ]);
    expect(smtp.messages.map((m) => m.subject)).toEqual(['[HELD] 2 incident updates during quiet hours']);
    expect(await deliveryCounts(store.db)).toMatchObject({ sent: 4 });
  });

  it('two replicas flushing at once send the held ones once', async () => {
    at('2026-12-03T23:00:00Z');
    const a = router();
    const b = router();
    await a.notify(event({ incidentId: 7, urgency: 'low' }));
    await b.notify(event({ incidentId: 8, urgency: 'low' }));
    at('2026-12-04T06:30:00Z');
    const outcomes = (await Promise.all([a.flushHeld(), b.flushHeld()])).flat();
    expect(outcomes).toEqual([{ target: `email:${oncall}`, status: 'sent', repeats: 0 }]);
    expect(smtp.messages.map((m) => m.subject)).toEqual(['[HELD] 2 incident updates during quiet hours']);
  });

  it('a failing target is recorded and logged, the others still go, and notify does not throw', async () => {
    receiver.script({ status: 400, body: 'schema mismatch' });
    smtp.setMode('reject550');
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream);
    const outcomes = await router({ logger }).notify(event());
    expect(outcomes).toEqual([
      { target: `email:${oncall}`, status: 'failed', error: expect.stringContaining('the SMTP server answered 550') },
      { target: 'webhook:ops-bus', status: 'failed', error: 'webhook ops-bus answered 400: schema mismatch' },
    ]);
    const rows = await deliveriesOf(store.db, 'T1', 7);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ['failed', 1],
      ['failed', 1],
    ]);
    // Both targets are tried at once: their rows' order is not theirs to keep.
    expect(rows.find((r) => r.target === 'webhook:ops-bus')!.error).toBe(
      'webhook ops-bus answered 400: schema mismatch',
    );
    expect(lines.filter((l) => l.includes('incident delivery failed'))).toHaveLength(2);
    expect(lines.join('')).not.toContain('smtp-pass-123');
    expect(lines.join('')).not.toContain(secret);

    // A failed delivery opens no window: the next event inside ten minutes is sent.
    smtp.setMode('accept');
    minutes(1);
    expect((await router().notify(event())).map((o) => o.status)).toEqual(['sent', 'sent']);
  });

  it('retries a webhook on 503 and records the attempts', async () => {
    receiver.script({ status: 503 }, { status: 503 });
    expect((await router().notify(event()))[1]).toEqual({ target: 'webhook:ops-bus', status: 'sent', repeats: 0 });
    const row = (await deliveriesOf(store.db, 'T1', 7)).find((r) => r.target === 'webhook:ops-bus')!;
    expect(row.attempts).toBe(3);
    expect(new Set(receiver.received.map((r) => r.eventId))).toEqual(new Set([row.eventId]));
  });

  it('without a mailer, email targets are recorded failed; a repeat counted in a failed delivery is reported later', async () => {
    const noMail = router({ mailer: undefined });
    await router().notify(event());
    minutes(1);
    await noMail.notify(event()); // grouped: inside the window
    minutes(10);
    const failed = await noMail.notify(event());
    expect(failed[0]).toEqual({
      target: `email:${oncall}`,
      status: 'failed',
      error: 'email is not configured (SMTP_URL is not set)',
    });
    minutes(1);
    expect((await router().notify(event()))[0]).toEqual({ target: `email:${oncall}`, status: 'sent', repeats: 1 });
  });

  it('the scheduled job flushes what was held', async () => {
    at('2026-12-03T23:00:00Z');
    await router().notify(event({ urgency: 'low' }));
    at('2026-12-04T07:00:00Z');
    const scheduler = createScheduler({
      store,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      embedded: store.embedded,
      processEvery: 100,
      lockLifetimeMs: 1_000,
    });
    try {
      await scheduleHeldFlush(scheduler, router(), { everyMs: 60_000 });
      await scheduler.start();
      await waitFor(() => smtp.messages.length > 0, {
        what: `a run of ${flushHeldJob} to send the held email`,
        timeoutMs: 15_000,
      });
    } finally {
      await scheduler.stop();
    }
    expect(smtp.messages.map((m) => m.subject)).toEqual(['[HELD] 1 incident update during quiet hours']);
  });
});
