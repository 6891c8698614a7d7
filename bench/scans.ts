import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { storeMetricSamples } from '../src/cloud/metric-series.ts';
import { monthlyCents } from '../src/cloud/pricing/index.ts';
import { resourceRepository } from '../src/cloud/repository.ts';
import { environmentFromTags, type ProviderName, type Resource, type ResourceType } from '../src/cloud/resource.ts';
import { createLogger } from '../src/observability/logger.ts';
import { buildDigests, parseDigestSettings, renderDigest } from '../src/scans/digest.ts';
import { runScan, type ScanDeps, type ScanSummary } from '../src/scans/engine.ts';
import { builtInRules } from '../src/scans/rules/index.ts';
import { loadThresholds } from '../src/scans/settings.ts';
import type { Db } from '../src/store/db.ts';
import { analyzeIfNeeded, vacuumIfNeeded } from '../src/store/maintenance.ts';
import { openStore, type Store } from '../src/store/open.ts';
import { benchDatabase } from './inventory.ts';
import { ms, summarize } from './stats.ts';

/**
 * Issue 15's scan figures: synthetic estates of BENCH_SCAN_SIZES resources (default 10,000,
 * 100,000 and 300,000; from 300,000 on skewed to snapshots and log groups, the types that sink
 * other scanners) across AWS, Azure, GCP and Kubernetes, shaped as the normalizers write them,
 * with 14 days of daily metrics for instances and pods. Each size gets a fresh store (embedded
 * PGlite, or a fresh database on DATABASE_URL's server): the load is timed apart ("collection",
 * which a scan never pays), then a full scan with the shipped rules and default thresholds,
 * then a second scan over the same data (the steady state: every finding already open), then a
 * third while another connection probes with `SELECT 1` (what a chat turn waits for meanwhile).
 */

const now = new Date('2026-12-01T12:00:00Z');
const dayMs = 86_400_000;
const workspaceId = 'bench';

// ---- deterministic randomness (the same estate on every run)

const prng = (seed: number) => {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    /** One of `values`, with the matching relative `weights`. */
    pick: <T>(values: readonly T[], weights: readonly number[]): T => {
      let x = next() * weights.reduce((a, b) => a + b, 0);
      for (let k = 0; k < values.length; k++) if ((x -= weights[k]!) < 0) return values[k]!;
      return values.at(-1)!;
    },
  };
};
type Rand = ReturnType<typeof prng>;

const daysAgo = (d: number, rand?: Rand): string =>
  new Date(now.getTime() - d * dayMs - (rand ? rand.int(0, 86_399) * 1000 : 0)).toISOString();
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

// ---- the estate

/** What one kind of resource is generated from: its index within the kind, the estate's accounts, randomness. */
interface Estate {
  rand: Rand;
  accounts: Record<ProviderName, string[]>;
  counts: Map<string, number>;
}

interface MetricRow {
  provider: string;
  account: string;
  resourceId: string;
  metric: string;
  day: string;
  avg: number;
  max: number;
  unit: string;
}

interface Generated {
  resource: Resource;
  metrics?: MetricRow[];
}

interface Kind {
  name: string;
  provider: ProviderName;
  type: ResourceType;
  /** Share of the estate in the default mix (percent); account-wide kinds have none (per account). */
  weight: number;
  make(i: number, e: Estate): Generated;
}

const envTags = (rand: Rand): Record<string, string> => {
  const env = rand.pick(['prod', 'staging', 'dev', ''] as const, [40, 20, 30, 10]);
  const service = `svc-${rand.int(0, 59)}`;
  return env ? { env, service, owner: `team-${rand.int(0, 11)}` } : { service };
};

const base = (
  provider: ProviderName,
  account: string,
  region: string,
  type: ResourceType,
  id: string,
  name: string,
  state: string,
  tags: Record<string, string>,
  monthlyCostCents: number | undefined,
  attributes: Record<string, unknown>,
): Resource => ({
  provider,
  account,
  region,
  type,
  id,
  name,
  state,
  tags,
  environment: environmentFromTags(tags),
  monthlyCostCents: monthlyCostCents ?? 0,
  attributes: monthlyCostCents === undefined ? { ...attributes, priced: false } : attributes,
  seenAt: now,
});

const accountOf = (e: Estate, provider: ProviderName, i: number): string => {
  const list = e.accounts[provider];
  return list[i % list.length]!;
};
/** The region of the i-th resource of a kind (the same formula everywhere, so references can name it). */
const awsRegions = ['us-east-1', 'eu-west-1'] as const;
const awsRegionOf = (e: Estate, i: number): string => awsRegions[Math.floor(i / e.accounts.aws.length) % 2]!;
/** Index of a random resource of `kind` in the same account as index `i` of another kind, or undefined. */
const sameAccount = (e: Estate, kind: string, provider: ProviderName, i: number): number | undefined => {
  const n = e.counts.get(kind) ?? 0;
  const a = e.accounts[provider].length;
  const slot = i % a;
  if (n <= slot) return undefined;
  return slot + a * e.rand.int(0, Math.floor((n - 1 - slot) / a));
};

const instanceId = (j: number) => `i-0${hex(j, 16)}`;
const dbIdentifier = (j: number) => `db-${j}`;

const dailies = (
  r: Resource,
  series: Array<{ metric: string; unit: string; value: () => { avg: number; max: number } }>,
): MetricRow[] =>
  Array.from({ length: 14 }, (_, d) => daysAgo(d + 1).slice(0, 10)).flatMap((day) =>
    series.map((s) => ({
      provider: r.provider,
      account: r.account,
      resourceId: r.id,
      metric: s.metric,
      day,
      ...s.value(),
      unit: s.unit,
    })),
  );

/** CPU and network days of an EC2 instance: idle (the idle rule's), small (the rightsizing rule's) or busy. */
const ec2Metrics = (r: Resource, rand: Rand): MetricRow[] => {
  const profile = rand.pick(['idle', 'small', 'busy'] as const, [12, 18, 70]);
  const cpu = () => {
    const avg = profile === 'idle' ? rand.int(5, 40) / 10 : profile === 'small' ? rand.int(5, 15) : rand.int(20, 60);
    const max = profile === 'idle' ? avg * 3 : profile === 'small' ? rand.int(15, 38) : rand.int(60, 100);
    return { avg, max };
  };
  // Bytes per 5-minute sample, as CloudWatch's daily Average of NetworkIn/Out is.
  const net = () => {
    const avg = profile === 'idle' ? rand.int(500, 8000) : rand.int(50_000, 5_000_000);
    return { avg, max: avg * 4 };
  };
  return dailies(r, [
    { metric: 'cpu_percent', unit: 'percent', value: cpu },
    { metric: 'network_in_bytes', unit: 'bytes', value: net },
    { metric: 'network_out_bytes', unit: 'bytes', value: net },
  ]);
};

const vmCpu = (r: Resource, rand: Rand): MetricRow[] => {
  const idle = rand.chance(0.12);
  return dailies(r, [
    {
      metric: 'cpu_percent',
      unit: 'percent',
      value: () => {
        const avg = idle ? rand.int(5, 40) / 10 : rand.int(10, 70);
        return { avg, max: Math.min(100, avg * 2) };
      },
    },
  ]);
};

const aws: Kind[] = [
  {
    name: 'aws.instance',
    provider: 'aws',
    type: 'instance',
    weight: 15,
    make(i, e) {
      const { rand } = e;
      const region = awsRegionOf(e, i);
      const tags = envTags(rand);
      const state = rand.chance(0.88) ? 'running' : 'stopped';
      const instanceType = rand.pick(
        [
          't3.medium',
          't3.large',
          'm5.large',
          'm5.xlarge',
          'c5.xlarge',
          'r5.large',
          'm6i.large',
          'm7i.xlarge',
          't2.micro',
          'm4.large',
          'c4.xlarge',
        ] as const,
        [20, 15, 15, 10, 8, 8, 8, 4, 6, 4, 2],
      );
      const price = monthlyCents('aws', 'instance', instanceType, region);
      const id = instanceId(i);
      const resource = base(
        'aws',
        accountOf(e, 'aws', i),
        region,
        'instance',
        id,
        `${tags.service}-${i}`,
        state,
        { Name: `${tags.service}-${i}`, ...tags },
        state === 'running' ? (price ?? 0) : 0,
        {
          instanceType,
          launchTime: daysAgo(rand.int(1, 700), rand),
          privateIp: `10.${i % 250}.${(i >> 8) % 250}.${rand.int(1, 250)}`,
          publicIp: rand.chance(0.3) ? `54.${rand.int(0, 255)}.${rand.int(0, 255)}.${rand.int(1, 254)}` : null,
          availabilityZone: `${region}${rand.pick(['a', 'b', 'c'] as const, [1, 1, 1])}`,
          securityGroupIds: [`sg-0${hex(rand.int(0, 1 << 30), 16)}`],
          vpcId: `vpc-0${hex(i % 40, 16)}`,
          statusChecks: state === 'running' ? 'ok' : null,
          // One in five still answers IMDSv1 (no draw from the seeded generator: the rest of the estate stays as it was).
          httpTokens: i % 5 === 0 ? 'optional' : 'required',
          metadataEndpoint: 'enabled',
          ...(price === undefined ? { priced: false } : {}),
        },
      );
      // Stopped instances send CloudWatch nothing; a few running ones have no metrics collected yet.
      return { resource, metrics: state === 'running' && rand.chance(0.95) ? ec2Metrics(resource, rand) : [] };
    },
  },
  {
    name: 'aws.volume',
    provider: 'aws',
    type: 'volume',
    weight: 18,
    make(i, e) {
      const { rand } = e;
      const region = awsRegionOf(e, i);
      const tags = envTags(rand);
      const volumeType = rand.pick(['gp3', 'gp2', 'io1', 'st1', 'sc1', 'standard'] as const, [65, 22, 4, 4, 2, 3]);
      const sizeGb = rand.pick([8, 20, 100, 500, 1000] as const, [30, 20, 25, 15, 10]);
      const j = rand.chance(0.85) ? sameAccount(e, 'aws.instance', 'aws', i) : undefined;
      const attachedTo = j === undefined ? null : instanceId(j);
      const price = monthlyCents('aws', 'disk', volumeType, region, sizeGb);
      const id = `vol-0${hex(i, 16)}`;
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          region,
          'volume',
          id,
          `data-${i}`,
          attachedTo ? 'in-use' : 'available',
          { Name: `data-${i}`, ...tags },
          price,
          {
            sizeGb,
            volumeType,
            attachedTo,
            attachments: attachedTo
              ? [{ instanceId: attachedTo, device: '/dev/sdf', state: 'attached', deleteOnTermination: false }]
              : [],
            availabilityZone: `${region}a`,
            createTime: daysAgo(rand.int(0, 900), rand),
            iops:
              volumeType === 'io1' ? rand.int(1000, 20_000) : volumeType === 'gp3' ? 3000 : Math.max(100, sizeGb * 3),
            throughput: volumeType === 'gp3' ? 125 : null,
            encrypted: rand.chance(0.85),
            kmsKeyId: null,
            snapshotId: rand.chance(0.3) ? `snap-0${hex(i, 16)}` : null,
          },
        ),
      };
    },
  },
  {
    name: 'aws.snapshot',
    provider: 'aws',
    type: 'snapshot',
    weight: 20,
    make(i, e) {
      const { rand } = e;
      const region = awsRegionOf(e, i);
      const sizeGb = rand.pick([8, 20, 100, 500, 1000] as const, [30, 20, 30, 15, 5]);
      const ami = rand.chance(0.15);
      const volumeId = `vol-0${hex(rand.int(0, 1 << 30), 16)}`;
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          region,
          'snapshot',
          `snap-0${hex(i, 16)}`,
          `snap-0${hex(i, 16)}`,
          'completed',
          rand.chance(0.5) ? { backup: 'daily', ...envTags(rand) } : {},
          monthlyCents('aws', 'snapshot', 'standard', region, sizeGb),
          {
            sizeGb,
            startTime: daysAgo(rand.chance(0.75) ? rand.int(0, 90) : rand.int(91, 1200), rand),
            volumeId,
            description: ami
              ? `Created by CreateImage(i-0${hex(rand.int(0, 1 << 30), 16)}) for ami-0${hex(i, 16)} from ${volumeId}`
              : rand.chance(0.3)
                ? 'daily backup'
                : '',
            encrypted: rand.chance(0.8),
          },
        ),
      };
    },
  },
  {
    name: 'aws.security_group',
    provider: 'aws',
    type: 'security_group',
    weight: 6,
    make(i, e) {
      const { rand } = e;
      const isDefault = rand.chance(0.15);
      const rule = (protocol: string, fromPort: number, toPort: number, cidrs: string[]) => ({
        protocol,
        fromPort,
        toPort,
        cidrs,
      });
      const ingress = isDefault
        ? // The default group's rule lets its own members in (a group reference: no CIDR).
          rand.chance(0.7)
          ? [rule('all', 0, 65535, [])]
          : []
        : [
            ...(rand.chance(0.5) ? [rule('tcp', 443, 443, ['0.0.0.0/0', '::/0'])] : []),
            ...(rand.chance(0.3) ? [rule('tcp', 80, 80, ['0.0.0.0/0'])] : []),
            rule('tcp', 22, 22, ['10.0.0.0/8']),
            ...(rand.chance(0.07) ? [rule('tcp', 22, 22, ['0.0.0.0/0'])] : []),
            ...(rand.chance(0.02) ? [rule('tcp', 3389, 3389, ['0.0.0.0/0'])] : []),
            ...(rand.chance(0.02) ? [rule('all', 0, 65535, ['0.0.0.0/0'])] : []),
            ...(rand.chance(0.3) ? [rule('tcp', 5432, 5432, ['10.0.0.0/16'])] : []),
          ];
      const id = `sg-0${hex(i, 16)}`;
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          awsRegionOf(e, i),
          'security_group',
          id,
          isDefault ? 'default' : `sg-${i}`,
          'active',
          isDefault ? {} : envTags(rand),
          0,
          {
            ingress,
            vpcId: `vpc-0${hex(i % 40, 16)}`,
            description: isDefault ? 'default VPC security group' : 'bench',
          },
        ),
      };
    },
  },
  {
    name: 'aws.bucket',
    provider: 'aws',
    type: 'bucket',
    weight: 3,
    make(i, e) {
      const { rand } = e;
      const account = accountOf(e, 'aws', i);
      const block = rand.pick(['all', 'none', 'some'] as const, [82, 8, 10]);
      const publicAccessBlock =
        block === 'none'
          ? null
          : {
              blockPublicAcls: true,
              ignorePublicAcls: true,
              blockPublicPolicy: block === 'all',
              restrictPublicBuckets: block === 'all',
            };
      const encryption = rand.pick(['AES256', 'aws:kms', null] as const, [75, 20, 5]);
      const hasPolicy = rand.chance(0.7);
      const name = `bench-${account}-${i}`;
      return {
        resource: base('aws', account, awsRegionOf(e, i), 'bucket', name, name, 'available', envTags(rand), undefined, {
          creationDate: daysAgo(rand.int(1, 2000), rand),
          publicAccessBlock,
          publicAccessBlocked: publicAccessBlock ? Object.values(publicAccessBlock).every(Boolean) : false,
          encryption,
          encryptionKmsKeyId: encryption === 'aws:kms' ? `arn:aws:kms:us-east-1:${account}:key/k-${i}` : null,
          bucketKeyEnabled: encryption === 'aws:kms',
          versioning: rand.chance(0.4) ? 'Enabled' : 'Disabled',
          mfaDelete: 'Disabled',
          hasPolicy,
          policyPublic: hasPolicy && rand.chance(0.03),
        }),
      };
    },
  },
  {
    name: 'aws.log_group',
    provider: 'aws',
    type: 'log_group',
    weight: 15,
    make(i, e) {
      const { rand } = e;
      const region = awsRegionOf(e, i);
      const account = accountOf(e, 'aws', i);
      const name = rand.pick(
        [`/aws/lambda/fn-${i}`, `/aws/ecs/svc-${i}`, `/aws/rds/instance/db-${i}/postgresql`, `/app/svc-${i}`] as const,
        [60, 15, 5, 20],
      );
      const retentionInDays = rand.pick([null, 7, 14, 30, 365, 731, 3653] as const, [18, 4, 3, 5, 40, 20, 10]);
      const storedBytes = Math.floor(rand.next() ** 3 * 50 * 1024 ** 3);
      return {
        resource: base(
          'aws',
          account,
          region,
          'log_group',
          `log-group/${region}/${name}`,
          name,
          'active',
          {},
          monthlyCents('aws', 'log_storage', 'stored', region, storedBytes / 1024 ** 3),
          {
            arn: `arn:aws:logs:${region}:${account}:log-group:${name}`,
            retentionInDays,
            storedBytes,
            kmsKeyId: null,
            logGroupClass: 'STANDARD',
            creationTime: daysAgo(rand.int(1, 1500), rand),
          },
        ),
      };
    },
  },
  {
    name: 'aws.ip_address',
    provider: 'aws',
    type: 'ip_address',
    weight: 2,
    make(i, e) {
      const { rand } = e;
      const region = awsRegionOf(e, i);
      const to = rand.pick(['instance', 'eni', 'none'] as const, [75, 8, 17]);
      const j = to === 'instance' ? sameAccount(e, 'aws.instance', 'aws', i) : undefined;
      const associatedTo = j !== undefined ? instanceId(j) : to === 'eni' ? `eni-0${hex(i, 16)}` : null;
      const publicIp = `3.${(i >> 16) % 256}.${(i >> 8) % 256}.${i % 256}`;
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          region,
          'ip_address',
          `eipalloc-0${hex(i, 16)}`,
          publicIp,
          associatedTo ? 'in-use' : 'idle',
          envTags(rand),
          monthlyCents('aws', 'ip_address', associatedTo ? 'in_use' : 'idle', region),
          {
            publicIp,
            associatedTo,
            associationId: associatedTo ? `eipassoc-0${hex(i, 16)}` : null,
            privateIp: associatedTo ? `10.0.${i % 250}.${rand.int(1, 250)}` : null,
            domain: 'vpc',
          },
        ),
      };
    },
  },
  {
    name: 'aws.iam_user',
    provider: 'aws',
    type: 'iam_user',
    weight: 3,
    make(i, e) {
      const { rand } = e;
      const account = accountOf(e, 'aws', i);
      const name = `user-${i}`;
      const consoleAccess = rand.chance(0.45);
      const mfaDevices = (consoleAccess ? rand.chance(0.85) : rand.chance(0.2)) ? 1 : 0;
      const keys = rand.pick([0, 1, 2] as const, [40, 50, 10]);
      const adminPolicy = rand.chance(0.03);
      return {
        resource: base('aws', account, 'global', 'iam_user', `user/${name}`, name, 'active', {}, 0, {
          arn: `arn:aws:iam::${account}:user/${name}`,
          userId: `AIDA${hex(i, 16).toUpperCase()}`,
          createDate: daysAgo(rand.int(30, 2000), rand),
          consoleAccess,
          passwordLastUsed: consoleAccess && rand.chance(0.9) ? daysAgo(rand.int(0, 120), rand) : null,
          passwordLastChanged: consoleAccess ? daysAgo(rand.int(30, 400), rand) : null,
          passwordNextRotation: null,
          mfaEnabled: mfaDevices > 0,
          mfaDevices,
          adminPolicy,
          attachedPolicies: adminPolicy ? ['AdministratorAccess'] : ['ReadOnlyAccess'],
          accessKeys: keys,
          activeAccessKeys: keys === 2 && rand.chance(0.5) ? 2 : Math.min(keys, 1),
        }),
      };
    },
  },
  {
    name: 'aws.access_key',
    provider: 'aws',
    type: 'access_key',
    weight: 4,
    make(i, e) {
      const { rand } = e;
      const j = sameAccount(e, 'aws.iam_user', 'aws', i);
      const user = `user-${j ?? i}`;
      const id = `AKIA${hex(i, 16).toUpperCase()}`;
      const active = rand.chance(0.85);
      const age = rand.chance(0.7) ? rand.int(1, 90) : rand.int(91, 1500);
      const lastUsed = rand.chance(0.85) ? Math.min(age, rand.int(0, 60)) : null;
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          'global',
          'access_key',
          id,
          `${user} ${id}`,
          active ? 'active' : 'inactive',
          {},
          0,
          {
            user,
            status: active ? 'Active' : 'Inactive',
            createDate: daysAgo(age),
            ageDays: age,
            lastUsedDate: lastUsed === null ? null : daysAgo(lastUsed),
            daysSinceLastUse: lastUsed,
            lastUsedService: lastUsed === null ? null : 's3',
            lastUsedRegion: lastUsed === null ? null : 'us-east-1',
          },
        ),
      };
    },
  },
  {
    name: 'aws.kms_key',
    provider: 'aws',
    type: 'kms_key',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const region = awsRegionOf(e, i);
      const customer = rand.chance(0.7);
      const keyState = rand.chance(0.92) ? 'Enabled' : 'PendingDeletion';
      const id = `${hex(i, 8)}-1234-4abc-9def-${hex(i, 12)}`;
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          region,
          'kms_key',
          id,
          customer ? `alias/app-${i}` : `alias/aws/s3`,
          keyState.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase(),
          {},
          undefined,
          {
            arn: `arn:aws:kms:${region}:${accountOf(e, 'aws', i)}:key/${id}`,
            aliases: [customer ? `alias/app-${i}` : 'alias/aws/s3'],
            keyManager: customer ? 'CUSTOMER' : 'AWS',
            keyState,
            keySpec: rand.chance(0.92) ? 'SYMMETRIC_DEFAULT' : 'RSA_2048',
            keyUsage: 'ENCRYPT_DECRYPT',
            origin: 'AWS_KMS',
            description: '',
            rotationEnabled: rand.chance(0.75),
            rotationPeriodInDays: 365,
            creationDate: daysAgo(rand.int(1, 1500), rand),
            multiRegion: false,
          },
        ),
      };
    },
  },
  {
    name: 'aws.vpc',
    provider: 'aws',
    type: 'vpc',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const flowLogsEnabled = rand.chance(0.6);
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          awsRegionOf(e, i),
          'vpc',
          `vpc-1${hex(i, 16)}`,
          `vpc-${i}`,
          'available',
          envTags(rand),
          0,
          {
            cidr: `10.${i % 256}.0.0/16`,
            isDefault: rand.chance(0.2),
            flowLogsEnabled,
            flowLogIds: flowLogsEnabled ? [`fl-0${hex(i, 16)}`] : [],
          },
        ),
      };
    },
  },
  {
    name: 'aws.database',
    provider: 'aws',
    type: 'database',
    weight: 1,
    make(i, e) {
      const { rand } = e;
      const region = awsRegionOf(e, i);
      const [cls, engine] = rand.pick(
        [
          ['db.t3.micro', 'postgres'],
          ['db.t3.medium', 'postgres'],
          ['db.m5.large', 'postgres'],
          ['db.t3.medium', 'mysql'],
          ['db.m5.large', 'mysql'],
        ] as const,
        [20, 30, 20, 20, 10],
      );
      const storageType = rand.chance(0.6) ? 'gp3' : 'gp2';
      const allocated = rand.pick([20, 100, 500] as const, [40, 40, 20]);
      const multiAZ = rand.chance(0.3);
      const compute = monthlyCents('aws', 'database', `${cls}:${engine}`, region);
      const storage = monthlyCents('aws', 'db_storage', storageType, region, allocated);
      const identifier = dbIdentifier(i);
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          region,
          'database',
          `db/${region}/${identifier}`,
          identifier,
          rand.chance(0.92) ? 'available' : 'stopped',
          envTags(rand),
          compute === undefined || storage === undefined ? undefined : (compute + storage) * (multiAZ ? 2 : 1),
          {
            identifier,
            arn: `arn:aws:rds:${region}:${accountOf(e, 'aws', i)}:db:${identifier}`,
            engine,
            engineVersion: engine === 'postgres' ? '16.4' : '8.0.39',
            class: cls,
            storageEncrypted: rand.chance(0.85),
            kmsKeyId: null,
            publiclyAccessible: rand.chance(0.04),
            backupRetentionPeriod: rand.pick([7, 14, 35, 1, 0] as const, [60, 15, 5, 12, 8]),
            multiAZ,
            allocatedStorage: allocated,
            storageType,
            deletionProtection: rand.chance(0.5),
            iamAuth: false,
            availabilityZone: `${region}a`,
            endpoint: `${identifier}.abc.${region}.rds.amazonaws.com:5432`,
            createTime: daysAgo(rand.int(1, 1500), rand),
          },
        ),
      };
    },
  },
  {
    name: 'aws.db_snapshot',
    provider: 'aws',
    type: 'db_snapshot',
    weight: 1,
    make(i, e) {
      const { rand } = e;
      // Most name a live database (in its region); the rest a database since deleted.
      const j = rand.chance(0.75) ? sameAccount(e, 'aws.database', 'aws', i) : undefined;
      const instance = j === undefined ? `deleted-db-${i}` : dbIdentifier(j);
      const region = j === undefined ? awsRegionOf(e, i) : awsRegionOf(e, j);
      const identifier = `snap-${instance}-${i}`;
      const manual = rand.chance(0.4);
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          region,
          'db_snapshot',
          `db-snapshot/${region}/${identifier}`,
          identifier,
          'available',
          {},
          undefined,
          {
            identifier,
            arn: `arn:aws:rds:${region}:${accountOf(e, 'aws', i)}:snapshot:${identifier}`,
            instance,
            engine: 'postgres',
            encrypted: rand.chance(0.85),
            snapshotCreateTime: daysAgo(rand.int(0, 400), rand),
            snapshotType: manual ? 'manual' : 'automated',
            allocatedStorage: 100,
            public: manual && rand.chance(0.02),
            sharedWith: [],
          },
        ),
      };
    },
  },
  {
    name: 'aws.load_balancer',
    provider: 'aws',
    type: 'load_balancer',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const region = awsRegionOf(e, i);
      const account = accountOf(e, 'aws', i);
      const lbType = rand.chance(0.8) ? 'application' : 'network';
      const idle = rand.chance(0.1);
      const targets = idle ? 0 : rand.int(1, 6);
      const state = rand.chance(0.97) ? 'active' : 'provisioning';
      const name = `lb-${i}`;
      return {
        resource: base(
          'aws',
          account,
          region,
          'load_balancer',
          `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/${lbType === 'application' ? 'app' : 'net'}/${name}/${hex(i, 16)}`,
          name,
          state,
          envTags(rand),
          monthlyCents('aws', 'load_balancer', lbType, region),
          {
            lbType,
            scheme: 'internet-facing',
            dnsName: `${name}.${region}.elb.amazonaws.com`,
            vpcId: `vpc-0${hex(i % 40, 16)}`,
            createdTime: daysAgo(rand.int(1, 900), rand),
            listeners: [{ port: 443, protocol: 'HTTPS', targetGroupArns: [`tg-${i}`] }],
            targetGroups: [
              {
                arn: `tg-${i}`,
                name: `tg-${i}`,
                protocol: 'HTTP',
                port: 8080,
                targets,
                healthy: targets,
                unhealthy: 0,
                unused: 0,
              },
            ],
            healthyTargets: targets,
            idle,
          },
        ),
      };
    },
  },
  {
    name: 'aws.nat_gateway',
    provider: 'aws',
    type: 'nat_gateway',
    weight: 0.3,
    make(i, e) {
      const { rand } = e;
      const region = awsRegionOf(e, i);
      return {
        resource: base(
          'aws',
          accountOf(e, 'aws', i),
          region,
          'nat_gateway',
          `nat-0${hex(i, 16)}`,
          `nat-${i}`,
          'available',
          envTags(rand),
          monthlyCents('aws', 'nat_gateway', 'standard', region),
          {
            vpcId: `vpc-0${hex(i % 40, 16)}`,
            subnetId: `subnet-0${hex(i, 16)}`,
            connectivityType: 'public',
            publicIps: [`52.1.${(i >> 8) % 256}.${i % 256}`],
            createTime: daysAgo(rand.int(1, 900), rand),
          },
        ),
      };
    },
  },
];

/** The account-wide rows every AWS account has: its settings, its trails, a Config recorder per region. */
const awsAccountRows = (account: string, rand: Rand): Resource[] => {
  const policy = rand.chance(0.7)
    ? {
        minimumLength: rand.chance(0.6) ? 14 : 8,
        requireSymbols: true,
        requireNumbers: true,
        requireUppercase: true,
        requireLowercase: true,
        allowUsersToChange: true,
        maxAgeDays: null,
        reusePrevention: rand.chance(0.6) ? 24 : null,
        hardExpiry: false,
      }
    : null;
  const trail = (name: string, multiRegion: boolean) => {
    const isLogging = rand.chance(0.95);
    return base(
      'aws',
      account,
      'us-east-1',
      'trail',
      `arn:aws:cloudtrail:us-east-1:${account}:trail/${name}`,
      name,
      isLogging ? 'logging' : 'stopped',
      {},
      0,
      {
        arn: `arn:aws:cloudtrail:us-east-1:${account}:trail/${name}`,
        homeRegion: 'us-east-1',
        multiRegion,
        logFileValidation: rand.chance(0.8),
        kmsKeyId: null,
        isLogging,
        s3Bucket: `trail-${account}`,
        includeGlobalServiceEvents: true,
        organizationTrail: false,
        cloudWatchLogsLogGroupArn: null,
        latestDeliveryTime: daysAgo(0),
        latestDeliveryError: null,
      },
    );
  };
  return [
    base('aws', account, 'global', 'account_settings', 'account-settings', 'account settings', 'active', {}, 0, {
      passwordPolicy: policy,
      rootMfaEnabled: rand.chance(0.9),
      rootAccessKeysPresent: rand.chance(0.05),
      rootPasswordLastUsed: daysAgo(rand.int(1, 400)),
      rootAccessKeyLastUsed: null,
      credentialReport: 'ok',
      credentialReportGeneratedAt: daysAgo(0),
    }),
    trail('main', rand.chance(0.85)),
    ...(rand.chance(0.3) ? [trail('audit-eu', false)] : []),
    ...awsRegions.map((region) => {
      const recording = rand.chance(0.8);
      return base(
        'aws',
        account,
        region,
        'config_recorder',
        `recorder/${region}/default`,
        'default',
        recording ? 'recording' : 'stopped',
        {},
        0,
        {
          absent: false,
          recording,
          allSupported: rand.chance(0.85),
          includeGlobalResourceTypes: region === 'us-east-1',
          resourceTypes: [],
          roleArn: `arn:aws:iam::${account}:role/config`,
          lastStatus: 'SUCCESS',
          lastErrorCode: null,
          lastStartTime: daysAgo(30),
        },
      );
    }),
  ];
};

const azureRegions = ['eastus', 'westeurope'] as const;
const armId = (sub: string, rg: string, type: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/${type}/${name}`;

const azure: Kind[] = [
  {
    name: 'azure.instance',
    provider: 'azure',
    type: 'instance',
    weight: 1.5,
    make(i, e) {
      const { rand } = e;
      const sub = accountOf(e, 'azure', i);
      const region = azureRegions[i % 2]!;
      const rg = `rg-${i % 30}`;
      const state = rand.pick(['running', 'deallocated', 'stopped'] as const, [80, 12, 8]);
      const vmSize = rand.pick(
        ['Standard_B2s', 'Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_E4s_v5', 'Standard_F4s_v2'] as const,
        [25, 30, 20, 15, 10],
      );
      const price = monthlyCents('azure', 'instance', vmSize, region);
      const name = `vm-${i}`;
      const resource = base(
        'azure',
        sub,
        region,
        'instance',
        armId(sub, rg, 'Microsoft.Compute/virtualMachines', name),
        name,
        state,
        envTags(rand),
        state === 'deallocated' ? 0 : price,
        {
          vmSize,
          resourceGroup: rg,
          vmId: `${hex(i, 8)}-0000-4000-8000-${hex(i, 12)}`,
          osType: 'Linux',
          provisioningState: 'Succeeded',
          timeCreated: daysAgo(rand.int(1, 900), rand),
          osDisk: `${name}-osdisk`,
        },
      );
      return { resource, metrics: state === 'running' && rand.chance(0.95) ? vmCpu(resource, rand) : [] };
    },
  },
  {
    name: 'azure.volume',
    provider: 'azure',
    type: 'volume',
    weight: 1.5,
    make(i, e) {
      const { rand } = e;
      const sub = accountOf(e, 'azure', i);
      const region = azureRegions[i % 2]!;
      const rg = `rg-${i % 30}`;
      const sku = rand.pick(['Premium_LRS', 'StandardSSD_LRS', 'Standard_LRS'] as const, [50, 30, 20]);
      const sizeGb = rand.pick([32, 128, 512, 1024] as const, [30, 40, 20, 10]);
      const tiers: Record<number, number> = { 32: 4, 128: 10, 512: 20, 1024: 30 };
      const tier = `${{ Premium_LRS: 'P', StandardSSD_LRS: 'E', Standard_LRS: 'S' }[sku]}${tiers[sizeGb]}`;
      const attached = rand.chance(0.82);
      const vm = attached ? armId(sub, rg, 'Microsoft.Compute/virtualMachines', `vm-${i}`) : null;
      const name = `disk-${i}`;
      return {
        resource: base(
          'azure',
          sub,
          region,
          'volume',
          armId(sub, rg, 'Microsoft.Compute/disks', name),
          name,
          attached ? 'in-use' : 'available',
          envTags(rand),
          monthlyCents('azure', 'disk', `${sku}/${tier}`, region),
          {
            sizeGb,
            volumeType: sku,
            tier,
            diskState: attached ? 'Attached' : 'Unattached',
            attachedTo: vm,
            attachedToName: vm ? `vm-${i}` : null,
            resourceGroup: rg,
            osType: null,
            timeCreated: daysAgo(rand.int(0, 900), rand),
            encryption: 'EncryptionAtRestWithPlatformKey',
          },
        ),
      };
    },
  },
  {
    name: 'azure.ip_address',
    provider: 'azure',
    type: 'ip_address',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const sub = accountOf(e, 'azure', i);
      const region = azureRegions[i % 2]!;
      const rg = `rg-${i % 30}`;
      const associatedTo = rand.chance(0.8)
        ? `${armId(sub, rg, 'Microsoft.Network/networkInterfaces', `nic-${i}`)}/ipConfigurations/ipconfig1`
        : null;
      const name = `pip-${i}`;
      return {
        resource: base(
          'azure',
          sub,
          region,
          'ip_address',
          armId(sub, rg, 'Microsoft.Network/publicIPAddresses', name),
          name,
          associatedTo ? 'in-use' : 'available',
          envTags(rand),
          monthlyCents('azure', 'ip_address', associatedTo ? 'in_use' : 'idle', region),
          {
            ipAddress: `20.${(i >> 16) % 256}.${(i >> 8) % 256}.${i % 256}`,
            associatedTo,
            sku: 'Standard',
            allocation: 'Static',
            version: 'IPv4',
            resourceGroup: rg,
          },
        ),
      };
    },
  },
  {
    name: 'azure.security_group',
    provider: 'azure',
    type: 'security_group',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const sub = accountOf(e, 'azure', i);
      const rg = `rg-${i % 30}`;
      const entry = (name: string, priority: number, protocol: string, port: number, cidrs: string[]) => ({
        protocol,
        fromPort: port,
        toPort: port,
        cidrs,
        name,
        priority,
      });
      const ssh = rand.chance(0.12);
      const ingress = [
        entry('allow-https', 100, 'tcp', 443, ['0.0.0.0/0']),
        ...(ssh ? [entry('allow-ssh', 300, 'tcp', 22, ['0.0.0.0/0'])] : []),
        ...(rand.chance(0.04) ? [entry('allow-rdp', 310, 'tcp', 3389, ['0.0.0.0/0'])] : []),
        entry('allow-vnet-ssh', 400, 'tcp', 22, ['VirtualNetwork']),
      ];
      // Some SSH allows are dead: a Deny of a lower priority number covers them.
      const denyIngress = ssh && rand.chance(0.25) ? [entry('deny-ssh', 200, 'tcp', 22, ['0.0.0.0/0'])] : [];
      const name = `nsg-${i}`;
      return {
        resource: base(
          'azure',
          sub,
          azureRegions[i % 2]!,
          'security_group',
          armId(sub, rg, 'Microsoft.Network/networkSecurityGroups', name),
          name,
          'active',
          envTags(rand),
          0,
          { ingress, denyIngress, resourceGroup: rg, subnets: [], networkInterfaces: [] },
        ),
      };
    },
  },
  {
    name: 'azure.storage_account',
    provider: 'azure',
    type: 'storage_account',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const sub = accountOf(e, 'azure', i);
      const rg = `rg-${i % 30}`;
      const name = `benchst${i}`;
      return {
        resource: base(
          'azure',
          sub,
          azureRegions[i % 2]!,
          'storage_account',
          armId(sub, rg, 'Microsoft.Storage/storageAccounts', name),
          name,
          'available',
          envTags(rand),
          0,
          {
            kind: 'StorageV2',
            sku: 'Standard_LRS',
            allowBlobPublicAccess: rand.pick([false, true, null] as const, [75, 10, 15]),
            minimumTlsVersion: rand.pick(['TLS1_2', 'TLS1_0', null] as const, [80, 10, 10]),
            httpsOnly: rand.pick([true, false, null] as const, [92, 5, 3]),
            publicNetworkAccess: 'Enabled',
            encryption: { keySource: 'Microsoft.Storage', blob: true, file: true, infrastructure: false },
            resourceGroup: rg,
            creationTime: daysAgo(rand.int(1, 1500), rand),
            priced: false,
          },
        ),
      };
    },
  },
  {
    // The inventory does not list Entra ID users yet; a few rows give az.entra.mfa its (manual) work.
    name: 'azure.iam_user',
    provider: 'azure',
    type: 'iam_user',
    weight: 0.2,
    make(i, e) {
      const sub = accountOf(e, 'azure', i);
      return {
        resource: base(
          'azure',
          sub,
          'global',
          'iam_user',
          `users/${hex(i, 12)}`,
          `user${i}@example.com`,
          'active',
          {},
          0,
          {
            userPrincipalName: `user${i}@example.com`,
          },
        ),
      };
    },
  },
];

const gcpZones = ['us-central1-a', 'europe-west1-b'] as const;
const gcpRegionOf = (zone: string) => zone.slice(0, zone.lastIndexOf('-'));

const gcp: Kind[] = [
  {
    name: 'gcp.instance',
    provider: 'gcp',
    type: 'instance',
    weight: 1.5,
    make(i, e) {
      const { rand } = e;
      const zone = gcpZones[i % 2]!;
      const region = gcpRegionOf(zone);
      const running = rand.chance(0.85);
      const machineType = rand.pick(
        ['e2-standard-2', 'e2-standard-4', 'n2-standard-4', 'e2-medium'] as const,
        [35, 25, 20, 20],
      );
      const price = monthlyCents('gcp', 'instance', machineType, region);
      const name = `gce-${i}`;
      const resource = base(
        'gcp',
        accountOf(e, 'gcp', i),
        region,
        'instance',
        `zones/${zone}/instances/${name}`,
        name,
        running ? 'running' : 'stopped',
        envTags(rand),
        running ? price : 0,
        {
          machineType,
          zone,
          status: running ? 'RUNNING' : 'TERMINATED',
          instanceId: String(1_000_000_000 + i),
          creationTimestamp: daysAgo(rand.int(1, 900), rand),
          lastStartTimestamp: daysAgo(rand.int(1, 60), rand),
          lastStopTimestamp: running ? null : daysAgo(rand.int(1, 60), rand),
          privateIp: `10.128.${(i >> 8) % 256}.${i % 256}`,
          publicIp: null,
          disks: [`${name}-boot`],
        },
      );
      return { resource, metrics: running && rand.chance(0.95) ? vmCpu(resource, rand) : [] };
    },
  },
  {
    name: 'gcp.volume',
    provider: 'gcp',
    type: 'volume',
    weight: 1.5,
    make(i, e) {
      const { rand } = e;
      const zone = gcpZones[i % 2]!;
      const region = gcpRegionOf(zone);
      const diskType = rand.pick(['pd-balanced', 'pd-standard', 'pd-ssd'] as const, [60, 25, 15]);
      const sizeGb = rand.pick([10, 100, 500] as const, [30, 50, 20]);
      const users = rand.chance(0.85) ? [`zones/${zone}/instances/gce-${i}`] : [];
      const name = `pd-${i}`;
      return {
        resource: base(
          'gcp',
          accountOf(e, 'gcp', i),
          region,
          'volume',
          `zones/${zone}/disks/${name}`,
          name,
          users.length ? 'in-use' : 'available',
          envTags(rand),
          monthlyCents('gcp', 'disk', diskType, region, sizeGb),
          {
            sizeGb,
            volumeType: diskType,
            zone,
            attachedTo: users[0] ?? null,
            users,
            status: 'READY',
            createTime: daysAgo(rand.int(0, 900), rand),
            encryption: 'google-managed',
            kmsKeyName: null,
          },
        ),
      };
    },
  },
  {
    name: 'gcp.snapshot',
    provider: 'gcp',
    type: 'snapshot',
    weight: 1,
    make(i, e) {
      const { rand } = e;
      const zone = gcpZones[i % 2]!;
      const storageGb = rand.int(1, 200);
      const name = `snap-${i}`;
      return {
        resource: base(
          'gcp',
          accountOf(e, 'gcp', i),
          'global',
          'snapshot',
          `global/snapshots/${name}`,
          name,
          'completed',
          {},
          monthlyCents('gcp', 'snapshot', 'standard', gcpRegionOf(zone), storageGb),
          {
            sizeGb: rand.pick([10, 100, 500] as const, [30, 50, 20]),
            storageGb,
            startTime: daysAgo(rand.chance(0.75) ? rand.int(0, 90) : rand.int(91, 900), rand),
            sourceDisk: `zones/${zone}/disks/pd-${i}`,
            storageLocations: [gcpRegionOf(zone).split('-')[0]],
          },
        ),
      };
    },
  },
  {
    name: 'gcp.ip_address',
    provider: 'gcp',
    type: 'ip_address',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const region = gcpRegionOf(gcpZones[i % 2]!);
      const inUse = rand.chance(0.8);
      const external = rand.chance(0.8);
      const name = `addr-${i}`;
      return {
        resource: base(
          'gcp',
          accountOf(e, 'gcp', i),
          region,
          'ip_address',
          `regions/${region}/addresses/${name}`,
          name,
          inUse ? 'in-use' : 'reserved',
          {},
          external ? monthlyCents('gcp', 'ip_address', inUse ? 'in_use' : 'idle', region) : 0,
          {
            address: `34.${(i >> 16) % 256}.${(i >> 8) % 256}.${i % 256}`,
            addressType: external ? 'EXTERNAL' : 'INTERNAL',
            status: inUse ? 'IN_USE' : 'RESERVED',
            associatedTo: inUse ? `zones/${gcpZones[i % 2]}/instances/gce-${i}` : null,
            networkTier: 'PREMIUM',
            createTime: daysAgo(rand.int(1, 900), rand),
          },
        ),
      };
    },
  },
  {
    name: 'gcp.security_group',
    provider: 'gcp',
    type: 'security_group',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const open = rand.chance(0.1);
      const sourceRanges = open ? ['0.0.0.0/0'] : ['10.128.0.0/9'];
      const name = open ? `default-allow-ssh-${i}` : `allow-internal-${i}`;
      const ports = open ? ['22'] : ['0-65535'];
      return {
        resource: base(
          'gcp',
          accountOf(e, 'gcp', i),
          'global',
          'security_group',
          `global/firewalls/${name}`,
          name,
          'active',
          {},
          0,
          {
            ingress: ports.map((p) => {
              const [from, to] = p.split('-');
              return { protocol: 'tcp', fromPort: Number(from), toPort: Number(to ?? from), cidrs: sourceRanges };
            }),
            direction: 'INGRESS',
            action: 'allow',
            priority: 1000,
            network: 'default',
            sourceRanges,
            targetTags: rand.chance(0.5) ? ['web'] : [],
            description: '',
            disabled: false,
          },
        ),
      };
    },
  },
  {
    name: 'gcp.bucket',
    provider: 'gcp',
    type: 'bucket',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const isPublic = rand.chance(0.05);
      const name = `bench-gcs-${i}`;
      return {
        resource: base(
          'gcp',
          accountOf(e, 'gcp', i),
          'us',
          'bucket',
          `buckets/${name}`,
          name,
          'active',
          envTags(rand),
          0,
          {
            location: 'US',
            locationType: 'multi-region',
            storageClass: 'STANDARD',
            publicAccessPrevention: isPublic ? 'inherited' : 'enforced',
            uniformBucketLevelAccess: true,
            versioning: false,
            public: isPublic,
            publicGrants: isPublic ? ['roles/storage.objectViewer: allUsers'] : [],
            encryption: 'google-managed',
            kmsKeyName: null,
            createTime: daysAgo(rand.int(1, 1500), rand),
          },
        ),
      };
    },
  },
  {
    name: 'gcp.access_key',
    provider: 'gcp',
    type: 'access_key',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const userManaged = rand.chance(0.6);
      const serviceAccount = `sa-${i % 50}@${accountOf(e, 'gcp', i)}.iam.gserviceaccount.com`;
      const keyId = hex(i, 40);
      return {
        resource: base(
          'gcp',
          accountOf(e, 'gcp', i),
          'global',
          'access_key',
          `serviceAccounts/${serviceAccount}/keys/${keyId}`,
          `${serviceAccount} key ${keyId.slice(0, 8)}`,
          rand.chance(0.9) ? 'active' : 'inactive',
          {},
          0,
          {
            serviceAccount,
            keyType: userManaged ? 'USER_MANAGED' : 'SYSTEM_MANAGED',
            userManaged,
            createdAt: daysAgo(rand.chance(0.6) ? rand.int(1, 90) : rand.int(91, 900), rand),
            expiresAt: null,
            keyId,
            keyAlgorithm: 'KEY_ALG_RSA_2048',
            keyOrigin: 'GOOGLE_PROVIDED',
          },
        ),
      };
    },
  },
];

const mib = 2 ** 20;

const kubernetes: Kind[] = [
  {
    name: 'kubernetes.pod',
    provider: 'kubernetes',
    type: 'pod',
    weight: 4,
    make(i, e) {
      const { rand } = e;
      const cluster = accountOf(e, 'kubernetes', i);
      const namespace = `ns-${i % 20}`;
      const deployment = `app-${i % 400}`;
      const name = `${deployment}-7d9f8c-${hex(i, 5)}`;
      const phase = rand.chance(0.93) ? 'Running' : 'Pending';
      const cpu = rand.pick([100, 250, 500, 1000] as const, [30, 30, 25, 15]);
      const memoryMi = rand.pick([128, 256, 512, 1024] as const, [30, 30, 25, 15]);
      const privileged = rand.chance(0.03);
      const runAsNonRoot = rand.chance(0.75) ? true : null;
      const container = {
        name: 'app',
        image: `registry.example.com/${deployment}:1.${i % 30}`,
        requests: { cpu: `${cpu}m`, memory: `${memoryMi}Mi`, cpuMillicores: cpu, memoryBytes: memoryMi * mib },
        limits: { memory: `${memoryMi * 2}Mi`, memoryBytes: memoryMi * 2 * mib },
        hasRequests: true,
        hasLimits: true,
        ready: phase === 'Running',
        restarts: rand.int(0, 3),
        state: phase === 'Running' ? 'running' : 'waiting',
        reason: null,
        privileged,
        runAsNonRoot,
        allowPrivilegeEscalation: null,
      };
      const tags = { app: deployment, 'pod-template-hash': '7d9f8c', ...(rand.chance(0.8) ? { env: 'prod' } : {}) };
      const resource = base(
        'kubernetes',
        cluster,
        cluster,
        'pod',
        `${namespace}/pod/${name}`,
        name,
        phase.toLowerCase(),
        tags,
        0,
        {
          namespace,
          kind: 'pod',
          createdAt: daysAgo(rand.int(0, 60), rand),
          phase,
          reason: null,
          restarts: container.restarts,
          ready: phase === 'Running',
          node: `node-${i % 50}`,
          podIp: `10.244.${(i >> 8) % 256}.${i % 256}`,
          startTime: daysAgo(rand.int(0, 60), rand),
          qosClass: 'Burstable',
          ownerDeployment: deployment,
          ownerKind: 'ReplicaSet',
          serviceAccount: 'default',
          containers: [container],
          containersWithoutRequests: [],
          securityContext: {
            privileged,
            runAsNonRoot: runAsNonRoot === true,
            hostNetwork: false,
            hostPID: false,
            hostIPC: false,
          },
        },
      );
      // Usage from metrics-server, as a share of the requests: a fifth of pods use under a third.
      const share = rand.chance(0.2) ? rand.int(5, 30) / 100 : rand.int(40, 95) / 100;
      const metrics =
        phase === 'Running' && rand.chance(0.9)
          ? dailies(resource, [
              {
                metric: 'cpu_millicores',
                unit: 'millicores',
                value: () => {
                  const v = Math.round(cpu * share * (0.8 + rand.next() * 0.2));
                  return { avg: v, max: v };
                },
              },
              {
                metric: 'memory_bytes',
                unit: 'bytes',
                value: () => {
                  const v = Math.round(memoryMi * mib * share * (0.8 + rand.next() * 0.2));
                  return { avg: v, max: v };
                },
              },
            ])
          : [];
      return { resource, metrics };
    },
  },
  {
    name: 'kubernetes.role',
    provider: 'kubernetes',
    type: 'role',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const cluster = accountOf(e, 'kubernetes', i);
      const clusterScoped = rand.chance(0.4);
      const bootstrap = clusterScoped && rand.chance(0.3);
      const wildcard = rand.chance(0.08) || bootstrap;
      const name = bootstrap ? `system:role-${i}` : `role-${i}`;
      const namespace = clusterScoped ? undefined : `ns-${i % 20}`;
      const kind = clusterScoped ? 'clusterrole' : 'role';
      return {
        resource: base(
          'kubernetes',
          cluster,
          cluster,
          'role',
          namespace ? `${namespace}/${kind}/${name}` : `${kind}/${name}`,
          name,
          'active',
          bootstrap ? { 'kubernetes.io/bootstrapping': 'rbac-defaults' } : {},
          0,
          {
            ...(namespace ? { namespace } : {}),
            kind,
            createdAt: daysAgo(rand.int(1, 900), rand),
            scope: clusterScoped ? 'cluster' : 'namespace',
            rules: [
              wildcard
                ? { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }
                : { apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list', 'watch'] },
            ],
            wildcard,
          },
        ),
      };
    },
  },
  {
    name: 'kubernetes.role_binding',
    provider: 'kubernetes',
    type: 'role_binding',
    weight: 0.5,
    make(i, e) {
      const { rand } = e;
      const cluster = accountOf(e, 'kubernetes', i);
      const clusterScoped = rand.chance(0.4);
      const admin = rand.chance(0.05);
      const name = `binding-${i}`;
      const namespace = clusterScoped ? undefined : `ns-${i % 20}`;
      const kind = clusterScoped ? 'clusterrolebinding' : 'rolebinding';
      return {
        resource: base(
          'kubernetes',
          cluster,
          cluster,
          'role_binding',
          namespace ? `${namespace}/${kind}/${name}` : `${kind}/${name}`,
          name,
          'active',
          {},
          0,
          {
            ...(namespace ? { namespace } : {}),
            kind,
            createdAt: daysAgo(rand.int(1, 900), rand),
            scope: clusterScoped ? 'cluster' : 'namespace',
            roleRef: admin ? { kind: 'ClusterRole', name: 'cluster-admin' } : { kind: 'Role', name: `role-${i}` },
            subjects: [{ kind: 'Group', name: `team-${i % 12}` }],
            grantsClusterAdmin: admin,
          },
        ),
      };
    },
  },
];

const kinds: Kind[] = [...aws, ...azure, ...gcp, ...kubernetes];

/** From this size on the estate is skewed as issue 15 asks: 40 % snapshots, 30 % log groups. */
export const skewedFrom = 300_000;

/** Resources of each kind for an estate of `size` (account-wide AWS rows come on top, a few per account). */
export const planEstate = (size: number): Map<string, number> => {
  const skew = size >= skewedFrom;
  const heavy = new Set(['aws.snapshot', 'aws.log_group']);
  const rest = kinds.filter((k) => !heavy.has(k.name)).reduce((n, k) => n + k.weight, 0);
  const total = kinds.reduce((n, k) => n + k.weight, 0);
  const share = (k: Kind): number => {
    if (!skew) return k.weight / total;
    if (k.name === 'aws.snapshot') return 0.4;
    if (k.name === 'aws.log_group') return 0.3;
    return (0.3 * k.weight) / rest;
  };
  return new Map(kinds.map((k) => [k.name, Math.max(1, Math.round(share(k) * size))]));
};

const accountsFor = (counts: Map<string, number>): Record<ProviderName, string[]> => {
  const of = (p: ProviderName) => kinds.filter((k) => k.provider === p).reduce((n, k) => n + counts.get(k.name)!, 0);
  // About 10,000 AWS resources an account, fewer elsewhere: an organisation's spread, not one giant account.
  const n = (p: ProviderName, per: number) => Math.max(1, Math.ceil(of(p) / per));
  return {
    aws: Array.from({ length: n('aws', 10_000) }, (_, k) => String(100_000_000_000 + k * 7919)),
    azure: Array.from({ length: n('azure', 5_000) }, (_, k) => `${hex(k, 8)}-aaaa-4bbb-8ccc-${hex(k, 12)}`),
    gcp: Array.from({ length: n('gcp', 5_000) }, (_, k) => `bench-project-${k}`),
    kubernetes: Array.from({ length: n('kubernetes', 3_000) }, (_, k) => `cluster-${k}`),
  };
};

// ---- loading (the "collection" a scan never pays)

interface LoadFigures {
  resources: number;
  metrics: number;
  byType: Map<string, number>;
  ms: number;
}

const resourceBatch = 2000;
const metricBatch = 5000;

/** Generates the estate a batch at a time and stores it as a sync does (one listing per provider). */
export const loadEstate = async (db: Db, size: number, vacuum: boolean): Promise<LoadFigures> => {
  const t0 = performance.now();
  const counts = planEstate(size);
  const e: Estate = { rand: prng(15), accounts: accountsFor(counts), counts };
  const repo = resourceRepository(db);
  const byType = new Map<string, number>();
  let resources = 0;
  let metricCount = 0;
  for (const provider of ['aws', 'azure', 'gcp', 'kubernetes'] as const) {
    const writer = repo.beginListing({ key: `bench:${provider}`, provider, region: '' });
    let batch: Resource[] = [];
    const metrics: MetricRow[] = [];
    const flush = async (all: boolean) => {
      if (batch.length >= resourceBatch || (all && batch.length)) {
        await writer.write(batch);
        resources += batch.length;
        for (const r of batch) byType.set(`${r.provider} ${r.type}`, (byType.get(`${r.provider} ${r.type}`) ?? 0) + 1);
        batch = [];
      }
      while (metrics.length >= metricBatch || (all && metrics.length)) {
        const part = metrics.splice(0, metricBatch);
        await storeMetricSamples(db, part, now);
        metricCount += part.length;
      }
    };
    if (provider === 'aws') for (const account of e.accounts.aws) batch.push(...awsAccountRows(account, e.rand));
    for (const kind of kinds.filter((k) => k.provider === provider)) {
      for (let i = 0; i < counts.get(kind.name)!; i++) {
        const g = kind.make(i, e);
        batch.push(g.resource);
        if (g.metrics) for (const m of g.metrics) metrics.push(m);
        await flush(false);
      }
    }
    await flush(true);
    await writer.finish(now);
  }
  // What the sync and metrics jobs do next on the embedded store (no autovacuum there).
  // (and on external PostgreSQL, what they do instead: analyze at once).
  await (vacuum ? vacuumIfNeeded : analyzeIfNeeded)(db, ['resources', 'resource_metrics', 'resource_metric_series']);
  return { resources, metrics: metricCount, byType, ms: performance.now() - t0 };
};

// ---- memory

const statusBytes = (field: 'VmRSS' | 'VmHWM'): number => {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  } catch {
    return NaN;
  }
};

/** Resets the peak RSS (VmHWM) to the current RSS (Linux: "5" to clear_refs); false where refused. */
const resetPeak = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const s = (msValue: number): string => `${(msValue / 1000).toFixed(2)} s`;
const n = (x: number): string => x.toLocaleString('en-US');

// ---- digests

/**
 * Builds and renders every owner's digest of `workspaceId` after `scanId`, as the scheduled scan
 * does before posting (owners from the `owner`/`team` tags); returns how long it took and how many.
 */
export const timeDigests = async (
  db: Db,
  workspaceId: string,
  scanId: number,
): Promise<{ ms: number; count: number }> => {
  const t0 = performance.now();
  const digests = await buildDigests(db, workspaceId, scanId, parseDigestSettings({}), builtInRules);
  for (const d of digests) renderDigest(d, { scanId, sandbox: false });
  return { ms: performance.now() - t0, count: digests.length };
};

// ---- the figures

const goals = { memoryBytes: 500 * 2 ** 20 };
const goalFor = (size: number): string =>
  size <= 100_000 ? 'goal ≤ 3 s at 100,000' : size <= 300_000 ? 'goal ≤ 10 s at 300,000' : 'no goal set';

/**
 * One full scan; with `pool`, while another connection asks `SELECT 1` every 5 ms: what a chat
 * request waits for meanwhile (on the embedded store every statement takes turns on one PostgreSQL).
 */
/**
 * CPU seconds used so far by this process and by the database: on PostgreSQL the bench
 * database's backends and the server's own processes, embedded the child process it runs in
 * (on a machine this noisy, CPU time is what compares two versions, not wall time). Zero for the
 * database when it is not local or /proc cannot be read.
 */
const cpuSeconds = (): { app: number; db: number } => {
  const u = process.cpuUsage();
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const f = stat.slice(close + 2).split(' ');
        // Embedded: the database is a child process of this one (src/store/embedded-host.ts).
        if (Number(f[1]) === process.pid) {
          ticks += Number(f[11]) + Number(f[12]);
          continue;
        }
        if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
        // The bench database's backends and the server's own processes (WAL writer,
        // checkpointer), not the backends of other databases (a test run beside the bench).
        const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (/\d+\.\d+\.\d+\.\d+\(|\[local\]/.test(title) && !title.includes('da_bench_')) continue;
        ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    // No /proc here.
  }
  return { app: (u.user + u.system) / 1e6, db: ticks / 100 };
};

const scanOnce = async (deps: ScanDeps, startedBy: string, pool?: Store['pool']) => {
  const probes: number[] = [];
  let scanning = Boolean(pool);
  const probe = (async () => {
    while (scanning && pool) {
      const t = performance.now();
      await pool.query('SELECT 1');
      probes.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  let evaluatedAt = 0;
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  try {
    const summary: ScanSummary = await runScan(
      { ...deps, onProgress: () => void (evaluatedAt = performance.now()) },
      { workspaceId, category: 'all', startedBy },
    );
    const total = performance.now() - t0;
    const cpu1 = cpuSeconds();
    // The last batch's progress ends the evaluation; the rest is the merge into findings.
    return {
      summary,
      total,
      batches: evaluatedAt - t0,
      merge: performance.now() - evaluatedAt,
      probe: summarize(probes),
      cpu: `CPU ${(cpu1.app - cpu0.app).toFixed(2)} s app + ${(cpu1.db - cpu0.db).toFixed(2)} s database`,
    };
  } finally {
    scanning = false;
    await probe;
  }
};

const tallyOf = (summary: ScanSummary) =>
  Object.values(summary.tally).reduce(
    (a, t) => ({ pass: a.pass + t.pass, fail: a.fail + t.fail, manual: a.manual + t.manual, error: a.error + t.error }),
    { pass: 0, fail: 0, manual: 0, error: 0 },
  );

export const benchScanSize = async (size: number): Promise<void> => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-scans-'));
  const database = await benchDatabase();
  const store = await openStore({ databaseUrl: database.url, dataDir, poolMax: 10, logger: createLogger('silent') });
  try {
    const load = await loadEstate(store.db, size, store.embedded);
    const mix = [...load.byType.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([t, c]) => `${t} ${((100 * c) / load.resources).toFixed(0)} %`)
      .join(', ');
    console.log(
      `   ${n(size)}${size >= skewedFrom ? ' (skewed)' : ''}: stored ${n(load.resources)} resources and ${n(load.metrics)} daily metric rows in ${s(load.ms)} (collection: what a sync and the metrics job pay, never a scan)`,
    );
    console.log(`      largest types: ${mix}`);
    const deps: ScanDeps = {
      db: store.db,
      rules: builtInRules,
      thresholds: loadThresholds(builtInRules, {}),
      // The estate's clock, the same for every scan: a clock moving with the run made a snapshot
      // dated 90 days and a second old fail the 90-day rule in the second scan only ("new 1" in a
      // steady state that must make none).
      now: () => now,
      runner: 'bench',
      logger: createLogger('silent'),
      // BENCH_SCAN_BATCH: resources per batch (the engine's default unless set).
      ...(process.env.BENCH_SCAN_BATCH ? { batchSize: Number(process.env.BENCH_SCAN_BATCH) } : {}),
      // As the app scans: on the embedded store the scan tables vacuumed after each scan; on
      // PostgreSQL the findings written in one transaction as the scan goes.
      vacuum: store.embedded,
      direct: !store.embedded,
    };
    const peakReset = resetPeak();
    const first = await scanOnce(deps, 'bench (first)');
    const rss = process.memoryUsage().rss;
    const heap = process.memoryUsage().heapUsed;
    const peak = statusBytes('VmHWM');
    const t = tallyOf(first.summary);
    const judged = t.pass + t.fail + t.manual + t.error;
    console.log(
      `      first scan: ${s(first.total)} (${goalFor(size)}) = read + evaluate + stage ${s(first.batches)}, end ${s(first.merge)}; ${n(Math.round(first.summary.evaluated / (first.total / 1000)))} resources/s; ${first.cpu}`,
    );
    console.log(
      `      ${n(first.summary.evaluated)} resources, ${n(judged)} rule evaluations: fail ${n(t.fail)} (${((100 * t.fail) / judged).toFixed(0)} %), manual ${n(t.manual)}, error ${n(t.error)}; ${n(first.summary.newFindings)} new findings, ${n(first.summary.openFindings)} open, saving $${n(Math.round(first.summary.openSavingCents / 100))}/month`,
    );
    const idle = Object.entries(first.summary.tally)
      .filter(([, r]) => r.pass + r.fail + r.manual + r.error === 0)
      .map(([id]) => id);
    const neverFailed = Object.entries(first.summary.tally)
      .filter(([, r]) => r.pass + r.fail + r.manual + r.error > 0 && r.fail === 0)
      .map(([id]) => id);
    console.log(
      `      rules with nothing to judge: ${idle.join(', ') || 'none'}; rules that judged but never failed: ${neverFailed.join(', ') || 'none'}`,
    );
    console.log(
      `      memory after the scan: RSS ${mb(rss)}, V8 heap used ${mb(heap)}; peak RSS ${peakReset ? 'during the scan' : 'of the process (the peak could not be reset)'} ${mb(peak)} (goal ≤ ${mb(goals.memoryBytes)} RSS${store.embedded ? '; embedded PostgreSQL runs in its own process, not counted here' : ''})`,
    );
    resetPeak();
    const second = await scanOnce(deps, 'bench (steady state)');
    console.log(
      `      second scan (steady state, every finding already open): ${s(second.total)} = read + evaluate + stage ${s(second.batches)}, end ${s(second.merge)}; ${second.cpu}; new ${n(second.summary.newFindings)}, resolved ${n(second.summary.resolvedFindings)} (expected 0 and 0); peak RSS ${mb(statusBytes('VmHWM'))}`,
    );
    // A third, probed apart so the probe's queries do not weigh on the two timings above.
    const probed = await scanOnce(deps, 'bench (probed)', store.pool);
    console.log(
      `      a "SELECT 1" on another connection every 5 ms during a third scan (what a chat turn waits for): p50 ${ms(probed.probe.p50)}  p99 ${ms(probed.probe.p99)}  max ${ms(probed.probe.max)} (that scan: ${s(probed.total)})`,
    );
    const digests = await timeDigests(store.db, workspaceId, probed.summary.scanId);
    console.log(`      digests of every owner built and rendered: ${ms(digests.ms)} (${n(digests.count)} owners)`);
  } finally {
    await store.close();
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
};

/** The published figures of the tools issue 15 compares with (docs: /work/shared/notes/scan-rules.md). */
export const printReferences = (): void => {
  console.log('   Published figures of other scanners (they collect inside every scan; we report collection apart):');
  console.log('   - Prowler CLI: 47,000 resources in 16 min on 8 vCPU / 32 GB, collection included (prowler#7584);');
  console.log('     285,070 CloudWatch log groups estimated at ~5 days (prowler#2458)');
  console.log(
    '   - Steampipe/Powerpipe: the 240 s per-query timeout exceeded at 11k ECS task definitions or 26k log streams',
  );
  console.log('     (turbot/steampipe-mod-aws-compliance#819, turbot/steampipe-mod-aws-thrifty#122)');
  console.log(
    '   - ScoutSuite: one Azure tenant took 1.5 days and wrote a 2.05 GB result file (nccgroup/ScoutSuite#851)',
  );
  console.log('   - Cloud Custodian c7n-org: 2.7–12 s per account × region × policy (cloud-custodian#4876)');
};

export const scanSizes = (env: Record<string, string | undefined> = process.env): number[] =>
  (env.BENCH_SCAN_SIZES ?? '10000,100000,300000')
    .split(',')
    .map((x) => Number(x.trim().replaceAll('_', '')))
    .filter((x) => Number.isInteger(x) && x > 0);

export const benchScans = async (opts: { sizes: number[] }): Promise<void> => {
  printReferences();
  console.log(
    `   rules: ${builtInRules.length} shipped, default thresholds, batch size default; RSS before the first load ${mb(process.memoryUsage().rss)}`,
  );
  for (const size of opts.sizes) await benchScanSize(size);
};

if (import.meta.main) {
  const command = [
    ...(process.env.BENCH_SCAN_SIZES ? [`BENCH_SCAN_SIZES=${process.env.BENCH_SCAN_SIZES}`] : []),
    ...(process.env.DATABASE_URL ? ['DATABASE_URL=…'] : []),
    'node',
    ...process.execArgv,
    path.relative(process.cwd(), process.argv[1] ?? 'bench/scans.ts'),
  ].join(' ');
  console.log(
    `Scan benchmarks — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores, database: ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}`,
  );
  console.log(`   command: ${command}`);
  await benchScans({ sizes: scanSizes() });
}
