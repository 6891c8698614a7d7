import { describe, expect, test } from '@jest/globals';
import { Command } from '../../src/engine/planner/command.ts';
import { parseCommand } from '../../src/engine/planner/rules.ts';

/** Every accepted form of every command, and the Command it must produce. */
const accepted: Array<[string, Command]> = [
  // help
  ['help', { kind: 'help' }],
  ['', { kind: 'help' }],
  ['<@U0BOT>', { kind: 'help' }],
  ['?', { kind: 'help' }],
  ['HELP resize', { kind: 'help', topic: 'resize' }],
  ['help restart', { kind: 'help', topic: 'reboot' }],
  ['help lst', { kind: 'help', topic: 'list' }],
  ['help me please', { kind: 'help' }],
  // list
  ['list', { kind: 'list', type: 'all' }],
  ['list instances', { kind: 'list', type: 'instance' }],
  ['list instance', { kind: 'list', type: 'instance' }],
  ['list vms', { kind: 'list', type: 'instance' }],
  ['list volumes', { kind: 'list', type: 'volume' }],
  ['list volume', { kind: 'list', type: 'volume' }],
  ['list disks', { kind: 'list', type: 'volume' }],
  ['list snapshots', { kind: 'list', type: 'snapshot' }],
  ['list snapshot', { kind: 'list', type: 'snapshot' }],
  ['list security groups', { kind: 'list', type: 'security_group' }],
  ['list security group', { kind: 'list', type: 'security_group' }],
  ['list sgs', { kind: 'list', type: 'security_group' }],
  ['list sg', { kind: 'list', type: 'security_group' }],
  ['list resources', { kind: 'list', type: 'all' }],
  ['list all', { kind: 'list', type: 'all' }],
  ['list all instances', { kind: 'list', type: 'instance' }],
  ['list the deployments', { kind: 'list', type: 'deployment' }],
  ['list nodes in k8s', { kind: 'list', type: 'node', provider: 'kubernetes' }],
  ['list instances in aws', { kind: 'list', type: 'instance', provider: 'aws' }],
  ['list instances on azure', { kind: 'list', type: 'instance', provider: 'azure' }],
  ['list volumes in gcp', { kind: 'list', type: 'volume', provider: 'gcp' }],
  ['list resources in kubernetes', { kind: 'list', type: 'all', provider: 'kubernetes' }],
  ['list instances in aws env=prod', { kind: 'list', type: 'instance', provider: 'aws', environment: 'prod' }],
  ['list instances env=prod in aws', { kind: 'list', type: 'instance', provider: 'aws', environment: 'prod' }],
  ['list instances env = Staging', { kind: 'list', type: 'instance', environment: 'staging' }],
  ['list instances env:perf', { kind: 'list', type: 'instance', environment: 'perf' }],
  ['list instances environment=qa', { kind: 'list', type: 'instance', environment: 'qa' }],
  ['list instances env perf', { kind: 'list', type: 'instance', environment: 'perf' }],
  ['list instances provider=azure', { kind: 'list', type: 'instance', provider: 'azure' }],
  ['list type=snapshots', { kind: 'list', type: 'snapshot' }],
  ['list instances in perf', { kind: 'list', type: 'instance', environment: 'perf' }],
  ['list prod instances', { kind: 'list', type: 'instance', environment: 'prod' }],
  ['list instances prod', { kind: 'list', type: 'instance', environment: 'prod' }],
  ['list prod', { kind: 'list', type: 'all', environment: 'prod' }],
  ['list aws instances', { kind: 'list', type: 'instance', provider: 'aws' }],
  [
    'list k8s deployments in staging',
    { kind: 'list', type: 'deployment', provider: 'kubernetes', environment: 'staging' },
  ],
  ['ls volumes', { kind: 'list', type: 'volume' }],
  ['show instances', { kind: 'list', type: 'instance' }],
  ['show security groups in aws', { kind: 'list', type: 'security_group', provider: 'aws' }],
  ['list changes', { kind: 'changes', filter: 'all' }],
  ['list change requests pending', { kind: 'changes', filter: 'pending' }],
  // show
  // Without a resource the engine asks which one, with a picker.
  ['show', { kind: 'pick', for: 'show' }],
  ['stop', { kind: 'pick', for: 'stop' }],
  ['Start', { kind: 'pick', for: 'start' }],
  ['restart', { kind: 'pick', for: 'reboot' }],
  ['resize', { kind: 'pick', for: 'resize' }],
  ['please stop', { kind: 'pick', for: 'stop' }],
  ['show web-1', { kind: 'show', resource: 'web-1' }],
  ['show Web-1', { kind: 'show', resource: 'Web-1' }],
  ['show i-0abc1234', { kind: 'show', resource: 'i-0abc1234' }],
  ['show I-0ABC1234', { kind: 'show', resource: 'i-0abc1234' }],
  ['show vol-0123456789abcdef0', { kind: 'show', resource: 'vol-0123456789abcdef0' }],
  ['show snap-0a1b2c3d', { kind: 'show', resource: 'snap-0a1b2c3d' }],
  ['show sg-12345678', { kind: 'show', resource: 'sg-12345678' }],
  ['show instance web-1', { kind: 'show', resource: 'web-1' }],
  ['show security group sg-12345678', { kind: 'show', resource: 'sg-12345678' }],
  ['show "web server 1"', { kind: 'show', resource: 'web server 1' }],
  ["show 'web-1'", { kind: 'show', resource: 'web-1' }],
  ['show “web-1”', { kind: 'show', resource: 'web-1' }],
  ['show `web-1`', { kind: 'show', resource: 'web-1' }],
  ['show <http://web.example.com|web.example.com>', { kind: 'show', resource: 'web.example.com' }],
  ['describe db-main', { kind: 'show', resource: 'db-main' }],
  ['show "instance"', { kind: 'show', resource: 'instance' }],
  // costs
  ['costs', { kind: 'costs', by: 'service' }],
  ['cost', { kind: 'costs', by: 'service' }],
  ['costs by service', { kind: 'costs', by: 'service' }],
  ['costs by env', { kind: 'costs', by: 'environment' }],
  ['costs by environment', { kind: 'costs', by: 'environment' }],
  ['costs by provider', { kind: 'costs', by: 'provider' }],
  ['costs per cloud', { kind: 'costs', by: 'provider' }],
  ['costs env', { kind: 'costs', by: 'environment' }],
  ['show costs by provider', { kind: 'costs', by: 'provider' }],
  // power actions
  ['start web-1', { kind: 'action', action: 'start', resource: 'web-1' }],
  ['stop web-1', { kind: 'action', action: 'stop', resource: 'web-1' }],
  ['reboot web-1', { kind: 'action', action: 'reboot', resource: 'web-1' }],
  ['restart web-1', { kind: 'action', action: 'reboot', resource: 'web-1' }],
  ['power off web-1', { kind: 'action', action: 'stop', resource: 'web-1' }],
  ['STOP instance I-0ABCDEF12', { kind: 'action', action: 'stop', resource: 'i-0abcdef12' }],
  ['stop "web server 1"', { kind: 'action', action: 'stop', resource: 'web server 1' }],
  ['stop web-1.', { kind: 'action', action: 'stop', resource: 'web-1' }],
  ['please stop web-1 please!', { kind: 'action', action: 'stop', resource: 'web-1' }],
  // resize
  ['resize web-1', { kind: 'resize', resource: 'web-1' }],
  ['resize web-1 to t3.large', { kind: 'resize', resource: 'web-1', size: 't3.large' }],
  ['resize web-1 to T3.LARGE', { kind: 'resize', resource: 'web-1', size: 't3.large' }],
  ['resize web-1 t3.large', { kind: 'resize', resource: 'web-1', size: 't3.large' }],
  ['resize instance web-1 to m5.2xlarge', { kind: 'resize', resource: 'web-1', size: 'm5.2xlarge' }],
  ['resize "web server" to Standard_D2s_v3', { kind: 'resize', resource: 'web server', size: 'Standard_D2s_v3' }],
  ['resize "to" to t3.small', { kind: 'resize', resource: 'to', size: 't3.small' }],
  // changes
  ['changes', { kind: 'changes', filter: 'all' }],
  ['changes pending', { kind: 'changes', filter: 'pending' }],
  ['changes mine', { kind: 'changes', filter: 'mine' }],
  ['pending changes', { kind: 'changes', filter: 'pending' }],
  ['my changes', { kind: 'changes', filter: 'mine' }],
  ['pending', { kind: 'changes', filter: 'pending' }],
  // approve / reject / rollback and change ids
  ['approve CR-12', { kind: 'approve', changeId: 'CR-12' }],
  ['approve cr-12', { kind: 'approve', changeId: 'CR-12' }],
  ['approve cr12', { kind: 'approve', changeId: 'CR-12' }],
  ['approve CR12', { kind: 'approve', changeId: 'CR-12' }],
  ['approve 12', { kind: 'approve', changeId: 'CR-12' }],
  ['approve #12', { kind: 'approve', changeId: 'CR-12' }],
  ['approve #CR-12', { kind: 'approve', changeId: 'CR-12' }],
  ['approve cr 12', { kind: 'approve', changeId: 'CR-12' }],
  ['approve CR-012', { kind: 'approve', changeId: 'CR-12' }],
  ['approve CR-12!', { kind: 'approve', changeId: 'CR-12' }],
  ['reject CR-3', { kind: 'reject', changeId: 'CR-3' }],
  [
    'reject cr3 too risky during the freeze',
    { kind: 'reject', changeId: 'CR-3', reason: 'too risky during the freeze' },
  ],
  ['reject #3 "not now, sorry"', { kind: 'reject', changeId: 'CR-3', reason: 'not now, sorry' }],
  ['reject 3 reason: wrong size', { kind: 'reject', changeId: 'CR-3', reason: 'wrong size' }],
  ['reject cr 3 - Wrong Size', { kind: 'reject', changeId: 'CR-3', reason: 'Wrong Size' }],
  ["reject CR-3 don't touch prod", { kind: 'reject', changeId: 'CR-3', reason: "don't touch prod" }],
  ['deny CR-3', { kind: 'reject', changeId: 'CR-3' }],
  ['rollback CR-7', { kind: 'rollback', changeId: 'CR-7' }],
  ['roll back #7', { kind: 'rollback', changeId: 'CR-7' }],
  ['undo 7', { kind: 'rollback', changeId: 'CR-7' }],
  // audit, whoami
  ['audit', { kind: 'audit', verify: false }],
  ['audit log', { kind: 'audit', verify: false }],
  ['audit verify', { kind: 'audit', verify: true }],
  ['verify audit', { kind: 'audit', verify: true }],
  ['whoami', { kind: 'whoami' }],
  ['who am i?', { kind: 'whoami' }],
  ['Who Am I', { kind: 'whoami' }],
  // usage
  ['usage', { kind: 'usage' }],
  ['Usage', { kind: 'usage' }],
  ['usage 2026-11', { kind: 'usage', month: '2026-11' }],
  ['usage for 2026-11', { kind: 'usage', month: '2026-11' }],
  ['usage this month', { kind: 'usage' }],
  ['usage for this month', { kind: 'usage' }],
  ['usage in 2026-01.', { kind: 'usage', month: '2026-01' }],
  ['<@U0BOT> usage 2026-12', { kind: 'usage', month: '2026-12' }],
  // analytics
  ['analytics', { kind: 'analytics' }],
  ['analytics payments', { kind: 'analytics', team: 'payments' }],
  ['analytics Payments 2026-11', { kind: 'analytics', team: 'payments', period: '2026-11' }],
  ['analytics last-month', { kind: 'analytics', period: 'last-month' }],
  ['analytics last month', { kind: 'analytics', period: 'last-month' }],
  ['analytics this month', { kind: 'analytics', period: 'this-month' }],
  ['analytics payments for the last 30 days', { kind: 'analytics', team: 'payments', period: '30d' }],
  ['analytics team data 7d', { kind: 'analytics', team: 'data', period: '7d' }],
  ['analytics "Data Platform" 90d', { kind: 'analytics', team: 'Data Platform', period: '90d' }],
  // grant
  ['grant alice admin', { kind: 'grant', user: { by: 'name', name: 'alice' }, role: 'admin' }],
  ['grant @alice approver', { kind: 'grant', user: { by: 'name', name: 'alice' }, role: 'approver' }],
  ['grant <@U123ABC> operator', { kind: 'grant', user: { by: 'id', id: 'U123ABC' }, role: 'operator' }],
  ['grant <@U123ABC|alice> viewer', { kind: 'grant', user: { by: 'id', id: 'U123ABC' }, role: 'viewer' }],
  ['grant "Alice Smith" as admin', { kind: 'grant', user: { by: 'name', name: 'Alice Smith' }, role: 'admin' }],
  ['grant alice the approver role', { kind: 'grant', user: { by: 'name', name: 'alice' }, role: 'approver' }],
  ['grant admin to <@U9>', { kind: 'grant', user: { by: 'id', id: 'U9' }, role: 'admin' }],
  ['grant admin alice', { kind: 'grant', user: { by: 'name', name: 'alice' }, role: 'admin' }],
  ['grant bob ADMINISTRATOR', { kind: 'grant', user: { by: 'name', name: 'bob' }, role: 'admin' }],
  ['grant <at>Bob Jones</at> operator', { kind: 'grant', user: { by: 'name', name: 'Bob Jones' }, role: 'operator' }],
  // approve with an override
  [
    'approve CR-12 override "hotfix for the outage"',
    { kind: 'approve', changeId: 'CR-12', override: 'hotfix for the outage' },
  ],
  [
    'approve cr 12 override because checkout is down',
    { kind: 'approve', changeId: 'CR-12', override: 'checkout is down' },
  ],
  ['approve #12 force reason: Sev1 INC-42', { kind: 'approve', changeId: 'CR-12', override: 'Sev1 INC-42' }],
  // just-in-time roles
  [
    'grant @dave approver for 2h',
    { kind: 'grant_temporary', user: { by: 'name', name: 'dave' }, role: 'approver', durationMs: 7_200_000 },
  ],
  [
    'grant <@U9> as approver for 90 minutes covering the release',
    {
      kind: 'grant_temporary',
      user: { by: 'id', id: 'U9' },
      role: 'approver',
      durationMs: 5_400_000,
      reason: 'covering the release',
    },
  ],
  [
    'grant operator to "Dave Lee" for 3d because "on call"',
    {
      kind: 'grant_temporary',
      user: { by: 'name', name: 'Dave Lee' },
      role: 'operator',
      durationMs: 259_200_000,
      reason: 'on call',
    },
  ],
  [
    'grant bob approver for 1w',
    { kind: 'grant_temporary', user: { by: 'name', name: 'bob' }, role: 'approver', durationMs: 604_800_000 },
  ],
  ['revoke @dave', { kind: 'revoke', user: { by: 'name', name: 'dave' } }],
  ['revoke <@U9> approver', { kind: 'revoke', user: { by: 'id', id: 'U9' } }],
  ['revoke the grant of "Dave Lee"', { kind: 'revoke', user: { by: 'name', name: 'Dave Lee' } }],
  ['grants', { kind: 'grants' }],
  ['list grants', { kind: 'grants' }],
  // change freezes
  [
    'freeze prod until 2026-11-20 18:00 release week',
    {
      kind: 'freeze',
      environment: 'prod',
      until: { kind: 'at', date: '2026-11-20', time: '18:00', timeZone: 'UTC' },
      reason: 'release week',
    },
  ],
  [
    'freeze PROD until friday at 6pm tz=Europe/Paris "release week"',
    {
      kind: 'freeze',
      environment: 'prod',
      until: { kind: 'at', day: 'fri', time: '18:00', timeZone: 'Europe/Paris' },
      reason: 'release week',
    },
  ],
  [
    'freeze env=staging till tomorrow',
    { kind: 'freeze', environment: 'staging', until: { kind: 'at', day: 'tomorrow', timeZone: 'UTC' } },
  ],
  [
    'freeze all environments until 2026-11-20T18:00+01:00 because of the audit',
    {
      kind: 'freeze',
      environment: 'all',
      until: { kind: 'instant', iso: '2026-11-20T17:00:00.000Z' },
      reason: 'of the audit',
    },
  ],
  [
    'freeze everything until 2026-11-20T18:00 America/New_York',
    {
      kind: 'freeze',
      environment: 'all',
      until: { kind: 'at', date: '2026-11-20', time: '18:00', timeZone: 'America/New_York' },
    },
  ],
  [
    'freeze prod until 17:30 UTC',
    { kind: 'freeze', environment: 'prod', until: { kind: 'at', time: '17:30', timeZone: 'UTC' } },
  ],
  ['freeze dev for 3d', { kind: 'freeze', environment: 'dev', until: { kind: 'in', ms: 259_200_000 } }],
  [
    'freeze prod for 2 hours - db migration',
    { kind: 'freeze', environment: 'prod', until: { kind: 'in', ms: 7_200_000 }, reason: 'db migration' },
  ],
  ['unfreeze prod', { kind: 'unfreeze', environment: 'prod' }],
  ['unfreeze all', { kind: 'unfreeze', environment: 'all' }],
  ['unfreeze env=Staging', { kind: 'unfreeze', environment: 'staging' }],
  ['freezes', { kind: 'freezes' }],
  ['show freezes', { kind: 'freezes' }],
];

describe('parseCommand accepts every command form', () => {
  test.each(accepted)('%j', (input, expected) => {
    const result = parseCommand(input);
    expect(result).toEqual({ ok: true, command: expected });
    // What the grammar produces is exactly what the schema admits (no stray undefined fields).
    if (result.ok) expect(Command.parse(result.command)).toStrictEqual(result.command);
  });
});

/** Chat noise around a command must not change what it means. */
const noisy: Array<[string, string]> = [
  ['<@U0BOT> stop web-1', 'stop web-1'],
  ['<@U0BOT|devops> stop web-1', 'stop web-1'],
  ['<@U0BOT>: stop web-1', 'stop web-1'],
  ['@devops stop web-1', 'stop web-1'],
  ['@devops-agent, stop web-1', 'stop web-1'],
  ['<at>DevOps Agent</at> stop web-1', 'stop web-1'],
  ['   STOP    web-1   ', 'stop web-1'],
  ['stop\tweb-1\n', 'stop web-1'],
  ['stop\u00a0web-1', 'stop web-1'],
  ['stop\u200b web-1', 'stop web-1'],
  ['stop web-1?!', 'stop web-1'],
  ['`stop web-1`', 'stop web-1'],
  ['Stop Web-1', 'stop Web-1'],
  ['pls stop web-1 thanks', 'stop web-1'],
];

describe('noise around a command', () => {
  test.each(noisy)('%j reads like %j', (input, clean) => {
    expect(parseCommand(input)).toEqual(parseCommand(clean));
    expect(parseCommand(input).ok).toBe(true);
  });
});
