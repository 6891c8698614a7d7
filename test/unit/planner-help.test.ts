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
  start: 'action',
  stop: 'action',
  reboot: 'action',
  resize: 'resize',
  approve: 'approve',
  reject: 'reject',
  rollback: 'rollback',
  grant: 'grant',
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
