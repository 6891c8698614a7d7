import type { Instance, IpPermission, SecurityGroup, Snapshot, Tag, Volume } from '@aws-sdk/client-ec2';
import { environmentFromTags } from '../resource.ts';
import type { Resource } from '../resource.ts';
import { monthlyCents } from '../pricing/index.ts';

/**
 * EC2 shapes → normalized Resources. Times inside `attributes` are ISO strings because they are
 * stored as JSON. Compute is billed only while an instance runs (or is starting); its disks are
 * separate volume resources.
 */

/** The sandbox's stand-in for CloudWatch's 7-day CPU average; only honoured in sandbox mode. */
export const sandboxCpuTag = 'sandbox:cpu-avg-7d';

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

export const instanceResource = (i: Instance, ctx: NormalizeContext): Resource => {
  const tags = tagsOf(i.Tags);
  const state = i.State?.Name ?? 'unknown';
  const instanceType = i.InstanceType ?? 'unknown';
  const price = monthlyCents('aws', 'instance', instanceType, ctx.region);
  const cpu = ctx.sandbox ? Number.parseFloat(tags[sandboxCpuTag] ?? '') : Number.NaN;
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
      ...(Number.isFinite(cpu) ? { cpuAvg7d: cpu } : {}),
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
      availabilityZone: v.AvailabilityZone ?? null,
      createTime: v.CreateTime?.toISOString() ?? null,
      encrypted: v.Encrypted ?? false,
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
