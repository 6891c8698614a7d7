import { describe, expect, test } from '@jest/globals';
import { actorKey } from '../../src/chat/actor.ts';
import { approvalBlocker, DEFAULT_POLICY, evaluatePolicy, loadPolicy, type Policy } from '../../src/changes/policy.ts';
import { person, planFor } from '../fixtures/changes-plans.ts';

describe('DEFAULT_POLICY', () => {
  test('viewers cannot request anything', () => {
    const d = evaluatePolicy(DEFAULT_POLICY, planFor({ environment: 'dev', action: 'start' }), 'viewer');
    expect(d).toEqual({ allowed: false, reason: expect.stringContaining('viewer') });
  });

  test('prod needs one approval by an approver or admin, never self', () => {
    for (const env of ['prod', 'PROD', 'production']) {
      expect(evaluatePolicy(DEFAULT_POLICY, planFor({ environment: env, action: 'start' }), 'operator')).toEqual({
        allowed: true,
        rule: 'production',
        approvals: 1,
        approverRoles: ['approver', 'admin'],
        allowSelfApproval: false,
        autoApprove: false,
      });
    }
  });

  test.each(['start', 'stop', 'reboot'] as const)('%s in dev is auto-approved', (action) => {
    const d = evaluatePolicy(DEFAULT_POLICY, planFor({ environment: 'dev', action }), 'operator');
    expect(d).toMatchObject({ allowed: true, rule: 'dev-power-actions', autoApprove: true, approvals: 0 });
  });

  test('resize in dev and anything in staging need one approval', () => {
    expect(
      evaluatePolicy(
        DEFAULT_POLICY,
        planFor({ environment: 'dev', action: 'resize', params: { size: 't3.large' } }),
        'admin',
      ),
    ).toMatchObject({ allowed: true, rule: 'default', approvals: 1, autoApprove: false });
    expect(evaluatePolicy(DEFAULT_POLICY, planFor({ environment: 'staging' }), 'approver')).toMatchObject({
      rule: 'default',
      approvals: 1,
    });
  });
});

describe('custom policies', () => {
  const policy: Policy = loadPolicy({
    requesterRoles: ['approver', 'admin'],
    rules: [
      { name: 'k8s', match: { provider: ['kubernetes'] }, approvals: 2, approverRoles: ['admin'], ttlMs: 3_600_000 },
      {
        name: 'volumes',
        match: { resourceType: ['volume'], action: ['resize'] },
        approvals: 1,
        approverRoles: ['approver'],
      },
    ],
  });

  test('first matching rule wins and carries its ttl', () => {
    const plan = planFor({
      target: { provider: 'kubernetes', account: 'c1', region: 'r', type: 'volume', id: 'v' },
      action: 'resize',
    });
    expect(evaluatePolicy(policy, plan, 'admin')).toMatchObject({
      rule: 'k8s',
      approvals: 2,
      approverRoles: ['admin'],
      ttlMs: 3_600_000,
    });
  });

  test('a role outside requesterRoles is refused; so is a plan no rule covers', () => {
    expect(evaluatePolicy(policy, planFor(), 'operator')).toMatchObject({ allowed: false });
    expect(evaluatePolicy(policy, planFor(), 'admin')).toEqual({
      allowed: false,
      reason: 'no approval policy rule covers stop in prod',
    });
  });

  test('invalid documents are refused with the offending field named', () => {
    expect(() =>
      loadPolicy({ requesterRoles: ['operator'], rules: [{ name: 'x', approvals: 0, approverRoles: ['admin'] }] }),
    ).toThrow(/rules\.0\.approvals: approvals must be 0 when autoApprove is true/);
    expect(() =>
      loadPolicy({
        requesterRoles: ['operator'],
        rules: [{ name: 'x', approvals: 1, approverRoles: ['admin'], allowSelfApproval: true }],
      }),
    ).toThrow(/rules\.0\.allowSelfApproval/);
    expect(() =>
      loadPolicy({
        requesterRoles: ['operator'],
        rules: [{ name: 'x', match: { env: ['prod'] }, approvals: 1, approverRoles: ['admin'] }],
      }),
    ).toThrow(/rules\.0\.match/);
    expect(() => loadPolicy({ requesterRoles: [], rules: [] })).toThrow(/requesterRoles/);
  });

  test('JSON round trip of the default policy loads back identical', () => {
    expect(loadPolicy(JSON.parse(JSON.stringify(DEFAULT_POLICY)))).toEqual(DEFAULT_POLICY);
  });
});

describe('approvalBlocker', () => {
  test('the requester never; another person only with a role the rule accepts', () => {
    const c = {
      requesterKey: actorKey(person('alice')),
      policy: {
        rule: 'prod',
        approvals: 1,
        approverRoles: ['approver' as const, 'admin' as const],
        allowSelfApproval: false as const,
        autoApprove: false,
      },
    };
    expect(approvalBlocker(c, person('alice'), 'admin')).toBe('own');
    expect(approvalBlocker(c, person('bob'), 'operator')).toBe('role');
    expect(approvalBlocker(c, person('bob'), 'approver')).toBeNull();
    expect(approvalBlocker(c, person('alice', 'T2'), 'approver')).toBeNull();
  });
});
