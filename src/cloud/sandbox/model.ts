/**
 * The sandbox's in-memory cloud: plain mutable records the EC2 handlers read and change.
 * Tests may reach into `fleet` to arrange odd cases (a terminated instance, an extra volume).
 */

/** EC2 instance state names with the numeric codes EC2 puts next to them. */
export const instanceStateCodes = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;
export type InstanceStateName = keyof typeof instanceStateCodes;

export type Tags = Record<string, string>;

export interface SandboxInstance {
  id: string;
  region: string;
  availabilityZone: string;
  instanceType: string;
  state: InstanceStateName;
  /**
   * Where a transitional state (pending, stopping) ends, and how many more DescribeInstances calls
   * must see it before it gets there. EC2 is eventually consistent; the sandbox is deterministic.
   */
  settle?: { to: InstanceStateName; afterDescribes: number };
  launchTime: Date;
  imageId: string;
  vpcId: string;
  subnetId: string;
  privateIp: string;
  publicIp?: string;
  securityGroupIds: string[];
  keyName?: string;
  tags: Tags;
}

export interface SandboxVolume {
  id: string;
  region: string;
  availabilityZone: string;
  sizeGb: number;
  volumeType: string;
  createTime: Date;
  snapshotId?: string;
  encrypted: boolean;
  attachment?: { instanceId: string; device: string; attachTime: Date };
  tags: Tags;
}

export interface SandboxSnapshot {
  id: string;
  region: string;
  ownerId: string;
  /** Set for snapshots shared by AWS itself, which `Owner=self` must leave out. */
  ownerAlias?: string;
  volumeId: string;
  sizeGb: number;
  startTime: Date;
  description: string;
  encrypted: boolean;
  tags: Tags;
}

export interface IngressRule {
  /** `tcp`, `udp`, `icmp` or `-1` (all traffic), as EC2 spells it. */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
  ipv6Cidrs: string[];
}

export interface SandboxSecurityGroup {
  id: string;
  region: string;
  ownerId: string;
  name: string;
  description: string;
  vpcId: string;
  ingress: IngressRule[];
  tags: Tags;
}

export interface SandboxFleet {
  /** The account every owned resource belongs to (what `Owner=self` means). */
  account: string;
  regions: string[];
  instances: SandboxInstance[];
  volumes: SandboxVolume[];
  snapshots: SandboxSnapshot[];
  securityGroups: SandboxSecurityGroup[];
}

/** One call the sandbox answered, for tests that assert what went over the wire. */
export interface SandboxRequest {
  action: string;
  region: string;
  params: Record<string, string>;
  status: number;
  errorCode?: string;
}
