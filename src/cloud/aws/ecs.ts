import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  paginateListClusters,
  paginateListServices,
} from '@aws-sdk/client-ecs';
import type { Cluster, RegisterTaskDefinitionRequest, Service, TaskDefinition } from '@aws-sdk/client-ecs';
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AppError, badRequest } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import { environmentFromTags, type Resource } from '../resource.ts';
import { cpuUnits, fargateTaskMonthlyCents, memoryMib, targetGroupName } from './app-actions.ts';
import { clientConfig, instrumentAwsClient, type AwsClientSettings } from './clients.ts';
import { collect, type ListOptions } from './ec2.ts';
import { translateAwsError } from './errors.ts';

/**
 * Amazon ECS through `@aws-sdk/client-ecs` (loaded with the provider's other SDKs, on first use):
 * each region's clusters (`cluster`, attribute `kind: ecs`) and services (`container_service`,
 * priced from their Fargate task size × desired count), one service or cluster described again
 * for a wait or after a change, and the actions of ./app-actions.ts on clusters and services.
 */

export const createEcsClient = (settings: AwsClientSettings, metrics: Metrics | undefined): ECSClient =>
  instrumentAwsClient(new ECSClient(clientConfig(settings)), metrics);

type Ctx = Pick<ListOptions, 'account' | 'region' | 'seenAt' | 'sandbox'>;

/** DescribeServices takes at most 10 services, DescribeClusters 100. */
const serviceBatch = 10;
const clusterBatch = 100;
/** DescribeTaskDefinition calls in flight at once. */
const parallel = 4;

const batches = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const tagsOf = (tags: Array<{ key?: string | undefined; value?: string | undefined }> | undefined) =>
  Object.fromEntries((tags ?? []).filter((t) => t.key).map((t) => [t.key as string, t.value ?? '']));

const iso = (d: Date | undefined): string | null => d?.toISOString() ?? null;

// ---------------------------------------------------------------------------------------------
// Normalized rows.

export const ecsClusterResource = (c: Cluster, ctx: Ctx): Resource => {
  const tags = tagsOf(c.tags);
  return {
    provider: 'aws',
    account: ctx.account,
    region: ctx.region,
    type: 'cluster',
    id: c.clusterArn ?? '',
    name: c.clusterName ?? '',
    state: (c.status ?? 'unknown').toLowerCase(),
    tags,
    environment: environmentFromTags(tags),
    // A cluster itself is free: its tasks (service rows) and instances carry the cost.
    monthlyCostCents: 0,
    attributes: {
      kind: 'ecs',
      arn: c.clusterArn ?? null,
      activeServices: c.activeServicesCount ?? 0,
      runningTasks: c.runningTasksCount ?? 0,
      pendingTasks: c.pendingTasksCount ?? 0,
      containerInstances: c.registeredContainerInstancesCount ?? 0,
      capacityProviders: c.capacityProviders ?? [],
    },
    seenAt: ctx.seenAt,
  };
};

/**
 * A service's state as one word: `steady` (one deployment, all its tasks running), `deploying`
 * (a rollout or a scale in progress), `failed` (its rollout failed), `draining`, `inactive`.
 */
export const serviceState = (s: Service): string => {
  const status = (s.status ?? 'unknown').toLowerCase();
  if (status !== 'active') return status;
  const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary?.rolloutState === 'FAILED') return 'failed';
  const rolling =
    (s.deployments?.length ?? 0) > 1 ||
    primary?.rolloutState === 'IN_PROGRESS' ||
    (s.pendingCount ?? 0) > 0 ||
    (s.runningCount ?? 0) !== (s.desiredCount ?? 0);
  return rolling ? 'deploying' : 'steady';
};

const isFargate = (s: Service): boolean =>
  s.launchType === 'FARGATE' ||
  (s.capacityProviderStrategy ?? []).some((c) => c.capacityProvider?.startsWith('FARGATE'));

export const containerServiceResource = (s: Service, td: TaskDefinition | undefined, ctx: Ctx): Resource => {
  const tags = tagsOf(s.tags);
  const state = serviceState(s);
  const fargate = isFargate(s);
  const container =
    td?.containerDefinitions?.find((c) => c.essential !== false && (c.portMappings?.length ?? 0) > 0) ??
    td?.containerDefinitions?.[0];
  const vcpu = td?.cpu ? Number(td.cpu) / 1024 : undefined;
  const memoryGb = td?.memory ? Number(td.memory) / 1024 : undefined;
  const each = fargate && vcpu && memoryGb ? fargateTaskMonthlyCents(vcpu, memoryGb, ctx.region) : undefined;
  const billed = ['steady', 'deploying', 'failed'].includes(state);
  // EC2-backed tasks are paid through their instances (rows of their own); Fargate per task.
  const unpriced = fargate && billed && each === undefined;
  const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
  return {
    provider: 'aws',
    account: ctx.account,
    region: ctx.region,
    type: 'container_service',
    id: s.serviceArn ?? '',
    name: s.serviceName ?? '',
    state,
    tags,
    environment: environmentFromTags(tags),
    monthlyCostCents: fargate && billed && each !== undefined ? each * (s.desiredCount ?? 0) : 0,
    attributes: {
      arn: s.serviceArn ?? null,
      cluster: s.clusterArn ?? null,
      clusterName: s.clusterArn?.split('/').at(-1) ?? null,
      launchType: fargate ? 'FARGATE' : (s.launchType ?? null),
      taskDefinition: s.taskDefinition ?? null,
      image: container?.image ?? null,
      containerName: container?.name ?? null,
      containerPort: container?.portMappings?.[0]?.containerPort ?? null,
      cpu: vcpu ?? null,
      memoryGb: memoryGb ?? null,
      desiredCount: s.desiredCount ?? 0,
      runningCount: s.runningCount ?? 0,
      pendingCount: s.pendingCount ?? 0,
      deployments: s.deployments?.length ?? 0,
      rolloutState: primary?.rolloutState ?? null,
      targetGroups: (s.loadBalancers ?? []).map((l) => l.targetGroupArn).filter(Boolean),
      createdAt: iso(s.createdAt),
      lastEvent: s.events?.[0]?.message ?? null,
      ...(unpriced ? { priced: false } : {}),
    },
    seenAt: ctx.seenAt,
  };
};

// ---------------------------------------------------------------------------------------------
// Reading.

const taskDefinitions = async (client: ECSClient, arns: string[]): Promise<Map<string, TaskDefinition>> => {
  const out = new Map<string, TaskDefinition>();
  const unique = [...new Set(arns)];
  for (const batch of batches(unique, parallel))
    await Promise.all(
      batch.map(async (arn) => {
        const got = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
        if (got.taskDefinition) out.set(arn, got.taskDefinition);
      }),
    );
  return out;
};

/** Every ECS cluster of the region and every service in them, with the task definitions they run. */
export const listEcs = async (client: ECSClient, opts: ListOptions): Promise<Resource[]> => {
  const { region, signal } = opts;
  const pageSize = Math.min(100, Math.max(1, opts.pageSize));
  try {
    const arns = await collect(paginateListClusters({ client, pageSize }, {}), (p) => p.clusterArns, signal);
    const clusters: Cluster[] = [];
    for (const batch of batches(arns, clusterBatch)) {
      const out = await client.send(new DescribeClustersCommand({ clusters: batch, include: ['TAGS'] }));
      clusters.push(...(out.clusters ?? []));
    }
    const services: Service[] = [];
    for (const c of clusters) {
      const serviceArns = await collect(
        paginateListServices({ client, pageSize }, { cluster: c.clusterArn }),
        (p) => p.serviceArns,
        signal,
      );
      for (const batch of batches(serviceArns, serviceBatch)) {
        const out = await client.send(
          new DescribeServicesCommand({ cluster: c.clusterArn, services: batch, include: ['TAGS'] }),
        );
        services.push(...(out.services ?? []));
      }
    }
    const defs = await taskDefinitions(
      client,
      services.flatMap((s) => (s.taskDefinition ? [s.taskDefinition] : [])),
    );
    return [
      ...clusters.map((c) => ecsClusterResource(c, opts)),
      ...services.map((s) => containerServiceResource(s, defs.get(s.taskDefinition ?? ''), opts)),
    ];
  } catch (e) {
    throw translateAwsError(e, `listing ECS clusters and services in ${region}`);
  }
};

/** `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>` → the cluster and the name (the old ARN form has no cluster: `default`). */
export const serviceArnParts = (arn: string): { cluster: string; name: string } => {
  const m = /^arn:aws[\w-]*:ecs:[a-z0-9-]+:\d{12}:service\/(?:([^/]+)\/)?([^/]+)$/.exec(arn);
  if (!m)
    throw badRequest(`“${arn}” is not an ECS service ARN (arn:aws:ecs:<region>:<account>:service/<cluster>/<name>).`);
  return { cluster: m[1] ?? 'default', name: m[2]! };
};

const readService = async (client: ECSClient, arn: string): Promise<Service | undefined> => {
  const { cluster } = serviceArnParts(arn);
  const out = await client.send(new DescribeServicesCommand({ cluster, services: [arn], include: ['TAGS'] }));
  return out.services?.[0];
};

/** One service as it is now; null when ECS no longer has it (deleted, INACTIVE, or its cluster gone). */
export const describeService = async (client: ECSClient, key: ResourceKey, ctx: Ctx): Promise<Resource | null> => {
  try {
    const s = await readService(client, key.id);
    if (!s || s.status === 'INACTIVE') return null;
    const defs = await taskDefinitions(client, s.taskDefinition ? [s.taskDefinition] : []);
    return containerServiceResource(s, defs.get(s.taskDefinition ?? ''), ctx);
  } catch (e) {
    const err = translateAwsError(e, `describing ECS service ${key.id} in ${key.region}`);
    if (err.code === 'not_found') return null;
    throw err;
  }
};

/** One cluster as it is now; null when it is gone. */
export const describeCluster = async (client: ECSClient, key: ResourceKey, ctx: Ctx): Promise<Resource | null> => {
  try {
    const out = await client.send(new DescribeClustersCommand({ clusters: [key.id], include: ['TAGS'] }));
    const c = out.clusters?.[0];
    return c && c.status !== 'INACTIVE' ? ecsClusterResource(c, ctx) : null;
  } catch (e) {
    throw translateAwsError(e, `describing ECS cluster ${key.id} in ${key.region}`);
  }
};

// ---------------------------------------------------------------------------------------------
// Acting.

const activeCluster = async (client: ECSClient, id: string): Promise<Cluster> => {
  const out = await client.send(new DescribeClustersCommand({ clusters: [id], include: ['TAGS'] }));
  const c = out.clusters?.[0];
  if (!c || c.status !== 'ACTIVE') throw new AppError('not_found', `ECS has no active cluster ${id}.`);
  return c;
};

const liveService = async (client: ECSClient, arn: string): Promise<Service> => {
  const s = await readService(client, arn);
  if (!s || s.status === 'INACTIVE') throw new AppError('not_found', `ECS has no service ${arn}.`);
  if (s.status !== 'ACTIVE') throw new AppError('conflict', `${s.serviceName ?? arn} is ${s.status?.toLowerCase()}.`);
  return s;
};

const describeTaskDefinition = async (client: ECSClient, ref: string): Promise<TaskDefinition> => {
  const out = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
  if (!out.taskDefinition) throw new AppError('not_found', `ECS has no task definition ${ref}.`);
  return out.taskDefinition;
};

/** What RegisterTaskDefinition takes of a described revision, to register the next one like it. */
const registrable = (td: TaskDefinition): RegisterTaskDefinitionRequest => ({
  family: td.family,
  containerDefinitions: td.containerDefinitions,
  ...(td.taskRoleArn ? { taskRoleArn: td.taskRoleArn } : {}),
  ...(td.executionRoleArn ? { executionRoleArn: td.executionRoleArn } : {}),
  ...(td.networkMode ? { networkMode: td.networkMode } : {}),
  ...(td.volumes?.length ? { volumes: td.volumes } : {}),
  ...(td.placementConstraints?.length ? { placementConstraints: td.placementConstraints } : {}),
  ...(td.requiresCompatibilities?.length ? { requiresCompatibilities: td.requiresCompatibilities } : {}),
  ...(td.cpu ? { cpu: td.cpu } : {}),
  ...(td.memory ? { memory: td.memory } : {}),
  ...(td.pidMode ? { pidMode: td.pidMode } : {}),
  ...(td.ipcMode ? { ipcMode: td.ipcMode } : {}),
  ...(td.proxyConfiguration ? { proxyConfiguration: td.proxyConfiguration } : {}),
  ...(td.ephemeralStorage ? { ephemeralStorage: td.ephemeralStorage } : {}),
  ...(td.runtimePlatform ? { runtimePlatform: td.runtimePlatform } : {}),
});

const serviceNameOf = (ref: string): string => ref.split('/').at(-1) ?? ref;

/** `family:7` of a task definition ARN, for summaries. */
const revisionOf = (arn: string | undefined): string => arn?.split('/').at(-1) ?? '?';

/** The subnets and security groups of the load balancer a target group serves: where its tasks go by default. */
const balancerNetwork = async (
  elb: ElasticLoadBalancingV2Client,
  targetGroup: string,
): Promise<{ subnets: string[]; securityGroups: string[] }> => {
  const groups = await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroup] }));
  const lbArn = groups.TargetGroups?.[0]?.LoadBalancerArns?.[0];
  if (!lbArn)
    throw badRequest(
      `Target group ${targetGroupName(targetGroup)} is not attached to a load balancer yet (no listener or rule forwards to it), so the tasks' subnets are unknown: add the listener rule first, or give subnets and securityGroups.`,
    );
  const lbs = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }));
  const lb = lbs.LoadBalancers?.[0];
  const subnets = (lb?.AvailabilityZones ?? []).flatMap((z) => (z.SubnetId ? [z.SubnetId] : []));
  if (subnets.length === 0)
    throw badRequest(
      `The load balancer of ${targetGroupName(targetGroup)} names no subnets; give subnets and securityGroups.`,
    );
  return { subnets, securityGroups: lb?.SecurityGroups ?? [] };
};

const split = (v: string | undefined): string[] | undefined =>
  v
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);

const clusterAction = async (
  ecs: ECSClient,
  elb: ElasticLoadBalancingV2Client,
  action: ResourceAction,
): Promise<ActionResult> => {
  const p = action.params;
  const cluster = await activeCluster(ecs, action.target.id);
  const name = cluster.clusterName ?? action.target.id;
  switch (action.action) {
    case 'register_task_definition': {
      if (p.region && p.region !== action.target.region)
        throw new AppError('conflict', `${name} is in ${action.target.region}, not ${p.region}.`);
      const port = Number(p.containerPort);
      const out = await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: p.family,
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: cpuUnits(p.cpu!),
          memory: memoryMib(p.memory!),
          containerDefinitions: [
            {
              name: p.family,
              image: p.image,
              essential: true,
              portMappings: [{ containerPort: port, hostPort: port, protocol: 'tcp' }],
              environment: [
                { name: 'NODE_ENV', value: 'production' },
                { name: 'PORT', value: String(port) },
              ],
            },
          ],
        }),
      );
      const arn = out.taskDefinition?.taskDefinitionArn ?? '';
      return {
        summary: `Registered task definition ${revisionOf(arn)} (${p.image}, ${p.cpu} vCPU, ${p.memory} GB) for ${name}`,
        newState: 'active',
        previous: { taskDefinition: arn },
        outputs: { taskDefinition: arn, family: p.family!, revision: String(out.taskDefinition?.revision ?? '') },
      };
    }
    case 'deregister_task_definition': {
      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: p.taskDefinition }));
      return {
        summary: `Deregistered task definition ${revisionOf(p.taskDefinition)}`,
        newState: 'active',
        previous: { taskDefinition: p.taskDefinition! },
      };
    }
    case 'create_service': {
      const td = await describeTaskDefinition(ecs, p.taskDefinition!);
      const port = Number(p.containerPort);
      const container = p.containerName
        ? td.containerDefinitions?.find((c) => c.name === p.containerName)
        : (td.containerDefinitions?.find((c) => c.portMappings?.some((m) => m.containerPort === port)) ??
          td.containerDefinitions?.[0]);
      if (!container?.name)
        throw badRequest(
          `Task definition ${revisionOf(td.taskDefinitionArn)} has no container ${p.containerName ?? ''}.`,
        );
      const network =
        p.subnets !== undefined
          ? { subnets: split(p.subnets)!, securityGroups: split(p.securityGroups) ?? [] }
          : await balancerNetwork(elb, p.targetGroup!);
      if (p.securityGroups !== undefined) network.securityGroups = split(p.securityGroups)!;
      const tags = Object.entries(tagsOf(cluster.tags))
        .filter(([k]) => ['env', 'environment', 'stage', 'team'].includes(k.toLowerCase()))
        .map(([key, value]) => ({ key, value }));
      const out = await ecs.send(
        new CreateServiceCommand({
          cluster: cluster.clusterArn,
          serviceName: p.name,
          taskDefinition: td.taskDefinitionArn,
          desiredCount: Number(p.desiredCount),
          launchType: 'FARGATE',
          loadBalancers: [{ targetGroupArn: p.targetGroup, containerName: container.name, containerPort: port }],
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: network.subnets,
              securityGroups: network.securityGroups,
              assignPublicIp: p.assignPublicIp === 'ENABLED' ? 'ENABLED' : 'DISABLED',
            },
          },
          healthCheckGracePeriodSeconds: 30,
          tags: [{ key: 'Name', value: p.name! }, ...tags],
        }),
      );
      const arn = out.service?.serviceArn ?? '';
      return {
        summary: `Created service ${p.name} in ${name}: ${p.desiredCount} Fargate tasks of ${revisionOf(td.taskDefinitionArn)} behind ${targetGroupName(p.targetGroup!)}`,
        newState: 'active',
        previous: { service: arn },
        outputs: { service: arn, name: p.name! },
      };
    }
    case 'delete_service': {
      const found = await ecs.send(
        new DescribeServicesCommand({ cluster: cluster.clusterArn, services: [p.service!] }),
      );
      const before = found.services?.find((x) => x.status !== 'INACTIVE');
      if (!before) throw new AppError('not_found', `${name} has no service ${serviceNameOf(p.service!)}.`);
      await ecs.send(new DeleteServiceCommand({ cluster: cluster.clusterArn, service: p.service, force: true }));
      return {
        summary: `Deleted service ${before.serviceName ?? p.service} of ${name} (was ${before.desiredCount ?? 0} tasks)`,
        newState: 'active',
        previous: {
          service: before.serviceArn ?? p.service!,
          taskDefinition: before.taskDefinition ?? '',
          desiredCount: String(before.desiredCount ?? 0),
        },
      };
    }
    default:
      throw badRequest(`AWS ECS clusters have no action “${action.action}” here.`);
  }
};

const serviceAction = async (ecs: ECSClient, action: ResourceAction): Promise<ActionResult> => {
  const p = action.params;
  const s = await liveService(ecs, action.target.id);
  const { cluster } = serviceArnParts(action.target.id);
  const name = s.serviceName ?? action.target.id;
  const was = { taskDefinition: s.taskDefinition ?? '', desiredCount: String(s.desiredCount ?? 0) };
  const count = p.desiredCount !== undefined ? Number(p.desiredCount) : undefined;
  switch (action.action) {
    case 'deploy_image': {
      const td = await describeTaskDefinition(ecs, s.taskDefinition ?? '');
      const containers = td.containerDefinitions ?? [];
      const chosen = p.container
        ? containers.find((c) => c.name === p.container)
        : containers.length === 1
          ? containers[0]
          : undefined;
      if (!chosen)
        throw badRequest(
          p.container
            ? `${revisionOf(td.taskDefinitionArn)} has no container ${p.container} (it has ${containers.map((c) => c.name).join(', ')}).`
            : `${revisionOf(td.taskDefinitionArn)} has ${containers.length} containers (${containers.map((c) => c.name).join(', ')}): name the one to change with container.`,
          undefined,
          'container',
        );
      const next = await ecs.send(
        new RegisterTaskDefinitionCommand({
          ...registrable(td),
          containerDefinitions: containers.map((c) => (c === chosen ? { ...c, image: p.image } : c)),
        }),
      );
      const made = next.taskDefinition?.taskDefinitionArn ?? '';
      try {
        await ecs.send(
          new UpdateServiceCommand({
            cluster,
            service: action.target.id,
            taskDefinition: made,
            ...(count !== undefined ? { desiredCount: count } : {}),
          }),
        );
      } catch (e) {
        // The revision nothing runs is not left behind.
        await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: made })).catch(() => undefined);
        throw e;
      }
      return {
        summary: `${name} is rolling over to ${p.image} (${revisionOf(made)}, was ${revisionOf(was.taskDefinition)} with ${chosen.image})${count !== undefined ? `, ${count} tasks (was ${was.desiredCount})` : ''}`,
        newState: 'deploying',
        previous: { ...was, madeTaskDefinition: made },
        outputs: { taskDefinition: made },
      };
    }
    case 'set_task_definition': {
      await ecs.send(
        new UpdateServiceCommand({
          cluster,
          service: action.target.id,
          taskDefinition: p.taskDefinition,
          ...(count !== undefined ? { desiredCount: count } : {}),
        }),
      );
      if (p.deregister) await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: p.deregister }));
      return {
        summary: `${name} is rolling over to ${revisionOf(p.taskDefinition)} (was ${revisionOf(was.taskDefinition)})${count !== undefined ? `, ${count} tasks (was ${was.desiredCount})` : ''}${p.deregister ? `; ${revisionOf(p.deregister)} deregistered` : ''}`,
        newState: 'deploying',
        previous: was,
      };
    }
    case 'scale_service': {
      await ecs.send(new UpdateServiceCommand({ cluster, service: action.target.id, desiredCount: count }));
      return {
        summary: `${name} scales to ${count} tasks (was ${was.desiredCount})`,
        newState: 'deploying',
        previous: { desiredCount: was.desiredCount },
      };
    }
    default:
      throw badRequest(`AWS ECS services have no action “${action.action}” here.`);
  }
};

/** Runs an action of ./app-actions.ts on an ECS cluster or service (`doing` names it in errors). */
export const executeEcsAction = async (
  ecs: ECSClient,
  elb: ElasticLoadBalancingV2Client,
  action: ResourceAction,
  doing: string,
): Promise<ActionResult> => {
  try {
    return action.target.type === 'cluster' ? await clusterAction(ecs, elb, action) : await serviceAction(ecs, action);
  } catch (e) {
    throw translateAwsError(e, doing);
  }
};
