import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { loadPolicy } from '../../src/changes/policy.ts';
import { AppError } from '../../src/errors.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { countingProvider, harness } from '../fixtures/changes-harness.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore({ poolMax: 8 });
}, 120_000);
afterAll(() => store?.dispose());

const approvers = Array.from({ length: 50 }, (_, i) => person(`approver${i}`));

describe('concurrent approvals', () => {
  test('50 concurrent approve calls from two service instances → exactly one execution', async () => {
    const provider = countingProvider();
    const a = harness(store.db, { provider });
    const b = harness(store.db, { provider });
    const c = await a.service.request(planFor(), person('alice'), 'operator', conversation);

    const results = await Promise.allSettled(
      approvers.map((p, i) => (i % 2 ? a : b).service.approve(c.id, p, 'approver')),
    );

    expect(provider.executions).toHaveLength(1);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(lost).toHaveLength(49);
    for (const err of lost) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('conflict');
      expect((err as AppError).userMessage).toMatch(
        new RegExp(`^${c.id} was already approved by Approver\\d+ at 2026-11-02 10:00 UTC`),
      );
    }
    const final = await a.service.get(c.id);
    expect(final?.status).toBe('succeeded');
    expect(final?.decisions).toHaveLength(1);
    expect((await listAuditEvents(store.db, { subject: c.id })).map((e) => e.type)).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.succeeded',
    ]);
    expect(await verifyAudit(store.db)).toMatchObject({ ok: true });
  }, 60_000);

  test('with two approvals required, exactly two are recorded and one execution happens', async () => {
    const policy = loadPolicy({
      requesterRoles: ['operator'],
      rules: [{ name: 'two-eyes', approvals: 2, approverRoles: ['approver'] }],
    });
    const h = harness(store.db, { policy });
    const c = await h.service.request(planFor(), person('alice'), 'operator', conversation);
    const results = await Promise.allSettled(approvers.map((p) => h.service.approve(c.id, p, 'approver')));
    expect(h.provider.executions).toHaveLength(1);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const final = await h.service.get(c.id);
    expect(final?.status).toBe('succeeded');
    expect(final?.decisions).toHaveLength(2);
    expect(final?.decidedBy?.userId).toBe(final?.decisions[1]?.approver.userId);
  }, 60_000);

  test('an approval arriving while the change runs is told it is running', async () => {
    const h = harness(store.db);
    let release!: () => void;
    h.provider.gate = new Promise((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    h.provider.onExecute = () => started();
    const c = await h.service.request(planFor(), person('alice'), 'operator', conversation);
    const first = h.service.approve(c.id, person('bob'), 'approver');
    await running;
    await expect(h.service.approve(c.id, person('carol'), 'approver')).rejects.toMatchObject({
      code: 'conflict',
      userMessage: `${c.id} was already approved by Bob at 2026-11-02 10:00 UTC and is running now.`,
    });
    release();
    expect((await first).status).toBe('succeeded');
    expect(h.provider.executions).toHaveLength(1);
  });
});
