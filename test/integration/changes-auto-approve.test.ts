import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { listChanges } from '../../src/changes/repository.ts';
import { killChildWhen } from '../helpers/kill-child.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { harness } from '../fixtures/changes-harness.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';

/**
 * An auto-approved request is filed `approved` in one transaction with both of its audit events
 * (docs/architecture.md#auto-approval): a crash right after filing leaves nothing `pending` that a
 * later click would run; recovery marks it interrupted like any approved change whose executor died.
 */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
}, 120_000);
afterAll(() => store?.dispose());

const devStop = (resourceName: string) => planFor({ environment: 'dev', resourceName });

/** Files an auto-approved dev stop in a child process and SIGKILLs it once the request is filed. */
const killAfterRequest = (resourceName: string): Promise<string> =>
  killChildWhen(
    'test/fixtures/changes-auto-crash-child.ts',
    { DATABASE_URL: store.connectionString, RESOURCE_NAME: resourceName },
    (out) => /requested CR-\d+\n/.test(out),
  );

describe('auto-approval', () => {
  test('the request is filed approved, with its requested and approved events, in one commit', async () => {
    const h = harness(store.db);
    // What anyone else could see the moment the request was first reported: the committed row.
    const seen: Array<{ status?: string; events: string[] }> = [];
    const record = h.listener.changed.bind(h.listener);
    h.listener.changed = async (c, event) => {
      if (event === 'requested') {
        const row = await h.service.get(c.id);
        const events = (await listAuditEvents(store.db, { subject: c.id })).map((e) => e.type);
        seen.push({ ...(row ? { status: row.status } : {}), events });
      }
      await record(c, event);
    };

    const c = await h.service.request(devStop('web-dev-9'), person('alice'), 'operator', conversation);
    expect(c).toMatchObject({ status: 'succeeded', decidedBy: null, policy: { autoApprove: true } });
    expect(seen).toEqual([{ status: 'approved', events: ['change.requested', 'change.approved'] }]);
    expect(h.listener.events.map((e) => [e.event, e.status])).toEqual([
      ['requested', 'approved'],
      ['approved', 'approved'],
      ['executing', 'executing'],
      ['succeeded', 'succeeded'],
    ]);
    const events = await listAuditEvents(store.db, { subject: c.id });
    expect(events.map((e) => e.type)).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.succeeded',
    ]);
    expect(events[1]!.data).toEqual({ from: 'pending', to: 'approved', auto: true, rule: 'dev-power-actions' });
    expect(events[1]!.actorKey).toBeNull();
    expect(h.provider.executions).toHaveLength(1);
    expect(await verifyAudit(store.db)).toMatchObject({ ok: true });
  });

  test('a crash right after filing leaves nothing pending; recovery interrupts it and no click runs it', async () => {
    expect(await killAfterRequest('web-dev-1')).toMatch(/^requested CR-\d+\n$/);
    const crashed = (await listChanges(store.db, { limit: 200 })).find((c) => c.plan.resourceName === 'web-dev-1');
    expect(crashed).toMatchObject({ plan: { resourceName: 'web-dev-1' }, status: 'approved' });
    const id = crashed!.id;
    expect((await listAuditEvents(store.db, { subject: id })).map((e) => e.type)).toEqual([
      'change.requested',
      'change.approved',
    ]);

    // Another instance's recovery, once the dead process's lease has lapsed (the harness's is 60 s).
    const h = harness(store.db);
    expect(await h.service.recoverInterrupted()).toEqual([]);
    h.clock.advance(60_001);
    const recovered = await h.service.recoverInterrupted();
    expect(recovered.map((c) => [c.id, c.status, c.reason])).toEqual([
      [id, 'interrupted', 'the service stopped before it started'],
    ]);

    // Nobody can make it run later: it is not open for decisions.
    for (const [who, role] of [
      ['bob', 'approver'],
      ['alice', 'operator'],
    ] as const) {
      await expect(h.service.approve(id, person(who), role)).rejects.toMatchObject({ code: 'conflict' });
    }
    await expect(h.service.reject(id, person('bob'), 'approver')).rejects.toMatchObject({ code: 'conflict' });
    expect(h.provider.executions).toEqual([]);
    expect((await h.service.get(id))?.status).toBe('interrupted');
    expect((await listAuditEvents(store.db, { subject: id })).map((e) => e.type)).toEqual([
      'change.requested',
      'change.approved',
      'change.interrupted',
    ]);
    expect(await verifyAudit(store.db)).toMatchObject({ ok: true });
  }, 60_000);
});
