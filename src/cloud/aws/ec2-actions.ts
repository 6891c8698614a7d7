import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeAddressesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DisassociateAddressCommand,
  ModifyVolumeCommand,
  ReleaseAddressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, IpPermission, Tag, Volume, VolumeType } from '@aws-sdk/client-ec2';
import { AppError, badRequest, conflict } from '../../errors.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import { ruleWords } from './actions.ts';
import { translateAwsError } from './errors.ts';
import type { WaitOptions } from './wait.ts';

/**
 * The EC2 fixes the scanner proposes, on resources other than instances: snapshot-then-delete and
 * type changes of EBS volumes, deleting snapshots, releasing Elastic IPs, and revoking or
 * authorizing one security group ingress rule. Each returns what it replaced as rollback data.
 */

type Progress = (step: string) => void;

const nameOf = (tags: Tag[] | undefined): string | undefined => tags?.find((t) => t.Key === 'Name')?.Value;
const labelOf = (id: string, tags: Tag[] | undefined): string => {
  const name = nameOf(tags);
  return name ? `${name} (${id})` : id;
};

const describeVolume = async (client: EC2Client, id: string): Promise<Volume> => {
  const out = await client.send(new DescribeVolumesCommand({ VolumeIds: [id] }));
  const volume = out.Volumes?.[0];
  if (!volume) throw new AppError('not_found', `AWS volume ${id} was not found.`);
  return volume;
};

/** Polls the snapshot until it completes; `error` or running out of checks fails (the volume is then kept). */
const waitForSnapshot = async (
  client: EC2Client,
  snapshotId: string,
  wait: WaitOptions,
  progress: Progress,
): Promise<void> => {
  for (let attempt = 1; attempt <= wait.attempts; attempt++) {
    const out = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    const snap = out.Snapshots?.[0];
    const state = snap?.State ?? 'unknown';
    if (state === 'completed') return;
    if (state === 'error')
      throw new AppError(
        'cloud_error',
        `Snapshot ${snapshotId} failed (${snap?.StateMessage ?? 'no reason given'}); the volume was not deleted.`,
      );
    progress(
      `waiting for snapshot ${snapshotId} to complete (${snap?.Progress ?? state}, check ${attempt} of ${wait.attempts})`,
    );
    if (attempt < wait.attempts) await wait.sleep(wait.delayMs);
  }
  throw new AppError(
    'cloud_error',
    `Snapshot ${snapshotId} had not completed after ${wait.attempts} checks, so the volume was not deleted; delete it once the snapshot completes.`,
  );
};

const snapshotAndDelete = async (
  client: EC2Client,
  id: string,
  wait: WaitOptions,
  progress: Progress,
): Promise<ActionResult> => {
  const volume = await describeVolume(client, id);
  const label = labelOf(id, volume.Tags);
  if (volume.State !== 'available') {
    const to = volume.Attachments?.[0]?.InstanceId;
    throw conflict(
      `${label} is ${volume.State ?? 'in an unknown state'}${to ? ` (attached to ${to})` : ''}; only an unattached (available) volume is snapshotted and deleted.`,
    );
  }
  progress('creating the snapshot');
  // The volume's own tags go with the snapshot (aws: tags are AWS's and cannot be set).
  const tags = (volume.Tags ?? []).filter((t) => t.Key && !t.Key.startsWith('aws:'));
  const snap = await client.send(
    new CreateSnapshotCommand({
      VolumeId: id,
      Description: `Taken by the DevOps agent before deleting ${label}`,
      TagSpecifications: [
        { ResourceType: 'snapshot', Tags: [...tags, { Key: 'devops-agent:deleted-volume', Value: id }] },
      ],
    }),
  );
  const snapshotId = snap.SnapshotId;
  if (!snapshotId) throw new AppError('cloud_error', `EC2 answered CreateSnapshot for ${label} without a snapshot id.`);
  await waitForSnapshot(client, snapshotId, wait, progress);
  progress('deleting the volume');
  try {
    await client.send(new DeleteVolumeCommand({ VolumeId: id }));
  } catch (e) {
    const failed = translateAwsError(e, `deleting ${label}`);
    throw new AppError(failed.code, `${failed.userMessage} Snapshot ${snapshotId} was taken and is kept.`, {
      cause: e,
    });
  }
  return {
    summary: `${label} snapshotted to ${snapshotId} and deleted`,
    newState: 'deleted',
    previous: {
      snapshotId,
      availabilityZone: volume.AvailabilityZone ?? '',
      volumeType: volume.VolumeType ?? '',
      sizeGb: String(volume.Size ?? ''),
    },
  };
};

const modifyVolumeType = async (client: EC2Client, id: string, to: string | undefined): Promise<ActionResult> => {
  if (!to) throw badRequest('Changing the volume type needs a type, e.g. volumeType=gp3.');
  const volume = await describeVolume(client, id);
  const label = labelOf(id, volume.Tags);
  const from = volume.VolumeType ?? 'unknown';
  const state = volume.State ?? 'unknown';
  const previous = { volumeType: from };
  if (from === to) return { summary: `${label} is already ${to}; nothing to do`, newState: state, previous };
  const out = await client.send(new ModifyVolumeCommand({ VolumeId: id, VolumeType: to as VolumeType }));
  const m = out.VolumeModification;
  return {
    summary: `${label} changing from ${from} to ${m?.TargetVolumeType ?? to} (modification ${m?.ModificationState ?? 'started'})`,
    newState: state,
    previous,
  };
};

const releaseAddress = async (client: EC2Client, allocationId: string, progress: Progress): Promise<ActionResult> => {
  const out = await client.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));
  const address = out.Addresses?.[0];
  if (!address) throw new AppError('not_found', `Elastic IP ${allocationId} was not found.`);
  const ip = address.PublicIp ?? allocationId;
  const label = nameOf(address.Tags) ? `${nameOf(address.Tags)} (${ip})` : ip;
  const previous: Record<string, string> = { publicIp: address.PublicIp ?? '' };
  const from = address.InstanceId ?? address.NetworkInterfaceId;
  if (address.AssociationId) {
    progress(`disassociating it from ${from ?? address.AssociationId}`);
    await client.send(new DisassociateAddressCommand({ AssociationId: address.AssociationId }));
    if (from) previous.associatedTo = from;
  }
  progress('releasing it');
  await client.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
  return {
    summary: `${label} released${from ? ` (disassociated from ${from} first)` : ''}`,
    newState: 'released',
    previous,
  };
};

/** One rule as EC2 takes it: `all` (the inventory's word for EC2's `-1`) carries no ports. */
export const ipPermission = (p: Record<string, string>): IpPermission => {
  const { protocol, fromPort, toPort, cidr } = p;
  if (!protocol || fromPort === undefined || toPort === undefined || !cidr)
    throw badRequest('An ingress rule needs protocol, fromPort, toPort and cidr.');
  const all = protocol === 'all' || protocol === '-1';
  const range = cidr.includes(':') ? { Ipv6Ranges: [{ CidrIpv6: cidr }] } : { IpRanges: [{ CidrIp: cidr }] };
  return {
    IpProtocol: all ? '-1' : protocol,
    ...(all ? {} : { FromPort: Number(fromPort), ToPort: Number(toPort) }),
    ...range,
  };
};

const ingress = async (
  client: EC2Client,
  groupId: string,
  verb: 'revoke_ingress' | 'authorize_ingress',
  params: Record<string, string>,
): Promise<ActionResult> => {
  const IpPermissions = [ipPermission(params)];
  const rule = { protocol: params.protocol!, fromPort: params.fromPort!, toPort: params.toPort!, cidr: params.cidr! };
  if (verb === 'authorize_ingress') {
    await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions }));
    return { summary: `${groupId} now allows ${ruleWords(params)}`, newState: 'active', previous: rule };
  }
  const out = await client.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions }));
  // EC2 answers success for a rule that does not match, naming it among the unknown permissions.
  if ((out.UnknownIpPermissions ?? []).length > 0 || out.Return === false)
    throw new AppError('not_found', `${groupId} has no rule allowing ${ruleWords(params)}; nothing was revoked.`);
  return { summary: `${groupId} no longer allows ${ruleWords(params)}`, newState: 'active', previous: rule };
};

/** Runs one of the EC2 fixes above on `action.target` (a volume, snapshot, Elastic IP or security group). */
export const executeEc2ResourceAction = async (
  client: EC2Client,
  action: ResourceAction,
  wait: WaitOptions,
  progress: Progress = () => undefined,
): Promise<ActionResult> => {
  const { id, type } = action.target;
  switch (`${type}:${action.action}`) {
    case 'volume:snapshot_and_delete':
      return snapshotAndDelete(client, id, wait, progress);
    case 'volume:modify_volume_type':
      return modifyVolumeType(client, id, action.params.volumeType);
    case 'snapshot:delete_snapshot':
      await client.send(new DeleteSnapshotCommand({ SnapshotId: id }));
      return { summary: `${id} deleted`, newState: 'deleted', previous: {} };
    case 'ip_address:release_address':
      return releaseAddress(client, id, progress);
    case 'security_group:revoke_ingress':
    case 'security_group:authorize_ingress':
      return ingress(client, id, action.action as 'revoke_ingress', action.params);
    default:
      throw badRequest(`AWS ${type} resources have no action “${action.action}”.`);
  }
};
