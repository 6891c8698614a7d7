import { describe, expect, test } from '@jest/globals';
import type { ChangeRequest } from '../../src/changes/model.ts';
import { closedError } from '../../src/changes/explain.ts';
import { inverseOf, rollbackPlan as planRollback, type SpecLookup } from '../../src/changes/rollback.ts';
import { findAction } from '../../src/cloud/actions.ts';
import { awsActions } from '../../src/cloud/aws/actions.ts';
import { person, planFor, conversation } from '../fixtures/changes-plans.ts';

const at = new Date('2026-11-02T10:00:00.000Z');
const specOf: SpecLookup = (_provider, type, action) => findAction(awsActions, type, action);
const specFor = (c: ChangeRequest) => specOf(c.plan.target.provider, c.plan.target.type, c.plan.action);
const inverse = (c: ChangeRequest) => inverseOf(c, specFor(c));
const rollbackPlan = (c: ChangeRequest) => planRollback(c, specOf);
const change = (over: Partial<ChangeRequest>): ChangeRequest => ({
  id: 'CR-7',
  workspaceId: 'T1',
  status: 'succeeded',
  plan: planFor(),
  requester: person('alice'),
  requesterKey: 'slack:T1:alice',
  conversation,
  policy: {
    rule: 'production',
    approvals: 1,
    approverRoles: ['approver', 'admin'],
    allowSelfApproval: false,
    autoApprove: false,
  },
  approvalsRequired: 1,
  decisions: [{ approver: person('bob'), approverKey: 'slack:T1:bob', decision: 'approved', reason: null, at }],
  expiresAt: new Date(at.getTime() + 3_600_000),
  decidedBy: person('bob'),
  reason: null,
  rollbackData: { state: 'running' },
  result: { summary: 'stopped', newState: 'stopped' },
  error: null,
  createdAt: at,
  updatedAt: at,
  startedAt: at,
  finishedAt: new Date(at.getTime() + 90_000),
  gate: null,
  gateDecisions: [],
  ...over,
});

describe('inverseOf', () => {
  test('the recorded previous state beats the plan’s guess', () => {
    expect(inverse(change({ rollbackData: { state: 'running' } }))).toEqual({
      inverse: { action: 'start', params: {} },
    });
    const resize = change({
      plan: planFor({
        action: 'resize',
        params: { size: 't3.large' },
        rollback: { action: 'resize', params: { size: 't3.micro' } },
      }),
      rollbackData: { size: 't3.small' },
    });
    expect(inverse(resize)).toEqual({ inverse: { action: 'resize', params: { size: 't3.small' } } });
  });

  test('falls back to the declared rollback when nothing was recorded', () => {
    expect(inverse(change({ rollbackData: null }))).toEqual({ inverse: { action: 'start', params: {} } });
    expect(inverse(change({ rollbackData: null, plan: planFor({ rollback: null }) }))).toEqual({
      inverse: null,
      why: 'its previous state was not recorded',
    });
  });

  test('nothing to undo: stopping what was already stopped, or a reboot', () => {
    expect(inverse(change({ rollbackData: { state: 'stopped' } }))).toEqual({
      inverse: null,
      why: 'the resource was already stopped before it ran',
    });
    expect(() => rollbackPlan(change({ plan: planFor({ action: 'reboot', rollback: null }) }))).toThrow(
      'CR-7 cannot be rolled back: a reboot cannot be undone.',
    );
  });

  test('the rollback plan undoes cost and can itself be undone', () => {
    const p = rollbackPlan(
      change({
        plan: planFor({ action: 'resize', params: { size: 't3.large' }, costDeltaCents: 2500 }),
        rollbackData: { size: 't3.small' },
      }),
    );
    expect(p).toMatchObject({
      action: 'resize',
      params: { size: 't3.small' },
      costDeltaCents: -2500,
      rollbackOf: 'CR-7',
      rollback: { action: 'resize', params: { size: 't3.large' } },
    });
    expect(p.summary).toBe('Roll back CR-7: resize i-0abc (web-1, prod) to t3.small in eu-west-1');
  });
});

describe('closedError', () => {
  test('says who decided, when, and what happened since', () => {
    expect(closedError(change({})).userMessage).toBe(
      'CR-7 was already approved by Bob at 2026-11-02 10:00 UTC and succeeded at 2026-11-02 10:01 UTC.',
    );
    expect(closedError(change({ status: 'failed', error: 'quota exceeded' })).userMessage).toBe(
      'CR-7 was already approved by Bob at 2026-11-02 10:00 UTC and failed at 2026-11-02 10:01 UTC: quota exceeded.',
    );
    expect(
      closedError(
        change({
          status: 'executing',
          decidedBy: null,
          policy: { ...change({}).policy, rule: 'dev', autoApprove: true },
        }),
      ).userMessage,
    ).toBe('CR-7 was already auto-approved by policy rule "dev" at 2026-11-02 10:00 UTC and is running now.');
    const expired = closedError(change({ status: 'expired' }));
    expect([expired.code, expired.userMessage]).toEqual([
      'expired',
      'CR-7 expired at 2026-11-02 11:00 UTC before it got enough approvals; request it again if it is still needed.',
    ]);
  });
});
