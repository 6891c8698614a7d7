import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eq } from '../../src/store/orm.ts';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { workspaces } from '../../src/users/schema.ts';
import {
  CONSOLE_USERS,
  ensureUser,
  findUserByName,
  getRole,
  grant,
  listUsers,
  seedUsers,
} from '../../src/users/repository.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { person } from '../fixtures/changes-plans.ts';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore({ poolMax: 6 });
}, 120_000);
afterAll(() => store?.dispose());

const now = new Date('2026-11-02T10:00:00.000Z');

describe('ensureUser', () => {
  test('first sight creates the workspace and a viewer (or DEFAULT_ROLE); later turns refresh the display name', async () => {
    expect(await ensureUser(store.db, person('u1', 'W1'), [], now)).toEqual({ role: 'viewer' });
    expect(await ensureUser(store.db, person('u9', 'W1'), [], now, 'operator')).toEqual({ role: 'operator' });
    const [ws] = await store.db.select().from(workspaces).where(eq(workspaces.id, 'slack:W1'));
    expect(ws).toMatchObject({ surface: 'slack', externalId: 'W1' });
    await ensureUser(store.db, { ...person('u1', 'W1'), displayName: 'Uma' }, [], now);
    expect((await findUserByName(store.db, 'W1', '@uma')).map((u) => u.userId)).toEqual(['u1']);
    expect(await getRole(store.db, 'W1', 'nobody')).toBeNull();
  });

  test('bootstrap admins (by user id or actor key) become admin, audited; a later listing promotes', async () => {
    expect(await ensureUser(store.db, person('root', 'W1'), ['root'], now)).toEqual({ role: 'admin' });
    expect(await ensureUser(store.db, person('boss', 'W1'), ['slack:W1:boss'], now)).toEqual({ role: 'admin' });
    expect(await ensureUser(store.db, person('u1', 'W1'), ['u1'], now)).toEqual({ role: 'admin' });
    const events = await listAuditEvents(store.db, { subject: 'role:W1:u1' });
    expect(events.map((e) => e.data)).toEqual([
      { userId: 'u1', displayName: 'U1', role: 'admin', previousRole: 'viewer', by: 'config' },
    ]);
  });
});

describe('grant', () => {
  const admin = person('admin', 'W2');
  beforeAll(async () => {
    await ensureUser(store.db, admin, ['admin'], now);
    await ensureUser(store.db, person('bob', 'W2'), [], now);
    await ensureUser(store.db, person('op', 'W2'), [], now);
  });

  test('an admin grants by display name; it is audited', async () => {
    const r = await grant(store.db, { workspaceId: 'W2', target: '@BOB', role: 'approver', by: admin, now });
    expect(r.previousRole).toBe('viewer');
    expect(r.user).toMatchObject({ userId: 'bob', role: 'approver', grantedBy: 'slack:W2:admin' });
    expect(await getRole(store.db, 'W2', 'bob')).toBe('approver');
    const [e] = await listAuditEvents(store.db, { subject: 'role:W2:bob' });
    expect(e).toMatchObject({
      type: 'role.granted',
      actorKey: 'slack:W2:admin',
      data: { role: 'approver', previousRole: 'viewer', by: 'Admin' },
    });
  });

  test('non-admins, unknown and ambiguous targets are refused', async () => {
    await expect(
      grant(store.db, { workspaceId: 'W2', target: 'op', role: 'admin', by: person('op', 'W2') }),
    ).rejects.toMatchObject({
      code: 'forbidden',
      userMessage: 'Only a workspace admin can change roles.',
    });
    await expect(
      grant(store.db, { workspaceId: 'W2', target: 'op', role: 'admin', by: person('admin', 'W1') }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      grant(store.db, { workspaceId: 'W2', target: 'zed', role: 'viewer', by: admin }),
    ).rejects.toMatchObject({
      code: 'not_found',
      userMessage: 'No user "zed" in this workspace yet: they need to talk to the bot once first.',
    });
    await ensureUser(store.db, { ...person('twin1', 'W2'), displayName: 'Sam' }, [], now);
    await ensureUser(store.db, { ...person('twin2', 'W2'), displayName: 'sam' }, [], now);
    await expect(
      grant(store.db, { workspaceId: 'W2', target: 'Sam', role: 'viewer', by: admin }),
    ).rejects.toMatchObject({
      code: 'conflict',
      userMessage: '"Sam" matches 2 users (twin1, twin2): use their user id.',
    });
  });

  test('the last admin cannot be demoted; with two, concurrent mutual demotion leaves one admin', async () => {
    await expect(
      grant(store.db, { workspaceId: 'W2', target: 'admin', role: 'operator', by: admin }),
    ).rejects.toMatchObject({
      code: 'conflict',
      userMessage: 'Admin is the last admin of this workspace: make someone else admin first.',
    });
    await grant(store.db, { workspaceId: 'W2', target: 'op', role: 'admin', by: admin, now });
    const results = await Promise.allSettled([
      grant(store.db, { workspaceId: 'W2', target: 'op', role: 'operator', by: admin, now }),
      grant(store.db, { workspaceId: 'W2', target: 'admin', role: 'operator', by: person('op', 'W2'), now }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await listUsers(store.db, 'W2')).filter((u) => u.role === 'admin')).toHaveLength(1);
    expect(await verifyAudit(store.db)).toMatchObject({ ok: true });
  });
});

describe('seedUsers', () => {
  test('creates the console people once and keeps roles granted since', async () => {
    expect((await seedUsers(store.db, CONSOLE_USERS, now)).map((u) => `${u.userId}:${u.role}`)).toEqual([
      'alice:operator',
      'bob:approver',
      'carol:admin',
      'dave:viewer',
    ]);
    const carol = { surface: 'console' as const, workspaceId: 'console', userId: 'carol', displayName: 'Carol' };
    await grant(store.db, { workspaceId: 'console', target: 'dave', role: 'operator', by: carol, now });
    expect(await seedUsers(store.db, CONSOLE_USERS, now)).toEqual([]);
    expect(await getRole(store.db, 'console', 'dave')).toBe('operator');
    expect(await ensureUser(store.db, { ...carol, displayName: 'Carol' }, [], now)).toEqual({ role: 'admin' });
  });
});
