import { describe, expect, test } from '@jest/globals';
import { commandToPlan } from '../../src/engine/planner/rule-planner.ts';
import { parseCommand } from '../../src/engine/planner/rules.ts';

// The workflow commands as the grammar reads them, and the tool each becomes.
describe('workflow commands', () => {
  test.each([
    ['templates', { kind: 'templates' }],
    ['templates list', { kind: 'templates' }],
    ['template', { kind: 'templates' }],
    ['template show blue-green', { kind: 'template', name: 'blue-green' }],
    ['template Blue-Green', { kind: 'template', name: 'blue-green' }],
    ['templates rds-disaster-recovery', { kind: 'template', name: 'rds-disaster-recovery' }],
    ['run blue-green', { kind: 'run', template: 'blue-green', inputs: {} }],
    [
      'run blue-green service=checkout-api image="registry/checkout:1.4" count = 3',
      {
        kind: 'run',
        template: 'blue-green',
        inputs: { service: 'checkout-api', image: 'registry/checkout:1.4', count: '3' },
      },
    ],
    [
      'run template ecs-node-app with app=Shop, port=8080',
      { kind: 'run', template: 'ecs-node-app', inputs: { app: 'Shop', port: '8080' } },
    ],
    ["run x-y note='two words'", { kind: 'run', template: 'x-y', inputs: { note: 'two words' } }],
    ['cancel CR-12', { kind: 'cancel', changeId: 'CR-12' }],
    ['cancel cr12 because wrong "tag"', { kind: 'cancel', changeId: 'CR-12', reason: 'wrong "tag"' }],
  ])('%s', (text, command) => {
    const r = parseCommand(text);
    expect(r).toEqual({ ok: true, command });
  });

  test.each([
    ['run', /Which template\?/],
    ['run Blue_Green', /not a template name/],
    ['run blue-green service', /I read inputs as key=value; “service” is not one/],
    ['run blue-green a=1 a=2', /a is given twice/],
    ['template show two words', /not a template name/],
    ['cancel', /Which change\?/],
  ])('refuses %s with the reason and the usage', (text, reason) => {
    const r = parseCommand(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(reason);
      expect(r.message).toContain('usage:');
    }
  });

  test('each becomes its tool', () => {
    const tool = (text: string) => {
      const r = parseCommand(text);
      if (!r.ok) throw new Error(r.message);
      const plan = commandToPlan(r.command);
      return plan.type === 'tools' ? plan.steps[0] : undefined;
    };
    expect(tool('templates')).toEqual({ tool: 'list_templates', input: {} });
    expect(tool('template show blue-green')).toEqual({ tool: 'show_template', input: { template: 'blue-green' } });
    expect(tool('run blue-green a=1')).toEqual({
      tool: 'run_template',
      input: { template: 'blue-green', inputs: { a: '1' } },
    });
    expect(tool('cancel CR-3 oops')).toEqual({ tool: 'cancel_change', input: { changeId: 'CR-3', reason: 'oops' } });
  });

  test('template add reads the pasted template from the raw message, lines and indentation kept', () => {
    const yaml = 'name: x-y\nversion: 2\nsteps:\n  - id: a\n    title: A\n';
    expect(parseCommand(`<@U1> template add\n\`\`\`yaml\n${yaml}\`\`\``)).toEqual({
      ok: true,
      command: { kind: 'template_add', yaml },
    });
    expect(parseCommand(`template upload\n${yaml}`)).toEqual({ ok: true, command: { kind: 'template_add', yaml } });
    // Longer than any command may be.
    const long = `name: x-y\ndescription: ${'d'.repeat(3_000)}\n`;
    expect(parseCommand(`template add \`\`\`${long}\`\`\``)).toEqual({
      ok: true,
      command: { kind: 'template_add', yaml: long },
    });
    const empty = parseCommand('template add');
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.message).toMatch(/Paste the template after `template add`/);
    const huge = parseCommand(`template add\n${'x'.repeat(70_000)}`);
    expect(huge.ok).toBe(false);
    if (!huge.ok) expect(huge.message).toBe('That template is too long (at most 64 KB).');
  });
});
