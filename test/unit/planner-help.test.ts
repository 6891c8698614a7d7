import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { Reply } from '../../src/chat/reply.ts';
import { CommandWord } from '../../src/engine/planner/command.ts';
import { HELP, HELP_SUMMARY, helpFor, renderHelp, usageLine } from '../../src/engine/planner/help.ts';
import { parseCommand } from '../../src/engine/planner/rules.ts';

// Which Command kind each command word produces.
const kindOf: Record<CommandWord, string> = {
  help: 'help',
  list: 'list',
  show: 'show',
  costs: 'costs',
  changes: 'changes',
  audit: 'audit',
  whoami: 'whoami',
  usage: 'usage',
  analytics: 'analytics',
  freezes: 'freezes',
  grants: 'grants',
  start: 'action',
  stop: 'action',
  reboot: 'action',
  resize: 'resize',
  scale: 'do',
  cordon: 'do',
  uncordon: 'do',
  deallocate: 'do',
  rollout: 'do',
  inventory: 'inventory',
  drift: 'drift',
  baseline: 'baseline',
  price: 'price',
  scan: 'scan',
  findings: 'findings',
  savings: 'savings',
  compliance: 'compliance',
  suppress: 'suppress',
  unsuppress: 'unsuppress',
  fix: 'fix',
  offhours: 'offhours_request',
  templates: 'templates',
  template: 'template',
  run: 'run',
  cancel: 'cancel',
  incidents: 'incident_accuracy',
  incident: 'incident_cause',
  ack: 'incident',
  resolve: 'incident',
  escalate: 'incident',
  pagerduty: 'pagerduty_map',
  approve: 'approve',
  reject: 'reject',
  rollback: 'rollback',
  grant: 'grant',
  revoke: 'revoke',
  freeze: 'freeze',
  unfreeze: 'unfreeze',
};

describe('HELP', () => {
  test('has one entry per command word, in order', () => {
    expect(HELP.map((e) => e.command)).toEqual(CommandWord.options);
  });

  test.each(HELP.map((e) => [e.command, e] as const))(
    '%s: usage starts with the word and the example parses to it',
    (word, e) => {
      expect(e.usage.split(' ')[0]).toBe(word);
      expect(e.example.split(' ')[0]).toBe(word);
      expect(e.description.length).toBeGreaterThan(10);
      const r = parseCommand(e.example);
      expect(r.ok && r.command.kind).toBe(kindOf[word]);
      if (r.ok && r.command.kind === 'action') expect(r.command.action).toBe(word);
    },
  );

  test('usage lines are what arity errors quote', () => {
    expect(usageLine('resize')).toBe('usage: resize <resource> [to <size>]');
    expect(helpFor('reject').usage).toBe('reject <change> [reason…]');
  });

  test('every command the summary suggests is a real command', () => {
    for (const [, cmd] of HELP_SUMMARY.matchAll(/`([a-z]+)[^`]*`/g)) expect(CommandWord.options).toContain(cmd);
  });
});

describe('renderHelp', () => {
  test('lists every command in a table and is a valid Reply', () => {
    const r = renderHelp();
    expect(Reply.parse(r)).toEqual(r);
    const table = r.blocks.find((b) => b.type === 'table');
    expect(table?.type === 'table' && table.columns).toEqual(['Command', 'What it does', 'Example']);
    expect(table?.type === 'table' && table.rows.map((row) => row[0])).toEqual(HELP.map((e) => e.usage));
    expect(r.text).toContain('resize');
  });

  test('explains one command with its usage and example', () => {
    const r = renderHelp('resize');
    expect(Reply.parse(r)).toEqual(r);
    expect(r.blocks[0]).toEqual({ type: 'header', text: 'help: resize' });
    expect(r.blocks).toContainEqual({
      type: 'fields',
      fields: [
        { label: 'Usage', value: 'resize <resource> [to <size>]' },
        { label: 'Example', value: 'resize web-1 to t3.large' },
      ],
    });
  });
});

describe('the planner README documents the grammar HELP defines', () => {
  const readme = readFileSync(new URL('../../src/engine/planner/README.md', import.meta.url), 'utf8');
  test.each(HELP.map((e) => [e.usage]))('mentions `%s`', (usage) => {
    expect(readme).toContain(`\`${usage}\``);
  });
});

describe('estate and provider-action commands', () => {
  test.each([
    ['scale checkout-api to 4', { kind: 'do', action: 'scale', resource: 'checkout-api', params: { replicas: '4' } }],
    ['scale checkout-api 0', { kind: 'do', action: 'scale', resource: 'checkout-api', params: { replicas: '0' } }],
    ['scale web replicas=3', { kind: 'do', action: 'scale', resource: 'web', params: { replicas: '3' } }],
    ['rollout restart api', { kind: 'do', action: 'rollout_restart', resource: 'api', params: {} }],
    ['rollout undo api', { kind: 'do', action: 'undo_rollout', resource: 'api', params: {} }],
    ['cordon node/ip-10-0-1-12', { kind: 'do', action: 'cordon', resource: 'node/ip-10-0-1-12', params: {} }],
    ['deallocate vm-web-dev-1', { kind: 'do', action: 'deallocate', resource: 'vm-web-dev-1', params: {} }],
    ['inventory', { kind: 'inventory', view: 'summary' }],
    ['inventory status', { kind: 'inventory', view: 'status' }],
    ['drift', { kind: 'drift', scope: {} }],
    ['drift aws env=prod', { kind: 'drift', scope: { provider: 'aws', environment: 'prod' } }],
    ['drift in k8s deployments', { kind: 'drift', scope: { provider: 'kubernetes', type: 'deployment' } }],
    ['baseline set', { kind: 'baseline', scope: {} }],
    ['baseline set gcp', { kind: 'baseline', scope: { provider: 'gcp' } }],
    ['price compare vm 4 cpu 16 gb', { kind: 'price', shape: 'vm', vcpu: 4, memoryGib: 16 }],
    ['price compare db 2vcpu 8gib', { kind: 'price', shape: 'database', vcpu: 2, memoryGib: 8 }],
    ['price compare disk 500 gb', { kind: 'price', shape: 'disk', gb: 500 }],
  ])('%s', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });

  test.each([
    ['scale web', 'usage: scale <deployment> to <replicas>'],
    ['rollout sideways web', 'usage: rollout restart|undo <deployment>'],
    ['inventory everything now', 'usage: inventory [summary|status]'],
    ['baseline', 'Say `baseline set` to record one'],
    ['price compare boat', '“boat” is not something I can price'],
  ])('%s is refused with its usage', (text, message) => {
    const r = parseCommand(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain(message);
  });
});
