/**
 * The sandbox's ECS state, per account (SandboxFleet.ecs): plain records the ECS emulator
 * (./ecs.ts) reads and changes, and the ELBv2 emulator reads for the targets ECS registers.
 * Tests may arrange it (a faulty image, a service already deploying).
 */

type Tags = Record<string, string>;

export interface SandboxContainer {
  name: string;
  image: string;
  essential: boolean;
  portMappings: Array<{ containerPort: number; hostPort: number; protocol: string }>;
  environment: Array<{ name: string; value: string }>;
}

export interface SandboxTaskDefinition {
  arn: string;
  family: string;
  revision: number;
  region: string;
  status: 'ACTIVE' | 'INACTIVE';
  /** CPU units (`256` = 0.25 vCPU) and memory in MiB, as ECS stores them. */
  cpu: string;
  memory: string;
  networkMode: string;
  requiresCompatibilities: string[];
  containers: SandboxContainer[];
  executionRoleArn?: string;
  registeredAt: Date;
  deregisteredAt?: Date;
  tags: Tags;
}

/** One running task: its address is what ECS registers in the service's target groups. */
export interface SandboxEcsTask {
  arn: string;
  ip: string;
  availabilityZone: string;
}

/**
 * When a rollout moves on: at a time of the sandbox's clock (`at`), or after that many more reads
 * of the service (DescribeServices naming it, DescribeTargetHealth of its target group).
 */
export type EcsSettle = { at: number } | { afterReads: number };
/** How long each rollout phase lasts: the sandbox's `transitionMs`, or its `transitionDescribes` as reads. */
export type EcsPace = { ms: number } | { reads: number };

export interface SandboxEcsDeployment {
  id: string;
  /** PRIMARY: the newest; ACTIVE: an older one whose tasks still run until the primary is healthy. */
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinitionArn: string;
  desiredCount: number;
  tasks: SandboxEcsTask[];
  /**
   * `starting`: tasks are being placed (pending); `checking`: they run and the target groups check
   * them; `done`: healthy, older deployments drained. A faulty image stays in `checking`.
   */
  phase: 'starting' | 'checking' | 'done';
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  createdAt: Date;
  updatedAt: Date;
}

export interface SandboxEcsService {
  arn: string;
  name: string;
  clusterArn: string;
  region: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  launchType: 'FARGATE';
  desiredCount: number;
  taskDefinitionArn: string;
  loadBalancers: Array<{ targetGroupArn: string; containerName: string; containerPort: number }>;
  network: { subnets: string[]; securityGroups: string[]; assignPublicIp: 'ENABLED' | 'DISABLED' };
  /** Newest (PRIMARY) first. */
  deployments: SandboxEcsDeployment[];
  events: Array<{ id: string; createdAt: Date; message: string }>;
  createdAt: Date;
  healthCheckGracePeriodSeconds?: number;
  tags: Tags;
  /** The next step of its rollout (or of draining), and the pace of the ones after it. */
  settle?: EcsSettle;
  pace?: EcsPace;
}

export interface SandboxEcsCluster {
  arn: string;
  name: string;
  region: string;
  status: 'ACTIVE' | 'INACTIVE';
  capacityProviders: string[];
  tags: Tags;
}

export interface SandboxEcs {
  clusters: SandboxEcsCluster[];
  taskDefinitions: SandboxTaskDefinition[];
  services: SandboxEcsService[];
  /** Images whose tasks start but fail their target group's health checks (their rollout never completes). */
  imageFaults: string[];
  /** Ids and addresses handed out so far (tasks, deployments), so new ones are deterministic. */
  counter: number;
}

export const emptyEcs = (): SandboxEcs => ({
  clusters: [],
  taskDefinitions: [],
  services: [],
  imageFaults: [],
  counter: 0,
});
