import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ServiceRequest, ServiceResponse, ServiceRouter } from './aws-query.ts';
import type { Transition } from './call.ts';
import { emptyEcs } from './ecs-model.ts';
import type {
  EcsPace,
  SandboxEcs,
  SandboxEcsCluster,
  SandboxEcsDeployment,
  SandboxEcsService,
  SandboxEcsTask,
  SandboxTaskDefinition,
} from './ecs-model.ts';
import type { SandboxFleet, SandboxTargetGroup, TargetHealthState } from './model.ts';

/**
 * The sandbox's Amazon ECS, in the awsJson1_1 protocol the SDK speaks
 * (`x-amz-target: AmazonEC2ContainerServiceV20141113.<Op>`, epoch-second timestamps): clusters,
 * task definitions (Fargate sizes checked as ECS checks them) and Fargate services behind ALB
 * target groups. A service's rollout is simulated without timers: its tasks start, are registered
 * in its target groups as `initial`, then turn `healthy` (older deployments drain) and the service
 * reaches a steady state. Each phase ends after the sandbox's `transitionMs` by its clock, or
 * after `transitionDescribes` reads of the service (DescribeServices naming it, DescribeTargetHealth
 * of its target group). Images listed in `ecs.imageFaults` start but fail their health checks, so
 * their rollout never completes and the tasks of the deployment before stay in service.
 */

const targetPrefix = 'AmazonEC2ContainerServiceV20141113.';

class EcsError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const invalid = (message: string) => new EcsError('InvalidParameterException', message);
const clientError = (message: string) => new EcsError('ClientException', message);

const hex = (seed: string, length: number): string => createHash('sha256').update(seed).digest('hex').slice(0, length);
const epoch = (d: Date): number => d.getTime() / 1000;

/** The account's ECS state, made on first use. */
export const ecsOf = (fleet: SandboxFleet): SandboxEcs => (fleet.ecs ??= emptyEcs());

// ---------------------------------------------------------------------------------------------
// Fargate sizes, as ECS documents them: CPU units → the memory (MiB) each allows.

const range = (from: number, to: number, step: number): number[] =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
const fargateMemory: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** `1024`, `1 vCPU`, `0.25 vcpu` → CPU units; undefined when it is neither. */
const cpuUnits = (v: string): number | undefined => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(v);
  if (!m) return undefined;
  return m[2] ? Math.round(Number(m[1]) * 1024) : Number(m[1]);
};
/** `2048`, `2 GB`, `0.5GB` → MiB; undefined when it is neither. */
const memoryMib = (v: string): number | undefined => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(v);
  if (!m) return undefined;
  return m[2] ? Math.round(Number(m[1]) * 1024) : Number(m[1]);
};

// ---------------------------------------------------------------------------------------------
// Lookups.

const clusterOf = (req: ServiceRequest, ref: string | undefined): SandboxEcsCluster => {
  const name = ref ?? 'default';
  const c = ecsOf(req.fleet).clusters.find(
    (x) => x.region === req.region && x.status === 'ACTIVE' && (x.name === name || x.arn === name),
  );
  if (!c) throw new EcsError('ClusterNotFoundException', 'Cluster not found.');
  return c;
};

const taskDefArnPattern = /^arn:aws[\w-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/([A-Za-z0-9_-]+):(\d+)$/;

/** `family`, `family:revision` or an ARN; a bare family is its newest ACTIVE revision. */
const findTaskDef = (req: ServiceRequest, ref: string): SandboxTaskDefinition | undefined => {
  const defs = ecsOf(req.fleet).taskDefinitions.filter((d) => d.region === req.region);
  const arn = taskDefArnPattern.exec(ref);
  const [family, rev] = arn ? [arn[1], arn[2]] : ref.split(':');
  if (rev !== undefined) return defs.find((d) => d.family === family && d.revision === Number(rev));
  return defs.filter((d) => d.family === family && d.status === 'ACTIVE').sort((a, b) => b.revision - a.revision)[0];
};

const taskDefOf = (req: ServiceRequest, ref: string): SandboxTaskDefinition => {
  const d = findTaskDef(req, ref);
  if (!d) throw clientError('Unable to describe task definition.');
  return d;
};

/** A service of the cluster by name or ARN (`…:service/<cluster>/<name>` or the old `…:service/<name>`). */
const findService = (
  req: ServiceRequest,
  cluster: SandboxEcsCluster,
  ref: string,
  statuses: Array<SandboxEcsService['status']> = ['ACTIVE', 'DRAINING'],
): SandboxEcsService | undefined => {
  const name = ref.startsWith('arn:') ? ref.split('/').at(-1)! : ref;
  const inCluster = ref.startsWith('arn:') && ref.split('/').length === 3 ? ref.split('/')[1] === cluster.name : true;
  if (!inCluster) return undefined;
  const all = ecsOf(req.fleet).services.filter((s) => s.clusterArn === cluster.arn && s.name === name);
  // The live one if any, else the newest inactive (ECS keeps those a while).
  return (
    all.find((s) => statuses.includes(s.status) && s.status !== 'INACTIVE') ??
    all.findLast((s) => statuses.includes(s.status))
  );
};

const serviceOf = (req: ServiceRequest, cluster: SandboxEcsCluster, ref: string): SandboxEcsService => {
  const s = findService(req, cluster, ref, ['ACTIVE', 'DRAINING', 'INACTIVE']);
  if (!s) throw new EcsError('ServiceNotFoundException', 'Service not found.');
  return s;
};

const groupOf = (fleet: SandboxFleet, arn: string): SandboxTargetGroup | undefined =>
  fleet.targetGroups.find((g) => g.arn === arn);

// ---------------------------------------------------------------------------------------------
// The rollout, settled by the clock or by reads.

const nextCounter = (ecs: SandboxEcs): number => (ecs.counter += 1);

/** A service event, newest first (ECS keeps the last 100). */
const event = (s: SandboxEcsService, at: Date, message: string): void => {
  s.events.unshift({
    id: hex(`${s.arn}:${at.getTime()}:${s.events.length}:${message}`, 32).replace(
      /^(.{8})(.{4})(.{4})(.{4})/,
      '$1-$2-$3-$4-',
    ),
    createdAt: at,
    message,
  });
  s.events.splice(100);
};

const newTask = (fleet: SandboxFleet, s: SandboxEcsService): SandboxEcsTask => {
  const ecs = ecsOf(fleet);
  const n = nextCounter(ecs);
  const cidr = fleet.vpcs.find((v) => v.region === s.region)?.cidr ?? '10.0.0.0/16';
  const prefix = cidr.split('.').slice(0, 2).join('.');
  const cluster = s.clusterArn.split('/').at(-1)!;
  return {
    arn: `arn:aws:ecs:${s.region}:${fleet.account}:task/${cluster}/${hex(`task:${fleet.account}:${n}`, 32)}`,
    ip: `${prefix}.${200 + Math.floor(n / 250)}.${(n % 250) + 2}`,
    availabilityZone: `${s.region}${n % 2 === 0 ? 'a' : 'b'}`,
  };
};

const setHealth = (
  fleet: SandboxFleet,
  s: SandboxEcsService,
  tasks: SandboxEcsTask[],
  health: TargetHealthState | 'deregistered',
  reason?: string,
): void => {
  for (const lb of s.loadBalancers) {
    const g = groupOf(fleet, lb.targetGroupArn);
    if (!g) continue;
    for (const t of tasks) {
      const at = g.targets.findIndex((x) => x.id === t.ip);
      if (health === 'deregistered') {
        if (at >= 0) g.targets.splice(at, 1);
        continue;
      }
      const target = { id: t.ip, port: lb.containerPort, health, ...(reason ? { reason } : {}) };
      if (at >= 0) g.targets[at] = target;
      else g.targets.push(target);
    }
  }
};

const schedule = (s: SandboxEcsService, from: number): void => {
  const pace = s.pace ?? { reads: 1 };
  s.settle = 'ms' in pace ? { at: from + pace.ms } : { afterReads: pace.reads };
};

const label = (s: SandboxEcsService) => `(service ${s.name})`;

/** One step of a service's rollout (or its drain), at time `at`. */
const advance = (fleet: SandboxFleet, s: SandboxEcsService, at: number): void => {
  delete s.settle;
  const when = new Date(at);
  if (s.status === 'DRAINING') {
    s.status = 'INACTIVE';
    return;
  }
  const primary = s.deployments[0];
  if (!primary || s.status !== 'ACTIVE') return;
  primary.updatedAt = when;
  if (primary.phase === 'starting') {
    const surplus = primary.tasks.splice(primary.desiredCount);
    setHealth(fleet, s, surplus, 'deregistered');
    const started: SandboxEcsTask[] = [];
    while (primary.tasks.length < primary.desiredCount) {
      const t = newTask(fleet, s);
      primary.tasks.push(t);
      started.push(t);
    }
    setHealth(fleet, s, started, 'initial', 'Elb.RegistrationInProgress');
    if (started.length > 0)
      event(
        s,
        when,
        `${label(s)} has started ${started.length} tasks: ${started.map((t) => `(task ${t.arn.split('/').at(-1)})`).join(' ')}.`,
      );
    primary.phase = 'checking';
    schedule(s, at);
    return;
  }
  if (primary.phase !== 'checking') return;
  const images = taskDefinition(fleet, primary.taskDefinitionArn)?.containers.map((c) => c.image) ?? [];
  if (images.some((i) => ecsOf(fleet).imageFaults.includes(i))) {
    setHealth(fleet, s, primary.tasks, 'unhealthy', 'Target.FailedHealthChecks');
    for (const t of primary.tasks)
      event(s, when, `${label(s)} (task ${t.arn.split('/').at(-1)}) failed ELB health checks in its target group.`);
    // Stuck: ECS would keep replacing the tasks; the older deployment keeps serving.
    return;
  }
  setHealth(fleet, s, primary.tasks, 'healthy');
  for (const old of s.deployments.slice(1)) setHealth(fleet, s, old.tasks, 'deregistered');
  s.deployments = [primary];
  primary.rolloutState = 'COMPLETED';
  primary.phase = 'done';
  event(s, when, `${label(s)} has reached a steady state.`);
};

const taskDefinition = (fleet: SandboxFleet, arn: string): SandboxTaskDefinition | undefined =>
  ecsOf(fleet).taskDefinitions.find((d) => d.arn === arn);

/**
 * Time passing for ECS rollouts: a clock-timed step ends once `now` reaches it (any read sees it);
 * a read-counted step moves on when one of the `counted` services is read.
 */
export const settleEcs = (fleet: SandboxFleet, now: Date, counted: (s: SandboxEcsService) => boolean): void => {
  if (!fleet.ecs) return;
  const t = now.getTime();
  for (const s of fleet.ecs.services) {
    // A clock may pass several steps between two reads.
    for (let guard = 0; s.settle && guard < 4; guard++) {
      if ('at' in s.settle) {
        if (t < s.settle.at) break;
        advance(fleet, s, s.settle.at);
      } else {
        if (!counted(s)) break;
        s.settle.afterReads -= 1;
        if (s.settle.afterReads <= 0) advance(fleet, s, t);
        break;
      }
    }
  }
};

/** A new deployment (or a changed desired count) starts a rollout at the sandbox's pace. */
const startRollout = (req: ServiceRequest, s: SandboxEcsService, taskDefinitionArn: string, newDeployment: boolean) => {
  const now = req.now();
  const primary = s.deployments[0];
  if (newDeployment || !primary) {
    const n = nextCounter(ecsOf(req.fleet));
    if (primary) primary.status = 'ACTIVE';
    s.deployments.unshift({
      id: `ecs-svc/${BigInt(`0x${hex(`deployment:${s.arn}:${n}`, 15)}`)
        .toString()
        .padStart(19, '0')
        .slice(0, 19)}`,
      status: 'PRIMARY',
      taskDefinitionArn,
      desiredCount: s.desiredCount,
      tasks: [],
      phase: 'starting',
      rolloutState: 'IN_PROGRESS',
      createdAt: now,
      updatedAt: now,
    });
  } else {
    primary.desiredCount = s.desiredCount;
    primary.phase = 'starting';
    primary.rolloutState = 'IN_PROGRESS';
    primary.updatedAt = now;
  }
  s.taskDefinitionArn = taskDefinitionArn;
  schedule(s, now.getTime());
};

// ---------------------------------------------------------------------------------------------
// Wire shapes.

const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));
const Tags = z
  .array(z.looseObject({ key: z.string().min(1).max(128), value: z.string().max(256).optional() }))
  .optional();
const tagsOf = (tags: z.infer<typeof Tags>): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.key, t.value ?? '']));

const taskDefJson = (d: SandboxTaskDefinition) => ({
  taskDefinitionArn: d.arn,
  family: d.family,
  revision: d.revision,
  status: d.status,
  containerDefinitions: d.containers.map((c) => ({
    name: c.name,
    image: c.image,
    essential: c.essential,
    portMappings: c.portMappings,
    environment: c.environment,
    cpu: 0,
  })),
  cpu: d.cpu,
  memory: d.memory,
  networkMode: d.networkMode,
  requiresCompatibilities: d.requiresCompatibilities,
  compatibilities: ['EC2', 'FARGATE'],
  ...(d.executionRoleArn ? { executionRoleArn: d.executionRoleArn } : {}),
  registeredAt: epoch(d.registeredAt),
  ...(d.deregisteredAt ? { deregisteredAt: epoch(d.deregisteredAt) } : {}),
  registeredBy: `arn:aws:iam::${d.arn.split(':')[4]}:user/sandbox`,
});

const counts = (d: SandboxEcsDeployment) =>
  d.phase === 'starting'
    ? { runningCount: d.tasks.length, pendingCount: Math.max(0, d.desiredCount - d.tasks.length) }
    : { runningCount: d.tasks.length, pendingCount: 0 };

const network = (s: SandboxEcsService) => ({
  awsvpcConfiguration: {
    subnets: s.network.subnets,
    securityGroups: s.network.securityGroups,
    assignPublicIp: s.network.assignPublicIp,
  },
});

const serviceJson = (s: SandboxEcsService, tags: boolean) => {
  const deployments = s.deployments.map((d) => ({
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinitionArn,
    desiredCount: d.desiredCount,
    ...counts(d),
    failedTasks: 0,
    createdAt: epoch(d.createdAt),
    updatedAt: epoch(d.updatedAt),
    launchType: s.launchType,
    platformVersion: '1.4.0',
    platformFamily: 'Linux',
    networkConfiguration: network(s),
    rolloutState: d.rolloutState,
    rolloutStateReason:
      d.rolloutState === 'COMPLETED' ? 'ECS deployment ecs-svc completed.' : 'ECS deployment ecs-svc in progress.',
  }));
  return {
    serviceArn: s.arn,
    serviceName: s.name,
    clusterArn: s.clusterArn,
    loadBalancers: s.loadBalancers,
    serviceRegistries: [],
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: deployments.reduce((n, d) => n + d.runningCount, 0),
    pendingCount: deployments.reduce((n, d) => n + d.pendingCount, 0),
    launchType: s.launchType,
    platformVersion: 'LATEST',
    platformFamily: 'Linux',
    taskDefinition: s.taskDefinitionArn,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deployments,
    events: s.events.map((e) => ({ id: e.id, createdAt: epoch(e.createdAt), message: e.message })),
    createdAt: epoch(s.createdAt),
    placementConstraints: [],
    placementStrategy: [],
    networkConfiguration: network(s),
    ...(s.healthCheckGracePeriodSeconds !== undefined
      ? { healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds }
      : {}),
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    enableECSManagedTags: false,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
    ...(tags ? { tags: tagList(s.tags) } : {}),
  };
};

const clusterJson = (req: ServiceRequest, c: SandboxEcsCluster, tags: boolean) => {
  const services = ecsOf(req.fleet).services.filter((s) => s.clusterArn === c.arn && s.status === 'ACTIVE');
  const tasks = services.flatMap((s) => s.deployments.map(counts));
  return {
    clusterArn: c.arn,
    clusterName: c.name,
    status: c.status,
    registeredContainerInstancesCount: 0,
    runningTasksCount: tasks.reduce((n, d) => n + d.runningCount, 0),
    pendingTasksCount: tasks.reduce((n, d) => n + d.pendingCount, 0),
    activeServicesCount: services.length,
    statistics: [],
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders: c.capacityProviders,
    defaultCapacityProviderStrategy: [],
    ...(tags ? { tags: tagList(c.tags) } : {}),
  };
};

/** ECS's nextToken: an opaque offset; a token it did not hand out is refused. */
const pageOf = <T>(items: T[], token: string | undefined, max: number | undefined, cap: number) => {
  if (max !== undefined && (max < 1 || max > 100)) throw invalid('maxResults must be between 1 and 100.');
  let offset = 0;
  if (token) {
    const m = /^ecs:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m) throw invalid('Invalid nextToken.');
    offset = Number(m[1]);
  }
  const end = offset + (max ?? cap);
  return {
    items: items.slice(offset, end),
    ...(end < items.length ? { nextToken: Buffer.from(`ecs:${end}`).toString('base64url') } : {}),
  };
};

// ---------------------------------------------------------------------------------------------
// Operations.

const Include = z.array(z.string()).optional();

const Container = z.looseObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'Container names may hold letters, digits, hyphens and underscores.'),
  image: z.string().min(1).max(255),
  essential: z.boolean().optional(),
  portMappings: z
    .array(
      z.looseObject({
        containerPort: z.number().int().min(1).max(65535),
        hostPort: z.number().int().min(0).max(65535).optional(),
        protocol: z.enum(['tcp', 'udp']).optional(),
      }),
    )
    .optional(),
  environment: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
});

const RegisterTaskDefinition = z.looseObject({
  family: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'Family contains invalid characters.'),
  containerDefinitions: z.array(Container).min(1, 'Container list cannot be empty.'),
  cpu: z.string().optional(),
  memory: z.string().optional(),
  networkMode: z.enum(['awsvpc', 'bridge', 'host', 'none']).optional(),
  requiresCompatibilities: z.array(z.enum(['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'])).optional(),
  executionRoleArn: z.string().optional(),
  tags: Tags,
});

const CreateService = z.looseObject({
  cluster: z.string().optional(),
  serviceName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'Service names may hold letters, digits, hyphens and underscores.'),
  taskDefinition: z.string().min(1),
  desiredCount: z.number().int().min(0).optional(),
  launchType: z.enum(['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES']).optional(),
  loadBalancers: z
    .array(
      z.looseObject({
        targetGroupArn: z.string().min(1),
        containerName: z.string().min(1),
        containerPort: z.number().int().min(1).max(65535),
      }),
    )
    .optional(),
  networkConfiguration: z
    .looseObject({
      awsvpcConfiguration: z.looseObject({
        subnets: z.array(z.string()).min(1).max(16),
        securityGroups: z.array(z.string()).max(5).optional(),
        assignPublicIp: z.enum(['ENABLED', 'DISABLED']).optional(),
      }),
    })
    .optional(),
  healthCheckGracePeriodSeconds: z.number().int().min(0).optional(),
  tags: Tags,
});

const UpdateService = z.looseObject({
  cluster: z.string().optional(),
  service: z.string().min(1),
  desiredCount: z.number().int().min(0).optional(),
  taskDefinition: z.string().min(1).optional(),
  forceNewDeployment: z.boolean().optional(),
});

const DeleteService = z.looseObject({
  cluster: z.string().optional(),
  service: z.string().min(1),
  force: z.boolean().optional(),
});

type Handler = (req: ServiceRequest, input: Record<string, unknown>, pace: EcsPace) => Record<string, unknown>;

const parse = <T extends z.ZodType>(schema: T, input: unknown, error = invalid): z.infer<T> => {
  const r = schema.safeParse(input);
  if (!r.success) throw error(r.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '));
  return r.data;
};

const registerTaskDefinition: Handler = (req, raw) => {
  const input = parse(RegisterTaskDefinition, raw, clientError);
  const fargate = input.requiresCompatibilities?.includes('FARGATE') ?? false;
  const networkMode = input.networkMode ?? (fargate ? undefined : 'bridge');
  if (fargate && networkMode !== 'awsvpc') throw clientError("Fargate only supports network mode 'awsvpc'.");
  const cpu = input.cpu === undefined ? undefined : cpuUnits(input.cpu);
  const memory = input.memory === undefined ? undefined : memoryMib(input.memory);
  if (input.cpu !== undefined && cpu === undefined) throw clientError("Invalid 'cpu' setting for task.");
  if (input.memory !== undefined && memory === undefined) throw clientError("Invalid 'memory' setting for task.");
  if (fargate) {
    if (cpu === undefined || memory === undefined)
      throw clientError("Fargate requires that 'cpu' and 'memory' be defined at the task level.");
    if (!fargateMemory[cpu]?.includes(memory))
      throw clientError(
        `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
      );
  }
  for (const c of input.containerDefinitions)
    for (const p of c.portMappings ?? [])
      if (networkMode === 'awsvpc' && p.hostPort !== undefined && p.hostPort !== p.containerPort)
        throw clientError('When networkMode=awsvpc, the host ports and container ports in port mappings must match.');
  const ecs = ecsOf(req.fleet);
  const revision =
    Math.max(
      0,
      ...ecs.taskDefinitions.filter((d) => d.region === req.region && d.family === input.family).map((d) => d.revision),
    ) + 1;
  const def: SandboxTaskDefinition = {
    arn: `arn:aws:ecs:${req.region}:${req.fleet.account}:task-definition/${input.family}:${revision}`,
    family: input.family,
    revision,
    region: req.region,
    status: 'ACTIVE',
    cpu: String(cpu ?? ''),
    memory: String(memory ?? ''),
    networkMode: networkMode ?? 'bridge',
    requiresCompatibilities: input.requiresCompatibilities ?? [],
    containers: input.containerDefinitions.map((c) => ({
      name: c.name,
      image: c.image,
      essential: c.essential ?? true,
      portMappings: (c.portMappings ?? []).map((p) => ({
        containerPort: p.containerPort,
        hostPort: p.hostPort ?? p.containerPort,
        protocol: p.protocol ?? 'tcp',
      })),
      environment: c.environment ?? [],
    })),
    ...(input.executionRoleArn ? { executionRoleArn: input.executionRoleArn } : {}),
    registeredAt: req.now(),
    tags: tagsOf(input.tags),
  };
  ecs.taskDefinitions.push(def);
  return { taskDefinition: taskDefJson(def), tags: tagList(def.tags) };
};

const deregisterTaskDefinition: Handler = (req, raw) => {
  const { taskDefinition } = parse(z.looseObject({ taskDefinition: z.string().min(1) }), raw, clientError);
  if (!taskDefArnPattern.test(taskDefinition) && !/^[A-Za-z0-9_-]+:\d+$/.test(taskDefinition))
    throw clientError('Invalid revision number. Number: ' + (taskDefinition.split(':')[1] ?? ''));
  const d = findTaskDef(req, taskDefinition);
  if (!d) throw clientError('The specified task definition does not exist.');
  if (d.status === 'ACTIVE') {
    d.status = 'INACTIVE';
    d.deregisteredAt = req.now();
  }
  return { taskDefinition: taskDefJson(d) };
};

const describeTaskDefinition: Handler = (req, raw) => {
  const input = parse(z.looseObject({ taskDefinition: z.string().min(1), include: Include }), raw, clientError);
  const d = taskDefOf(req, input.taskDefinition);
  return { taskDefinition: taskDefJson(d), ...(input.include?.includes('TAGS') ? { tags: tagList(d.tags) } : {}) };
};

const createService: Handler = (req, raw, pace) => {
  const input = parse(CreateService, raw);
  const cluster = clusterOf(req, input.cluster);
  if (findService(req, cluster, input.serviceName)) throw invalid('Creation of service was not idempotent.');
  const def = taskDefOf(req, input.taskDefinition);
  if (def.status !== 'ACTIVE') throw invalid(`TaskDefinition is inactive`);
  const launchType = input.launchType ?? 'EC2';
  if (launchType !== 'FARGATE')
    throw invalid(`The sandbox runs Fargate services only; launch type ${launchType} is not emulated.`);
  if (!def.requiresCompatibilities.includes('FARGATE'))
    throw invalid('Task definition does not support launch_type FARGATE.');
  const vpc = input.networkConfiguration?.awsvpcConfiguration;
  if (!vpc) throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  const loadBalancers = input.loadBalancers ?? [];
  for (const lb of loadBalancers) {
    const g = groupOf(req.fleet, lb.targetGroupArn);
    if (!g || g.region !== req.region)
      throw invalid(`Unable to describe the target group ${lb.targetGroupArn}: it does not exist in ${req.region}.`);
    if (g.loadBalancerArns.length === 0)
      throw invalid(`The target group with targetGroupArn ${g.arn} does not have an associated load balancer.`);
    if ((g.targetType ?? 'instance') !== 'ip')
      throw invalid(
        `The provided target group ${g.arn} has target type ${g.targetType ?? 'instance'}, which is incompatible with the awsvpc network mode specified in the task definition.`,
      );
    const container = def.containers.find((c) => c.name === lb.containerName);
    if (!container) throw invalid(`The container ${lb.containerName} does not exist in the task definition.`);
    if (!container.portMappings.some((p) => p.containerPort === lb.containerPort))
      throw invalid(`The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`);
  }
  const now = req.now();
  const s: SandboxEcsService = {
    arn: `arn:aws:ecs:${req.region}:${req.fleet.account}:service/${cluster.name}/${input.serviceName}`,
    name: input.serviceName,
    clusterArn: cluster.arn,
    region: req.region,
    status: 'ACTIVE',
    launchType: 'FARGATE',
    desiredCount: input.desiredCount ?? 0,
    taskDefinitionArn: def.arn,
    loadBalancers: loadBalancers.map((l) => ({
      targetGroupArn: l.targetGroupArn,
      containerName: l.containerName,
      containerPort: l.containerPort,
    })),
    network: {
      subnets: vpc.subnets,
      securityGroups: vpc.securityGroups ?? [],
      assignPublicIp: vpc.assignPublicIp ?? 'DISABLED',
    },
    deployments: [],
    events: [],
    createdAt: now,
    ...(input.healthCheckGracePeriodSeconds !== undefined
      ? { healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds }
      : {}),
    tags: tagsOf(input.tags),
    pace,
  };
  ecsOf(req.fleet).services.push(s);
  startRollout(req, s, def.arn, true);
  return { service: serviceJson(s, false) };
};

const updateService: Handler = (req, raw, pace) => {
  const input = parse(UpdateService, raw);
  const cluster = clusterOf(req, input.cluster);
  const s = serviceOf(req, cluster, input.service);
  if (s.status !== 'ACTIVE') throw new EcsError('ServiceNotActiveException', 'Service was not ACTIVE.');
  const def = input.taskDefinition ? taskDefOf(req, input.taskDefinition) : undefined;
  if (def && def.status !== 'ACTIVE') throw invalid('TaskDefinition is inactive');
  const changedDef = def !== undefined && def.arn !== s.taskDefinitionArn;
  const changedCount = input.desiredCount !== undefined && input.desiredCount !== s.desiredCount;
  if (input.desiredCount !== undefined) s.desiredCount = input.desiredCount;
  s.pace = pace;
  if (changedDef || input.forceNewDeployment) startRollout(req, s, def?.arn ?? s.taskDefinitionArn, true);
  else if (changedCount) startRollout(req, s, s.taskDefinitionArn, false);
  return { service: serviceJson(s, false) };
};

const deleteService: Handler = (req, raw, pace) => {
  const input = parse(DeleteService, raw);
  const cluster = clusterOf(req, input.cluster);
  const s = findService(req, cluster, input.service, ['ACTIVE', 'DRAINING']);
  if (!s) throw new EcsError('ServiceNotFoundException', 'Service not found.');
  if (s.status === 'ACTIVE') {
    if (s.desiredCount > 0 && !input.force) throw invalid('The service cannot be stopped while it is scaled above 0.');
    for (const d of s.deployments) setHealth(req.fleet, s, d.tasks, 'deregistered');
    for (const d of s.deployments) d.tasks = [];
    s.desiredCount = 0;
    s.status = 'DRAINING';
    s.pace = pace;
    schedule(s, req.now().getTime());
  }
  return { service: serviceJson(s, false) };
};

const describeServices: Handler = (req, raw) => {
  const input = parse(
    z.looseObject({ cluster: z.string().optional(), services: z.array(z.string().min(1)).min(1), include: Include }),
    raw,
  );
  if (input.services.length > 10) throw invalid('services can have at most 10 items.');
  const cluster = clusterOf(req, input.cluster);
  const found = input.services.map((ref) => ({
    ref,
    s: findService(req, cluster, ref, ['ACTIVE', 'DRAINING', 'INACTIVE']),
  }));
  const named = new Set(found.flatMap((f) => (f.s ? [f.s.arn] : [])));
  settleEcs(req.fleet, req.now(), (s) => named.has(s.arn));
  const tags = input.include?.includes('TAGS') ?? false;
  return {
    services: found.flatMap((f) => (f.s ? [serviceJson(f.s, tags)] : [])),
    failures: found
      .filter((f) => !f.s)
      .map((f) => ({
        arn: f.ref.startsWith('arn:')
          ? f.ref
          : `arn:aws:ecs:${req.region}:${req.fleet.account}:service/${cluster.name}/${f.ref}`,
        reason: 'MISSING',
      })),
  };
};

const listServices: Handler = (req, raw) => {
  const input = parse(
    z.looseObject({
      cluster: z.string().optional(),
      nextToken: z.string().optional(),
      maxResults: z.number().int().optional(),
      launchType: z.string().optional(),
    }),
    raw,
  );
  const cluster = clusterOf(req, input.cluster);
  const arns = ecsOf(req.fleet)
    .services.filter(
      (s) =>
        s.clusterArn === cluster.arn &&
        s.status !== 'INACTIVE' &&
        (input.launchType === undefined || s.launchType === input.launchType),
    )
    .map((s) => s.arn);
  const page = pageOf(arns, input.nextToken, input.maxResults, 10);
  return { serviceArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
};

const listClusters: Handler = (req, raw) => {
  const input = parse(
    z.looseObject({ nextToken: z.string().optional(), maxResults: z.number().int().optional() }),
    raw,
  );
  const arns = ecsOf(req.fleet)
    .clusters.filter((c) => c.region === req.region && c.status === 'ACTIVE')
    .map((c) => c.arn);
  const page = pageOf(arns, input.nextToken, input.maxResults, 100);
  return { clusterArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
};

const describeClusters: Handler = (req, raw) => {
  const input = parse(
    z.looseObject({ clusters: z.array(z.string().min(1)).max(100).optional(), include: Include }),
    raw,
  );
  const refs = input.clusters && input.clusters.length > 0 ? input.clusters : ['default'];
  settleEcs(req.fleet, req.now(), () => false);
  const all = ecsOf(req.fleet).clusters.filter((c) => c.region === req.region);
  const found = refs.map((ref) => ({ ref, c: all.find((c) => c.name === ref || c.arn === ref) }));
  const tags = input.include?.includes('TAGS') ?? false;
  return {
    clusters: found.flatMap((f) => (f.c ? [clusterJson(req, f.c, tags)] : [])),
    failures: found
      .filter((f) => !f.c)
      .map((f) => ({
        arn: f.ref.startsWith('arn:') ? f.ref : `arn:aws:ecs:${req.region}:${req.fleet.account}:cluster/${f.ref}`,
        reason: 'MISSING',
      })),
  };
};

const handlers: Record<string, Handler> = {
  RegisterTaskDefinition: registerTaskDefinition,
  DeregisterTaskDefinition: deregisterTaskDefinition,
  DescribeTaskDefinition: describeTaskDefinition,
  CreateService: createService,
  UpdateService: updateService,
  DeleteService: deleteService,
  DescribeServices: describeServices,
  ListServices: listServices,
  ListClusters: listClusters,
  DescribeClusters: describeClusters,
};

const json = (status: number, action: string, body: unknown, errorCode?: string): ServiceResponse => ({
  status,
  contentType: 'application/x-amz-json-1.1',
  action,
  body: JSON.stringify(body),
  ...(errorCode ? { errorCode } : {}),
});

const fail = (action: string, code: string, message: string, status = 400): ServiceResponse =>
  json(status, action, { __type: code, message }, code);

/** The ECS router for the sandbox's server (./core-services.ts); `transition` paces every rollout. */
export const ecsRouter =
  (transition: Transition): ServiceRouter =>
  (req) => {
    const action = req.target?.startsWith(targetPrefix) ? req.target.slice(targetPrefix.length) : '';
    const handler = handlers[action];
    if (!handler)
      return fail(
        action,
        'UnknownOperationException',
        `The sandbox's ECS does not emulate ${action || req.target || 'this request'}.`,
      );
    const fault = req.fault(action);
    if (fault) return fail(action, fault.code, fault.message ?? `Injected ${fault.code}`, fault.status ?? 400);
    let input: unknown;
    try {
      input = JSON.parse(req.body || '{}');
    } catch {
      return fail(action, 'SerializationException', 'The request body is not valid JSON.');
    }
    if (!input || typeof input !== 'object' || Array.isArray(input))
      return fail(action, 'SerializationException', 'The request body must be a JSON object.');
    const pace: EcsPace = 'ms' in transition ? { ms: transition.ms } : { reads: transition.describes };
    try {
      // Time passes for every rollout on any call; DescribeServices counts its own reads.
      if (action !== 'DescribeServices') settleEcs(req.fleet, req.now(), () => false);
      return json(200, action, handler(req, input as Record<string, unknown>, pace));
    } catch (e) {
      if (e instanceof EcsError) return fail(action, e.code, e.message, e.status);
      throw e;
    }
  };
