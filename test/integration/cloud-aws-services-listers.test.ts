import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { awsServiceListers } from '../../src/cloud/aws/services/index.ts';
import { createIamLister } from '../../src/cloud/aws/services/iam.ts';
import type { AwsServiceContext, AwsServiceLister } from '../../src/cloud/aws/services/types.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { monthlyCents } from '../../src/cloud/pricing/index.ts';
import { Resource as ResourceSchema } from '../../src/cloud/resource.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';
import { sandboxServiceContext } from '../helpers/cloud.ts';

// Each lister through its real @aws-sdk/client-* against the sandbox's emulators over HTTP: every
// planted problem of the seeded account must be visible in the rows' attributes.
const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;

const ctx = (region: string): AwsServiceContext => sandboxServiceContext(sandbox, region, now);

const lister = (service: string): AwsServiceLister => {
  const found = awsServiceListers.find((l) => l.service === service);
  if (!found) throw new Error(`no ${service} lister`);
  return found;
};

const listAll = async (service: string): Promise<Resource[]> => {
  const l = lister(service);
  const regions = l.scope === 'global' ? ['us-east-1'] : ['us-east-1', 'eu-west-1'];
  const rows = (await Promise.all(regions.map((r) => l.list(ctx(r))))).flat();
  for (const r of rows) ResourceSchema.parse(r);
  return rows;
};

const one = (rows: Resource[], id: string): Resource => {
  const found = rows.find((r) => r.id === id);
  if (!found) throw new Error(`no ${id} in ${rows.map((r) => r.id).join(', ')}`);
  return found;
};

beforeAll(async () => {
  sandbox = await startSandbox({ now: () => now });
});
afterAll(async () => {
  await sandbox.stop();
});

describe('AWS service listers against the sandbox', () => {
  it('lists every service, each row a valid Resource with a unique id', async () => {
    const rows = (await Promise.all(awsServiceListers.map((l) => listAll(l.service)))).flat();
    const ids = rows.map((r) => `${r.type}:${r.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(rows.map((r) => r.type))).toEqual(
      new Set([
        'database',
        'db_snapshot',
        'bucket',
        'iam_user',
        'access_key',
        'account_settings',
        'trail',
        'config_recorder',
        'kms_key',
        'log_group',
        'hosted_zone',
      ]),
    );
    // Every request went to the services' emulators (none fell through to EC2).
    expect(sandbox.requests).toHaveLength(0);
    expect(new Set(sandbox.services?.requests.map((r) => r.service))).toEqual(
      new Set(['rds', 's3', 'iam', 'cloudtrail', 'config', 'kms', 'logs', 'route53', 'eks']),
    );
  });

  it('RDS: the unencrypted, public instance without backups and the public manual snapshot', async () => {
    const rows = await listAll('rds');
    const legacy = one(rows, 'db/us-east-1/legacy-reports');
    expect(legacy).toMatchObject({ type: 'database', name: 'legacy-reports', region: 'us-east-1', state: 'available' });
    expect(legacy.attributes).toMatchObject({
      engine: 'mysql',
      engineVersion: '8.0.35',
      class: 'db.t3.micro',
      storageEncrypted: false,
      publiclyAccessible: true,
      backupRetentionPeriod: 0,
      multiAZ: false,
      allocatedStorage: 20,
      storageType: 'gp2',
      deletionProtection: false,
      iamAuth: false,
    });
    expect(legacy.environment).toBe('dev');
    const compute = monthlyCents('aws', 'database', 'db.t3.micro:mysql', 'us-east-1');
    const storage = monthlyCents('aws', 'db_storage', 'gp2', 'us-east-1', 20);
    const price = compute !== undefined && storage !== undefined ? compute + storage : undefined;
    expect(legacy.monthlyCostCents).toBe(price ?? 0);
    expect(legacy.attributes.priced).toBe(price === undefined ? false : undefined);
    const orders = one(rows, 'db/us-east-1/orders-db');
    expect(orders.attributes).toMatchObject({
      storageEncrypted: true,
      publiclyAccessible: false,
      multiAZ: true,
      iamAuth: true,
    });
    expect(orders.tags).toEqual({ Name: 'orders-db', env: 'prod', service: 'orders' });
    expect(one(rows, 'db/eu-west-1/billing-db').region).toBe('eu-west-1');

    const publicSnap = one(rows, 'db-snapshot/us-east-1/legacy-reports-final');
    expect(publicSnap.attributes).toMatchObject({
      encrypted: false,
      snapshotType: 'manual',
      public: true,
      allocatedStorage: 20,
      snapshotCreateTime: '2026-07-29T12:00:00.000Z',
      priced: false,
    });
    const shared = one(rows, 'db-snapshot/eu-west-1/billing-db-pre-upgrade');
    expect(shared.attributes).toMatchObject({ public: false, sharedWith: ['210987654321'], encrypted: true });
    const automated = rows.find((r) => r.type === 'db_snapshot' && r.attributes.snapshotType === 'automated');
    expect(automated?.attributes.public).toBe(false);
    // Restore attributes are read for manual snapshots only.
    const attrCalls = sandbox.services?.requests.filter((r) => r.action === 'DescribeDBSnapshotAttributes') ?? [];
    expect(attrCalls.length).toBeGreaterThanOrEqual(2);
  });

  it('S3: the public bucket without a block, the bucket without encryption or versioning, each in its region', async () => {
    const rows = await listAll('s3');
    expect(rows.map((r) => r.id).sort()).toEqual([
      'acme-cloudtrail-logs',
      'acme-legacy-exports',
      'acme-prod-backups',
      'acme-public-assets',
    ]);
    const pub = one(rows, 'acme-public-assets');
    expect(pub).toMatchObject({ type: 'bucket', region: 'us-east-1', monthlyCostCents: 0, environment: 'prod' });
    expect(pub.attributes).toMatchObject({
      publicAccessBlock: null,
      publicAccessBlocked: false,
      policyPublic: true,
      hasPolicy: true,
      encryption: 'AES256',
      priced: false,
    });
    const legacy = one(rows, 'acme-legacy-exports');
    expect(legacy.region).toBe('eu-west-1');
    expect(legacy.tags).toEqual({});
    expect(legacy.attributes).toMatchObject({
      encryption: null,
      versioning: 'Disabled',
      publicAccessBlocked: true,
      hasPolicy: false,
      policyPublic: false,
    });
    expect(one(rows, 'acme-prod-backups').attributes).toMatchObject({
      encryption: 'aws:kms',
      bucketKeyEnabled: true,
      versioning: 'Enabled',
    });
    expect(one(rows, 'acme-cloudtrail-logs').attributes.versioning).toBe('Suspended');
  });

  it('IAM: console user without MFA, the old unused key, no password policy, root MFA off', async () => {
    const rows = await listAll('iam');
    for (const r of rows) expect(r.region).toBe('global');
    const bob = one(rows, 'user/bob');
    expect(bob.attributes).toMatchObject({
      consoleAccess: true,
      mfaEnabled: false,
      adminPolicy: false,
      passwordLastUsed: '2026-10-29T12:00:00.000Z',
      createDate: '2026-02-24T12:00:00.000Z',
    });
    expect(one(rows, 'user/alice').attributes).toMatchObject({
      consoleAccess: true,
      mfaEnabled: true,
      adminPolicy: true,
    });
    const ci = one(rows, 'user/ci-deploy');
    expect(ci.attributes).toMatchObject({ consoleAccess: false, accessKeys: 2, activeAccessKeys: 1 });
    expect(ci.environment).toBe('prod');

    const keys = rows.filter((r) => r.type === 'access_key');
    expect(keys).toHaveLength(3);
    const stale = keys.find((k) => k.attributes.user === 'ci-deploy' && k.state === 'active');
    expect(stale?.attributes).toMatchObject({
      status: 'Active',
      ageDays: 200,
      daysSinceLastUse: 120,
      lastUsedDate: '2026-07-04T12:00:00.000Z',
      lastUsedService: 's3',
      lastUsedRegion: 'eu-west-1',
    });
    const never = keys.find((k) => k.attributes.user === 'ci-deploy' && k.state === 'inactive');
    expect(never?.attributes).toMatchObject({ ageDays: 410, lastUsedDate: null, daysSinceLastUse: null });

    const settings = one(rows, 'account-settings');
    expect(settings).toMatchObject({ type: 'account_settings', name: 'account settings' });
    expect(settings.attributes).toMatchObject({
      passwordPolicy: null,
      rootMfaEnabled: false,
      rootAccessKeysPresent: false,
      rootPasswordLastUsed: '2026-10-22T12:00:00.000Z',
      credentialReport: 'ok',
      users: 3,
    });
  });

  it('IAM: a password policy and root keys when the account has them; the report read after IAM finishes it', async () => {
    const iam = sandbox.services!.account.iam;
    iam.passwordPolicy = {
      minimumPasswordLength: 8,
      requireSymbols: false,
      requireNumbers: true,
      requireUppercase: false,
      requireLowercase: true,
      allowUsersToChangePassword: true,
      maxPasswordAge: 90,
      hardExpiry: false,
    };
    iam.rootAccessKeys = true;
    iam.rootMfa = true;
    iam.report = undefined;
    iam.reportDelayCalls = 2;
    const waits: number[] = [];
    const l = createIamLister({ reportWaitMs: 1500, sleep: async (ms) => void waits.push(ms) });
    const rows = await l.list(ctx('us-east-1'));
    expect(waits).toEqual([1500, 1500]);
    expect(one(rows, 'account-settings').attributes).toMatchObject({
      passwordPolicy: { minimumLength: 8, requireSymbols: false, maxAgeDays: 90 },
      rootMfaEnabled: true,
      rootAccessKeysPresent: true,
      credentialReport: 'ok',
    });
    // The report adds the password's next rotation under the policy's maximum age.
    expect(one(rows, 'user/bob').attributes.passwordNextRotation).toBe('2026-05-25T12:00:00.000Z');

    iam.report = undefined;
    iam.reportDelayCalls = 10;
    const gaveUp = await createIamLister({ reportAttempts: 3, sleep: async () => undefined }).list(ctx('us-east-1'));
    expect(one(gaveUp, 'account-settings').attributes.credentialReport).toBe('unavailable');
    expect(one(gaveUp, 'user/bob').attributes.consoleAccess).toBe(true);
    iam.reportDelayCalls = 0;
  });

  it('CloudTrail: each trail once, in its home region; the single-region trail without validation', async () => {
    const rows = await listAll('cloudtrail');
    expect(rows).toHaveLength(2);
    const mgmt = one(rows, 'arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events');
    expect(mgmt).toMatchObject({ type: 'trail', region: 'us-east-1', state: 'logging', name: 'management-events' });
    expect(mgmt.attributes).toMatchObject({
      multiRegion: false,
      logFileValidation: false,
      kmsKeyId: null,
      isLogging: true,
      s3Bucket: 'acme-cloudtrail-logs',
    });
    const audit = one(rows, 'arn:aws:cloudtrail:eu-west-1:123456789012:trail/security-audit');
    expect(audit.region).toBe('eu-west-1');
    expect(audit.attributes).toMatchObject({ multiRegion: true, logFileValidation: true });
    expect(audit.attributes.kmsKeyId).toMatch(/^arn:aws:kms:eu-west-1:/);
  });

  it('Config: recording in us-east-1, an absent row for eu-west-1', async () => {
    const rows = await listAll('config');
    expect(rows).toHaveLength(2);
    expect(one(rows, 'recorder/us-east-1/default')).toMatchObject({ state: 'recording', region: 'us-east-1' });
    expect(one(rows, 'recorder/us-east-1/default').attributes).toMatchObject({
      recording: true,
      allSupported: true,
      includeGlobalResourceTypes: true,
      lastStatus: 'Success',
      absent: false,
    });
    const absent = one(rows, 'recorder/eu-west-1');
    expect(absent).toMatchObject({ type: 'config_recorder', state: 'absent', region: 'eu-west-1' });
    expect(absent.attributes).toMatchObject({ absent: true, recording: false });
  });

  it('KMS: the customer key without rotation; no rotation call for AWS-managed keys', async () => {
    const before = sandbox.services!.requests.length;
    const rows = await listAll('kms');
    expect(rows).toHaveLength(4);
    const legacy = rows.find((r) => r.name === 'alias/legacy-app');
    expect(legacy).toMatchObject({ type: 'kms_key', state: 'enabled', region: 'us-east-1', environment: 'dev' });
    expect(legacy?.attributes).toMatchObject({ keyManager: 'CUSTOMER', keyState: 'Enabled', rotationEnabled: false });
    expect(rows.find((r) => r.name === 'alias/orders-db')?.attributes).toMatchObject({
      rotationEnabled: true,
      rotationPeriodInDays: 365,
      creationDate: '2025-09-27T12:00:00.000Z',
    });
    const managed = rows.find((r) => r.name === 'alias/aws/rds');
    expect(managed?.attributes).toMatchObject({ keyManager: 'AWS', rotationEnabled: null });
    const rotationCalls = sandbox.services!.requests.slice(before).filter((r) => r.action === 'GetKeyRotationStatus');
    expect(rotationCalls).toHaveLength(3);
    expect(rotationCalls.every((r) => r.status === 200)).toBe(true);
  });

  it('Logs: the group that never expires, stored bytes, unpriced until the table has log storage', async () => {
    const rows = await listAll('logs');
    expect(rows).toHaveLength(4);
    const forever = one(rows, 'log-group/us-east-1//app/legacy-reports');
    expect(forever).toMatchObject({ type: 'log_group', name: '/app/legacy-reports', region: 'us-east-1' });
    expect(forever.attributes).toMatchObject({ retentionInDays: null, storedBytes: 120 * 1024 ** 3, kmsKeyId: null });
    // Priced from the table when it has log storage, else marked unpriced (never guessed).
    const price = monthlyCents('aws', 'log_storage', 'stored', 'us-east-1', 120);
    expect(forever.monthlyCostCents).toBe(price ?? 0);
    expect(forever.attributes.priced).toBe(price === undefined ? false : undefined);
    const rdsLogs = one(rows, 'log-group/eu-west-1//aws/rds/instance/billing-db/postgresql');
    expect(rdsLogs.attributes.retentionInDays).toBe(90);
    expect(rdsLogs.attributes.kmsKeyId).toMatch(/^arn:aws:kms:eu-west-1:/);
  });

  it('counts every SDK call in the cloud-call metrics, failures by kind', async () => {
    const metrics = createMetrics();
    const withMetrics = (region: string): AwsServiceContext => ({ ...ctx(region), metrics });
    await Promise.all(awsServiceListers.map((l) => l.list(withMetrics('us-east-1'))));
    sandbox.services!.failNext('kms', 'ListKeys', { code: 'AccessDeniedException', message: 'denied' });
    await expect(lister('kms').list(withMetrics('eu-west-1'))).rejects.toMatchObject({ code: 'auth_failed' });
    const values = (await metrics.cloudCalls.get()).values;
    const count = (operation: string, outcome = 'ok') =>
      values.find((v) => v.labels.operation === operation && v.labels.outcome === outcome)?.value ?? 0;
    for (const op of [
      'DescribeDBInstances',
      'ListBuckets',
      'GetBucketLocation',
      'ListUsers',
      'GetCredentialReport',
      'ListTrails',
      'DescribeConfigurationRecorders',
      'DescribeKey',
      'DescribeLogGroups',
    ])
      expect(count(op)).toBeGreaterThan(0);
    expect(count('GetBucketLocation')).toBe(4);
    expect(count('ListKeys', 'error')).toBe(1);
    expect(values.every((v) => v.labels.provider === 'aws')).toBe(true);
  });
});
