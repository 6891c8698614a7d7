import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { listAuditEvents } from '../../src/changes/audit.ts';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The approval-expiry and executor-recovery jobs, run by the real scheduler. Expiry: a pending request older than APPROVAL_TTL
 * becomes `expired`, its card says so, the requester is told, and it is audited. The app's clock
 * is fixed and moved by the test; Agenda itself polls in real time.
 */
let app: TestApp;
let clock = new Date('2026-11-02T09:00:00Z');
beforeAll(async () => {
  app = await startTestApp(
    { APPROVAL_TTL: '2h', EXPIRY_CHECK_INTERVAL: '1s', EXECUTION_LEASE: '3s', INVENTORY_SYNC_INTERVAL: '1h' },
    { jobs: true, now: () => clock },
  );
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

it('expires a pending change request after APPROVAL_TTL through the scheduled job', async () => {
  const [card] = await turn(app, 'alice', 'reboot db-prod-1');
  const id = card!.changeId!;
  expect((await app.changes.get(id))?.expiresAt?.toISOString()).toBe('2026-11-02T11:00:00.000Z');

  clock = new Date('2026-11-02T11:00:01Z');
  const status = async () => (await app.changes.get(id))?.status;
  await waitFor(async () => (await status()) === 'expired', {
    what: `the expiry job to expire ${id}`,
    timeoutMs: 20_000,
    intervalMs: 200,
    detail: async () => `status ${await status()}`,
  });
  // The status flips first; the card update and the requester's notice follow from the listener.
  const messages = async () => {
    const res = await fetch(`${app.url}/console/api/messages?user=alice`);
    return ((await res.json()) as { messages: Array<{ text: string; reply: { changeId?: string } | null }> }).messages;
  };
  await waitFor(async () => (await messages()).some((m) => m.text.startsWith(`⌛ ${id}: Expired`)), {
    what: `the requester to be told that ${id} expired`,
    timeoutMs: 10_000,
    detail: async () => (await messages()).map((m) => m.text),
  });
  expect((await messages()).find((m) => m.reply?.changeId === id)?.text).toMatch(/expired/);
  const events = await listAuditEvents(app.store.db, { subject: id });
  expect(events.map((e) => e.type)).toEqual(['change.requested', 'change.expired']);

  const [late] = await turn(app, 'bob', `approve ${id}`);
  expect(late?.text).toMatch(/expired/);
  expect(app.sandbox!.requests.some((r) => r.action === 'RebootInstances')).toBe(false);
}, 40_000);

it('marks a change whose executor stopped renewing its lease interrupted through the recovery job', async () => {
  const [card] = await turn(app, 'alice', 'stop db-prod-1');
  const id = card!.changeId!;
  // As another instance that died mid-run would leave it: executing, lease last renewed 10 min ago.
  const stale = new Date(clock.getTime() - 600_000);
  await app.store.pool.query(
    "UPDATE change_requests SET status = 'executing', executor = 'gone:1:abc', started_at = $2, heartbeat_at = $2 WHERE id = $1",
    [id, stale],
  );

  const status = async () => (await app.changes.get(id))?.status;
  await waitFor(async () => (await status()) === 'interrupted', {
    what: `the recovery job to mark ${id} interrupted`,
    timeoutMs: 20_000,
    intervalMs: 200,
    detail: async () => `status ${await status()}`,
  });
  expect((await app.changes.get(id))?.reason).toBe('the service stopped while it was running');
  expect((await listAuditEvents(app.store.db, { subject: id })).map((e) => e.type)).toEqual([
    'change.requested',
    'change.interrupted',
  ]);
  expect(app.sandbox!.requests.some((r) => r.action === 'StopInstances')).toBe(false);
}, 40_000);
