import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { actorKey } from '../../src/chat/actor.ts';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { renderChangeCard } from '../../src/changes/card.ts';
import { ALL_ENVIRONMENTS, activeFreezes, createFreeze, liftFreezes } from '../../src/changes/freezes.ts';
import { ApprovalBlockedError } from '../../src/changes/gates.ts';
import { loadPolicy } from '../../src/changes/policy.ts';
import { AppError } from '../../src/errors.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { harness } from '../fixtures/changes-harness.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';

/**
 * The approval policy in depth, through the change service on a real database: a quorum from
 * groups, approval windows on the service's clock, change freezes with an admin's audited
 * override. (The harness's clock starts on Monday 2026-11-02 10:00 UTC, 11:00 in Paris.)
 */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(() => store?.dispose());

const alice = person('alice');
const bob = person('bob');
const carol = person('carol');
const dan = person('dan');
const erin = person('erin');

const failure = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError, got success');
};

const auditOf = async (subject: string) => listAuditEvents(store.db, { subject });

const fields = (c: Parameters<typeof renderChangeCard>[0]) => {
  const block = renderChangeCard(c).blocks.find((b) => b.type === 'fields');
  return Object.fromEntries((block?.type === 'fields' ? block.fields : []).map((f) => [f.label, f.value]));
};

const texts = (c: Parameters<typeof renderChangeCard>[0]) =>
  renderChangeCard(c)
    .blocks.flatMap((b) => (b.type === 'text' || b.type === 'context' ? [b.text] : []))
    .join('\n');

describe('a quorum of two from groups', () => {
  const policy = loadPolicy({
    requesterRoles: ['operator', 'approver', 'admin'],
    groups: {
      dba: [actorKey(bob), actorKey(carol)],
      sre: [actorKey(carol), actorKey(dan)],
    },
    rules: [{ name: 'db-two', approvals: 2, approverGroups: ['dba', 'sre'] }],
  });

  test('members of either group approve, whatever their role; a person in both counts once; the card shows progress', async () => {
    const h = harness(store.db, { policy });
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    expect(c.policy).toMatchObject({
      rule: 'db-two',
      approvals: 2,
      approverRoles: [],
      approverGroups: [
        { name: 'dba', members: ['slack:T1:bob', 'slack:T1:carol'] },
        { name: 'sre', members: ['slack:T1:carol', 'slack:T1:dan'] },
      ],
    });
    expect(fields(c).Approvals).toBe('0 of 2 from the dba or sre group, not the requester');

    // An approver outside the groups is not enough here.
    const outsider = await failure(h.service.approve(c.id, erin, 'approver'));
    expect(outsider.userMessage).toBe(
      `Approving ${c.id} needs someone in the dba or sre group (policy rule "db-two"); you are an approver.`,
    );

    const one = await h.service.approve(c.id, carol, 'viewer');
    expect(one.status).toBe('pending');
    expect(fields(one).Approvals).toBe('1 of 2 from the dba or sre group, not the requester — <@slack:carol|Carol>');
    // Carol is in both groups: a second approval from her is the same person.
    const twice = await failure(h.service.approve(c.id, carol, 'viewer'));
    expect(twice.code).toBe('conflict');
    expect(twice.userMessage).toMatch(/already approved .* still needs 1 more approval from someone else/);
    expect(h.provider.executions).toHaveLength(0);

    const done = await h.service.approve(c.id, dan, 'operator');
    expect(done.status).toBe('succeeded');
    expect(done.decisions.map((d) => d.approverKey)).toEqual(['slack:T1:carol', 'slack:T1:dan']);
    expect(h.provider.executions).toHaveLength(1);
  });

  test('a requester in the group cannot approve their own; a member who is not the requester can reject', async () => {
    const h = harness(store.db, { policy });
    const c = await h.service.request(planFor(), carol, 'admin', conversation);
    const own = await failure(h.service.approve(c.id, carol, 'admin'));
    expect(own.userMessage).toBe(
      `You requested ${c.id}, so you cannot approve it yourself: someone else in the dba or sre group must.`,
    );
    const notMember = await failure(h.service.reject(c.id, erin, 'admin', 'no'));
    expect(notMember.userMessage).toMatch(/Rejecting .* needs someone in the dba or sre group/);
    expect((await h.service.reject(c.id, bob, 'viewer', 'not today')).status).toBe('rejected');
  });
});

describe('approval windows', () => {
  const policy = loadPolicy({
    requesterRoles: ['operator', 'approver', 'admin'],
    rules: [
      {
        name: 'dev-hours',
        match: { environment: ['dev'], action: ['start'] },
        approvals: 0,
        autoApprove: true,
        approverRoles: ['approver'],
        ttlMs: 3 * 86_400_000,
        windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timeZone: 'Europe/Paris' }],
      },
      {
        name: 'prod-hours',
        match: { environment: ['prod'] },
        approvals: 1,
        approverRoles: ['approver', 'admin'],
        // Long enough to reach the next window (the harness's default is an hour).
        ttlMs: 3 * 86_400_000,
        windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timeZone: 'Europe/Paris' }],
      },
      { name: 'rest', approvals: 1, approverRoles: ['approver', 'admin'] },
    ],
  });

  test('outside the window an approval is refused with the next opening; inside it approves and runs', async () => {
    const h = harness(store.db, { policy });
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    expect(texts(c)).toContain('Can be approved only Mon–Fri 09:00–17:00 Europe/Paris');
    // Monday 18:00 in Paris.
    h.clock.advance(7 * 3_600_000);
    const shut = await failure(h.service.approve(c.id, bob, 'approver'));
    expect(shut).toBeInstanceOf(ApprovalBlockedError);
    expect(shut.userMessage).toBe(
      `${c.id} cannot be approved now: policy rule "prod-hours" allows approvals only Mon–Fri 09:00–17:00 Europe/Paris; the next window opens Tue 2026-11-03 09:00 Europe/Paris (2026-11-03 08:00 UTC). An admin can approve it anyway with an override (audited).`,
    );
    expect((shut as ApprovalBlockedError).overridable).toBe(false);
    expect((await h.service.get(c.id))?.decisions).toEqual([]);
    // Tuesday 08:59, then 09:00 in Paris (07:59 and 08:00 UTC).
    h.clock.advance(14 * 3_600_000 + 59 * 60_000);
    expect(await failure(h.service.approve(c.id, bob, 'approver'))).toBeInstanceOf(ApprovalBlockedError);
    h.clock.advance(60_000);
    const done = await h.service.approve(c.id, bob, 'approver');
    expect(done.status).toBe('succeeded');
    expect(h.provider.executions).toHaveLength(1);
  });

  test('a rule that auto-approves files a pending request outside its window, which an approval inside it runs', async () => {
    const h = harness(store.db, { policy });
    const plan = planFor({ action: 'start', environment: 'dev', rollback: { action: 'stop', params: {} } });
    h.clock.advance(-3 * 3_600_000); // Monday 08:00 in Paris
    const held = await h.service.request(plan, alice, 'operator', conversation);
    expect(held.status).toBe('pending');
    expect(held.policy).toMatchObject({
      rule: 'dev-hours',
      autoApprove: false,
      approvals: 1,
      autoApproveHeld:
        'policy rule "dev-hours" allows approvals only Mon–Fri 09:00–17:00 Europe/Paris; the next window opens Mon 2026-11-02 09:00 Europe/Paris (2026-11-02 08:00 UTC)',
    });
    expect(texts(held)).toContain('Not auto-approved: policy rule "dev-hours" allows approvals only');
    expect(h.provider.executions).toHaveLength(0);
    expect(await failure(h.service.approve(held.id, bob, 'approver'))).toBeInstanceOf(ApprovalBlockedError);
    h.clock.advance(3_600_000);
    // In the window: an approval runs the held request, and a new one is auto-approved again.
    expect((await h.service.approve(held.id, bob, 'approver')).status).toBe('succeeded');
    expect((await h.service.request(plan, alice, 'operator', conversation)).status).toBe('succeeded');
    expect(h.provider.executions).toHaveLength(2);
  });

  test("an admin's override passes the shut window, once for the request, audited", async () => {
    const h = harness(store.db, { policy: loadPolicy({ ...policy, rules: [{ ...policy.rules[1]!, approvals: 2 }] }) });
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    h.clock.advance(12 * 3_600_000); // Monday 23:00 in Paris
    const blocked = await failure(h.service.approve(c.id, carol, 'admin'));
    expect((blocked as ApprovalBlockedError).overridable).toBe(true);
    expect(blocked.userMessage).toMatch(
      /As an admin you can approve it anyway with `approve CR-\d+ override "<reason>"`/,
    );
    const first = await h.service.approve(c.id, carol, 'admin', { override: 'rollback of the bad deploy' });
    expect(first.status).toBe('pending');
    expect(first.override).toEqual({
      by: carol,
      reason: 'rollback of the bad deploy',
      at: h.clock.now(),
      freezes: [],
      window: true,
    });
    expect(texts(first)).toContain(
      '⚠️ *Approval window overridden* by <@slack:carol|Carol> at 2026-11-02 22:00 UTC: “rollback of the bad deploy” (audited)',
    );
    // The second approver passes the window the override lifted for this request.
    expect((await h.service.approve(c.id, bob, 'approver')).status).toBe('succeeded');
    const events = await auditOf(c.id);
    expect(events.map((e) => e.type)).toEqual([
      'change.requested',
      'change.overridden',
      'change.approved',
      'change.approved',
      'change.executing',
      'change.succeeded',
    ]);
    expect(events[1]).toMatchObject({
      actorKey: 'slack:T1:carol',
      data: {
        reason: 'rollback of the bad deploy',
        by: 'Carol',
        freezes: [],
        window: 'Mon–Fri 09:00–17:00 Europe/Paris',
      },
    });
  });
});

describe('change freezes', () => {
  // Every harness's clock starts at the same instant: each test declares its own freezes.
  afterEach(async () => {
    await store.pool.query('DELETE FROM change_freezes');
  });
  const freeze = (h: ReturnType<typeof harness>, environment: string, hours: number, reason: string | null) =>
    createFreeze(store.db, {
      workspaceId: 'T1',
      environment,
      reason,
      by: carol,
      conversation,
      now: h.clock.now(),
      endsAt: new Date(h.clock.now().getTime() + hours * 3_600_000),
    });

  test('filing works; approving is refused with the freeze, its author, end and reason; it ends by itself', async () => {
    const h = harness(store.db);
    const f = await freeze(h, 'prod', 0.5, 'release week');
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    expect(c.status).toBe('pending');

    const refused = await failure(h.service.approve(c.id, bob, 'approver'));
    expect(refused.userMessage).toBe(
      `${c.id} cannot be approved now: prod is frozen by Carol until 2026-11-02 10:30 UTC (“release week”). An admin can approve it anyway with an override (audited).`,
    );
    // Overriding is for admins only, and says what it would override.
    const notAdmin = await failure(h.service.approve(c.id, bob, 'approver', { override: 'urgent' }));
    expect(notAdmin.code).toBe('forbidden');
    expect(notAdmin.userMessage).toBe(
      `Only an admin can override what blocks ${c.id}: prod is frozen by Carol until 2026-11-02 10:30 UTC (“release week”).`,
    );
    expect(h.provider.executions).toHaveLength(0);

    // Half an hour later the freeze has ended by itself: nothing had to run.
    h.clock.advance(30 * 60_000);
    expect(await activeFreezes(store.db, 'T1', h.clock.now())).not.toContainEqual(
      expect.objectContaining({ id: f.id }),
    );
    expect((await h.service.approve(c.id, bob, 'approver')).status).toBe('succeeded');
  });

  test('a request past its expiry is expired by the approval, whatever freezes it', async () => {
    const h = harness(store.db);
    await freeze(h, 'prod', 4, null);
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    h.clock.advance(2 * 3_600_000);
    const late = await failure(h.service.approve(c.id, carol, 'admin', { override: 'too late anyway' }));
    expect(late.code).toBe('expired');
    expect((await h.service.get(c.id))?.status).toBe('expired');
    expect(await auditOf(c.id).then((es) => es.map((e) => e.type))).toEqual(['change.requested', 'change.expired']);
  });

  test('an admin approves with an override and a reason: audited with the freeze, shown on the card, then run', async () => {
    const h = harness(store.db);
    const f = await freeze(h, 'production', 4, 'quarter close');
    // `production` covers `prod` (and the other way round).
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    const blocked = await failure(h.service.approve(c.id, carol, 'admin'));
    expect(blocked).toBeInstanceOf(ApprovalBlockedError);
    expect((blocked as ApprovalBlockedError).blockers.freezes.map((x) => x.id)).toEqual([f.id]);
    const noReason = await failure(h.service.approve(c.id, carol, 'admin', { override: ' ' }));
    expect(noReason).toMatchObject({ code: 'bad_request', field: 'override' });

    const done = await h.service.approve(c.id, carol, 'admin', { override: 'hotfix for INC-42' });
    expect(done.status).toBe('succeeded');
    expect(done.override).toMatchObject({ by: carol, reason: 'hotfix for INC-42', freezes: [f.id], window: false });
    expect(texts(done)).toContain('⚠️ *Freeze overridden* by <@slack:carol|Carol>');
    expect(h.provider.executions).toHaveLength(1);
    const events = await auditOf(c.id);
    expect(events.map((e) => e.type)).toEqual([
      'change.requested',
      'change.overridden',
      'change.approved',
      'change.executing',
      'change.succeeded',
    ]);
    expect(events[1]!.data).toEqual({
      reason: 'hotfix for INC-42',
      by: 'Carol',
      freezes: [
        { id: f.id, environment: 'production', by: 'Carol', endsAt: f.endsAt.toISOString(), reason: 'quarter close' },
      ],
      window: null,
    });
    const chain = await verifyAudit(store.db);
    expect(chain.ok).toBe(true);
  });

  test('an override covers the freezes it named for later approvers; a freeze declared after it still blocks', async () => {
    const policy = loadPolicy({
      requesterRoles: ['operator', 'approver', 'admin'],
      rules: [{ name: 'two', approvals: 2, approverRoles: ['approver', 'admin'] }],
    });
    const h = harness(store.db, { policy });
    await freeze(h, 'prod', 8, null);
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    expect((await h.service.approve(c.id, carol, 'admin', { override: 'customer escalation' })).status).toBe('pending');
    const later = await freeze(h, ALL_ENVIRONMENTS, 8, 'incident');
    const blocked = await failure(h.service.approve(c.id, bob, 'approver'));
    expect(blocked.userMessage).toMatch(/: every environment is frozen by Carol until .* \(“incident”\)\. /);
    expect(blocked.userMessage).not.toMatch(/prod is frozen/);
    expect((blocked as ApprovalBlockedError).blockers.freezes.map((x) => x.id)).toEqual([later.id]);
    // Lifting the new one (audited) lets the second approval through.
    const lifted = await liftFreezes(store.db, {
      workspaceId: 'T1',
      environment: 'all',
      by: carol,
      now: h.clock.now(),
    });
    expect(lifted.map((x) => x.id)).toContain(later.id);
    expect((await listAuditEvents(store.db, { subject: `freeze:T1:${later.id}` })).map((e) => e.type)).toEqual([
      'freeze.created',
      'freeze.lifted',
    ]);
    expect((await h.service.approve(c.id, bob, 'approver')).status).toBe('succeeded');
  });

  test('a freeze covers its environment only, and only its workspace', async () => {
    const h = harness(store.db);
    await freeze(h, 'staging', 2, null);
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    expect((await h.service.approve(c.id, bob, 'approver')).status).toBe('succeeded');
    await createFreeze(store.db, {
      workspaceId: 'T2',
      environment: ALL_ENVIRONMENTS,
      reason: null,
      by: person('zed', 'T2'),
      conversation: { ...conversation, workspaceId: 'T2' },
      now: h.clock.now(),
      endsAt: new Date(h.clock.now().getTime() + 3_600_000),
    });
    const d = await h.service.request(planFor(), alice, 'operator', conversation);
    expect((await h.service.approve(d.id, bob, 'approver')).status).toBe('succeeded');
  });

  test('a workflow with one step in a frozen environment is covered; an auto-approved change there waits for an approval', async () => {
    const h = harness(store.db);
    await freeze(h, 'dev', 2, 'dev cluster upgrade');
    const held = await h.service.request(
      planFor({ action: 'start', environment: 'dev', rollback: { action: 'stop', params: {} } }),
      alice,
      'operator',
      conversation,
    );
    expect(held).toMatchObject({
      status: 'pending',
      approvalsRequired: 1,
      policy: {
        rule: 'dev-power-actions',
        autoApprove: false,
        autoApproveHeld: 'dev is frozen by Carol until 2026-11-02 12:00 UTC (“dev cluster upgrade”)',
      },
    });
    expect((await auditOf(held.id)).map((e) => e.type)).toEqual(['change.requested']);
    // An admin's override runs it through the freeze.
    expect((await h.service.approve(held.id, carol, 'admin', { override: 'needed for the upgrade' })).status).toBe(
      'succeeded',
    );
    const step = {
      kind: 'action' as const,
      id: 'a',
      title: 'stop',
      target: planFor().target,
      resourceName: 'web-1',
      timeoutMs: 60_000,
      retries: 0,
      action: 'stop',
      params: {},
      summary: 'stop web-1',
      blastRadius: 'web-1 stops',
      costDeltaCents: 0,
      compensate: 'inverse' as const,
    };
    const run = await h.service.request(
      planFor({
        action: 'run_workflow',
        environment: 'staging',
        params: { template: 't', version: '1' },
        rollback: null,
        workflow: {
          template: 't',
          version: 1,
          inputs: {},
          steps: [
            { ...step, environment: 'staging' },
            { ...step, id: 'b', environment: 'dev' },
          ],
          monthlyCents: 0,
          unpriced: [],
          hash: 'b'.repeat(64),
        },
      }),
      alice,
      'operator',
      conversation,
    );
    expect(run.policy.rule).toBe('default');
    const blocked = await failure(h.service.approve(run.id, bob, 'approver'));
    expect(blocked.userMessage).toMatch(/: dev is frozen by Carol/);
  });
});
