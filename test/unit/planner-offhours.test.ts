import { describe, expect, it } from '@jest/globals';
import { commandToPlan } from '../../src/engine/planner/rule-planner.ts';
import { parseCommand } from '../../src/engine/planner/rules.ts';

// The `offhours` grammar: list, request (findings or owner, times, days, zone), pause/resume/remove.

const command = (text: string) => {
  const r = parseCommand(text);
  if (!r.ok) throw new Error(`${text}: ${r.message}`);
  return r.command;
};

describe('offhours', () => {
  it('lists schedules', () => {
    expect(command('offhours')).toEqual({ kind: 'offhours' });
    expect(command('offhours all')).toEqual({ kind: 'offhours', all: true });
    expect(commandToPlan(command('offhours'))).toEqual({ type: 'tools', steps: [{ tool: 'offhours', input: {} }] });
  });

  it('asks for a schedule for findings or an owner, with optional window, days and zone in any order', () => {
    expect(command('offhours F-3fa2c1d9e0b1 9c1e2f')).toEqual({
      kind: 'offhours_request',
      findings: ['3fa2c1d9e0b1', '9c1e2f'],
    });
    expect(command('offhours owner=Web 19:00-08:00 weekdays tz=Europe/Berlin')).toEqual({
      kind: 'offhours_request',
      owner: 'web',
      window: '19:00-08:00',
      days: 'weekdays',
      timezone: 'Europe/Berlin',
    });
    expect(command('offhours mon-thu 20:00 to 07:00 team=data')).toEqual({
      kind: 'offhours_request',
      owner: 'data',
      window: '20:00-07:00',
      days: 'mon-thu',
    });
    expect(commandToPlan(command('offhours owner=web daily'))).toEqual({
      type: 'tools',
      steps: [{ tool: 'offhours_request', input: { owner: 'web', days: 'daily' } }],
    });
  });

  it('pauses, resumes and removes by id', () => {
    expect(command('offhours pause OH-3FA2C1')).toEqual({ kind: 'offhours_pause', schedule: 'OH-3FA2C1' });
    expect(command('offhours unpause oh-3fa2c1')).toEqual({ kind: 'offhours_resume', schedule: 'oh-3fa2c1' });
    expect(command('offhours delete OH-3FA2C1')).toEqual({ kind: 'offhours_remove', schedule: 'OH-3FA2C1' });
    expect(commandToPlan(command('offhours remove OH-3FA2C1'))).toEqual({
      type: 'tools',
      steps: [{ tool: 'offhours_remove', input: { schedule: 'OH-3FA2C1' } }],
    });
  });

  it('says what it needs', () => {
    const noWho = parseCommand('offhours 19:00-08:00');
    expect(noWho.ok).toBe(false);
    expect(!noWho.ok && noWho.message).toContain('offhours owner=web');
    const odd = parseCommand('offhours owner=web at night');
    expect(!odd.ok && odd.message).toContain("I can't place “at”");
    const noId = parseCommand('offhours pause');
    expect(!noId.ok && noId.message).toContain('OH-3FA2C1');
  });
});
