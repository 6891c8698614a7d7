import { chosenByIds, instanceIdKind, instancesIn, settleSnapshots, settleTransitions } from './call.ts';
import type { Ec2Call, Ec2Handler } from './call.ts';
import { sandboxId } from './fleet.ts';
import type { SandboxInstance, SandboxSecurityGroup, SandboxSnapshot, SandboxVolume } from './model.ts';
import { Ec2Error, filterAndPage, listParam } from './query.ts';
import type { FilterFields } from './query.ts';
import { instanceXml, itemSet, securityGroupXml, snapshotXml, volumeXml } from './xml.ts';

/** The read-only EC2 actions: Describe* with id lists, filters and paging as EC2 validates them. */

const instanceFields: FilterFields<SandboxInstance> = {
  'instance-id': (i) => [i.id],
  'instance-state-name': (i) => [i.state],
  'instance-type': (i) => [i.instanceType],
  'availability-zone': (i) => [i.availabilityZone],
  'vpc-id': (i) => [i.vpcId],
  'subnet-id': (i) => [i.subnetId],
  'image-id': (i) => [i.imageId],
  'key-name': (i) => [i.keyName],
  'private-ip-address': (i) => [i.privateIp],
  'ip-address': (i) => [i.state === 'running' ? i.publicIp : undefined],
  'instance.group-id': (i) => i.securityGroupIds,
};

const describeInstances: Ec2Handler = (call) => {
  const all = instancesIn(call);
  settleTransitions(call, all, true);
  const chosen = chosenByIds(call.params, 'InstanceId', all, instanceIdKind);
  const { page, nextToken } = filterAndPage(chosen, call.params, instanceFields, {
    action: 'DescribeInstances',
    min: 5,
    max: 1000,
    idParam: 'InstanceId',
  });
  const groups = call.fleet.securityGroups.filter((g) => g.region === call.region);
  // Indexed once per page: a page of 1000 instances must not scan every volume per instance.
  const volumes = new Map<string, SandboxVolume[]>();
  for (const v of call.fleet.volumes)
    if (v.region === call.region && v.attachment)
      volumes.set(v.attachment.instanceId, [...(volumes.get(v.attachment.instanceId) ?? []), v]);
  return {
    // One reservation per instance: what RunInstances with count 1 gives, and paging stays per instance.
    reservationSet: itemSet(
      page.map((i) => ({
        reservationId: sandboxId('r', i.id),
        ownerId: call.fleet.account,
        groupSet: itemSet([]),
        instancesSet: itemSet([instanceXml(i, groups, volumes.get(i.id) ?? [])]),
      })),
    ),
    ...(nextToken ? { nextToken } : {}),
  };
};

const volumeFields: FilterFields<SandboxVolume> = {
  'volume-id': (v) => [v.id],
  status: (v) => [v.attachment ? 'in-use' : 'available'],
  'volume-type': (v) => [v.volumeType],
  size: (v) => [String(v.sizeGb)],
  'availability-zone': (v) => [v.availabilityZone],
  'attachment.instance-id': (v) => [v.attachment?.instanceId],
  'attachment.status': (v) => [v.attachment ? 'attached' : undefined],
  encrypted: (v) => [String(v.encrypted)],
  'snapshot-id': (v) => [v.snapshotId],
};

const describeVolumes: Ec2Handler = (call) => {
  const all = call.fleet.volumes.filter((v) => v.region === call.region);
  const chosen = chosenByIds(call.params, 'VolumeId', all, {
    pattern: /^vol-[0-9a-f]{8,17}$/,
    malformed: 'InvalidVolumeID.Malformed',
    notFound: 'InvalidVolume.NotFound',
    describe: (m) => `The volume '${m.join(', ')}' does not exist.`,
  });
  const { page, nextToken } = filterAndPage(chosen, call.params, volumeFields, {
    action: 'DescribeVolumes',
    min: 5,
    max: 1000,
    idParam: 'VolumeId',
  });
  return { volumeSet: itemSet(page.map((v) => volumeXml(v, call.fleet.account))), ...(nextToken ? { nextToken } : {}) };
};

const snapshotFields: FilterFields<SandboxSnapshot> = {
  'snapshot-id': (s) => [s.id],
  'owner-id': (s) => [s.ownerId],
  'owner-alias': (s) => [s.ownerAlias],
  'volume-id': (s) => [s.volumeId],
  'volume-size': (s) => [String(s.sizeGb)],
  status: (s) => [s.state ?? 'completed'],
  description: (s) => [s.description],
  encrypted: (s) => [String(s.encrypted)],
};

/** `Owner.N` accepts `self`, `amazon` or an account id. */
const ownedBy =
  (call: Ec2Call, owners: string[]) =>
  (s: SandboxSnapshot): boolean =>
    owners.length === 0 ||
    owners.some((o) => (o === 'self' ? s.ownerId === call.fleet.account : o === s.ownerAlias || o === s.ownerId));

const describeSnapshots: Ec2Handler = (call) => {
  const all = call.fleet.snapshots.filter((s) => s.region === call.region);
  settleSnapshots(call, all);
  const chosen = chosenByIds(call.params, 'SnapshotId', all, {
    pattern: /^snap-[0-9a-f]{8,17}$/,
    malformed: 'InvalidSnapshotID.Malformed',
    notFound: 'InvalidSnapshot.NotFound',
    describe: (m) => `The snapshot '${m.join(', ')}' does not exist.`,
  });
  const owned = chosen.filter(ownedBy(call, listParam(call.params, 'Owner')));
  const { page, nextToken } = filterAndPage(owned, call.params, snapshotFields, {
    action: 'DescribeSnapshots',
    min: 5,
    max: 1000,
    idParam: 'SnapshotId',
  });
  return { snapshotSet: itemSet(page.map(snapshotXml)), ...(nextToken ? { nextToken } : {}) };
};

const groupFields: FilterFields<SandboxSecurityGroup> = {
  'group-id': (g) => [g.id],
  'group-name': (g) => [g.name],
  'vpc-id': (g) => [g.vpcId],
  'owner-id': (g) => [g.ownerId],
  description: (g) => [g.description],
  'ip-permission.protocol': (g) => g.ingress.map((r) => r.protocol),
  'ip-permission.from-port': (g) => g.ingress.map((r) => (r.fromPort === undefined ? undefined : String(r.fromPort))),
  'ip-permission.to-port': (g) => g.ingress.map((r) => (r.toPort === undefined ? undefined : String(r.toPort))),
  'ip-permission.cidr': (g) => g.ingress.flatMap((r) => r.cidrs),
  'ip-permission.ipv6-cidr': (g) => g.ingress.flatMap((r) => r.ipv6Cidrs),
};

const describeSecurityGroups: Ec2Handler = (call) => {
  const all = call.fleet.securityGroups.filter((g) => g.region === call.region);
  let chosen = chosenByIds(call.params, 'GroupId', all, {
    pattern: /^sg-[0-9a-f]{8,17}$/,
    malformed: 'InvalidGroupId.Malformed',
    notFound: 'InvalidGroup.NotFound',
    describe: (m) => `The security group '${m.join(', ')}' does not exist`,
  });
  const names = listParam(call.params, 'GroupName');
  const unknown = names.find((n) => !chosen.some((g) => g.name === n));
  if (unknown !== undefined)
    throw new Ec2Error(
      'InvalidGroup.NotFound',
      `The security group '${unknown}' does not exist in default VPC '${sandboxId('vpc', call.region)}'`,
    );
  if (names.length > 0) chosen = chosen.filter((g) => names.includes(g.name));
  const { page, nextToken } = filterAndPage(chosen, call.params, groupFields, {
    action: 'DescribeSecurityGroups',
    min: 5,
    max: 1000,
    idParam: 'GroupId',
  });
  return { securityGroupInfo: itemSet(page.map(securityGroupXml)), ...(nextToken ? { nextToken } : {}) };
};

const describeRegions: Ec2Handler = (call) => {
  const wanted = listParam(call.params, 'RegionName');
  const regions = wanted.length > 0 ? call.fleet.regions.filter((r) => wanted.includes(r)) : call.fleet.regions;
  return {
    regionInfo: itemSet(
      regions.map((regionName) => ({
        regionName,
        regionEndpoint: `ec2.${regionName}.amazonaws.com`,
        optInStatus: 'opt-in-not-required',
      })),
    ),
  };
};

export const describeHandlers: Record<string, Ec2Handler> = {
  DescribeInstances: describeInstances,
  DescribeVolumes: describeVolumes,
  DescribeSnapshots: describeSnapshots,
  DescribeSecurityGroups: describeSecurityGroups,
  DescribeRegions: describeRegions,
};
