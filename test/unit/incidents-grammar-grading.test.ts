import { describe, expect, test } from '@jest/globals';
import { commandToPlan } from '../../src/engine/planner/rule-planner.ts';
import { parseCommand } from '../../src/engine/planner/rules.ts';
import { gradeDiagnosis } from '../../src/incidents/grading.ts';
import type { Diagnosis, Fact, FactResource } from '../../src/incidents/model.ts';

// The incident commands as the grammar reads them, and the tool each becomes.
describe('incident commands', () => {
  test.each([
    ['incidents', { kind: 'incidents', which: 'open' }],
    ['incidents all', { kind: 'incidents', which: 'all' }],
    ['incidents accuracy', { kind: 'incident_accuracy' }],
    ['incidents accuracy 90 days', { kind: 'incident_accuracy', days: 90 }],
    ['incident INC-7', { kind: 'incident', op: 'show', incident: 'INC-7' }],
    ['incident inc7 diagnose', { kind: 'incident', op: 'diagnose', incident: 'INC-7' }],
    ['incident ack #7', { kind: 'incident', op: 'acknowledge', incident: 'INC-7' }],
    ['ack INC-7', { kind: 'incident', op: 'acknowledge', incident: 'INC-7' }],
    ['acknowledge INC-7', { kind: 'incident', op: 'acknowledge', incident: 'INC-7' }],
    ['resolve 7', { kind: 'incident', op: 'resolve', incident: 'INC-7' }],
    ['escalate INC-7', { kind: 'incident', op: 'escalate', incident: 'INC-7' }],
    [
      'incident cause INC-7 change CR-12 resource=api-prod-1 the resize dropped the pool',
      {
        kind: 'incident_cause',
        incident: 'INC-7',
        category: 'change',
        changeId: 'CR-12',
        resource: 'api-prod-1',
        text: 'the resize dropped the pool',
      },
    ],
    ['incident INC-3 cause capacity', { kind: 'incident_cause', incident: 'INC-3', category: 'capacity' }],
    [
      'pagerduty map <@U123> Ana@Example.com',
      { kind: 'pagerduty_map', user: { by: 'id', id: 'U123' }, email: 'ana@example.com' },
    ],
  ])('%s', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });

  test.each([
    ['incident cause INC-7 gremlins', /Say what kind of cause/],
    ['ack', /Which incident\?/],
    ['incident show CR-12', /Which incident\?/],
    ['incidents everything', /not “everything”/],
    ['pagerduty map @ana not-an-email', /not an email address/],
    ['incidents accuracy forever', /period in days/],
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
    expect(tool('incidents')).toEqual({ tool: 'list_incidents', input: { which: 'open' } });
    expect(tool('incidents accuracy 30 days')).toEqual({ tool: 'incident_accuracy', input: { days: 30 } });
    expect(tool('incident INC-2')).toEqual({ tool: 'show_incident', input: { incident: 'INC-2' } });
    expect(tool('incident diagnose INC-2')).toEqual({ tool: 'diagnose_incident', input: { incident: 'INC-2' } });
    expect(tool('ack INC-2')).toEqual({ tool: 'incident_action', input: { incident: 'INC-2', action: 'acknowledge' } });
    expect(tool('incident cause INC-2 dependency')).toEqual({
      tool: 'record_incident_cause',
      input: { incident: 'INC-2', category: 'dependency' },
    });
    expect(tool('pagerduty map @ana ana@example.com')).toEqual({
      tool: 'map_pagerduty_user',
      input: { user: { by: 'name', name: 'ana' }, email: 'ana@example.com' },
    });
  });
});

const res = (name: string, type = 'instance'): FactResource => ({
  provider: 'aws',
  account: '123',
  region: 'us-east-1',
  type,
  id: `id-${name}`,
  name,
});
const fact = (id: string, over: Partial<Fact>): Fact => ({
  id,
  kind: 'health',
  text: id,
  source: 's',
  weight: 1,
  ...over,
});

describe('grading the diagnosis against the recorded cause', () => {
  const diagnosis: Diagnosis = {
    affected: [res('api-prod-1')],
    facts: [
      fact('F1', { kind: 'change', changeId: 'CR-12', resource: res('api-prod-1'), relation: 'affected' }),
      fact('F2', { kind: 'health', resource: res('db-prod', 'rds_instance'), relation: 'neighbour' }),
      fact('F3', {
        kind: 'change',
        changeId: 'CR-9',
        resource: res('lb-prod', 'load_balancer'),
        relation: 'neighbour',
      }),
    ],
    suspects: [
      { category: 'change', resource: res('api-prod-1'), changeId: 'CR-12', text: 'the resize', factIds: ['F1'] },
      { category: 'dependency', resource: res('db-prod', 'rds_instance'), text: 'db', factIds: ['F2'] },
    ],
    proposals: [],
    computedAt: new Date('2026-12-03T10:00:00Z'),
  };

  test.each([
    ['the suspected change', { category: 'change', changeId: 'CR-12' }, 'exact'],
    ['the suspected resource and category', { category: 'change', resource: 'API-PROD-1' }, 'exact'],
    ['only the right category', { category: 'change' }, 'exact'],
    ['a change it listed but did not put first', { category: 'change', changeId: 'CR-9' }, 'one_hop_short'],
    ['the second suspect', { category: 'dependency', resource: 'db-prod' }, 'one_hop_short'],
    [
      'the right resource, another category',
      { category: 'capacity', resource: 'api-prod-1' },
      'right_area_wrong_cause',
    ],
    ['the suspected change, another category', { category: 'code', changeId: 'CR-12' }, 'right_area_wrong_cause'],
    ['something it never saw', { category: 'infrastructure', resource: 'node-9' }, 'wrong_area'],
  ] as const)('%s → %s', (_name, cause, grade) => {
    expect(gradeDiagnosis(diagnosis, cause)).toBe(grade);
  });

  test('no suspect at all is the wrong area', () => {
    expect(gradeDiagnosis({ ...diagnosis, suspects: [] }, { category: 'change' })).toBe('wrong_area');
    expect(gradeDiagnosis(undefined, { category: 'change' })).toBe('wrong_area');
  });
});
