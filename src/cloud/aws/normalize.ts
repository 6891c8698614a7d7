import type {
  Address,
  FlowLog,
  Instance,
  IpPermission,
  NatGateway,
  SecurityGroup,
  Snapshot,
  Tag,
  Volume,
  Vpc,
} from '@aws-sdk/client-ec2';
import type {
  Listener,
  LoadBalancer,
  TargetGroup,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { environmentFromTags } from '../resource.ts';
import type { Resource } from '../resource.ts';
import { monthlyCents } from '../pricing/index.ts';

/**
 * EC2 shapes → normalized Resources. Times inside `attributes` are ISO strings because they are
 * stored as JSON. Compute is billed only while an instance runs (or is starting); its disks are
 * separate volume resources.
 */

export interface NormalizeContext {
  account: string;
  region: string;
  seenAt: Date;
  sandbox: boolean;
}

export const tagsOf = (tags: Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));

const base = (ctx: NormalizeContext, tags: Record<string, string>) => ({
  provider: 'aws' as const,
  account: ctx.account,
  region: ctx.region,
  tags,
  environment: environmentFromTags(tags),
  seenAt: ctx.seenAt,
});

const billedStates = new Set(['running', 'pending']);

/**
 * `statusChecks`: EC2's instance status check summary (`ok`, `impaired`, `initializing`,
 * `insufficient-data`) from DescribeInstanceStatus, null when EC2 runs none (not running).
 */
export const instanceResource = (i: Instance, ctx: NormalizeContext, statusChecks?: string): Resource => {
  const tags = tagsOf(i.Tags);
  const state = i.State?.Name ?? 'unknown';
  const instanceType = i.InstanceType ?? 'unknown';
  const price = monthlyCents('aws', 'instance', instanceType, ctx.region);
  return {
    ...base(ctx, tags),
    type: 'instance',
    id: i.InstanceId ?? '',
    name: tags.Name || (i.InstanceId ?? ''),
    state,
    monthlyCostCents: billedStates.has(state) ? (price ?? 0) : 0,
    attributes: {
      instanceType,
      launchTime: i.LaunchTime?.toISOString() ?? null,
      privateIp: i.PrivateIpAddress ?? null,
      publicIp: i.PublicIpAddress ?? null,
      availabilityZone: i.Placement?.AvailabilityZone ?? null,
      securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId).filter(Boolean),
      vpcId: i.VpcId ?? null,
      statusChecks: statusChecks ?? null,
      // Instance metadata service: HttpTokens `required` is IMDSv2 only; an endpoint `disabled` has none.
      httpTokens: i.MetadataOptions?.HttpTokens ?? null,
      metadataEndpoint: i.MetadataOptions?.HttpEndpoint ?? null,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

export const volumeResource = (v: Volume, ctx: NormalizeContext): Resource => {
  const tags = tagsOf(v.Tags);
  const sizeGb = v.Size ?? 0;
  const volumeType = v.VolumeType ?? 'unknown';
  const price = monthlyCents('aws', 'disk', volumeType, ctx.region, sizeGb);
  return {
    ...base(ctx, tags),
    type: 'volume',
    id: v.VolumeId ?? '',
    name: tags.Name || (v.VolumeId ?? ''),
    state: v.State ?? 'unknown',
    monthlyCostCents: price ?? 0,
    attributes: {
      sizeGb,
      volumeType,
      attachedTo: v.Attachments?.[0]?.InstanceId ?? null,
      attachments: (v.Attachments ?? []).map((a) => ({
        instanceId: a.InstanceId ?? null,
        device: a.Device ?? null,
        state: a.State ?? null,
        deleteOnTermination: a.DeleteOnTermination ?? false,
      })),
      availabilityZone: v.AvailabilityZone ?? null,
      createTime: v.CreateTime?.toISOString() ?? null,
      iops: v.Iops ?? null,
      throughput: v.Throughput ?? null,
      encrypted: v.Encrypted ?? false,
      kmsKeyId: v.KmsKeyId ?? null,
      snapshotId: v.SnapshotId || null,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

export const snapshotResource = (s: Snapshot, ctx: NormalizeContext): Resource => {
  const tags = tagsOf(s.Tags);
  const sizeGb = s.VolumeSize ?? 0;
  const price = monthlyCents('aws', 'snapshot', 'standard', ctx.region, sizeGb);
  return {
    ...base(ctx, tags),
    type: 'snapshot',
    id: s.SnapshotId ?? '',
    name: tags.Name || (s.SnapshotId ?? ''),
    state: s.State ?? 'unknown',
    monthlyCostCents: price ?? 0,
    attributes: {
      sizeGb,
      startTime: s.StartTime?.toISOString() ?? null,
      volumeId: s.VolumeId ?? null,
      description: s.Description ?? '',
      encrypted: s.Encrypted ?? false,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

/** One ingress rule; protocol `-1` (all traffic) becomes `all` over every port, so scans need no EC2 lore. */
export const ingressRule = (p: IpPermission) => {
  const all = p.IpProtocol === '-1';
  return {
    protocol: all ? 'all' : (p.IpProtocol ?? 'unknown'),
    fromPort: all ? 0 : (p.FromPort ?? 0),
    toPort: all ? 65535 : (p.ToPort ?? 65535),
    cidrs: [...(p.IpRanges ?? []).map((r) => r.CidrIp), ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)].filter(
      (c): c is string => Boolean(c),
    ),
  };
};

export const securityGroupResource = (g: SecurityGroup, ctx: NormalizeContext): Resource => {
  const tags = tagsOf(g.Tags);
  return {
    ...base(ctx, tags),
    type: 'security_group',
    id: g.GroupId ?? '',
    name: g.GroupName || tags.Name || (g.GroupId ?? ''),
    state: 'active',
    monthlyCostCents: 0,
    attributes: {
      ingress: (g.IpPermissions ?? []).map(ingressRule),
      vpcId: g.VpcId ?? null,
      description: g.Description ?? '',
    },
  };
};

/**
 * An Elastic IP. Since February 2024 AWS bills every public IPv4 address by the hour, attached or
 * not; an unassociated one (`associatedTo: null`, state `idle`) is pure waste.
 */
export const addressResource = (a: Address, ctx: NormalizeContext): Resource => {
  const tags = tagsOf(a.Tags);
  const associatedTo = a.InstanceId || a.NetworkInterfaceId || null;
  const key = associatedTo ? 'in_use' : 'idle';
  const price = monthlyCents('aws', 'ip_address', key, ctx.region);
  const id = a.AllocationId ?? a.PublicIp ?? '';
  return {
    ...base(ctx, tags),
    type: 'ip_address',
    id,
    name: tags.Name || (a.PublicIp ?? id),
    state: associatedTo ? 'in-use' : 'idle',
    monthlyCostCents: price ?? 0,
    attributes: {
      publicIp: a.PublicIp ?? null,
      associatedTo,
      associationId: a.AssociationId ?? null,
      privateIp: a.PrivateIpAddress ?? null,
      domain: a.Domain ?? null,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

const billedNatStates = new Set(['pending', 'available']);

export const natGatewayResource = (n: NatGateway, ctx: NormalizeContext): Resource => {
  const tags = tagsOf(n.Tags);
  const state = n.State ?? 'unknown';
  const price = monthlyCents('aws', 'nat_gateway', 'standard', ctx.region);
  return {
    ...base(ctx, tags),
    type: 'nat_gateway',
    id: n.NatGatewayId ?? '',
    name: tags.Name || (n.NatGatewayId ?? ''),
    state,
    monthlyCostCents: billedNatStates.has(state) ? (price ?? 0) : 0,
    attributes: {
      vpcId: n.VpcId ?? null,
      subnetId: n.SubnetId ?? null,
      connectivityType: n.ConnectivityType ?? 'public',
      publicIps: (n.NatGatewayAddresses ?? []).map((x) => x.PublicIp).filter((ip): ip is string => Boolean(ip)),
      createTime: n.CreateTime?.toISOString() ?? null,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

/** A VPC with whether any flow log records its traffic (`flowLogsEnabled`). */
export const vpcResource = (v: Vpc, flowLogs: FlowLog[], ctx: NormalizeContext): Resource => {
  const tags = tagsOf(v.Tags);
  const mine = flowLogs.filter((f) => f.ResourceId === v.VpcId);
  return {
    ...base(ctx, tags),
    type: 'vpc',
    id: v.VpcId ?? '',
    name: tags.Name || (v.VpcId ?? ''),
    state: v.State ?? 'unknown',
    monthlyCostCents: 0,
    attributes: {
      cidr: v.CidrBlock ?? null,
      isDefault: v.IsDefault ?? false,
      flowLogsEnabled: mine.some((f) => f.FlowLogStatus === 'ACTIVE'),
      flowLogIds: mine.map((f) => f.FlowLogId).filter(Boolean),
    },
  };
};

export interface TargetGroupHealth {
  group: TargetGroup;
  health: TargetHealthDescription[];
}

/**
 * An ELBv2 load balancer with its listeners and target groups (health counted per group). `idle`:
 * no target group, or not one healthy target: it is billed and serves nothing.
 */
export const loadBalancerResource = (
  lb: LoadBalancer,
  listeners: Listener[],
  groups: TargetGroupHealth[],
  tags: Record<string, string>,
  ctx: NormalizeContext,
): Resource => {
  const lbType = lb.Type ?? 'unknown';
  const state = lb.State?.Code ?? 'unknown';
  const price = monthlyCents('aws', 'load_balancer', lbType, ctx.region);
  const count = (h: TargetHealthDescription[], s: string) => h.filter((d) => d.TargetHealth?.State === s).length;
  const targetGroups = groups.map(({ group, health }) => ({
    arn: group.TargetGroupArn ?? null,
    name: group.TargetGroupName ?? null,
    protocol: group.Protocol ?? null,
    port: group.Port ?? null,
    targets: health.length,
    healthy: count(health, 'healthy'),
    unhealthy: count(health, 'unhealthy'),
    unused: count(health, 'unused'),
  }));
  const healthyTargets = targetGroups.reduce((n, g) => n + g.healthy, 0);
  return {
    ...base(ctx, tags),
    type: 'load_balancer',
    id: lb.LoadBalancerArn ?? '',
    name: lb.LoadBalancerName ?? tags.Name ?? '',
    state,
    monthlyCostCents: state === 'active' || state === 'provisioning' ? (price ?? 0) : 0,
    attributes: {
      lbType,
      scheme: lb.Scheme ?? null,
      dnsName: lb.DNSName ?? null,
      vpcId: lb.VpcId ?? null,
      createdTime: lb.CreatedTime?.toISOString() ?? null,
      listeners: listeners.map((l) => ({
        port: l.Port ?? null,
        protocol: l.Protocol ?? null,
        targetGroupArns: (l.DefaultActions ?? []).map((a) => a.TargetGroupArn).filter(Boolean),
      })),
      targetGroups,
      healthyTargets,
      idle: targetGroups.length === 0 || healthyTargets === 0,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

/**
 * A target group's health as one word, from its targets (draining ones aside): `empty` (no target),
 * `unhealthy` (any failing), `initial` (any still being checked), `healthy` (all passing), `unused`
 * (none in service: no listener forwards to the group, or their instances are stopped), `draining`,
 * or `degraded` (some healthy, some not in service).
 */
export const targetGroupState = (health: TargetHealthDescription[]): string => {
  if (health.length === 0) return 'empty';
  const states = health.map((h) => h.TargetHealth?.State ?? 'unavailable');
  const live = states.filter((s) => s !== 'draining');
  if (live.length === 0) return 'draining';
  if (live.includes('unhealthy')) return 'unhealthy';
  if (live.includes('initial')) return 'initial';
  if (live.every((s) => s === 'healthy')) return 'healthy';
  if (live.every((s) => s === 'unused')) return 'unused';
  return live.includes('healthy') ? 'degraded' : 'unavailable';
};

/** An ELBv2 target group (free of its own), its health summary as its state. */
export const targetGroupResource = (
  g: TargetGroup,
  health: TargetHealthDescription[],
  tags: Record<string, string>,
  ctx: NormalizeContext,
): Resource => {
  const count = (s: string) => health.filter((d) => d.TargetHealth?.State === s).length;
  return {
    ...base(ctx, tags),
    type: 'target_group',
    id: g.TargetGroupArn ?? '',
    name: g.TargetGroupName ?? tags.Name ?? '',
    state: targetGroupState(health),
    monthlyCostCents: 0,
    attributes: {
      arn: g.TargetGroupArn ?? null,
      protocol: g.Protocol ?? null,
      port: g.Port ?? null,
      targetType: g.TargetType ?? null,
      vpcId: g.VpcId ?? null,
      healthCheckPath: g.HealthCheckPath ?? null,
      loadBalancerArns: g.LoadBalancerArns ?? [],
      targets: health.length,
      healthy: count('healthy'),
      unhealthy: count('unhealthy'),
      initial: count('initial'),
      unused: count('unused'),
      draining: count('draining'),
      failing: health
        .filter((d) => d.TargetHealth?.State === 'unhealthy')
        .map((d) => ({ id: d.Target?.Id ?? null, reason: d.TargetHealth?.Reason ?? null })),
    },
  };
};
