import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startApp } from '../../src/app.ts';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { killChildWhen } from '../helpers/kill-child.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { harness } from '../fixtures/changes-harness.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';

/**
 * The child process uses this test's database through its connection string: on real PostgreSQL
 * that is the test database; embedded, it is the parent's PGlite socket server. So the same test
 * works on both targets and the data dir is never opened twice.
 */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
}, 120_000);
afterAll(() => store?.dispose());

/** Starts the child, waits for it to be inside provider.execute, then SIGKILLs it. */
const killWhileExecuting = (changeId: string): Promise<string> =>
  killChildWhen(
    'test/fixtures/changes-kill-child.ts',
    { DATABASE_URL: store.connectionString, CHANGE_ID: changeId },
    (out) => out.includes(`executing ${changeId}\n`),
  );

describe('kill -9 while executing', () => {
  test('the change is left executing; recovery marks it interrupted and nothing re-runs', async () => {
    const h = harness(store.db);
    const crashed = await h.service.request(planFor(), person('alice'), 'operator', conversation);
    const untouched = await h.service.request(
      planFor({ resourceName: 'web-2' }),
      person('alice'),
      'operator',
      conversation,
    );

    expect(await killWhileExecuting(crashed.id)).toBe(`executing ${crashed.id}\n`);
    expect((await h.service.get(crashed.id))?.status).toBe('executing');

    // Its lease (60 s in the harness) has not lapsed yet: another instance may still be running it.
    expect(await h.service.recoverInterrupted()).toEqual([]);
    expect((await h.service.get(crashed.id))?.status).toBe('executing');

    h.clock.advance(60_001);
    const recovered = await h.service.recoverInterrupted();
    expect(recovered.map((c) => [c.id, c.status, c.reason])).toEqual([
      [crashed.id, 'interrupted', 'the service stopped while it was running'],
    ]);
    expect(h.listener.events.at(-1)).toEqual({ id: crashed.id, event: 'interrupted', status: 'interrupted' });
    expect(await h.service.recoverInterrupted()).toEqual([]);
    expect((await h.service.get(untouched.id))?.status).toBe('pending');

    await expect(h.service.approve(crashed.id, person('carol'), 'admin')).rejects.toMatchObject({
      code: 'conflict',
      userMessage: expect.stringContaining('interrupted while running (the service restarted); it was not re-run'),
    });
    expect(h.provider.executions).toEqual([]);
    expect((await listAuditEvents(store.db, { subject: crashed.id })).map((e) => e.type)).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.interrupted',
    ]);
    expect(await verifyAudit(store.db)).toMatchObject({ ok: true });
  }, 60_000);

  test('at the start of the only process (embedded database), recovery does not wait for the lease', async () => {
    const h = harness(store.db);
    const crashed = await h.service.request(
      planFor({ resourceName: 'web-3' }),
      person('alice'),
      'operator',
      conversation,
    );
    expect(await killWhileExecuting(crashed.id)).toBe(`executing ${crashed.id}\n`);
    const recovered = await h.service.recoverInterrupted({ all: true });
    expect(recovered.map((c) => [c.id, c.status])).toEqual([[crashed.id, 'interrupted']]);
    expect(h.provider.executions).toEqual([]);
  }, 60_000);

  test('a restarted app finds the crashed change: interrupted at once on an embedded database, never re-run', async () => {
    const h = harness(store.db);
    const crashed = await h.service.request(
      planFor({ resourceName: 'web-4' }),
      person('alice'),
      'operator',
      conversation,
    );
    expect(await killWhileExecuting(crashed.id)).toBe(`executing ${crashed.id}\n`);

    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SANDBOX: 'on',
      SANDBOX_CLOUDS: 'aws',
    });
    const app = await startApp(config, { logger: createLogger('silent'), jobs: false, store, now: h.clock.now });
    try {
      const after = await app.changes.get(crashed.id);
      if (store.embedded) {
        // The data dir is this process's alone: whatever was running belonged to the dead one.
        expect([after?.status, after?.reason]).toEqual(['interrupted', 'the service stopped while it was running']);
      } else {
        // A shared server: another replica may still be running it, until its lease lapses (job changes.recover).
        expect(after?.status).toBe('executing');
      }
      expect(
        app.sandbox!.requests.filter((r) =>
          ['StartInstances', 'StopInstances', 'RebootInstances', 'ModifyInstanceAttribute'].includes(r.action),
        ),
      ).toEqual([]);
    } finally {
      await app.close();
    }
    expect(h.provider.executions).toEqual([]);
  }, 60_000);
});
