import { beginSnapshot, requireIds } from './call.ts';
import type { Ec2Call, Ec2Handler, IdKind } from './call.ts';
import { sandboxId } from './fleet.ts';
import type {
  IngressRule,
  SandboxAddress,
  SandboxSecurityGroup,
  SandboxSnapshot,
  SandboxVolume,
  Tags,
} from './model.ts';
import { Ec2Error } from './query.ts';
import { itemSet, snapshotXml } from './xml.ts';

/**
 * The state-changing EC2 actions on resources other than instances, the ones the scanner's fixes
 * use: CreateSnapshot, DeleteSnapshot, DeleteVolume, ModifyVolume, DisassociateAddress,
 * ReleaseAddress, AuthorizeSecurityGroupIngress and RevokeSecurityGroupIngress. Checks and error
 * codes as EC2 has them: unknown ids are NotFound, an attached volume or associated address is in
 * use, a rule already there is a duplicate, and a revoke that matches nothing succeeds naming it
 * among the unknown permissions.
 */

const inRegion = <T extends { region: string }>(call: Ec2Call, items: T[]): T[] =>
  items.filter((x) => x.region === call.region);

const required = (call: Ec2Call, name: string): string => {
  const v = call.params[name];
  if (!v) throw new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
  return v;
};

const volumeKind: IdKind = {
  pattern: /^vol-[0-9a-f]{8,17}$/,
  malformed: 'InvalidVolumeID.Malformed',
  notFound: 'InvalidVolume.NotFound',
  describe: (m) => `The volume '${m.join(', ')}' does not exist.`,
};

const snapshotKind: IdKind = {
  pattern: /^snap-[0-9a-f]{8,17}$/,
  malformed: 'InvalidSnapshotID.Malformed',
  notFound: 'InvalidSnapshot.NotFound',
  describe: (m) => `The snapshot '${m.join(', ')}' does not exist.`,
};

const volumeOf = (call: Ec2Call): SandboxVolume =>
  requireIds([required(call, 'VolumeId')], inRegion(call, call.fleet.volumes), volumeKind)[0]!;

/** Tags of `TagSpecification.N` for `resourceType` (`TagSpecification.1.Tag.1.Key`, …). */
const specifiedTags = (call: Ec2Call, resourceType: string): Tags => {
  const tags: Tags = {};
  for (let n = 1; call.params[`TagSpecification.${n}.ResourceType`] !== undefined; n++) {
    if (call.params[`TagSpecification.${n}.ResourceType`] !== resourceType) continue;
    for (let m = 1; call.params[`TagSpecification.${n}.Tag.${m}.Key`] !== undefined; m++)
      tags[call.params[`TagSpecification.${n}.Tag.${m}.Key`]!] =
        call.params[`TagSpecification.${n}.Tag.${m}.Value`] ?? '';
  }
  return tags;
};

const createSnapshot: Ec2Handler = (call) => {
  const volume = volumeOf(call);
  const startTime = call.now();
  const snapshot: SandboxSnapshot = {
    id: sandboxId('snap', `${volume.id}/${startTime.toISOString()}/${call.fleet.snapshots.length}`),
    region: call.region,
    ownerId: call.fleet.account,
    volumeId: volume.id,
    sizeGb: volume.sizeGb,
    startTime,
    description: call.params.Description ?? '',
    encrypted: volume.encrypted,
    tags: specifiedTags(call, 'snapshot'),
  };
  beginSnapshot(call, snapshot);
  call.fleet.snapshots.push(snapshot);
  const { tagSet, ...rest } = snapshotXml(snapshot);
  return { ...rest, ...(Object.keys(snapshot.tags).length > 0 ? { tagSet } : {}) };
};

const deleteSnapshot: Ec2Handler = (call) => {
  const [snapshot] = requireIds([required(call, 'SnapshotId')], inRegion(call, call.fleet.snapshots), snapshotKind);
  if (snapshot!.ownerId !== call.fleet.account)
    throw new Ec2Error('UnauthorizedOperation', `You are not authorized to delete snapshot ${snapshot!.id}.`, 403);
  call.fleet.snapshots.splice(call.fleet.snapshots.indexOf(snapshot!), 1);
  return { return: true };
};

const deleteVolume: Ec2Handler = (call) => {
  const volume = volumeOf(call);
  if (volume.attachment)
    throw new Ec2Error('VolumeInUse', `Volume ${volume.id} is currently attached to ${volume.attachment.instanceId}`);
  call.fleet.volumes.splice(call.fleet.volumes.indexOf(volume), 1);
  return { return: true };
};

const volumeTypes = ['standard', 'io1', 'io2', 'gp2', 'gp3', 'sc1', 'st1'];

/** The type changes at once here; on EC2 it does too, while performance catches up in `optimizing`. */
const modifyVolume: Ec2Handler = (call) => {
  const volume = volumeOf(call);
  const target = call.params.VolumeType ?? volume.volumeType;
  if (!volumeTypes.includes(target))
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value (${target}) for parameter volumeType is invalid. Valid values: ${volumeTypes.join(', ')}.`,
    );
  const original = volume.volumeType;
  volume.volumeType = target;
  return {
    volumeModification: {
      volumeId: volume.id,
      modificationState: 'modifying',
      targetSize: volume.sizeGb,
      targetVolumeType: target,
      targetMultiAttachEnabled: false,
      originalSize: volume.sizeGb,
      originalVolumeType: original,
      originalMultiAttachEnabled: false,
      progress: 0,
      startTime: call.now().toISOString(),
    },
  };
};

const addressOf = (call: Ec2Call, allocationId: string): SandboxAddress => {
  const found = inRegion(call, call.fleet.addresses).find((a) => a.allocationId === allocationId);
  if (!/^eipalloc-[0-9a-f]{8,17}$/.test(allocationId))
    throw new Ec2Error('InvalidAllocationID.Malformed', `Invalid id: "${allocationId}"`);
  if (!found) throw new Ec2Error('InvalidAllocationID.NotFound', `The allocation ID '${allocationId}' does not exist`);
  return found;
};

const disassociateAddress: Ec2Handler = (call) => {
  const associationId = required(call, 'AssociationId');
  const address = inRegion(call, call.fleet.addresses).find((a) => a.associationId === associationId);
  if (!address)
    throw new Ec2Error('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
  delete address.instanceId;
  delete address.associationId;
  delete address.privateIp;
  return { return: true };
};

const releaseAddress: Ec2Handler = (call) => {
  const address = addressOf(call, required(call, 'AllocationId'));
  if (address.associationId)
    throw new Ec2Error('InvalidIPAddress.InUse', `The address with allocation id [${address.allocationId}] is in use.`);
  call.fleet.addresses.splice(call.fleet.addresses.indexOf(address), 1);
  return { return: true };
};

/** One requested permission, one CIDR at a time (EC2 keeps rules per source). */
interface Permission {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidr: string;
  ipv6: boolean;
}

const protocolNames: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', all: '-1' };

const permissionsOf = (call: Ec2Call): Permission[] => {
  const out: Permission[] = [];
  for (let n = 1; call.params[`IpPermissions.${n}.IpProtocol`] !== undefined; n++) {
    const p = `IpPermissions.${n}`;
    const raw = call.params[`${p}.IpProtocol`]!.toLowerCase();
    const protocol = protocolNames[raw] ?? raw;
    if (!['-1', 'tcp', 'udp', 'icmp', 'icmpv6'].includes(protocol) && !/^\d{1,3}$/.test(protocol))
      throw new Ec2Error('InvalidParameterValue', `Invalid value '${raw}' for IP protocol. Unknown protocol.`);
    const port = (k: string): number | undefined => {
      const v = call.params[`${p}.${k}`];
      if (protocol === '-1' || v === undefined) return undefined;
      const num = Number(v);
      if (!Number.isInteger(num) || num < -1 || num > 65535)
        throw new Ec2Error('InvalidParameterValue', `Invalid value '${v}' for ${k}.`);
      return num;
    };
    const fromPort = port('FromPort');
    const toPort = port('ToPort');
    if ((protocol === 'tcp' || protocol === 'udp') && (fromPort === undefined || toPort === undefined))
      throw new Ec2Error('MissingParameter', `Missing source port range for protocol ${protocol}.`);
    for (let m = 1; call.params[`${p}.IpRanges.${m}.CidrIp`] !== undefined; m++)
      out.push({ protocol, fromPort, toPort, cidr: call.params[`${p}.IpRanges.${m}.CidrIp`]!, ipv6: false });
    for (let m = 1; call.params[`${p}.Ipv6Ranges.${m}.CidrIpv6`] !== undefined; m++)
      out.push({ protocol, fromPort, toPort, cidr: call.params[`${p}.Ipv6Ranges.${m}.CidrIpv6`]!, ipv6: true });
  }
  if (out.length === 0)
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter IpPermissions (with a CIDR).');
  return out;
};

const sameRange = (r: IngressRule, p: Permission): boolean =>
  r.protocol === p.protocol && (p.protocol === '-1' || (r.fromPort === p.fromPort && r.toPort === p.toPort));
const hasCidr = (r: IngressRule, p: Permission): boolean => (p.ipv6 ? r.ipv6Cidrs : r.cidrs).includes(p.cidr);

const groupOf = (call: Ec2Call): SandboxSecurityGroup =>
  requireIds([required(call, 'GroupId')], inRegion(call, call.fleet.securityGroups), {
    pattern: /^sg-[0-9a-f]{8,17}$/,
    malformed: 'InvalidGroupId.Malformed',
    notFound: 'InvalidGroup.NotFound',
    describe: (m) => `The security group '${m.join(', ')}' does not exist`,
  })[0]!;

const permissionXml = (p: Permission) => ({
  ipProtocol: p.protocol,
  ...(p.fromPort !== undefined ? { fromPort: p.fromPort, toPort: p.toPort } : {}),
  groups: itemSet([]),
  ipRanges: itemSet(p.ipv6 ? [] : [{ cidrIp: p.cidr }]),
  ipv6Ranges: itemSet(p.ipv6 ? [{ cidrIpv6: p.cidr }] : []),
  prefixListIds: itemSet([]),
});

const authorizeIngress: Ec2Handler = (call) => {
  const group = groupOf(call);
  const wanted = permissionsOf(call);
  const duplicate = wanted.find((p) => group.ingress.some((r) => sameRange(r, p) && hasCidr(r, p)));
  if (duplicate)
    throw new Ec2Error(
      'InvalidPermission.Duplicate',
      `the specified rule "peer: ${duplicate.cidr}, ${duplicate.protocol === '-1' ? 'ALL' : duplicate.protocol.toUpperCase()}, from port: ${duplicate.fromPort ?? -1}, to port: ${duplicate.toPort ?? -1}, ALLOW" already exists`,
    );
  for (const p of wanted) {
    let rule = group.ingress.find((r) => sameRange(r, p));
    if (!rule) {
      rule = {
        protocol: p.protocol,
        ...(p.fromPort !== undefined ? { fromPort: p.fromPort, toPort: p.toPort } : {}),
        cidrs: [],
        ipv6Cidrs: [],
      };
      group.ingress.push(rule);
    }
    (p.ipv6 ? rule.ipv6Cidrs : rule.cidrs).push(p.cidr);
  }
  return {
    return: true,
    securityGroupRuleSet: itemSet(
      wanted.map((p) => ({
        securityGroupRuleId: sandboxId('sgr', `${group.id}/${p.protocol}/${p.fromPort}/${p.toPort}/${p.cidr}`),
        groupId: group.id,
        groupOwnerId: group.ownerId,
        isEgress: false,
        ipProtocol: p.protocol,
        fromPort: p.fromPort ?? -1,
        toPort: p.toPort ?? -1,
        ...(p.ipv6 ? { cidrIpv6: p.cidr } : { cidrIpv4: p.cidr }),
      })),
    ),
  };
};

const revokeIngress: Ec2Handler = (call) => {
  const group = groupOf(call);
  const unknown: Permission[] = [];
  for (const p of permissionsOf(call)) {
    const rule = group.ingress.find((r) => sameRange(r, p) && hasCidr(r, p));
    if (!rule) {
      unknown.push(p);
      continue;
    }
    if (p.ipv6) rule.ipv6Cidrs = rule.ipv6Cidrs.filter((c) => c !== p.cidr);
    else rule.cidrs = rule.cidrs.filter((c) => c !== p.cidr);
  }
  group.ingress = group.ingress.filter((r) => r.cidrs.length + r.ipv6Cidrs.length > 0);
  return {
    return: true,
    ...(unknown.length > 0 ? { unknownIpPermissionSet: itemSet(unknown.map(permissionXml)) } : {}),
  };
};

export const resourceChangeHandlers: Record<string, Ec2Handler> = {
  CreateSnapshot: createSnapshot,
  DeleteSnapshot: deleteSnapshot,
  DeleteVolume: deleteVolume,
  ModifyVolume: modifyVolume,
  DisassociateAddress: disassociateAddress,
  ReleaseAddress: releaseAddress,
  AuthorizeSecurityGroupIngress: authorizeIngress,
  RevokeSecurityGroupIngress: revokeIngress,
};
