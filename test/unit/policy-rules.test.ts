import { describe, expect, test } from '@jest/globals';
import { actorKey } from '../../src/chat/actor.ts';
import { approversText, approverNeedText, someoneElseText } from '../../src/changes/explain.ts';
import {
  approvalBlocker,
  DEFAULT_POLICY,
  evaluatePolicy,
  loadPolicy,
  mayApprove,
  type Policy,
} from '../../src/changes/policy.ts';
import type { AppliedPolicy } from '../../src/changes/model.ts';
import type { ChangePlan, PlannedAction, PlannedStep } from '../../src/tools/change-plan.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';

/** The approval policy's newer parts: template, conversation and step matches, groups, windows in the document. */

const step = (over: Partial<PlannedAction> = {}): PlannedAction => ({
  kind: 'action',
  id: 'step',
  title: 'a step',
  target: { provider: 'aws', account: '111111111111', region: 'eu-west-1', type: 'instance', id: 'i-1' },
  resourceName: 'web-1',
  environment: 'staging',
  timeoutMs: 60_000,
  retries: 0,
  action: 'stop',
  params: {},
  summary: 'stop web-1',
  blastRadius: 'web-1 stops',
  costDeltaCents: 0,
  compensate: 'inverse',
  ...over,
});

/** A workflow run as a change request carries it (src/workflows/plan.ts workflowChangePlan). */
const workflowPlan = (template: string, steps: PlannedStep[], environment = 'staging'): ChangePlan =>
  planFor({
    action: 'run_workflow',
    environment,
    params: { template, version: '1' },
    rollback: null,
    workflow: {
      template,
      version: 1,
      inputs: {},
      steps,
      monthlyCents: 0,
      unpriced: [],
      hash: 'a'.repeat(64),
    },
  });

const bob = person('bob');
const carol = person('carol');
const dan = person('dan');

const policy: Policy = loadPolicy({
  requesterRoles: ['operator', 'approver', 'admin'],
  groups: {
    dba: [actorKey(bob), actorKey(carol)],
    sre: [actorKey(carol), actorKey(dan)],
  },
  rules: [
    {
      name: 'blue-green',
      match: { template: ['Blue-Green'] },
      approvals: 2,
      approverRoles: ['admin'],
      approverGroups: ['sre'],
    },
    {
      name: 'ops-room',
      match: { conversation: ['slack:C-OPS', 'teams:19:abc@thread.tacv2'] },
      approvals: 1,
      approverGroups: ['dba'],
    },
    {
      name: 'deletes-anywhere',
      match: { step: { action: ['delete_snapshot', 'delete_volume'] } },
      approvals: 2,
      approverRoles: ['approver', 'admin'],
    },
    {
      name: 'hours',
      match: { environment: ['prod'] },
      approvals: 1,
      approverRoles: ['approver', 'admin'],
      windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timeZone: 'Europe/Paris' }],
    },
    { name: 'default', approvals: 1, approverRoles: ['approver', 'admin'] },
  ],
});

describe('rules match templates, conversations and steps', () => {
  test('a run of a named template (case-insensitive), from its workflow or from params.template', () => {
    const run = workflowPlan('blue-green', [step()]);
    expect(evaluatePolicy(policy, run, 'operator')).toMatchObject({ rule: 'blue-green', approvals: 2 });
    // A single change that names a template in its parameters (as a run's summary plan does).
    expect(evaluatePolicy(policy, planFor({ params: { template: 'blue-green' } }), 'operator')).toMatchObject({
      rule: 'blue-green',
    });
    // Another template, or none: the rule does not apply.
    expect(evaluatePolicy(policy, workflowPlan('rds-dr', [step()]), 'operator')).toMatchObject({ rule: 'default' });
    expect(evaluatePolicy(policy, planFor({ environment: 'staging' }), 'operator')).toMatchObject({ rule: 'default' });
  });

  test('the conversation a request is filed in: surface and channel (channel exactly, even with colons)', () => {
    const plan = planFor({ environment: 'staging' });
    const at = (surface: 'slack' | 'teams' | 'console', channelId: string) => ({
      conversation: { surface, channelId },
    });
    expect(evaluatePolicy(policy, plan, 'operator', at('slack', 'C-OPS'))).toMatchObject({ rule: 'ops-room' });
    expect(evaluatePolicy(policy, plan, 'operator', at('teams', '19:abc@thread.tacv2'))).toMatchObject({
      rule: 'ops-room',
    });
    expect(evaluatePolicy(policy, plan, 'operator', at('slack', 'c-ops'))).toMatchObject({ rule: 'default' });
    expect(evaluatePolicy(policy, plan, 'operator', at('console', 'C-OPS'))).toMatchObject({ rule: 'default' });
    // Not said where: a conversation rule never matches.
    expect(evaluatePolicy(policy, plan, 'operator')).toMatchObject({ rule: 'default' });
    expect(evaluatePolicy(policy, plan, 'operator', { conversation })).toMatchObject({ rule: 'default' });
  });

  test('a step match fits a workflow with one such step among others, and a single change of that action', () => {
    const run = workflowPlan('cleanup', [
      step({ id: 'a' }),
      {
        kind: 'wait',
        id: 'w',
        title: 'wait',
        target: step().target,
        resourceName: 'web-1',
        environment: 'staging',
        timeoutMs: 1000,
        retries: 0,
        until: 'stopped',
      },
      step({ id: 'b', action: 'delete_snapshot', target: { ...step().target, type: 'snapshot', id: 'snap-1' } }),
    ]);
    expect(evaluatePolicy(policy, run, 'operator')).toMatchObject({ rule: 'deletes-anywhere', approvals: 2 });
    expect(evaluatePolicy(policy, workflowPlan('cleanup', [step()]), 'operator')).toMatchObject({ rule: 'default' });
    expect(
      evaluatePolicy(policy, planFor({ action: 'delete_volume', environment: 'dev', rollback: null }), 'operator'),
    ).toMatchObject({ rule: 'deletes-anywhere' });
  });

  test('the applied rule carries its groups with their members and its windows', () => {
    const d = evaluatePolicy(policy, workflowPlan('blue-green', [step()]), 'operator');
    expect(d).toEqual({
      allowed: true,
      rule: 'blue-green',
      approvals: 2,
      approverRoles: ['admin'],
      approverGroups: [{ name: 'sre', members: ['slack:T1:carol', 'slack:T1:dan'] }],
      allowSelfApproval: false,
      autoApprove: false,
    });
    expect(evaluatePolicy(policy, planFor(), 'operator')).toMatchObject({
      rule: 'hours',
      windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timeZone: 'Europe/Paris' }],
    });
  });
});

describe('who may approve: roles or groups, never the requester', () => {
  const applied = (
    over: Partial<AppliedPolicy>,
  ): Pick<AppliedPolicy, 'approverRoles' | 'approverGroups'> & AppliedPolicy => ({
    rule: 'r',
    approvals: 2,
    approverRoles: [],
    allowSelfApproval: false,
    autoApprove: false,
    ...over,
  });

  test('a group member may approve whatever their role; others need one of the roles', () => {
    const p = applied({
      approverRoles: ['admin'],
      approverGroups: [{ name: 'sre', members: [actorKey(carol), actorKey(dan)] }],
    });
    expect(mayApprove(p, dan, 'viewer')).toBe(true);
    expect(mayApprove(p, bob, 'approver')).toBe(false);
    expect(mayApprove(p, bob, 'admin')).toBe(true);
    // The same user id in another workspace is another person.
    expect(mayApprove(p, person('dan', 'T2'), 'operator')).toBe(false);
  });

  test('the requester is refused even when in the group', () => {
    const c = {
      requesterKey: actorKey(carol),
      policy: applied({ approverGroups: [{ name: 'sre', members: [actorKey(carol), actorKey(dan)] }] }),
    };
    expect(approvalBlocker(c, carol, 'admin')).toBe('own');
    expect(approvalBlocker(c, dan, 'viewer')).toBeNull();
    expect(approvalBlocker(c, bob, 'approver')).toBe('role');
  });

  test('texts name the roles, the groups, or both', () => {
    const roles = applied({ approverRoles: ['approver', 'admin'] });
    const groups = applied({
      approverGroups: [
        { name: 'dba', members: ['slack:T1:bob'] },
        { name: 'sre', members: ['slack:T1:dan'] },
      ],
    });
    const both = applied({ approverRoles: ['admin'], approverGroups: [{ name: 'dba', members: ['slack:T1:bob'] }] });
    expect(approversText(roles)).toBe('approver or admin role');
    expect(approversText(groups)).toBe('dba or sre group');
    expect(approversText(both)).toBe('admin role or the dba group');
    expect(approverNeedText(groups)).toBe('someone in the dba or sre group');
    expect(approverNeedText(both)).toBe('the admin role or someone in the dba group');
    expect(someoneElseText(roles)).toBe('someone else with the approver or admin role');
    expect(someoneElseText(both)).toBe('someone else with the admin role or in the dba group');
  });
});

describe('policy documents', () => {
  test('an old document (roles only, no groups) still loads, with the same meaning', () => {
    const old = loadPolicy({
      requesterRoles: ['operator'],
      rules: [
        { name: 'all', match: { environment: ['prod'] }, approvals: 2, approverRoles: ['admin'], ttlMs: 600_000 },
      ],
    });
    expect(old.groups).toBeUndefined();
    expect(evaluatePolicy(old, planFor(), 'operator')).toEqual({
      allowed: true,
      rule: 'all',
      approvals: 2,
      approverRoles: ['admin'],
      allowSelfApproval: false,
      autoApprove: false,
      ttlMs: 600_000,
    });
    expect(loadPolicy(JSON.parse(JSON.stringify(DEFAULT_POLICY)))).toEqual(DEFAULT_POLICY);
  });

  const rule = { name: 'r', approvals: 1, approverRoles: ['admin'] };
  const refused = (doc: unknown): string => {
    try {
      loadPolicy(doc);
    } catch (e) {
      return (e as Error).message;
    }
    return 'loaded';
  };

  test.each([
    [
      'an unknown group',
      { groups: { dba: ['slack:T1:bob'] }, rules: [{ ...rule, approverGroups: ['sre'] }] },
      /rules\.0\.approverGroups\.0: no group "sre" in groups \(groups: dba\)/,
    ],
    [
      'a member that is not a person key',
      { groups: { dba: ['bob'] }, rules: [rule] },
      /groups\.dba\.0: must be a person key/,
    ],
    [
      'nobody to approve',
      { rules: [{ name: 'r', approvals: 1 }] },
      /rules\.0\.approverRoles: name who approves: approverRoles, approverGroups or both/,
    ],
    [
      'more approvals than a groups-only rule has people',
      {
        groups: { dba: ['slack:T1:bob', 'slack:T1:carol'] },
        rules: [{ name: 'r', approvals: 3, approverGroups: ['dba'] }],
      },
      /rules\.0\.approvals: 3 approvals but its groups have only 2 distinct people/,
    ],
    [
      'a conversation without its surface',
      { rules: [{ ...rule, match: { conversation: ['C0123'] } }] },
      /rules\.0\.match\.conversation\.0: must be surface:channel/,
    ],
    [
      'an empty step match',
      { rules: [{ ...rule, match: { step: {} } }] },
      /rules\.0\.match\.step: name at least one of action/,
    ],
    [
      'a step match that auto-approves',
      {
        rules: [
          {
            name: 'r',
            approvals: 0,
            autoApprove: true,
            approverRoles: ['admin'],
            match: { step: { action: ['stop'] } },
          },
        ],
      },
      /rules\.0\.autoApprove: a rule matching one step among several cannot auto-approve/,
    ],
    [
      'a window in a zone that does not exist',
      { rules: [{ ...rule, windows: [{ from: '09:00', to: '17:00', timeZone: 'Mars/Olympus' }] }] },
      /rules\.0\.windows\.0\.timeZone: must be an IANA time zone/,
    ],
    [
      'a window with a bad day and time',
      { rules: [{ ...rule, windows: [{ days: ['monday'], from: '9am', to: '17:00' }] }] },
      /rules\.0\.windows\.0\.days\.0: must be one of mon, tue.*rules\.0\.windows\.0\.from: must be a 24-hour time/,
    ],
    [
      'a window that never opens',
      { rules: [{ ...rule, windows: [{ from: '09:00', to: '09:00' }] }] },
      /rules\.0\.windows\.0\.to: from and to must differ/,
    ],
  ])('refuses %s, naming the field', (_what, doc, message) => {
    expect(refused({ requesterRoles: ['operator'], ...(doc as object) })).toMatch(message);
  });

  test('a person in two groups of a groups-only rule counts once toward the people available', () => {
    expect(
      refused({
        requesterRoles: ['operator'],
        groups: { a: ['slack:T1:bob', 'slack:T1:carol'], b: ['slack:T1:carol', 'slack:T1:bob'] },
        rules: [{ name: 'r', approvals: 3, approverGroups: ['a', 'b'] }],
      }),
    ).toMatch(/3 approvals but its groups have only 2 distinct people/);
  });
});
