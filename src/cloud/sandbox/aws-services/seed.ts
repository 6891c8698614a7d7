import { createHash } from 'node:crypto';
import { sandboxAccount } from '../fleet.ts';
import type { SandboxAwsAccount, SandboxHostedZone, SandboxLogGroup } from './model.ts';

/**
 * The seeded account services of the sandbox's AWS account, in us-east-1 and eu-west-1, with the
 * problems the scans should find: an unencrypted, public RDS instance without backups, a public
 * manual DB snapshot, a public bucket without a public access block, a bucket without default
 * encryption or versioning, a console user without MFA, a 200-day-old key unused for 120 days, no
 * password policy, root MFA off, a single-region trail without log file validation, no Config
 * recorder in eu-west-1, a customer key without rotation and a log group that never expires; and two
 * public Route 53 zones (example.com, example.org) with their SOA, NS and a few simple records.
 * Times are offsets from `now`: the same `now` always gives the same account.
 */

const day = 86_400_000;
const ago = (now: Date, days: number): Date => new Date(now.getTime() - Math.round(days * day));
const hex = (seed: string, length: number): string => createHash('sha256').update(seed).digest('hex').slice(0, length);
const gib = 1024 ** 3;

/** A KMS key id (a UUID) derived from a name, so it is stable across runs. */
export const sandboxKeyId = (seed: string): string => {
  const h = hex(`kms:${seed}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const keyArn = (region: string, id: string) => `arn:aws:kms:${region}:${sandboxAccount}:key/${id}`;
const accessKeyId = (seed: string) => `AKIA${hex(`key:${seed}`, 16).toUpperCase()}`;

/** `count` extra log groups in a region (for paging tests), named `/sandbox/bulk/00001`… */
export const bulkLogGroups = (now: Date, region: string, count: number): SandboxLogGroup[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `/sandbox/bulk/${String(i + 1).padStart(5, '0')}`,
    region,
    createTime: ago(now, 1 + (i % 300)),
    retentionInDays: 14,
    storedBytes: (i % 10) * 1024 * 1024,
  }));

export const seedAwsAccount = (now: Date): SandboxAwsAccount => {
  const ordersKey = sandboxKeyId('orders-db');
  const auditKey = sandboxKeyId('security-audit');
  return {
    accountId: sandboxAccount,
    dbInstances: [
      {
        id: 'orders-db',
        region: 'us-east-1',
        engine: 'postgres',
        engineVersion: '16.4',
        instanceClass: 'db.t3.medium',
        status: 'available',
        allocatedStorage: 100,
        storageType: 'gp3',
        storageEncrypted: true,
        kmsKeyId: keyArn('us-east-1', ordersKey),
        publiclyAccessible: false,
        backupRetentionPeriod: 7,
        multiAZ: true,
        deletionProtection: true,
        iamAuth: true,
        createTime: ago(now, 400),
        tags: { Name: 'orders-db', env: 'prod', service: 'orders' },
      },
      {
        // Planted: unencrypted, reachable from the internet, no automated backups.
        id: 'legacy-reports',
        region: 'us-east-1',
        engine: 'mysql',
        engineVersion: '8.0.35',
        instanceClass: 'db.t3.micro',
        status: 'available',
        allocatedStorage: 20,
        storageType: 'gp2',
        storageEncrypted: false,
        publiclyAccessible: true,
        backupRetentionPeriod: 0,
        multiAZ: false,
        deletionProtection: false,
        iamAuth: false,
        createTime: ago(now, 900),
        tags: { env: 'dev', service: 'reports' },
      },
      {
        id: 'billing-db',
        region: 'eu-west-1',
        engine: 'postgres',
        engineVersion: '15.8',
        instanceClass: 'db.m5.large',
        status: 'available',
        allocatedStorage: 200,
        storageType: 'gp3',
        storageEncrypted: true,
        kmsKeyId: keyArn('eu-west-1', auditKey),
        publiclyAccessible: false,
        backupRetentionPeriod: 14,
        multiAZ: true,
        deletionProtection: true,
        iamAuth: false,
        createTime: ago(now, 200),
        tags: { env: 'prod', service: 'billing' },
      },
    ],
    dbSnapshots: [
      {
        id: `rds:orders-db-${ago(now, 1).toISOString().slice(0, 10)}-03-00`,
        region: 'us-east-1',
        instanceId: 'orders-db',
        type: 'automated',
        engine: 'postgres',
        allocatedStorage: 100,
        encrypted: true,
        createTime: ago(now, 1),
        restore: [],
        tags: {},
      },
      {
        // Planted: a manual snapshot anyone can restore.
        id: 'legacy-reports-final',
        region: 'us-east-1',
        instanceId: 'legacy-reports',
        type: 'manual',
        engine: 'mysql',
        allocatedStorage: 20,
        encrypted: false,
        createTime: ago(now, 95),
        restore: ['all'],
        tags: { env: 'dev' },
      },
      {
        id: 'billing-db-pre-upgrade',
        region: 'eu-west-1',
        instanceId: 'billing-db',
        type: 'manual',
        engine: 'postgres',
        allocatedStorage: 200,
        encrypted: true,
        createTime: ago(now, 30),
        restore: ['210987654321'],
        tags: { env: 'prod', service: 'billing' },
      },
    ],
    buckets: [
      {
        // Planted: public through its policy, no public access block.
        name: 'acme-public-assets',
        region: 'us-east-1',
        createTime: ago(now, 700),
        encryption: { algorithm: 'AES256', bucketKey: false },
        policyPublic: true,
        tags: { env: 'prod', service: 'web' },
      },
      {
        // Planted: no default encryption, versioning never enabled, untagged.
        name: 'acme-legacy-exports',
        region: 'eu-west-1',
        createTime: ago(now, 1500),
        publicAccessBlock: {
          blockPublicAcls: true,
          ignorePublicAcls: true,
          blockPublicPolicy: true,
          restrictPublicBuckets: true,
        },
      },
      {
        name: 'acme-prod-backups',
        region: 'eu-west-1',
        createTime: ago(now, 300),
        publicAccessBlock: {
          blockPublicAcls: true,
          ignorePublicAcls: true,
          blockPublicPolicy: true,
          restrictPublicBuckets: true,
        },
        encryption: { algorithm: 'aws:kms', kmsKeyId: keyArn('eu-west-1', auditKey), bucketKey: true },
        versioning: 'Enabled',
        policyPublic: false,
        tags: { env: 'prod', service: 'billing' },
      },
      {
        name: 'acme-cloudtrail-logs',
        region: 'us-east-1',
        createTime: ago(now, 800),
        publicAccessBlock: {
          blockPublicAcls: true,
          ignorePublicAcls: true,
          blockPublicPolicy: true,
          restrictPublicBuckets: true,
        },
        encryption: { algorithm: 'AES256', bucketKey: false },
        versioning: 'Suspended',
        policyPublic: false,
        tags: { env: 'prod', service: 'audit' },
      },
    ],
    iam: {
      users: [
        {
          name: 'alice',
          id: `AIDA${hex('user:alice', 17).toUpperCase()}`,
          createDate: ago(now, 600),
          passwordLastUsed: ago(now, 1),
          loginProfile: ago(now, 600),
          mfaDevices: [{ serial: `arn:aws:iam::${sandboxAccount}:mfa/alice`, enableDate: ago(now, 590) }],
          attachedPolicies: [{ name: 'AdministratorAccess', arn: 'arn:aws:iam::aws:policy/AdministratorAccess' }],
          accessKeys: [
            {
              id: accessKeyId('alice-1'),
              status: 'Active',
              createDate: ago(now, 30),
              lastUsed: { date: ago(now, 1), service: 'ec2', region: 'us-east-1' },
            },
          ],
          tags: { team: 'platform' },
        },
        {
          // Planted: console access without MFA.
          name: 'bob',
          id: `AIDA${hex('user:bob', 17).toUpperCase()}`,
          createDate: ago(now, 250),
          passwordLastUsed: ago(now, 3),
          loginProfile: ago(now, 250),
          mfaDevices: [],
          attachedPolicies: [{ name: 'ReadOnlyAccess', arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
          accessKeys: [],
          tags: {},
        },
        {
          // Planted: an active key 200 days old, last used 120 days ago; an old inactive one.
          name: 'ci-deploy',
          id: `AIDA${hex('user:ci-deploy', 17).toUpperCase()}`,
          createDate: ago(now, 420),
          mfaDevices: [],
          attachedPolicies: [],
          accessKeys: [
            {
              id: accessKeyId('ci-deploy-1'),
              status: 'Active',
              createDate: ago(now, 200),
              lastUsed: { date: ago(now, 120), service: 's3', region: 'eu-west-1' },
            },
            { id: accessKeyId('ci-deploy-2'), status: 'Inactive', createDate: ago(now, 410) },
          ],
          tags: { env: 'prod', service: 'ci' },
        },
      ],
      // Planted: no password policy, root without MFA.
      rootMfa: false,
      rootAccessKeys: false,
      rootPasswordLastUsed: ago(now, 10),
      rootCreateDate: ago(now, 2000),
      reportDelayCalls: 0,
    },
    trails: [
      {
        // Planted: one region only, no log file validation.
        name: 'management-events',
        homeRegion: 'us-east-1',
        multiRegion: false,
        logFileValidation: false,
        bucket: 'acme-cloudtrail-logs',
        logging: true,
        includeGlobalServiceEvents: true,
        latestDelivery: ago(now, 0.01),
      },
      {
        name: 'security-audit',
        homeRegion: 'eu-west-1',
        multiRegion: true,
        logFileValidation: true,
        kmsKeyId: keyArn('eu-west-1', auditKey),
        bucket: 'acme-cloudtrail-logs',
        logging: true,
        includeGlobalServiceEvents: true,
        latestDelivery: ago(now, 0.02),
      },
    ],
    // Planted: no recorder in eu-west-1.
    recorders: [
      {
        name: 'default',
        region: 'us-east-1',
        roleArn: `arn:aws:iam::${sandboxAccount}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`,
        allSupported: true,
        includeGlobalResourceTypes: true,
        recording: true,
        lastStatus: 'Success',
        lastStartTime: ago(now, 300),
      },
    ],
    kmsKeys: [
      {
        id: ordersKey,
        region: 'us-east-1',
        manager: 'CUSTOMER',
        state: 'Enabled',
        rotation: true,
        createDate: ago(now, 400),
        description: 'orders-db storage',
        aliases: ['alias/orders-db'],
        tags: { env: 'prod', service: 'orders' },
      },
      {
        // Planted: a customer key that is never rotated.
        id: sandboxKeyId('legacy-app'),
        region: 'us-east-1',
        manager: 'CUSTOMER',
        state: 'Enabled',
        rotation: false,
        createDate: ago(now, 1000),
        description: 'legacy app secrets',
        aliases: ['alias/legacy-app'],
        tags: { env: 'dev' },
      },
      {
        id: sandboxKeyId('aws-rds'),
        region: 'us-east-1',
        manager: 'AWS',
        state: 'Enabled',
        rotation: true,
        createDate: ago(now, 900),
        description: 'Default key that protects my RDS database volumes when no other key is defined',
        aliases: ['alias/aws/rds'],
        tags: {},
      },
      {
        id: auditKey,
        region: 'eu-west-1',
        manager: 'CUSTOMER',
        state: 'Enabled',
        rotation: true,
        createDate: ago(now, 500),
        description: 'security audit trail and backups',
        aliases: ['alias/security-audit'],
        tags: { env: 'prod', service: 'audit' },
      },
    ],
    logGroups: [
      {
        name: '/aws/lambda/orders-api',
        region: 'us-east-1',
        createTime: ago(now, 380),
        retentionInDays: 30,
        storedBytes: 5 * gib,
      },
      {
        // Planted: kept forever.
        name: '/app/legacy-reports',
        region: 'us-east-1',
        createTime: ago(now, 880),
        storedBytes: 120 * gib,
      },
      {
        name: '/aws/rds/instance/billing-db/postgresql',
        region: 'eu-west-1',
        createTime: ago(now, 190),
        retentionInDays: 90,
        storedBytes: 2 * gib,
        kmsKeyId: keyArn('eu-west-1', auditKey),
      },
      {
        name: 'aws-cloudtrail-logs-security-audit',
        region: 'eu-west-1',
        createTime: ago(now, 480),
        retentionInDays: 365,
        storedBytes: 40 * gib,
      },
    ],
    route53: {
      // Two public zones with the records every zone has (SOA, NS) and a few simple ones; no health
      // checks and no failover records yet: the multi-region-failover template makes those.
      hostedZones: [
        zone('example.com', 'acme storefront', [
          ['www', 'A', ['203.0.113.10']],
          ['mail', 'MX', ['10 mail.example.com.']],
        ]),
        zone('example.org', 'status pages', [['status', 'CNAME', ['status.example.com.']]]),
      ],
      healthChecks: [],
      changes: [],
    },
  };
};

/** A public hosted zone with its SOA and NS and the given simple records (TTL 300). */
const zone = (name: string, comment: string, records: Array<[string, string, string[]]>): SandboxHostedZone => {
  const apex = `${name}.`;
  const ns = [1, 2, 3, 4].map(
    (n) => `ns-${parseInt(hex(`ns:${name}:${n}`, 3), 16)}.awsdns-${String(n * 11).padStart(2, '0')}.com.`,
  );
  return {
    id: `Z${hex(`zone:${name}`, 20).toUpperCase()}`,
    name: apex,
    callerReference: `sandbox-seed-${name}`,
    comment,
    private: false,
    records: [
      {
        name: apex,
        type: 'SOA',
        ttl: 900,
        values: [`${ns[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`],
      },
      { name: apex, type: 'NS', ttl: 172800, values: ns },
      ...records.map(([label, type, values]) => ({ name: `${label}.${apex}`, type, ttl: 300, values })),
    ],
  };
};
