import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { countingProvider, harness } from '../fixtures/changes-harness.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Two app instances on one database: one runs a change, the other's recovery job must leave it
// alone while the runner renews its lease, and mark it interrupted (never re-run) once it lapses.
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
}, 120_000);
afterAll(() => store?.dispose());

const leaseMs = 3_000;

const heartbeat = async (id: string): Promise<{ executor: string | null; at: Date | null }> => {
  const { rows } = await store.pool.query<{ executor: string | null; heartbeat_at: Date | null }>(
    'SELECT executor, heartbeat_at FROM change_requests WHERE id = $1',
    [id],
  );
  return { executor: rows[0]!.executor, at: rows[0]!.heartbeat_at };
};

describe('executor lease across instances', () => {
  test('a running change is left alone while its lease is renewed; its late result is kept once it lapsed', async () => {
    let release!: () => void;
    const provider = countingProvider();
    provider.gate = new Promise<void>((r) => (release = r));
    const runner = harness(store.db, { provider, executorId: 'runner', leaseMs });
    const other = harness(store.db, { provider: countingProvider(), executorId: 'other', leaseMs });

    const c = await runner.service.request(planFor(), person('alice'), 'operator', conversation);
    const started = new Promise<void>((r) => (provider.onExecute = () => r()));
    const approving = runner.service.approve(c.id, person('bob'), 'approver');
    await started;
    expect(await heartbeat(c.id)).toEqual({ executor: 'runner', at: runner.clock.now() });

    // The runner's clock moves on and it renews; the other instance, 10 s later, sees a live lease.
    runner.clock.advance(10_000);
    // The runner renews on a real timer (every leaseMs / 3): poll the row until it has.
    const renewed = await waitFor(
      async () => {
        const hb = await heartbeat(c.id);
        return hb.at?.getTime() === runner.clock.now().getTime() && hb;
      },
      {
        what: `the runner to renew its lease on ${c.id} at its advanced clock`,
        timeoutMs: 20_000,
        intervalMs: 50,
        detail: () => heartbeat(c.id),
      },
    );
    expect(renewed).toEqual({ executor: 'runner', at: runner.clock.now() });
    other.clock.advance(12_000);
    expect(await other.service.recoverInterrupted()).toEqual([]);
    expect((await other.service.get(c.id))?.status).toBe('executing');

    // Renewals stop counting (the runner's clock stands still) and the other instance's clock
    // passes the lease: it marks the change interrupted.
    other.clock.advance(leaseMs);
    const recovered = await other.service.recoverInterrupted();
    expect(recovered.map((r) => [r.id, r.status])).toEqual([[c.id, 'interrupted']]);

    // The runner was alive after all: its result is recorded, nothing ran twice.
    release();
    const finished = await approving;
    expect(finished.status).toBe('succeeded');
    expect(provider.executions).toHaveLength(1);
    const events = await listAuditEvents(store.db, { subject: c.id });
    expect(events.map((e) => e.type)).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.interrupted',
      'change.succeeded',
    ]);
    expect(events.at(-1)!.data).toMatchObject({ from: 'interrupted', late: true });
    expect(await verifyAudit(store.db)).toMatchObject({ ok: true });
  }, 60_000);

  test('an approval whose run never started is recovered once its lease lapses', async () => {
    const h = harness(store.db, { executorId: 'a', leaseMs });
    const c = await h.service.request(planFor({ resourceName: 'web-9' }), person('alice'), 'operator', conversation);
    // As if the approving process died between pending → approved and approved → executing.
    await store.pool.query("UPDATE change_requests SET status = 'approved' WHERE id = $1", [c.id]);
    expect(await h.service.recoverInterrupted()).toEqual([]);
    h.clock.advance(leaseMs + 1);
    expect((await h.service.recoverInterrupted()).map((r) => [r.id, r.status, r.reason])).toEqual([
      [c.id, 'interrupted', 'the service stopped before it started'],
    ]);
  }, 60_000);
});
