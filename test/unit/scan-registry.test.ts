import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { builtInFrameworks } from '../../src/scans/frameworks/index.ts';
import { RuleIdPattern } from '../../src/scans/rule.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { listCatalog, loadLists, loadThresholds, thresholdCatalog } from '../../src/scans/settings.ts';
import { FIRST_RELEASE_RULE_IDS } from '../helpers/scan-rule.ts';

// The shipped rule set as a whole: what start-up loads, and what the README documents.

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const notes = FIRST_RELEASE_RULE_IDS;

describe('the shipped scan rules', () => {
  const ids = builtInRules.map((r) => r.id);

  it('cover every rule of the first release (a row may be split into sub-rules under its id)', () => {
    for (const id of notes) expect(ids.some((r) => r === id || r.startsWith(`${id}.`))).toBe(true);
  });

  it('have unique, well-formed ids and load with their default thresholds', () => {
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => RuleIdPattern.test(id))).toBe(true);
    expect(() => loadThresholds(builtInRules, {})).not.toThrow();
    for (const r of builtInRules) {
      expect(r.remediation.length).toBeGreaterThan(10);
      expect(r.types.length).toBeGreaterThan(0);
    }
  });

  it('each threshold is documented in the README with its default', () => {
    for (const [env, t] of thresholdCatalog(builtInRules)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${env}\` |`));
      expect(row).toBeDefined();
      expect(row).toContain(`| ${t.default} ${t.unit} |`);
    }
  });

  it('each list setting is documented in the README with its default, and read comma-separated', () => {
    for (const [env, l] of listCatalog(builtInRules)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${env}\` |`));
      expect(row).toContain(`| \`${l.default.join(',')}\` |`);
    }
    expect(loadLists(builtInRules, {}).get('SCAN_OFF_HOURS_ENVS')).toEqual([
      'dev',
      'development',
      'test',
      'qa',
      'staging',
      'sandbox',
    ]);
    expect(loadLists(builtInRules, { SCAN_OFF_HOURS_ENVS: ' Perf, ,UAT ' }).get('SCAN_OFF_HOURS_ENVS')).toEqual([
      'perf',
      'uat',
    ]);
  });

  it('the mapping file loads against them', () => {
    const frameworks = builtInFrameworks(new Set(ids));
    expect(frameworks.map((f) => f.id).sort()).toEqual(
      ['cis-aws', 'cis-azure', 'cis-gcp', 'cis-kubernetes', 'gdpr', 'hipaa', 'pci-dss', 'soc2'].sort(),
    );
  });
});
