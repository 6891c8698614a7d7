import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { builtInFrameworks } from '../../src/scans/frameworks/index.ts';
import { RuleIdPattern } from '../../src/scans/rule.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { loadThresholds, thresholdCatalog } from '../../src/scans/settings.ts';

// The shipped rule set as a whole: what start-up loads, and what the README documents.

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const notes = [
  // Every rule id of the first release's table (the notes' rule list), by its row id.
  'aws.iam.root_mfa',
  'aws.iam.root_access_key',
  'aws.iam.user_mfa',
  'aws.iam.stale_credentials',
  'aws.iam.admin_policy',
  'aws.iam.password_policy',
  'aws.trail.multi_region',
  'aws.config.all_regions',
  'aws.kms.rotation',
  'aws.vpc.flow_logs',
  'aws.s3.public_block',
  'aws.s3.tls_and_sse',
  'aws.rds.encrypted',
  'aws.rds.not_public',
  'aws.ebs.encrypted',
  'aws.sg.admin_ports',
  'aws.ec2.imdsv2',
  'aws.detect.enabled',
  'aws.rds.backups',
  'aws.logs.retention',
  'az.entra.mfa',
  'az.nsg.admin_ports',
  'az.storage.secure',
  'gcp.fw.admin_ports',
  'gcp.gcs.public',
  'gcp.iam.sa_keys',
  'k8s.pod.privileged',
  'k8s.rbac.wildcards',
  'cost.ec2.idle',
  'cost.ec2.rightsize',
  'cost.ebs.unattached',
  'cost.ebs.gp2_io1',
  'cost.snapshot.old',
  'cost.eip.unassociated',
  'cost.elb.idle',
  'cost.rds.idle',
  'cost.nat.unused',
  'cost.ec2.stopped',
  'cost.ec2.prev_gen',
  'cost.commit.coverage',
  'cost.az.orphans_idle',
  'cost.gcp.orphans_idle',
  'cost.k8s.requests',
];

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

  it('the mapping file loads against them', () => {
    const frameworks = builtInFrameworks(new Set(ids));
    expect(frameworks.map((f) => f.id).sort()).toEqual(
      ['cis-aws', 'cis-azure', 'cis-gcp', 'cis-kubernetes', 'gdpr', 'hipaa', 'pci-dss', 'soc2'].sort(),
    );
  });
});
