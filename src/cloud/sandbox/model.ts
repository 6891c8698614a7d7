import type { SandboxEcs } from './ecs-model.ts';

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
   * Where a transitional state (pending, stopping) ends, and when: at a time of the sandbox's clock
   * (`at`, ms since the epoch) or after that many more DescribeInstances calls (`afterDescribes`).
   * EC2 is eventually consistent; the sandbox is deterministic under a fixed clock.
   */
  settle?: { to: InstanceStateName; afterDescribes?: number; at?: number };
  /** What CloudWatch would show while it runs: the average CPU percent (network follows from it). */
  usage?: { cpuPercent: number };
  launchTime: Date;
  imageId: string;
  vpcId: string;
  subnetId: string;
  privateIp: string;
  publicIp?: string;
  securityGroupIds: string[];
  keyName?: string;
  /** Instance metadata service: `required` (IMDSv2 only, the default here) or `optional` (v1 too). */
  httpTokens?: 'required' | 'optional';
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
  /** Absent: completed. A CreateSnapshot starts `pending` and settles like an instance transition. */
  state?: 'pending' | 'completed';
  settle?: { afterDescribes?: number; at?: number };
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

/** An Elastic IP; unassociated when `instanceId` is unset (billed all the same). */
export interface SandboxAddress {
  allocationId: string;
  region: string;
  publicIp: string;
  instanceId?: string;
  associationId?: string;
  privateIp?: string;
  tags: Tags;
}

export interface SandboxNatGateway {
  id: string;
  region: string;
  vpcId: string;
  subnetId: string;
  state: 'pending' | 'available' | 'deleting' | 'deleted' | 'failed';
  allocationId: string;
  publicIp: string;
  privateIp: string;
  createTime: Date;
  tags: Tags;
}

export interface SandboxVpc {
  id: string;
  region: string;
  cidr: string;
  isDefault: boolean;
  tags: Tags;
}

export interface SandboxFlowLog {
  id: string;
  region: string;
  resourceId: string;
  trafficType: 'ACCEPT' | 'REJECT' | 'ALL';
  logDestinationType: 'cloud-watch-logs' | 's3';
  logGroupName?: string;
  createTime: Date;
}

/** A listener rule (ALB): its conditions and the one target group it forwards to. */
export interface SandboxRule {
  arn: string;
  /** 1…50000; lower is evaluated first. */
  priority: number;
  conditions: Array<{ field: 'path-pattern' | 'host-header'; values: string[] }>;
  targetGroupArn: string;
}

export interface SandboxListener {
  arn: string;
  port: number;
  protocol: string;
  /** Where its default action forwards. */
  targetGroupArn?: string;
  /** Rules before the default action (ALB only). */
  rules?: SandboxRule[];
}

export interface SandboxLoadBalancer {
  arn: string;
  name: string;
  region: string;
  type: 'application' | 'network';
  scheme: 'internet-facing' | 'internal';
  vpcId: string;
  createdTime: Date;
  availabilityZones: string[];
  /** The subnet it uses in each zone (DescribeLoadBalancers' SubnetId), by zone name. */
  subnets?: Record<string, string>;
  securityGroupIds: string[];
  listeners: SandboxListener[];
  tags: Tags;
}

/** ELBv2 target health states, as DescribeTargetHealth names them. */
export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export interface SandboxTargetGroup {
  arn: string;
  name: string;
  region: string;
  protocol: string;
  port: number;
  vpcId: string;
  /** Balancers whose listeners or rules forward to it; none: its targets are `unused` (Target.NotInUse). */
  loadBalancerArns: string[];
  /** `instance` (default): targets are EC2 instance ids; `ip`: addresses (Fargate tasks). */
  targetType?: 'instance' | 'ip';
  /** Default `/`. */
  healthCheckPath?: string;
  tags?: Tags;
  targets: Array<{ id: string; port: number; health: TargetHealthState; reason?: string }>;
}

export interface SandboxFleet {
  /** The account every owned resource belongs to (what `Owner=self` means). */
  account: string;
  regions: string[];
  instances: SandboxInstance[];
  volumes: SandboxVolume[];
  snapshots: SandboxSnapshot[];
  securityGroups: SandboxSecurityGroup[];
  addresses: SandboxAddress[];
  natGateways: SandboxNatGateway[];
  vpcs: SandboxVpc[];
  flowLogs: SandboxFlowLog[];
  loadBalancers: SandboxLoadBalancer[];
  targetGroups: SandboxTargetGroup[];
  /** ECS clusters, task definitions and services (./ecs-model.ts); absent: none yet. */
  ecs?: SandboxEcs;
}

/** An IAM role another account trusts the sandbox's caller to assume (STS AssumeRole). */
export interface SandboxRole {
  arn: string;
  /** When set, AssumeRole must name this ExternalId (the confused-deputy guard). */
  externalId?: string;
}

/** One call the sandbox answered, for tests that assert what went over the wire. */
export interface SandboxRequest {
  /** The SigV4 scope's service: `ec2`, `sts`, `monitoring`, `elasticloadbalancing`, … */
  service?: string;
  /** The account whose fleet answered (from the signing key). */
  account?: string;
  action: string;
  region: string;
  params: Record<string, string>;
  status: number;
  errorCode?: string;
}
