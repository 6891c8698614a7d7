import { writeXml } from './xml-write.ts';
import { instanceStateCodes } from './model.ts';
import type {
  InstanceStateName,
  SandboxInstance,
  SandboxSecurityGroup,
  SandboxSnapshot,
  SandboxVolume,
  Tags,
} from './model.ts';

/** EC2 Query API XML, element names as the EC2 2016-11-15 schema spells them (`xxxSet` of `item`). */
export const ec2Namespace = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';

export type XmlNode = Record<string, unknown>;

export const responseXml = (action: string, requestId: string, body: XmlNode): string =>
  declaration + writeXml({ [`${action}Response`]: { '@_xmlns': ec2Namespace, requestId, ...body } });

/** EC2's error envelope; note `RequestID` here, unlike `requestId` in successful responses. */
export const errorXml = (code: string, message: string, requestId: string): string =>
  declaration + writeXml({ Response: { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId } });

export const itemSet = (items: XmlNode[]): XmlNode => ({ item: items });
export const tagSet = (tags: Tags): XmlNode => itemSet(Object.entries(tags).map(([key, value]) => ({ key, value })));
const iso = (d: Date): string => d.toISOString();

export const stateXml = (name: InstanceStateName): XmlNode => ({ code: instanceStateCodes[name], name });

export const instanceXml = (i: SandboxInstance, groups: SandboxSecurityGroup[], volumes: SandboxVolume[]): XmlNode => ({
  instanceId: i.id,
  imageId: i.imageId,
  instanceState: stateXml(i.state),
  privateDnsName: `ip-${i.privateIp.replaceAll('.', '-')}.${i.region}.compute.internal`,
  dnsName: i.publicIp ? `ec2-${i.publicIp.replaceAll('.', '-')}.${i.region}.compute.amazonaws.com` : '',
  reason: i.state === 'stopped' ? 'User initiated' : '',
  ...(i.keyName ? { keyName: i.keyName } : {}),
  amiLaunchIndex: 0,
  instanceType: i.instanceType,
  launchTime: iso(i.launchTime),
  placement: { availabilityZone: i.availabilityZone, tenancy: 'default' },
  monitoring: { state: 'disabled' },
  metadataOptions: {
    state: 'applied',
    httpTokens: i.httpTokens ?? 'required',
    httpPutResponseHopLimit: 2,
    httpEndpoint: 'enabled',
    httpProtocolIpv6: 'disabled',
    instanceMetadataTags: 'disabled',
  },
  subnetId: i.subnetId,
  vpcId: i.vpcId,
  privateIpAddress: i.privateIp,
  ...(i.publicIp && i.state === 'running' ? { ipAddress: i.publicIp } : {}),
  groupSet: itemSet(
    groups.filter((g) => i.securityGroupIds.includes(g.id)).map((g) => ({ groupId: g.id, groupName: g.name })),
  ),
  ...(i.state === 'stopped'
    ? {
        stateReason: {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        },
      }
    : {}),
  architecture: 'x86_64',
  rootDeviceType: 'ebs',
  rootDeviceName: '/dev/xvda',
  blockDeviceMapping: itemSet(
    volumes
      .filter((v) => v.attachment?.instanceId === i.id)
      .map((v) => ({
        deviceName: v.attachment?.device,
        ebs: {
          volumeId: v.id,
          status: 'attached',
          attachTime: iso(v.attachment?.attachTime ?? v.createTime),
          deleteOnTermination: false,
        },
      })),
  ),
  virtualizationType: 'hvm',
  tagSet: tagSet(i.tags),
  hypervisor: 'xen',
  ebsOptimized: true,
  enaSupport: true,
});

export const volumeXml = (v: SandboxVolume, ownerId: string): XmlNode => ({
  volumeId: v.id,
  size: v.sizeGb,
  snapshotId: v.snapshotId ?? '',
  availabilityZone: v.availabilityZone,
  status: v.attachment ? 'in-use' : 'available',
  createTime: iso(v.createTime),
  attachmentSet: itemSet(
    v.attachment
      ? [
          {
            volumeId: v.id,
            instanceId: v.attachment.instanceId,
            device: v.attachment.device,
            status: 'attached',
            attachTime: iso(v.attachment.attachTime),
            deleteOnTermination: false,
          },
        ]
      : [],
  ),
  tagSet: tagSet(v.tags),
  volumeType: v.volumeType,
  ...(v.volumeType === 'gp3'
    ? { iops: 3000, throughput: 125 }
    : v.volumeType === 'gp2'
      ? { iops: Math.max(100, v.sizeGb * 3) }
      : {}),
  encrypted: v.encrypted,
  multiAttachEnabled: false,
  ownerId,
});

export const snapshotXml = (s: SandboxSnapshot): XmlNode => ({
  snapshotId: s.id,
  volumeId: s.volumeId,
  status: s.state ?? 'completed',
  startTime: iso(s.startTime),
  progress: s.state === 'pending' ? '0%' : '100%',
  ownerId: s.ownerId,
  ...(s.ownerAlias ? { ownerAlias: s.ownerAlias } : {}),
  volumeSize: s.sizeGb,
  description: s.description,
  encrypted: s.encrypted,
  storageTier: 'standard',
  tagSet: tagSet(s.tags),
});

export const securityGroupXml = (g: SandboxSecurityGroup): XmlNode => ({
  ownerId: g.ownerId,
  groupId: g.id,
  groupName: g.name,
  groupDescription: g.description,
  vpcId: g.vpcId,
  securityGroupArn: `arn:aws:ec2:${g.region}:${g.ownerId}:security-group/${g.id}`,
  ipPermissions: itemSet(
    g.ingress.map((r) => ({
      ipProtocol: r.protocol,
      ...(r.fromPort !== undefined ? { fromPort: r.fromPort, toPort: r.toPort } : {}),
      groups: itemSet([]),
      ipRanges: itemSet(r.cidrs.map((cidrIp) => ({ cidrIp }))),
      ipv6Ranges: itemSet(r.ipv6Cidrs.map((cidrIpv6) => ({ cidrIpv6 }))),
      prefixListIds: itemSet([]),
    })),
  ),
  ipPermissionsEgress: itemSet([
    {
      ipProtocol: '-1',
      groups: itemSet([]),
      ipRanges: itemSet([{ cidrIp: '0.0.0.0/0' }]),
      ipv6Ranges: itemSet([]),
      prefixListIds: itemSet([]),
    },
  ]),
  tagSet: tagSet(g.tags),
});
