import { createHash } from 'node:crypto';
import { seedEcs } from './ecs-fleet.ts';
import type {
  IngressRule,
  InstanceStateName,
  SandboxAddress,
  SandboxFleet,
  SandboxFlowLog,
  SandboxInstance,
  SandboxLoadBalancer,
  SandboxNatGateway,
  SandboxRole,
  SandboxSecurityGroup,
  SandboxSnapshot,
  SandboxTargetGroup,
  SandboxVolume,
  SandboxVpc,
} from './model.ts';

/**
 * The seeded demo fleet: two AWS accounts in two regions, dev/staging/prod, with the waste and
 * risk the scans should find (idle dev instances, an unattached volume, a snapshot over a year
 * old, SSH open to the world, an unassociated Elastic IP, a load balancer with no healthy target,
 * a VPC without flow logs), and checkout on ECS Fargate as a blue/green pair (./ecs-fleet.ts). Ids are hashes of names, times are offsets from `now`: the same `now`
 * always gives the same fleet. The second account is reached through an STS role, as a real
 * multi-account setup is.
 */
export const sandboxAccount = '123456789012';
/** The second account: a small shared-services fleet behind the role below. */
export const sandboxSecondAccount = '210987654321';
export const sandboxSecondRoleArn = `arn:aws:iam::${sandboxSecondAccount}:role/DevOpsAgentRead`;
/** Roles the sandbox's STS lets any caller assume. */
export const sandboxRoles: SandboxRole[] = [{ arn: sandboxSecondRoleArn }];
/** Account id AWS uses for the public snapshots it shares; `Owner=self` must not return them. */
export const amazonAccount = '137112412989';
export const sandboxRegions = ['us-east-1', 'eu-west-1'];

const hex = (seed: string, length: number): string => createHash('sha256').update(seed).digest('hex').slice(0, length);
export const sandboxId = (prefix: string, seed: string): string => `${prefix}-0${hex(`${prefix}:${seed}`, 16)}`;

const day = 86_400_000;
const ago = (now: Date, days: number): Date => new Date(now.getTime() - Math.round(days * day));

const vpcOf = (region: string): string => sandboxId('vpc', region);
const subnetOf = (az: string): string => sandboxId('subnet', az);
const sgId = (region: string, name: string): string => sandboxId('sg', `${region}/${name}`);

// name, env, team, service, type, state, cpu avg 7d (%), security group, launched days ago
type InstanceRow = [string, string, string, string, string, InstanceStateName, number, string, number];
const instanceRows: Record<string, InstanceRow[]> = {
  'us-east-1': [
    ['web-prod-1', 'prod', 'web', 'web', 'm5.large', 'running', 38, 'web-prod', 41],
    ['web-prod-2', 'prod', 'web', 'web', 'm5.large', 'running', 41, 'web-prod', 41],
    ['api-prod-1', 'prod', 'platform', 'api', 'c5.xlarge', 'running', 55, 'api-prod', 63],
    ['api-prod-2', 'prod', 'platform', 'api', 'c5.xlarge', 'running', 52, 'api-prod', 63],
    ['worker-prod-1', 'prod', 'data', 'worker', 'c5.large', 'running', 67, 'api-prod', 20],
    ['db-prod-1', 'prod', 'data', 'db', 'r5.xlarge', 'running', 34, 'db-prod', 210],
    ['bastion-prod', 'prod', 'platform', 'bastion', 't3.micro', 'running', 3, 'bastion-prod', 300],
    ['web-staging-1', 'staging', 'web', 'web', 't3.medium', 'running', 22, 'web-prod', 12],
    ['api-staging-1', 'staging', 'platform', 'api', 't3.medium', 'running', 18, 'api-prod', 12],
    ['worker-staging-1', 'staging', 'data', 'worker', 't3.large', 'stopped', 0, 'api-prod', 90],
    ['db-staging-1', 'staging', 'data', 'db', 'r5.large', 'running', 9, 'db-prod', 150],
  ],
  'eu-west-1': [
    ['web-prod-eu-1', 'prod', 'web', 'web', 'm5.large', 'running', 44, 'web-eu', 33],
    ['api-prod-eu-1', 'prod', 'platform', 'api', 'c5.large', 'running', 47, 'web-eu', 33],
    ['web-dev-1', 'dev', 'web', 'web', 't3.medium', 'running', 1.2, 'dev-ssh-open', 75],
    ['api-dev-1', 'dev', 'platform', 'api', 't3.large', 'running', 0.8, 'dev-ssh-open', 75],
    ['worker-dev-1', 'dev', 'data', 'worker', 't3.small', 'stopped', 0, 'dev-ssh-open', 120],
    ['db-dev-1', 'dev', 'data', 'db', 't3.medium', 'running', 14, 'dev-ssh-open', 120],
    ['ml-dev-1', 'dev', 'data', 'ml', 'm5.2xlarge', 'running', 2.1, 'dev-ssh-open', 58],
    ['bastion-dev', 'dev', 'platform', 'bastion', 't3.micro', 'running', 6, 'dev-ssh-open', 200],
  ],
};

const tcp = (port: number, cidrs: string[], ipv6Cidrs: string[] = []): IngressRule => ({
  protocol: 'tcp',
  fromPort: port,
  toPort: port,
  cidrs,
  ipv6Cidrs,
});
// name, env, team, description, ingress
type GroupRow = [string, string | undefined, string | undefined, string, IngressRule[]];
const groupRows: Record<string, GroupRow[]> = {
  'us-east-1': [
    ['default', undefined, undefined, 'default VPC security group', []],
    [
      'web-prod',
      'prod',
      'web',
      'Public HTTP(S) for the web tier',
      [tcp(80, ['0.0.0.0/0']), tcp(443, ['0.0.0.0/0'], ['::/0'])],
    ],
    ['api-prod', 'prod', 'platform', 'API and workers, VPC only', [tcp(443, ['10.0.0.0/16'])]],
    ['db-prod', 'prod', 'data', 'PostgreSQL from the VPC', [tcp(5432, ['10.0.0.0/16'])]],
    ['bastion-prod', 'prod', 'platform', 'SSH from the office range', [tcp(22, ['203.0.113.0/24'])]],
  ],
  'eu-west-1': [
    ['default', undefined, undefined, 'default VPC security group', []],
    ['web-eu', 'prod', 'web', 'Public HTTP(S) for the EU web tier', [tcp(443, ['0.0.0.0/0'])]],
    [
      'dev-ssh-open',
      'dev',
      'platform',
      'Dev boxes; SSH opened for a quick test',
      [tcp(22, ['0.0.0.0/0'], ['::/0']), { protocol: '-1', cidrs: ['10.1.0.0/16'], ipv6Cidrs: [] }],
    ],
  ],
};

// name, region, attached to (instance name), size GB, type, created days ago, env, team, service
type VolumeRow = [string, string, string | undefined, number, string, number, string, string, string];
const volumeRows: VolumeRow[] = [
  ['db-prod-1-data', 'us-east-1', 'db-prod-1', 500, 'gp3', 210, 'prod', 'data', 'db'],
  ['worker-prod-1-scratch', 'us-east-1', 'worker-prod-1', 200, 'st1', 20, 'prod', 'data', 'worker'],
  ['db-staging-1-data', 'us-east-1', 'db-staging-1', 200, 'gp3', 150, 'staging', 'data', 'db'],
  ['db-dev-1-data', 'eu-west-1', 'db-dev-1', 100, 'gp2', 120, 'dev', 'data', 'db'],
  ['ml-dev-1-data', 'eu-west-1', 'ml-dev-1', 250, 'gp3', 58, 'dev', 'data', 'ml'],
  ['old-migration-data', 'eu-west-1', undefined, 250, 'gp2', 240, 'dev', 'data', 'db'],
];

// name, region, from volume name, size GB, started days ago, env
type SnapshotRow = [string, string, string, number, number, string];
const snapshotRows: SnapshotRow[] = [
  ['db-prod-1-nightly', 'us-east-1', 'db-prod-1-data', 500, 1, 'prod'],
  ['db-prod-1-weekly', 'us-east-1', 'db-prod-1-data', 500, 6, 'prod'],
  ['db-staging-1-pre-upgrade', 'us-east-1', 'db-staging-1-data', 200, 30, 'staging'],
  ['db-dev-1-baseline', 'eu-west-1', 'db-dev-1-data', 100, 45, 'dev'],
  ['legacy-db-backup', 'us-east-1', 'legacy-db-data', 300, 500, 'prod'],
];

const buildInstances = (now: Date, rowsByRegion: Record<string, InstanceRow[]>, seed = ''): SandboxInstance[] =>
  Object.entries(rowsByRegion).flatMap(([region, rows], r) =>
    rows.map(([name, env, team, service, type, state, cpu, group, launched], i): SandboxInstance => {
      const availabilityZone = `${region}${i % 2 === 0 ? 'a' : 'b'}`;
      const publicFacing = service === 'web' || service === 'bastion';
      return {
        id: sandboxId('i', `${seed}${region}/${name}`),
        region,
        availabilityZone,
        instanceType: type,
        state,
        launchTime: ago(now, launched),
        imageId: sandboxId('ami', `${region}/al2023`),
        vpcId: vpcOf(seed + region),
        subnetId: subnetOf(seed + availabilityZone),
        privateIp: `10.${r}.${1 + (i % 2)}.${10 + i}`,
        ...(publicFacing && state === 'running' ? { publicIp: `198.51.100.${10 + r * 20 + i}` } : {}),
        securityGroupIds: [sgId(seed + region, group)],
        keyName: `${env}-key`,
        usage: { cpuPercent: cpu },
        tags: { Name: name, env, team, service },
      };
    }),
  );

const buildGroups = (rowsByRegion: Record<string, GroupRow[]>, account: string, seed = ''): SandboxSecurityGroup[] =>
  Object.entries(rowsByRegion).flatMap(([region, rows]) =>
    rows.map(([name, env, team, description, ingress]): SandboxSecurityGroup => ({
      id: sgId(seed + region, name),
      region,
      ownerId: account,
      name,
      description,
      vpcId: vpcOf(seed + region),
      ingress,
      tags: env && team ? { Name: name, env, team } : {},
    })),
  );

const buildVolumes = (now: Date, instances: SandboxInstance[], rows: VolumeRow[], seed = ''): SandboxVolume[] =>
  rows.map(([name, region, attachedTo, sizeGb, volumeType, created, env, team, service]): SandboxVolume => {
    const instance = instances.find((x) => x.tags.Name === attachedTo);
    return {
      id: sandboxId('vol', `${seed}${region}/${name}`),
      region,
      availabilityZone: instance?.availabilityZone ?? `${region}a`,
      sizeGb,
      volumeType,
      createTime: ago(now, created),
      encrypted: env === 'prod',
      ...(instance
        ? { attachment: { instanceId: instance.id, device: '/dev/sdf', attachTime: ago(now, created) } }
        : {}),
      tags: { Name: name, env, team, service },
    };
  });

const buildSnapshots = (now: Date): SandboxSnapshot[] => [
  ...snapshotRows.map(([name, region, volume, sizeGb, started, env]): SandboxSnapshot => ({
    id: sandboxId('snap', `${region}/${name}`),
    region,
    ownerId: sandboxAccount,
    volumeId: sandboxId('vol', `${region}/${volume}`),
    sizeGb,
    startTime: ago(now, started),
    description: `${name} (${volume})`,
    encrypted: env === 'prod',
    tags: { Name: name, env, team: 'data', service: 'db' },
  })),
  ...sandboxRegions.map((region): SandboxSnapshot => ({
    id: sandboxId('snap', `${region}/amazon-public`),
    region,
    ownerId: amazonAccount,
    ownerAlias: 'amazon',
    volumeId: 'vol-ffffffff',
    sizeGb: 8,
    startTime: ago(now, 90),
    description: 'Amazon Linux 2023 AMI public snapshot',
    encrypted: false,
    tags: {},
  })),
];

// name, region, cidr, default VPC, flow logs to CloudWatch Logs
type VpcRow = [string, string, string, boolean, boolean];
const vpcRows: VpcRow[] = [
  ['main', 'us-east-1', '10.0.0.0/16', true, true],
  // Planted: no flow logs, so nobody can say what talked to what.
  ['main', 'eu-west-1', '10.1.0.0/16', true, false],
];

const buildVpcs = (now: Date, rows: VpcRow[], seed = ''): { vpcs: SandboxVpc[]; flowLogs: SandboxFlowLog[] } => ({
  vpcs: rows.map(([name, region, cidr, isDefault]) => ({
    id: vpcOf(seed + region),
    region,
    cidr,
    isDefault,
    tags: { Name: `${name}-${region}` },
  })),
  flowLogs: rows
    .filter((r) => r[4])
    .map(([name, region]) => ({
      id: sandboxId('fl', `${seed}${region}/${name}`),
      region,
      resourceId: vpcOf(seed + region),
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logGroupName: `/vpc/flow-logs/${name}-${region}`,
      createTime: ago(now, 300),
    })),
});

// name, region, associated instance name (none: idle), env
type AddressRow = [string, string, string | undefined, string];
const addressRows: AddressRow[] = [
  ['bastion-prod-ip', 'us-east-1', 'bastion-prod', 'prod'],
  // Planted: allocated for a demo, never released, billed every hour.
  ['old-demo-ip', 'eu-west-1', undefined, 'dev'],
];

const buildAddresses = (rows: AddressRow[], instances: SandboxInstance[], seed = ''): SandboxAddress[] =>
  rows.map(([name, region, attachedTo, env], n): SandboxAddress => {
    const instance = instances.find((x) => x.tags.Name === attachedTo && x.region === region);
    const allocationId = sandboxId('eipalloc', `${seed}${region}/${name}`);
    return {
      allocationId,
      region,
      publicIp: instance?.publicIp ?? `203.0.113.${100 + n}`,
      ...(instance
        ? { instanceId: instance.id, associationId: sandboxId('eipassoc', allocationId), privateIp: instance.privateIp }
        : {}),
      tags: { Name: name, env },
    };
  });

const buildNatGateways = (now: Date, regions: string[], seed = ''): SandboxNatGateway[] =>
  regions.map((region, n) => ({
    id: sandboxId('nat', `${seed}${region}/nat-a`),
    region,
    vpcId: vpcOf(seed + region),
    subnetId: subnetOf(`${seed}${region}a`),
    state: 'available',
    allocationId: sandboxId('eipalloc', `${seed}${region}/nat-a`),
    publicIp: `198.51.100.${200 + n}`,
    privateIp: `10.${n}.0.5`,
    createTime: ago(now, 400),
    tags: { Name: `nat-${region}-a`, env: 'prod', team: 'platform' },
  }));

// name, region, type, scheme, listener port/protocol, targets (instance names; a stopped one is unused), env
type BalancerRow = [
  string,
  string,
  'application' | 'network',
  'internet-facing' | 'internal',
  number,
  string,
  string[],
  string,
];
const balancerRows: BalancerRow[] = [
  ['web-prod-alb', 'us-east-1', 'application', 'internet-facing', 443, 'HTTPS', ['web-prod-1', 'web-prod-2'], 'prod'],
  ['api-prod-nlb', 'us-east-1', 'network', 'internal', 443, 'TCP', ['api-prod-1', 'api-prod-2'], 'prod'],
  // Planted: its only target is stopped, so it serves nothing and is billed every hour.
  ['legacy-dev-alb', 'eu-west-1', 'application', 'internet-facing', 80, 'HTTP', ['worker-dev-1'], 'dev'],
];

const buildBalancers = (
  now: Date,
  rows: BalancerRow[],
  instances: SandboxInstance[],
  account: string,
  seed = '',
): { loadBalancers: SandboxLoadBalancer[]; targetGroups: SandboxTargetGroup[] } => {
  const loadBalancers: SandboxLoadBalancer[] = [];
  const targetGroups: SandboxTargetGroup[] = [];
  for (const [name, region, type, scheme, port, protocol, targetNames, env] of rows) {
    const short = type === 'application' ? 'app' : 'net';
    const arn = `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/${short}/${name}/${hex(`${seed}lb:${name}`, 16)}`;
    const tgName = `${name.replace(/-(alb|nlb)$/, '')}-tg`;
    const tgArn = `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${tgName}/${hex(`${seed}tg:${tgName}`, 16)}`;
    const targets = targetNames.map((t) => instances.find((i) => i.tags.Name === t && i.region === region)!);
    loadBalancers.push({
      arn,
      name,
      region,
      type,
      scheme,
      vpcId: vpcOf(seed + region),
      createdTime: ago(now, 180),
      availabilityZones: [`${region}a`, `${region}b`],
      subnets: Object.fromEntries([`${region}a`, `${region}b`].map((az) => [az, subnetOf(seed + az)])),
      securityGroupIds: type === 'application' ? [sgId(seed + region, 'default')] : [],
      listeners: [
        {
          arn: arn.replace(':loadbalancer/', ':listener/') + `/${hex(`${seed}listener:${name}:${port}`, 16)}`,
          port,
          protocol,
          targetGroupArn: tgArn,
        },
      ],
      tags: { Name: name, env },
    });
    targetGroups.push({
      arn: tgArn,
      name: tgName,
      region,
      protocol: type === 'application' ? 'HTTP' : 'TCP',
      port: type === 'application' ? 80 : port,
      vpcId: vpcOf(seed + region),
      loadBalancerArns: [arn],
      tags: { Name: tgName, env },
      targets: targets.map((i) =>
        i.state === 'running'
          ? { id: i.id, port: type === 'application' ? 80 : port, health: 'healthy' as const }
          : {
              id: i.id,
              port: type === 'application' ? 80 : port,
              health: 'unused' as const,
              reason: 'Target.InvalidState',
            },
      ),
    });
  }
  return { loadBalancers, targetGroups };
};

/** A fresh, independent demo fleet of the main account (each sandbox gets its own copy). */
export const seedFleet = (now: Date): SandboxFleet => {
  const instances = buildInstances(now, instanceRows);
  const balancers = buildBalancers(now, balancerRows, instances, sandboxAccount);
  const ecs = seedEcs(now, sandboxAccount);
  return {
    account: sandboxAccount,
    regions: [...sandboxRegions],
    instances,
    volumes: buildVolumes(now, instances, volumeRows),
    snapshots: buildSnapshots(now),
    securityGroups: buildGroups(groupRows, sandboxAccount),
    addresses: buildAddresses(addressRows, instances),
    natGateways: buildNatGateways(now, ['us-east-1']),
    ...buildVpcs(now, vpcRows),
    loadBalancers: [...balancers.loadBalancers, ...ecs.loadBalancers],
    targetGroups: [...balancers.targetGroups, ...ecs.targetGroups],
    ecs: ecs.ecs,
  };
};

const secondSeed = `${sandboxSecondAccount}/`;
const secondInstanceRows: Record<string, InstanceRow[]> = {
  'us-east-1': [
    ['ci-runner-1', 'prod', 'platform', 'ci', 'c5.large', 'running', 61, 'ci-runners', 30],
    ['ci-runner-2', 'prod', 'platform', 'ci', 'c5.large', 'running', 58, 'ci-runners', 30],
    ['grafana-1', 'prod', 'platform', 'monitoring', 't3.medium', 'running', 24, 'ci-runners', 160],
    ['sandbox-dev-1', 'dev', 'platform', 'ci', 't3.large', 'running', 1.5, 'ci-runners', 90],
  ],
};
const secondGroupRows: Record<string, GroupRow[]> = {
  'us-east-1': [
    ['default', undefined, undefined, 'default VPC security group', []],
    ['ci-runners', 'prod', 'platform', 'CI runners, VPC only', [tcp(443, ['10.20.0.0/16'])]],
  ],
};

/** The second account's fleet (shared services: CI runners and monitoring, in us-east-1). */
export const seedSecondFleet = (now: Date): SandboxFleet => {
  const instances = buildInstances(now, secondInstanceRows, secondSeed);
  return {
    account: sandboxSecondAccount,
    regions: [...sandboxRegions],
    instances,
    volumes: buildVolumes(
      now,
      instances,
      [
        ['grafana-1-data', 'us-east-1', 'grafana-1', 100, 'gp3', 160, 'prod', 'platform', 'monitoring'],
        ['ci-cache-old', 'us-east-1', undefined, 300, 'gp3', 200, 'dev', 'platform', 'ci'],
      ],
      secondSeed,
    ),
    snapshots: [],
    securityGroups: buildGroups(secondGroupRows, sandboxSecondAccount, secondSeed),
    addresses: [],
    natGateways: [],
    ...buildVpcs(now, [['shared', 'us-east-1', '10.20.0.0/16', false, true]], secondSeed),
    loadBalancers: [],
    targetGroups: [],
  };
};

/**
 * The accounts the app inventories in sandbox mode (AwsProvider `accounts`): the caller's own
 * account, found through STS GetCallerIdentity, and the second one through its role.
 */
export const sandboxAwsAccounts = [
  { name: 'sandbox', regions: [...sandboxRegions] },
  { name: 'sandbox-shared', roleArn: sandboxSecondRoleArn, regions: [...sandboxRegions] },
];
