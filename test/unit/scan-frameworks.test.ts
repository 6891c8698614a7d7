import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { isAppError } from '../../src/errors.ts';
import {
  builtInFrameworks,
  frameworkById,
  loadFrameworks,
  requirementsOf,
  type Framework,
} from '../../src/scans/frameworks/index.ts';
import { FIRST_RELEASE_RULE_IDS } from '../helpers/scan-rule.ts';

// The agreed ids, not whatever the registry holds.
const NOTES_RULE_IDS = FIRST_RELEASE_RULE_IDS;
const KNOWN = new Set(NOTES_RULE_IDS);
// Every security rule of the notes has at least one framework requirement; these cost rules have none.
const UNMAPPED = [
  'cost.ec2.idle',
  'cost.ec2.rightsize',
  'cost.ebs.unattached',
  'cost.ebs.gp2_io1',
  'cost.snapshot.old',
  'cost.elb.idle',
  'cost.rds.idle',
  'cost.nat.unused',
  'cost.ec2.stopped',
  'cost.ec2.prev_gen',
  'cost.commit.coverage',
  'cost.az.orphans_idle',
  'cost.gcp.orphans_idle',
  'cost.k8s.requests',
  'cost.vm.off_hours',
];

const FILE = 'src/scans/frameworks/mappings.json';
const shipped = (): { version: string; frameworks: Record<string, unknown>[] } =>
  JSON.parse(readFileSync(new URL('../../src/scans/frameworks/mappings.json', import.meta.url), 'utf8'));

/** A copy of the shipped file with one change applied to it. */
const edited = (change: (json: ReturnType<typeof shipped>) => void) => {
  const json = shipped();
  change(json);
  return json;
};
const fw = (json: ReturnType<typeof shipped>, id: string) => {
  const found = json.frameworks.find((f) => f.id === id);
  if (!found) throw new Error(`no ${id} in the shipped file`);
  return found as unknown as Framework;
};

/** The message of the error `load` throws; fails the test when it throws nothing. */
const errorOf = (load: () => unknown): string => {
  try {
    load();
  } catch (e) {
    expect(isAppError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('the shipped mapping file', () => {
  const frameworks = builtInFrameworks(KNOWN);

  test('loads against the rule ids of the notes, with the eight frameworks', () => {
    expect(frameworks.map((f) => f.id)).toEqual([
      'cis-aws',
      'cis-azure',
      'cis-gcp',
      'cis-kubernetes',
      'soc2',
      'hipaa',
      'pci-dss',
      'gdpr',
    ]);
    expect(shipped().version).toMatch(/^\d{4}-\d{2}-\d{2}(\.\d+)?$/);
  });

  test('every framework names its source and version', () => {
    for (const f of frameworks) {
      expect(f.source.length).toBeGreaterThanOrEqual(10);
      expect(f.version).not.toBe('');
    }
    expect(frameworkById(frameworks, 'cis-aws').version).toBe('5.0.0');
    expect(frameworkById(frameworks, 'cis-azure').version).toBe('5.0.0');
    expect(frameworkById(frameworks, 'cis-gcp').version).toBe('4.0.0');
    expect(frameworkById(frameworks, 'cis-kubernetes').version).toBe('1.12.0');
    expect(frameworkById(frameworks, 'pci-dss').version).toBe('4.0');
  });

  test('every requirement has rules, and every section it names exists', () => {
    for (const f of frameworks) {
      const sections = new Set(f.sections.map((s) => s.id));
      for (const r of f.requirements) {
        expect(r.rules.length).toBeGreaterThan(0);
        expect(sections.has(r.section)).toBe(true);
      }
    }
  });

  test('every rule of the notes is mapped somewhere, except the cost rules without mappings', () => {
    const mapped = new Set(frameworks.flatMap((f) => f.requirements.flatMap((r) => r.rules)));
    expect(NOTES_RULE_IDS.filter((id) => !mapped.has(id))).toEqual(UNMAPPED);
  });

  test('CIS AWS ids follow v5.0.0 numbering', () => {
    const cis = frameworkById(frameworks, 'cis-aws');
    expect(requirementsOf(cis, 'aws.iam.root_access_key').map((r) => r.id)).toEqual(['1.3']);
    expect(requirementsOf(cis, 'aws.iam.root_mfa').map((r) => r.id)).toEqual(['1.4']);
    expect(requirementsOf(cis, 'aws.iam.stale_credentials').map((r) => r.id)).toEqual(['1.11', '1.12', '1.13']);
    expect(requirementsOf(cis, 'aws.ebs.encrypted').map((r) => r.id)).toEqual(['5.1.1']);
    expect(requirementsOf(cis, 'aws.sg.admin_ports').map((r) => r.id)).toEqual(['5.3', '5.4', '5.5']);
  });

  test('requirementsOf lists a rule across sections, and nothing for an unmapped rule', () => {
    const hipaa = frameworkById(frameworks, 'hipaa');
    expect(requirementsOf(hipaa, 'aws.rds.encrypted').map((r) => r.id)).toEqual(['164.312(a)(2)(iv)']);
    expect(requirementsOf(hipaa, 'aws.iam.root_mfa').map((r) => r.id)).toEqual(['164.312(d)']);
    expect(requirementsOf(hipaa, 'cost.ec2.idle')).toEqual([]);
  });
});

describe('frameworkById', () => {
  const frameworks = builtInFrameworks(KNOWN);

  test('finds a framework case-insensitively', () => {
    expect(frameworkById(frameworks, ' PCI-DSS ').id).toBe('pci-dss');
  });

  test('an unknown id names the closest and every valid id', () => {
    const message = errorOf(() => frameworkById(frameworks, 'cis-aw'));
    expect(message).toBe(
      'Unknown framework "cis-aw". Did you mean "cis-aws"? Known frameworks: cis-aws, cis-azure, cis-gcp, cis-kubernetes, soc2, hipaa, pci-dss, gdpr.',
    );
    expect(errorOf(() => frameworkById(frameworks, 'iso27001'))).toBe(
      'Unknown framework "iso27001". Known frameworks: cis-aws, cis-azure, cis-gcp, cis-kubernetes, soc2, hipaa, pci-dss, gdpr.',
    );
  });
});

describe('a malformed mapping file fails with one line naming the file and the problem', () => {
  const load = (json: unknown, file?: string) => () => loadFrameworks(json, KNOWN, file);
  const prefix = `${FILE} is not a valid framework mapping: `;

  test.each<[string, (json: ReturnType<typeof shipped>) => void, string]>([
    [
      'an unknown rule id, with the closest known id',
      (j) => {
        fw(j, 'cis-aws').requirements.find((r) => r.id === '1.4')!.rules = ['aws.iam.rot_mfa'];
      },
      'unknown rule id "aws.iam.rot_mfa" in cis-aws 1.4 (did you mean "aws.iam.root_mfa"?)',
    ],
    [
      'a duplicate requirement id',
      (j) => {
        const reqs = fw(j, 'gdpr').requirements;
        reqs.push({ ...reqs[0]! });
      },
      'duplicate requirement id "Art. 25" in gdpr',
    ],
    [
      'a requirement in an unknown section',
      (j) => {
        fw(j, 'cis-gcp').requirements[0]!.section = '9';
      },
      'requirement cis-gcp 1.4 is in unknown section "9" (sections: 1, 3, 5)',
    ],
    [
      'an unknown framework field',
      (j) => {
        (fw(j, 'soc2') as unknown as Record<string, unknown>)['notes'] = 'x';
      },
      'soc2: Unrecognized key: "notes"',
    ],
    [
      'an unknown requirement field',
      (j) => {
        (fw(j, 'hipaa').requirements[0] as unknown as Record<string, unknown>)['rule'] = 'aws.x';
      },
      'hipaa 164.308(a)(1)(i): Unrecognized key: "rule"',
    ],
    [
      'a requirement without rules',
      (j) => {
        fw(j, 'pci-dss').requirements[0]!.rules = [];
      },
      'pci-dss 1.2 rules: Too small: expected array to have >=1 items',
    ],
    [
      'a framework without a source',
      (j) => {
        delete (fw(j, 'cis-azure') as unknown as Record<string, unknown>)['source'];
      },
      'cis-azure source: Invalid input: expected string, received undefined',
    ],
    [
      'a duplicate framework id',
      (j) => {
        j.frameworks.push({ ...j.frameworks[0]! });
      },
      'duplicate framework id "cis-aws"',
    ],
    [
      'a rule listed twice in one requirement',
      (j) => {
        fw(j, 'cis-kubernetes').requirements[0]!.rules = ['k8s.rbac.wildcards', 'k8s.rbac.wildcards'];
      },
      'rule id "k8s.rbac.wildcards" listed twice in cis-kubernetes 5.1.1',
    ],
  ])('%s', (_name, change, problem) => {
    const message = errorOf(load(edited(change)));
    expect(message).toBe(prefix + problem);
    expect(message).not.toContain('\n');
  });

  test('a file that is not an object, and the file name given by the caller', () => {
    expect(errorOf(load([], 'custom.json'))).toBe(
      'custom.json is not a valid framework mapping: (root): Invalid input: expected object, received array',
    );
  });

  test('several problems stay on one line', () => {
    const json = edited((j) => {
      fw(j, 'cis-aws').requirements[0]!.rules = ['aws.nope'];
      fw(j, 'cis-aws').requirements[1]!.section = '42';
    });
    const message = errorOf(load(json));
    expect(message).toContain('unknown rule id "aws.nope" in cis-aws 1.3');
    expect(message).toContain('requirement cis-aws 1.4 is in unknown section "42"');
    expect(message).not.toContain('\n');
  });

  test('a registry without a mapped rule fails the shipped file', () => {
    const without = new Set(NOTES_RULE_IDS.filter((id) => id !== 'aws.kms.rotation'));
    const message = errorOf(() => builtInFrameworks(without));
    expect(message).toContain('unknown rule id "aws.kms.rotation" in cis-aws 3.6');
    expect(message).toContain('unknown rule id "aws.kms.rotation" in pci-dss 3.7');
  });
});
