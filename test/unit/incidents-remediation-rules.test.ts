import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../src/errors.ts';
import { loadAutoRemediationRules, ruleMatches } from '../../src/incidents/remediation.ts';

/**
 * Auto-remediation rules as policy data: what a policy file's `autoRemediation` key may hold,
 * every problem named with its path; how a rule matches an incident; and that nothing but the
 * incidents capability may pass the auto-remediation option to ChangeService.request.
 */

const good = {
  name: 'restart-crashloop',
  match: { source: 'alertmanager', service: 'search', titleMatches: 'crash ?loop', labels: { severity: 'warning' } },
  action: 'rollout_restart',
  environments: ['dev', 'staging'],
  maxPerHour: 3,
  autoApprove: true,
};

const failure = (doc: unknown): AppError => {
  try {
    loadAutoRemediationRules(doc);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected the rules to be refused');
};

describe('loadAutoRemediationRules', () => {
  it('reads a list, or the autoRemediation key of a policy document (none when it is absent)', () => {
    expect(loadAutoRemediationRules([good])).toEqual([good]);
    expect(loadAutoRemediationRules({ requesterRoles: ['operator'], rules: [], autoRemediation: [good] })).toEqual([
      good,
    ]);
    expect(loadAutoRemediationRules({ requesterRoles: ['operator'], rules: [] })).toEqual([]);
  });

  it('names every problem with its path', () => {
    const e = failure({
      autoRemediation: [
        { ...good, match: { titleMatches: '(unclosed' } },
        { ...good, name: 'RESTART-crashloop', environments: [], maxPerHour: 0, action: 'revert_workflow', extra: 1 },
        { ...good, name: 'bad name!', autoApprove: 'yes' },
      ],
    });
    expect(e.code).toBe('config_invalid');
    const lines = e.userMessage.replace(/^invalid auto-remediation rules: /, '').split('; ');
    expect(lines).toEqual(
      expect.arrayContaining([
        'autoRemediation.0.match.titleMatches: must be a valid regular expression',
        expect.stringMatching(/^autoRemediation\.1\.action: revert_workflow cannot be automated/),
        expect.stringMatching(/^autoRemediation\.1\.environments: /),
        expect.stringMatching(/^autoRemediation\.1\.maxPerHour: /),
        expect.stringMatching(/^autoRemediation\.1: Unrecognized key: "extra"/),
        expect.stringMatching(/^autoRemediation\.2\.name: must be a name of letters/),
        expect.stringMatching(/^autoRemediation\.2\.autoApprove: /),
      ]),
    );
    expect(lines).toHaveLength(7);
    // Names are unique regardless of case.
    expect(failure([good, { ...good, name: 'Restart-Crashloop' }]).userMessage).toBe(
      'invalid auto-remediation rules: 1.name: another rule is already named "Restart-Crashloop"',
    );
  });
});

describe('ruleMatches', () => {
  const [rule] = loadAutoRemediationRules([good]);
  const incident = {
    source: 'alertmanager' as const,
    service: 'Search',
    title: 'KubePodCrashLooping search-indexer',
    labels: { severity: 'warning', team: 'search' },
  };
  it('matches source, service (any case), title pattern (any case) and labels exactly', () => {
    expect(ruleMatches(rule!, incident)).toBe(true);
    expect(ruleMatches(rule!, { ...incident, source: 'pagerduty' })).toBe(false);
    expect(ruleMatches(rule!, { ...incident, service: 'payments' })).toBe(false);
    expect(ruleMatches(rule!, { ...incident, title: 'High latency' })).toBe(false);
    expect(ruleMatches(rule!, { ...incident, labels: { severity: 'critical' } })).toBe(false);
  });
});

describe('the auto-remediation option of ChangeService.request', () => {
  it('is passed only by src/incidents/ (no tool, engine or surface can reach it)', async () => {
    const root = path.resolve('src');
    const users: string[] = [];
    for (const f of await fs.readdir(root, { recursive: true })) {
      if (!f.endsWith('.ts')) continue;
      if (/\bautoRemediation\b/.test(await fs.readFile(path.join(root, f), 'utf8'))) users.push(f);
    }
    const allowed = (f: string) =>
      f.startsWith(`incidents${path.sep}`) ||
      f === path.join('changes', 'service.ts') ||
      f === path.join('changes', 'model.ts');
    expect(users.filter((f) => !allowed(f))).toEqual([]);
    expect(users).toContain(path.join('incidents', 'remediation.ts'));
  });
});
