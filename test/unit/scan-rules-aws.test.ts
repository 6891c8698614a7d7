import { describe, expect, it } from '@jest/globals';
import type { Resource } from '../../src/cloud/resource.ts';
import { RuleIdPattern, ThresholdEnvPattern } from '../../src/scans/rule.ts';
import type { Rule } from '../../src/scans/rule.ts';
import { awsSecurityRules } from '../../src/scans/rules/aws-security.ts';
import { judge, resourceOf, scanNow } from '../helpers/scan-rule.ts';

const rule = (id: string): Rule => {
  const found = awsSecurityRules.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};

const daysAgo = (n: number): string => new Date(scanNow.getTime() - n * 86_400_000).toISOString();

const settings = (attributes: Record<string, unknown>): Resource =>
  resourceOf({ type: 'account_settings', id: 'account-settings', region: 'global', attributes });

describe('the AWS security rules, as a whole', () => {
  it('are the 20 aws. rows, with unique ids, unique threshold variables and defaults within their bounds', () => {
    const ids = awsSecurityRules.map((r) => r.id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of awsSecurityRules) {
      expect(r.id).toMatch(RuleIdPattern);
      expect(r.id.startsWith('aws.')).toBe(true);
      expect(r).toMatchObject({ category: 'security', provider: 'aws' });
      expect(r.types.length).toBeGreaterThan(0);
      expect(r.remediation.length).toBeGreaterThan(20);
    }
    const thresholds = awsSecurityRules.flatMap((r) => Object.values(r.thresholds ?? {}));
    const envs = thresholds.map((t) => t.env);
    expect(new Set(envs).size).toBe(envs.length);
    expect(envs.sort()).toEqual([
      'SCAN_ACCESS_KEY_MAX_AGE_DAYS',
      'SCAN_CREDENTIAL_UNUSED_DAYS',
      'SCAN_LOG_RETENTION_DAYS',
      'SCAN_PASSWORD_MIN_LENGTH',
      'SCAN_PASSWORD_REUSE_PREVENTION',
      'SCAN_RDS_BACKUP_RETENTION_DAYS',
    ]);
    for (const t of thresholds) {
      expect(t.env).toMatch(ThresholdEnvPattern);
      expect(t.default).toBeGreaterThanOrEqual(t.min ?? -Infinity);
      expect(t.default).toBeLessThanOrEqual(t.max ?? Infinity);
      expect(t.description).not.toBe('');
    }
  });

  it('rank root keys, world-open admin ports and public databases critical', () => {
    const critical = awsSecurityRules.filter((r) => r.severity === 'critical').map((r) => r.id);
    expect(critical).toEqual(
      expect.arrayContaining(['aws.iam.root_access_key', 'aws.sg.admin_ports', 'aws.rds.not_public']),
    );
  });
});

describe('aws.iam.root_mfa and aws.iam.root_access_key', () => {
  it('pass a root user with MFA and no keys', () => {
    const s = settings({ rootMfaEnabled: true, rootAccessKeysPresent: false, rootAccessKeyLastUsed: null });
    expect(judge(rule('aws.iam.root_mfa'), s)).toEqual({ verdict: 'pass', evidence: { rootMfaEnabled: true } });
    expect(judge(rule('aws.iam.root_access_key'), s)).toMatchObject({
      verdict: 'pass',
      evidence: { rootAccessKeysPresent: false },
    });
  });

  it('fail a root user without MFA, or with access keys (naming their last use)', () => {
    const s = settings({
      rootMfaEnabled: false,
      rootAccessKeysPresent: true,
      rootAccessKeyLastUsed: '2026-11-30T08:00:00.000Z',
    });
    expect(judge(rule('aws.iam.root_mfa'), s)).toMatchObject({ verdict: 'fail', evidence: { rootMfaEnabled: false } });
    const keys = judge(rule('aws.iam.root_access_key'), s);
    expect(keys).toMatchObject({
      verdict: 'fail',
      evidence: { rootAccessKeysPresent: true, rootAccessKeyLastUsed: '2026-11-30T08:00:00.000Z' },
    });
    expect(keys.detail).toContain('2026-11-30');
  });

  it('are manual when the account summary was not collected', () => {
    expect(judge(rule('aws.iam.root_mfa'), settings({})).verdict).toBe('manual');
    expect(judge(rule('aws.iam.root_access_key'), settings({})).verdict).toBe('manual');
  });
});

describe('aws.iam.user_mfa', () => {
  const user = (attributes: Record<string, unknown>) =>
    resourceOf({ type: 'iam_user', id: 'user/ana', name: 'ana', region: 'global', attributes });
  const r = rule('aws.iam.user_mfa');

  it('passes users without a console password and console users with MFA', () => {
    expect(judge(r, user({ consoleAccess: false, mfaEnabled: false, mfaDevices: 0 })).verdict).toBe('pass');
    expect(judge(r, user({ consoleAccess: true, mfaEnabled: true, mfaDevices: 1 }))).toEqual({
      verdict: 'pass',
      evidence: { consoleAccess: true, mfaEnabled: true, mfaDevices: 1 },
    });
  });

  it('fails a console user without MFA, and is manual without the attributes', () => {
    const e = judge(r, user({ consoleAccess: true, mfaEnabled: false, mfaDevices: 0 }));
    expect(e).toMatchObject({ verdict: 'fail', evidence: { consoleAccess: true, mfaEnabled: false } });
    expect(e.detail).toContain('ana');
    expect(judge(r, user({})).verdict).toBe('manual');
  });
});

describe('aws.iam.stale_credentials', () => {
  const r = rule('aws.iam.stale_credentials');
  const key = (attributes: Record<string, unknown>) =>
    resourceOf({ type: 'access_key', id: 'AKIAEXAMPLE', region: 'global', attributes: { user: 'ci', ...attributes } });
  const user = (attributes: Record<string, unknown>) =>
    resourceOf({ type: 'iam_user', id: 'user/ana', name: 'ana', region: 'global', attributes });

  it('passes an active key that is young and used, and any inactive key', () => {
    expect(judge(r, key({ status: 'Active', createDate: daysAgo(30), lastUsedDate: daysAgo(1) }))).toEqual({
      verdict: 'pass',
      evidence: {
        status: 'Active',
        createDate: daysAgo(30),
        lastUsedDate: daysAgo(1),
        ageDays: 30,
        unusedDays: 1,
      },
    });
    expect(judge(r, key({ status: 'Inactive', createDate: daysAgo(900), lastUsedDate: null })).verdict).toBe('pass');
  });

  it('fails an active key older than the limit, unless the limit is raised', () => {
    const old = key({ status: 'Active', createDate: daysAgo(100), lastUsedDate: daysAgo(2) });
    const e = judge(r, old);
    expect(e).toMatchObject({ verdict: 'fail', evidence: { ageDays: 100, unusedDays: 2 } });
    expect(e.detail).toContain('100 days old');
    expect(judge(r, old, { thresholds: { keyMaxAgeDays: 120 } }).verdict).toBe('pass');
  });

  it('fails an active key unused (or never used) for the unused limit, unless the limit is raised', () => {
    const idle = key({ status: 'Active', createDate: daysAgo(60), lastUsedDate: daysAgo(50) });
    expect(judge(r, idle)).toMatchObject({ verdict: 'fail', evidence: { unusedDays: 50 } });
    expect(judge(r, idle, { thresholds: { unusedDays: 51 } }).verdict).toBe('pass');
    const never = judge(r, key({ status: 'Active', createDate: daysAgo(45), lastUsedDate: null }));
    expect(never).toMatchObject({ verdict: 'fail', evidence: { lastUsedDate: null, unusedDays: 45 } });
    expect(never.detail).toContain('never been used');
  });

  it('is manual for a key without a creation date', () => {
    expect(judge(r, key({ status: 'Active', createDate: null })).verdict).toBe('manual');
  });

  it('fails a user with two active keys or a console password unused past the limit', () => {
    const twoKeys = judge(r, user({ consoleAccess: false, activeAccessKeys: 2 }));
    expect(twoKeys).toMatchObject({ verdict: 'fail', evidence: { activeAccessKeys: 2 } });
    const idle = user({
      consoleAccess: true,
      activeAccessKeys: 1,
      passwordLastUsed: daysAgo(50),
      passwordLastChanged: daysAgo(200),
    });
    expect(judge(r, idle)).toMatchObject({
      verdict: 'fail',
      evidence: { passwordLastUsed: daysAgo(50), passwordUnusedDays: 50 },
    });
    expect(judge(r, idle, { thresholds: { unusedDays: 60 } }).verdict).toBe('pass');
  });

  it('counts a never-used password from when it was set, and passes a quiet user with one key', () => {
    const never = user({
      consoleAccess: true,
      activeAccessKeys: 0,
      passwordLastUsed: null,
      passwordLastChanged: daysAgo(10),
      createDate: daysAgo(400),
    });
    expect(judge(r, never)).toMatchObject({ verdict: 'pass', evidence: { passwordUnusedDays: 10 } });
    expect(judge(r, user({ consoleAccess: false, activeAccessKeys: 1 })).verdict).toBe('pass');
    expect(judge(r, user({})).verdict).toBe('manual');
  });
});

describe('aws.iam.admin_policy', () => {
  const r = rule('aws.iam.admin_policy');
  const user = (name: string, adminPolicy: boolean, account = '111111111111') =>
    resourceOf({ type: 'iam_user', id: `user/${name}`, name, account, region: 'global', attributes: { adminPolicy } });

  it('fails when users of the account have AdministratorAccess attached directly', () => {
    const e = judge(r, settings({}), {
      others: [user('zoe', true), user('ana', true), user('bob', false), user('eve', true, '222222222222')],
    });
    expect(e).toMatchObject({
      verdict: 'fail',
      evidence: { usersWithAdministratorAccess: ['ana', 'zoe'], usersRead: 3 },
    });
    expect(e.detail).toContain('ana and zoe');
  });

  it('is manual otherwise: group, inline and customer policies are not collected', () => {
    const e = judge(r, settings({}), { others: [user('bob', false)] });
    expect(e).toMatchObject({ verdict: 'manual', evidence: { usersWithAdministratorAccess: [], usersRead: 1 } });
    expect(e.detail).toContain('inline');
  });
});

describe('aws.iam.password_policy', () => {
  const r = rule('aws.iam.password_policy');
  const policy = (minimumLength: number | null, reusePrevention: number | null) =>
    settings({ passwordPolicy: { minimumLength, reusePrevention, requireSymbols: true } });

  it('passes a policy meeting both minimums', () => {
    expect(judge(r, policy(16, 24))).toEqual({
      verdict: 'pass',
      evidence: { minimumLength: 16, reusePrevention: 24 },
    });
  });

  it('fails a short or reuse-allowing policy, and no policy at all', () => {
    const e = judge(r, policy(12, null));
    expect(e).toMatchObject({ verdict: 'fail', evidence: { minimumLength: 12, reusePrevention: null } });
    expect(e.detail).toContain('minimum length is 12 (at least 14)');
    expect(e.detail).toContain('reuse prevention is off');
    expect(judge(r, settings({ passwordPolicy: null }))).toMatchObject({
      verdict: 'fail',
      evidence: { passwordPolicy: null },
    });
  });

  it('judges by the configured minimums, and is manual without the policy attribute', () => {
    expect(judge(r, policy(12, 5), { thresholds: { minLength: 12, reusePrevention: 5 } }).verdict).toBe('pass');
    expect(judge(r, policy(14, 24), { thresholds: { minLength: 20 } }).verdict).toBe('fail');
    expect(judge(r, settings({})).verdict).toBe('manual');
  });
});

describe('aws.trail.multi_region', () => {
  const r = rule('aws.trail.multi_region');
  const trail = (name: string, attributes: Record<string, unknown>, account = '111111111111') =>
    resourceOf({
      type: 'trail',
      id: `arn:aws:cloudtrail:us-east-1:${account}:trail/${name}`,
      name,
      account,
      attributes,
    });
  const complete = { homeRegion: 'us-east-1', multiRegion: true, isLogging: true, logFileValidation: true };

  it('passes when one multi-region trail logs with validation on', () => {
    const e = judge(r, settings({}), {
      others: [trail('main', complete), trail('local', { ...complete, multiRegion: false })],
    });
    expect(e.verdict).toBe('pass');
    expect(e.evidence.trails).toEqual([
      { name: 'main', homeRegion: 'us-east-1', multiRegion: true, isLogging: true, logFileValidation: true },
      { name: 'local', homeRegion: 'us-east-1', multiRegion: false, isLogging: true, logFileValidation: true },
    ]);
  });

  it('fails without trails, with single-region trails only, or with an incomplete multi-region trail', () => {
    expect(judge(r, settings({}), { others: [trail('other', complete, '222222222222')] })).toMatchObject({
      verdict: 'fail',
      evidence: { trails: [] },
    });
    expect(judge(r, settings({}), { others: [trail('local', { ...complete, multiRegion: false })] }).detail).toContain(
      'single-region',
    );
    const e = judge(r, settings({}), { others: [trail('main', { ...complete, logFileValidation: false })] });
    expect(e.verdict).toBe('fail');
    expect(e.detail).toContain('main has log-file validation off');
  });
});

describe('aws.config.all_regions', () => {
  const r = rule('aws.config.all_regions');
  const recorder = (region: string, attributes: Record<string, unknown>) =>
    resourceOf({ type: 'config_recorder', id: `recorder/${region}/default`, name: 'default', region, attributes });
  const on = { recording: true, allSupported: true, lastStatus: 'SUCCESS' };
  const absent = { absent: true, recording: false, allSupported: false, lastStatus: null };

  it('passes when every listed region records all resource types', () => {
    const e = judge(r, settings({}), { others: [recorder('us-east-1', on), recorder('eu-west-1', on)] });
    expect(e.verdict).toBe('pass');
    expect(e.evidence.recorders).toHaveLength(2);
  });

  it('fails the regions with no recorder, a stopped or partial one, or a failing one', () => {
    const e = judge(r, settings({}), {
      others: [
        recorder('us-east-1', on),
        recorder('eu-west-1', absent),
        recorder('eu-central-1', { ...on, allSupported: false }),
        recorder('ap-south-1', { ...on, lastStatus: 'FAILURE' }),
      ],
    });
    expect(e.verdict).toBe('fail');
    expect(e.detail).toBe('AWS Config is not recording all resource types in ap-south-1, eu-central-1 and eu-west-1.');
    expect(e.evidence.recorders).toContainEqual({
      region: 'eu-west-1',
      name: 'default',
      recording: false,
      allSupported: false,
      lastStatus: null,
    });
  });

  it('is manual when no recorder row was collected', () => {
    expect(judge(r, settings({})).verdict).toBe('manual');
  });
});

describe('aws.kms.rotation', () => {
  const r = rule('aws.kms.rotation');
  const key = (attributes: Record<string, unknown>) =>
    resourceOf({
      type: 'kms_key',
      id: 'k-1',
      name: 'alias/app',
      attributes: {
        keyManager: 'CUSTOMER',
        keySpec: 'SYMMETRIC_DEFAULT',
        origin: 'AWS_KMS',
        keyState: 'Enabled',
        ...attributes,
      },
    });

  it('passes a rotating customer key and keys rotation does not apply to', () => {
    expect(judge(r, key({ rotationEnabled: true }))).toMatchObject({
      verdict: 'pass',
      evidence: { rotationEnabled: true },
    });
    expect(judge(r, key({ keyManager: 'AWS', rotationEnabled: null })).verdict).toBe('pass');
    expect(judge(r, key({ keySpec: 'RSA_2048', rotationEnabled: null })).verdict).toBe('pass');
    expect(judge(r, key({ keyState: 'PendingDeletion', rotationEnabled: null })).verdict).toBe('pass');
  });

  it('fails a customer symmetric key without rotation, and is manual without its status', () => {
    expect(judge(r, key({ rotationEnabled: false }))).toMatchObject({
      verdict: 'fail',
      evidence: { keyManager: 'CUSTOMER', rotationEnabled: false },
    });
    expect(r.fix?.action).toBe('enable_key_rotation');
    expect(judge(r, key({})).verdict).toBe('manual');
  });
});

describe('aws.vpc.flow_logs', () => {
  const r = rule('aws.vpc.flow_logs');
  const vpc = (attributes: Record<string, unknown>) => resourceOf({ type: 'vpc', id: 'vpc-1', attributes });

  it('passes a VPC with an active flow log, fails one without, manual when not collected', () => {
    expect(judge(r, vpc({ flowLogsEnabled: true, flowLogIds: ['fl-1'] }))).toEqual({
      verdict: 'pass',
      evidence: { flowLogsEnabled: true, flowLogIds: ['fl-1'] },
    });
    expect(judge(r, vpc({ flowLogsEnabled: false, flowLogIds: [] }))).toMatchObject({
      verdict: 'fail',
      evidence: { flowLogsEnabled: false },
    });
    expect(judge(r, vpc({})).verdict).toBe('manual');
  });
});

describe('aws.s3.public_block', () => {
  const r = rule('aws.s3.public_block');
  const all = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };
  const bucket = (attributes: Record<string, unknown>) =>
    resourceOf({ type: 'bucket', id: 'assets', name: 'assets', attributes });

  it('passes a bucket with all four settings on', () => {
    expect(judge(r, bucket({ publicAccessBlock: all, policyPublic: false }))).toEqual({
      verdict: 'pass',
      evidence: { publicAccessBlock: all, policyPublic: false },
    });
  });

  it('fails a bucket without the block or with settings off, naming them and a public policy', () => {
    expect(judge(r, bucket({ publicAccessBlock: null, policyPublic: false }))).toMatchObject({
      verdict: 'fail',
      evidence: { publicAccessBlock: null },
    });
    const e = judge(r, bucket({ publicAccessBlock: { ...all, blockPublicPolicy: false }, policyPublic: true }));
    expect(e).toMatchObject({ verdict: 'fail', evidence: { policyPublic: true } });
    expect(e.detail).toBe('Bucket assets has blockPublicPolicy off, and its bucket policy makes it public.');
    expect(r.fix?.action).toBe('block_public_access');
    expect(judge(r, bucket({})).verdict).toBe('manual');
  });
});

describe('aws.s3.tls_and_sse', () => {
  const r = rule('aws.s3.tls_and_sse');
  const bucket = (attributes: Record<string, unknown>) =>
    resourceOf({ type: 'bucket', id: 'assets', name: 'assets', attributes });

  it('fails a bucket without default encryption or without any policy', () => {
    const e = judge(r, bucket({ encryption: null, hasPolicy: false }));
    expect(e).toMatchObject({ verdict: 'fail', evidence: { encryption: null, hasPolicy: false } });
    expect(e.detail).toContain('no default encryption');
    expect(e.detail).toContain('plain-HTTP');
    expect(judge(r, bucket({ encryption: 'AES256', hasPolicy: false })).verdict).toBe('fail');
  });

  it('is manual for an encrypted bucket with a policy: the statements are not collected', () => {
    const e = judge(r, bucket({ encryption: 'aws:kms', hasPolicy: true }));
    expect(e).toMatchObject({ verdict: 'manual', evidence: { encryption: 'aws:kms', hasPolicy: true } });
    expect(e.detail).toContain('aws:SecureTransport');
    expect(judge(r, bucket({})).verdict).toBe('manual');
  });
});

describe('RDS: aws.rds.encrypted, aws.rds.not_public, aws.rds.backups', () => {
  const db = (attributes: Record<string, unknown>) =>
    resourceOf({ type: 'database', id: 'db/us-east-1/orders', name: 'orders', attributes });

  it('judges storage encryption', () => {
    const r = rule('aws.rds.encrypted');
    expect(judge(r, db({ storageEncrypted: true, kmsKeyId: 'k-1' }))).toEqual({
      verdict: 'pass',
      evidence: { storageEncrypted: true, kmsKeyId: 'k-1' },
    });
    expect(judge(r, db({ storageEncrypted: false, kmsKeyId: null }))).toMatchObject({
      verdict: 'fail',
      evidence: { storageEncrypted: false },
    });
    expect(judge(r, db({})).verdict).toBe('manual');
  });

  it('judges public accessibility', () => {
    const r = rule('aws.rds.not_public');
    expect(judge(r, db({ publiclyAccessible: false, endpoint: 'orders.x:5432' })).verdict).toBe('pass');
    expect(judge(r, db({ publiclyAccessible: true, endpoint: 'orders.x:5432' }))).toMatchObject({
      verdict: 'fail',
      evidence: { publiclyAccessible: true, endpoint: 'orders.x:5432' },
    });
    expect(judge(r, db({})).verdict).toBe('manual');
  });

  it('judges backup retention against the configured days', () => {
    const r = rule('aws.rds.backups');
    expect(judge(r, db({ backupRetentionPeriod: 7 }))).toEqual({
      verdict: 'pass',
      evidence: { backupRetentionPeriod: 7 },
    });
    const short = judge(r, db({ backupRetentionPeriod: 3 }));
    expect(short).toMatchObject({ verdict: 'fail', evidence: { backupRetentionPeriod: 3 } });
    expect(short.detail).toContain('3 days (at least 7 required)');
    expect(judge(r, db({ backupRetentionPeriod: 3 }), { thresholds: { backupRetentionDays: 3 } }).verdict).toBe('pass');
    expect(judge(r, db({ backupRetentionPeriod: 0 })).detail).toContain('turned off');
    expect(judge(r, db({})).verdict).toBe('manual');
  });
});

describe('aws.ebs.encrypted', () => {
  const r = rule('aws.ebs.encrypted');
  const volume = (attributes: Record<string, unknown>) => resourceOf({ type: 'volume', id: 'vol-1', attributes });

  it('passes an encrypted volume, fails a plain one, manual when not collected', () => {
    expect(judge(r, volume({ encrypted: true, kmsKeyId: 'k-1' }))).toEqual({
      verdict: 'pass',
      evidence: { encrypted: true, kmsKeyId: 'k-1' },
    });
    expect(judge(r, volume({ encrypted: false, kmsKeyId: null }))).toMatchObject({
      verdict: 'fail',
      evidence: { encrypted: false },
    });
    expect(judge(r, volume({})).verdict).toBe('manual');
  });
});

describe('aws.sg.admin_ports', () => {
  const r = rule('aws.sg.admin_ports');
  const group = (ingress: unknown, name = 'web') =>
    resourceOf({ type: 'security_group', id: 'sg-1', name, attributes: { ingress, vpcId: 'vpc-1' } });
  const tcp = (fromPort: number, toPort: number, cidrs: string[]) => ({ protocol: 'tcp', fromPort, toPort, cidrs });

  it('passes admin ports from known ranges and other ports from anywhere', () => {
    const e = judge(r, group([tcp(22, 22, ['10.0.0.0/8']), tcp(443, 443, ['0.0.0.0/0', '::/0'])]));
    expect(e.verdict).toBe('pass');
    expect(e.evidence).toMatchObject({ worldOpen: [] });
  });

  it('fails SSH open to the world, with the rule to revoke as fix parameters', () => {
    const e = judge(r, group([tcp(443, 443, ['0.0.0.0/0']), tcp(22, 22, ['203.0.113.0/24', '0.0.0.0/0'])]));
    expect(e).toMatchObject({
      verdict: 'fail',
      evidence: { worldOpen: ['tcp 22 from 0.0.0.0/0'] },
      fixParams: { protocol: 'tcp', fromPort: '22', toPort: '22', cidr: '0.0.0.0/0' },
    });
    expect(r.fix?.action).toBe('revoke_ingress');
  });

  it('fails RDP over IPv6, all traffic, and port ranges holding an admin port', () => {
    expect(judge(r, group([tcp(3389, 3389, ['::/0'])])).evidence).toMatchObject({
      worldOpen: ['tcp 3389 from ::/0'],
    });
    const all = judge(r, group([{ protocol: 'all', fromPort: 0, toPort: 65535, cidrs: ['0.0.0.0/0'] }]));
    expect(all).toMatchObject({ verdict: 'fail', fixParams: { protocol: 'all', fromPort: '0', toPort: '65535' } });
    expect(judge(r, group([tcp(0, 65535, ['0.0.0.0/0'])])).verdict).toBe('fail');
    expect(judge(r, group([{ protocol: 'udp', fromPort: 0, toPort: 65535, cidrs: ['0.0.0.0/0'] }])).verdict).toBe(
      'pass',
    );
  });

  it('fails a default group allowing anything in (its self-reference included), passes an empty one', () => {
    const selfRef = [{ protocol: 'all', fromPort: 0, toPort: 65535, cidrs: [] }];
    const e = judge(r, group(selfRef, 'default'));
    expect(e).toMatchObject({ verdict: 'fail', evidence: { defaultGroup: true, ingress: selfRef } });
    expect(e.fixParams).toBeUndefined();
    expect(judge(r, group(selfRef)).verdict).toBe('pass');
    expect(judge(r, group([], 'default')).verdict).toBe('pass');
    expect(judge(r, group(undefined)).verdict).toBe('manual');
  });
});

describe('aws.ec2.imdsv2', () => {
  const r = rule('aws.ec2.imdsv2');
  const instance = (attributes: Record<string, unknown>) =>
    resourceOf({ type: 'instance', id: 'i-1', name: 'api', attributes });

  it('passes an instance that requires tokens or has no metadata endpoint', () => {
    expect(judge(r, instance({ httpTokens: 'required', metadataEndpoint: 'enabled' }))).toEqual({
      verdict: 'pass',
      evidence: { httpTokens: 'required', metadataEndpoint: 'enabled' },
    });
    expect(judge(r, instance({ httpTokens: 'optional', metadataEndpoint: 'disabled' })).verdict).toBe('pass');
  });

  it('fails an instance that still answers IMDSv1', () => {
    const e = judge(r, instance({ httpTokens: 'optional', metadataEndpoint: 'enabled' }));
    expect(e).toMatchObject({ verdict: 'fail', evidence: { httpTokens: 'optional' } });
    expect(e.detail).toBe('api accepts IMDSv1 requests (HttpTokens optional)');
  });

  it('is manual for an instance synced before metadata options were kept', () => {
    const e = judge(r, instance({}));
    expect(e.verdict).toBe('manual');
    expect(e.detail).toContain('HttpTokens');
  });
});

describe('a rule the inventory cannot judge: aws.detect.enabled', () => {
  it('is manual and names what is not collected', () => {
    const detect = judge(rule('aws.detect.enabled'), settings({}));
    expect(detect.verdict).toBe('manual');
    expect(detect.detail).toContain('GuardDuty');
    expect(detect.detail).toContain('Security Hub');
  });
});

describe('aws.logs.retention', () => {
  const r = rule('aws.logs.retention');
  const group = (retentionInDays: number | null) =>
    resourceOf({
      type: 'log_group',
      id: 'log-group/us-east-1/app',
      name: 'app',
      attributes: { retentionInDays, storedBytes: 2048 },
    });

  it('passes a group kept at least the required days', () => {
    expect(judge(r, group(400))).toEqual({ verdict: 'pass', evidence: { retentionInDays: 400, storedBytes: 2048 } });
  });

  it('fails a short or never-expiring group, fixing it with the required retention', () => {
    expect(judge(r, group(30))).toMatchObject({
      verdict: 'fail',
      evidence: { retentionInDays: 30 },
      fixParams: { days: '365' },
    });
    const never = judge(r, group(null));
    expect(never).toMatchObject({ verdict: 'fail', evidence: { retentionInDays: null }, fixParams: { days: '365' } });
    expect(never.detail).toContain('never expires');
    expect(r.fix?.action).toBe('set_retention');
  });

  it('judges by the configured days and fixes with the next retention CloudWatch accepts', () => {
    expect(judge(r, group(30), { thresholds: { retentionDays: 30 } }).verdict).toBe('pass');
    expect(judge(r, group(90), { thresholds: { retentionDays: 100 } })).toMatchObject({
      verdict: 'fail',
      fixParams: { days: '120' },
    });
    expect(judge(r, resourceOf({ type: 'log_group', attributes: {} })).verdict).toBe('manual');
  });
});
