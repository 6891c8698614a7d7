import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { loadPolicy } from '../../src/changes/policy.ts';
import { AppError } from '../../src/errors.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { approvalTtlMs, harness } from '../fixtures/changes-harness.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
}, 120_000);
afterAll(() => store?.dispose());

const alice = person('alice');
const bob = person('bob');
const carol = person('carol');

/** The AppError a promise rejects with. */
const failure = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError, got success');
};

const auditCount = async (): Promise<number> => {
  const v = await verifyAudit(store.db);
  if (!v.ok) throw new Error(`audit broken at ${v.seq}: ${v.reason}`);
  return v.count;
};

const types = async (subject: string): Promise<string[]> =>
  (await listAuditEvents(store.db, { subject })).map((e) => e.type);

describe('request → approve → execute', () => {
  test('an approver other than the requester approves; the provider runs it exactly once', async () => {
    const h = harness(store.db);
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    expect(c).toMatchObject({
      status: 'pending',
      approvalsRequired: 1,
      requesterKey: 'slack:T1:alice',
      workspaceId: 'T1',
      decisions: [],
    });
    expect(c.id).toMatch(/^CR-\d+$/);
    expect(c.policy).toEqual({
      rule: 'production',
      approvals: 1,
      approverRoles: ['approver', 'admin'],
      allowSelfApproval: false,
      autoApprove: false,
    });
    expect(c.expiresAt).toEqual(new Date(h.clock.now().getTime() + approvalTtlMs));

    const done = await h.service.approve(c.id, bob, 'approver');
    expect(done).toMatchObject({
      status: 'succeeded',
      decidedBy: bob,
      result: { summary: 'i-0abc stop done', newState: 'stopped' },
      rollbackData: { state: 'running' },
      error: null,
    });
    expect(done.decisions).toEqual([
      { approver: bob, approverKey: 'slack:T1:bob', decision: 'approved', reason: null, at: h.clock.now() },
    ]);
    expect(h.provider.executions).toEqual([{ action: 'stop', target: planFor().target, params: {} }]);
    expect(h.listener.events.map((e) => [e.event, e.status])).toEqual([
      ['requested', 'pending'],
      ['approved', 'approved'],
      ['executing', 'executing'],
      ['succeeded', 'succeeded'],
    ]);
    expect(await types(c.id)).toEqual(['change.requested', 'change.approved', 'change.executing', 'change.succeeded']);
    expect(await h.service.get(c.id)).toEqual(done);
    const transitions = (await h.metrics.changeTransitions.get()).values.map(
      (v) => `${v.labels.from}→${v.labels.to}=${v.value}`,
    );
    expect(transitions.sort()).toEqual([
      'approved→executing=1',
      'executing→succeeded=1',
      'none→pending=1',
      'pending→approved=1',
    ]);
    await auditCount();
  });

  test('dev start/stop/reboot is auto-approved and runs inside request()', async () => {
    const h = harness(store.db);
    const c = await h.service.request(
      planFor({ environment: 'dev', action: 'reboot', rollback: null }),
      alice,
      'operator',
      conversation,
    );
    expect(c).toMatchObject({
      status: 'succeeded',
      decidedBy: null,
      policy: { rule: 'dev-power-actions', autoApprove: true },
    });
    expect(h.provider.executions).toHaveLength(1);
    const approved = (await listAuditEvents(store.db, { subject: c.id })).find((e) => e.type === 'change.approved');
    expect(approved?.data).toMatchObject({ auto: true, rule: 'dev-power-actions' });
  });

  test('two approvals: each is recorded, the second runs it, the same person cannot count twice', async () => {
    const policy = loadPolicy({
      requesterRoles: ['operator'],
      rules: [{ name: 'two-eyes', approvals: 2, approverRoles: ['approver', 'admin'] }],
    });
    const h = harness(store.db, { policy });
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    const first = await h.service.approve(c.id, bob, 'approver');
    expect(first.status).toBe('pending');
    expect(first.decisions.map((d) => d.approver.userId)).toEqual(['bob']);
    const again = await failure(h.service.approve(c.id, bob, 'approver'));
    expect(again.code).toBe('conflict');
    expect(again.userMessage).toBe(
      `You already approved ${c.id} at 2026-11-02 10:00 UTC; it still needs 1 more approval from someone else.`,
    );
    const done = await h.service.approve(c.id, carol, 'admin');
    expect(done).toMatchObject({ status: 'succeeded', decidedBy: carol });
    expect(h.provider.executions).toHaveLength(1);
    expect(h.listener.events.filter((e) => e.event === 'approved').map((e) => e.status)).toEqual([
      'pending',
      'approved',
    ]);
  });

  test('a provider failure ends in failed with a user-safe error', async () => {
    const h = harness(store.db);
    h.provider.failWith = new AppError('cloud_error', 'The instance is protected from stopping.');
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    expect(await h.service.approve(c.id, bob, 'approver')).toMatchObject({
      status: 'failed',
      error: 'The instance is protected from stopping.',
      result: null,
    });
    h.provider.failWith = new Error('socket hang up at 10.0.0.3:443');
    const d = await h.service.request(planFor(), alice, 'operator', conversation);
    expect(await h.service.approve(d.id, bob, 'approver')).toMatchObject({
      status: 'failed',
      error: 'the cloud provider failed unexpectedly',
    });
    const e = await h.service.request(
      planFor({ target: { ...planFor().target, provider: 'gcp' } }),
      alice,
      'operator',
      conversation,
    );
    expect(await h.service.approve(e.id, bob, 'approver')).toMatchObject({
      status: 'failed',
      error: 'no cloud provider "gcp" is configured',
    });
  });

  test('a failing listener never blocks or undoes a transition', async () => {
    const h = harness(store.db);
    h.listener.failing = true;
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    expect((await h.service.approve(c.id, bob, 'approver')).status).toBe('succeeded');
    expect(h.listener.events.map((e) => e.event)).toEqual(['requested', 'approved', 'executing', 'succeeded']);
  });
});

describe('refusals change nothing', () => {
  const unchanged = async (
    h: ReturnType<typeof harness>,
    id: string,
    status: string,
    events: number,
  ): Promise<void> => {
    expect((await h.service.get(id))?.status).toBe(status);
    expect(h.provider.executions).toHaveLength(0);
    expect(await auditCount()).toBe(events);
  };

  test('viewers cannot request', async () => {
    const h = harness(store.db);
    const before = await auditCount();
    const err = await failure(h.service.request(planFor(), person('dave'), 'viewer', conversation));
    expect([err.code, err.userMessage]).toEqual([
      'forbidden',
      'Viewers cannot request changes: ask an admin for the operator role.',
    ]);
    expect(await h.service.list({ requesterKey: 'slack:T1:dave' })).toEqual([]);
    expect(await auditCount()).toBe(before);
  });

  test('self-approval, a role without approval rights, another workspace, an unknown id', async () => {
    const h = harness(store.db);
    const c = await h.service.request(planFor(), bob, 'approver', conversation);
    const before = await auditCount();
    const self = await failure(h.service.approve(c.id, bob, 'approver'));
    expect([self.code, self.userMessage]).toEqual([
      'forbidden',
      `You requested ${c.id}, so you cannot approve it yourself: someone else with the approver or admin role must.`,
    ]);
    const operator = await failure(h.service.approve(c.id, alice, 'operator'));
    expect(operator.userMessage).toBe(
      `Approving ${c.id} needs the approver or admin role (policy rule "production"); you are an operator.`,
    );
    const foreign = await failure(h.service.approve(c.id, person('carol', 'T2'), 'admin'));
    expect([foreign.code, foreign.userMessage]).toEqual(['forbidden', `${c.id} belongs to another workspace.`]);
    const missing = await failure(h.service.approve('CR-999999', carol, 'admin'));
    expect([missing.code, missing.userMessage]).toEqual(['not_found', 'There is no change request CR-999999.']);
    await unchanged(h, c.id, 'pending', before);
  });

  test('approving twice names who approved and when', async () => {
    const h = harness(store.db);
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    h.clock.advance(4 * 60_000);
    await h.service.approve(c.id, bob, 'approver');
    const before = await auditCount();
    for (const who of [bob, carol]) {
      const err = await failure(h.service.approve(c.id, who, 'admin'));
      expect([err.code, err.userMessage]).toEqual([
        'conflict',
        `${c.id} was already approved by Bob at 2026-11-02 10:04 UTC and succeeded at 2026-11-02 10:04 UTC.`,
      ]);
    }
    expect(h.provider.executions).toHaveLength(1);
    expect(await auditCount()).toBe(before);
  });

  test('approving after expiry expires it (audited) and says so', async () => {
    const h = harness(store.db);
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    h.clock.advance(approvalTtlMs);
    const err = await failure(h.service.approve(c.id, bob, 'approver'));
    const msg = `${c.id} expired at 2026-11-02 11:00 UTC before it got enough approvals; request it again if it is still needed.`;
    expect([err.code, err.userMessage]).toEqual(['expired', msg]);
    expect(await types(c.id)).toEqual(['change.requested', 'change.expired']);
    expect(h.listener.events.map((e) => e.event)).toEqual(['requested', 'expired']);
    const before = await auditCount();
    expect((await failure(h.service.approve(c.id, carol, 'admin'))).userMessage).toBe(msg);
    await unchanged(h, c.id, 'expired', before);
  });

  test('approving a rejected request names who rejected it and why', async () => {
    const h = harness(store.db);
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    const rejected = await h.service.reject(c.id, bob, 'approver', 'too risky before the release');
    expect(rejected).toMatchObject({ status: 'rejected', decidedBy: bob, reason: 'too risky before the release' });
    const before = await auditCount();
    const err = await failure(h.service.approve(c.id, carol, 'admin'));
    expect([err.code, err.userMessage]).toEqual([
      'conflict',
      `${c.id} was rejected by Bob at 2026-11-02 10:00 UTC: too risky before the release.`,
    ]);
    await unchanged(h, c.id, 'rejected', before);
  });

  test('the requester may withdraw; other operators may not reject', async () => {
    const h = harness(store.db);
    const c = await h.service.request(planFor(), alice, 'operator', conversation);
    const other = await failure(h.service.reject(c.id, person('erin'), 'operator'));
    expect(other.code).toBe('forbidden');
    expect(await h.service.reject(c.id, alice, 'operator')).toMatchObject({
      status: 'rejected',
      reason: 'withdrawn by the requester',
    });
    expect((await failure(h.service.approve(c.id, bob, 'approver'))).userMessage).toBe(
      `${c.id} was withdrawn by Alice at 2026-11-02 10:00 UTC: withdrawn by the requester.`,
    );
  });
});

describe('expiry and rollback', () => {
  test('expireDue moves only pending requests past their expiry', async () => {
    const h = harness(store.db);
    const old = await h.service.request(planFor(), alice, 'operator', conversation);
    h.clock.advance(approvalTtlMs / 2);
    const young = await h.service.request(planFor(), alice, 'operator', conversation);
    h.clock.advance(approvalTtlMs / 2);
    const expired = await h.service.expireDue();
    expect(expired.map((c) => c.id)).toContain(old.id);
    expect(expired.map((c) => c.id)).not.toContain(young.id);
    expect(await h.service.get(old.id)).toMatchObject({ status: 'expired', reason: 'approval window closed' });
    expect((await h.service.get(young.id))?.status).toBe('pending');
    expect(await types(old.id)).toEqual(['change.requested', 'change.expired']);
  });

  test('rollback files the inverse as a new request; the original becomes rolled_back when it succeeds', async () => {
    const h = harness(store.db);
    const original = await h.service.request(planFor(), alice, 'operator', conversation);
    await h.service.approve(original.id, bob, 'approver');
    const rb = await h.service.rollback(original.id, alice, 'operator');
    expect(rb).toMatchObject({
      status: 'pending',
      plan: {
        action: 'start',
        params: {},
        rollbackOf: original.id,
        costDeltaCents: 3000,
        rollback: { action: 'stop', params: {} },
      },
    });
    expect(rb.plan.summary).toBe(`Roll back ${original.id}: start i-0abc (web-1, prod) in eu-west-1`);
    expect((await failure(h.service.rollback(original.id, carol, 'admin'))).userMessage).toBe(
      `A rollback of ${original.id} is already under way: ${rb.id} (pending).`,
    );
    expect(await h.service.approve(rb.id, bob, 'approver')).toMatchObject({ status: 'succeeded' });
    expect(await h.service.get(original.id)).toMatchObject({
      status: 'rolled_back',
      reason: `rolled back by ${rb.id}`,
    });
    expect(h.provider.executions.map((e) => e.action)).toEqual(['stop', 'start']);
    expect(h.listener.events.at(-1)).toEqual({ id: original.id, event: 'rolled_back', status: 'rolled_back' });
    expect(await types(original.id)).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.succeeded',
      'change.rollback_requested',
      'change.rolled_back',
    ]);
    const again = await failure(h.service.rollback(original.id, alice, 'operator'));
    expect(again.userMessage).toBe(
      `Only a change that succeeded can be rolled back; ${original.id} is already rolled back (rolled back by ${rb.id}).`,
    );
  });

  test('a reboot cannot be rolled back; a pending change cannot either', async () => {
    const h = harness(store.db);
    const reboot = await h.service.request(
      planFor({ action: 'reboot', rollback: null }),
      alice,
      'operator',
      conversation,
    );
    await h.service.approve(reboot.id, bob, 'approver');
    expect((await failure(h.service.rollback(reboot.id, alice, 'operator'))).userMessage).toBe(
      `${reboot.id} cannot be rolled back: a reboot cannot be undone.`,
    );
    const pending = await h.service.request(planFor(), alice, 'operator', conversation);
    expect((await failure(h.service.rollback(pending.id, alice, 'operator'))).userMessage).toBe(
      `Only a change that succeeded can be rolled back; ${pending.id} is pending.`,
    );
  });

  test('list filters by status, requester and workspace, newest first', async () => {
    const h = harness(store.db);
    const a = await h.service.request(planFor(), carol, 'admin', conversation);
    const b = await h.service.request(planFor(), carol, 'admin', conversation);
    const mine = await h.service.list({ requesterKey: 'slack:T1:carol', status: 'pending', workspaceId: 'T1' });
    expect(mine.map((c) => c.id)).toEqual([b.id, a.id]);
    expect(await h.service.list({ workspaceId: 'T2' })).toEqual([]);
    expect(await h.service.list({ requesterKey: 'slack:T1:carol', limit: 1 })).toHaveLength(1);
    await auditCount();
  });
});
