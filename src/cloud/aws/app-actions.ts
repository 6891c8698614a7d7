import { z } from 'zod';
import { AppError, badRequest, conflict } from '../../errors.ts';
import { subjectLabel, type ActionCatalog, type ActionSpec, type ActionSubject } from '../actions.ts';
import { monthlyCents } from '../pricing/index.ts';

/**
 * What the AWS provider does to deploy and release apps, as data (src/cloud/actions.ts): ECS task
 * definitions and Fargate services on a `cluster`, a service's image, task definition and task
 * count (`container_service`), and on an ALB (`load_balancer`) its target groups, listener rules
 * and the target group a listener forwards to. Actions that make something report it in `outputs`
 * and record in `previous` what their inverse needs to remove it again, so a workflow's
 * compensation deletes what a failed run made, in reverse. No SDK here: ./ecs.ts and
 * ./elb-actions.ts carry them out.
 */

const label = subjectLabel;
/** A refusal because of how the resource is now, about one form field. */
const conflictOn = (message: string, field: string): AppError => new AppError('conflict', message, { field });
type InverseArgs = Parameters<ActionSpec['inverse']>[0];

// ---------------------------------------------------------------------------------------------
// Fargate task sizes (vCPU → the memory in GB each allows), as the ECS documentation lists them.

const steps = (from: number, to: number, step: number): number[] =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
/** Fargate's vCPU sizes, smallest first (an object would list the whole numbers first). */
export const fargateVcpus = ['0.25', '0.5', '1', '2', '4', '8', '16'] as const;
export const fargateSizes: Record<string, number[]> = {
  '0.25': [0.5, 1, 2],
  '0.5': steps(1, 4, 1),
  '1': steps(2, 8, 1),
  '2': steps(4, 16, 1),
  '4': steps(8, 30, 1),
  '8': steps(16, 60, 4),
  '16': steps(32, 120, 8),
};

/** Refuses a vCPU and memory pair Fargate does not run, naming the memory sizes that vCPU allows. */
export const checkFargateSize = (vcpu: string, memoryGb: string): void => {
  const allowed = fargateSizes[vcpu];
  if (!allowed) throw badRequest(`Fargate runs ${fargateVcpus.join(', ')} vCPU tasks, not ${vcpu}.`, undefined, 'cpu');
  if (!allowed.includes(Number(memoryGb)))
    throw badRequest(
      `A ${vcpu} vCPU Fargate task takes ${allowed.join(', ')} GB of memory, not ${memoryGb}.`,
      undefined,
      'memory',
    );
};

/** CPU units and MiB, as a task definition states them (`0.5` vCPU → `512`, `1` GB → `1024`). */
export const cpuUnits = (vcpu: string): string => String(Math.round(Number(vcpu) * 1024));
export const memoryMib = (gb: string): string => String(Math.round(Number(gb) * 1024));

/** One Fargate task's monthly cost (730 hours) in a region, or undefined when the region is unpriced. */
export const fargateTaskMonthlyCents = (vcpu: number, memoryGb: number, region: string): number | undefined => {
  const cpu = monthlyCents('aws', 'fargate', 'vcpu', region, vcpu);
  const memory = monthlyCents('aws', 'fargate', 'memory_gb', region, memoryGb);
  return cpu === undefined || memory === undefined ? undefined : cpu + memory;
};

// ---------------------------------------------------------------------------------------------
// Parameters.

const Port = z
  .string()
  .regex(/^\d{1,5}$/, 'a port number')
  .refine((p) => Number(p) >= 1 && Number(p) <= 65535, 'a port between 1 and 65535');
const TaskCount = z
  .string()
  .regex(/^\d{1,4}$/, 'a whole number of tasks')
  .refine((n) => Number(n) <= 1000, 'at most 1000 tasks');
const Image = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/, 'a container image such as public.ecr.aws/acme/app:1.2.3');
/** Task definition families, service and container names. */
const EcsName = z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'letters, digits, hyphens and underscores (1–255)');
const Vcpu = z.enum(fargateVcpus, {
  error: 'a Fargate vCPU size: 0.25, 0.5, 1, 2, 4, 8 or 16',
});
const MemoryGb = z.string().regex(/^\d{1,3}(\.5)?$/, 'memory in GB, such as 0.5, 1 or 2');
const Region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1');
const arn = (service: string, resource: string) => `^arn:aws[\\w-]*:${service}:[a-z0-9-]+:\\d{12}:${resource}`;
/** A revision: `family:3` or its ARN. */
const TaskDefinitionRevision = z
  .string()
  .regex(
    new RegExp(`^(${arn('ecs', 'task-definition/')})?[A-Za-z0-9_-]{1,255}:\\d{1,7}$`),
    'a task definition revision (family:3) or its ARN',
  );
/** A family (its newest revision), a revision, or an ARN. */
const TaskDefinitionRef = z
  .string()
  .regex(
    new RegExp(`^(${arn('ecs', 'task-definition/')})?[A-Za-z0-9_-]{1,255}(:\\d{1,7})?$`),
    'a task definition (family, family:3 or its ARN)',
  );
const ServiceRef = z
  .string()
  .regex(new RegExp(`^(${arn('ecs', 'service/')}[A-Za-z0-9_/-]+|[A-Za-z0-9_-]{1,255})$`), 'an ECS service name or ARN');
const TargetGroupName = z
  .string()
  .regex(
    /^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/,
    'letters, digits and hyphens, at most 32, not starting or ending with a hyphen nor with internal-',
  );
const TargetGroupArn = z
  .string()
  .regex(
    new RegExp(`${arn('elasticloadbalancing', 'targetgroup/')}[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`),
    'a target group ARN',
  );
/** A target group by ARN or by name. */
const TargetGroupRef = z.union([TargetGroupArn, TargetGroupName], { error: 'a target group ARN or name' });
const RuleArn = z
  .string()
  .regex(new RegExp(`${arn('elasticloadbalancing', 'listener-rule/')}[A-Za-z0-9/_-]+$`), 'a listener rule ARN');
const idList = (prefix: string) =>
  z
    .string()
    .regex(
      new RegExp(`^${prefix}-[0-9a-f]{8,17}(,${prefix}-[0-9a-f]{8,17}){0,15}$`),
      `${prefix}-… ids, comma-separated`,
    );
const PathPattern = z
  .string()
  .regex(/^\/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$/, 'a path pattern such as /orders/* (starting with /)');
const HostHeader = z
  .string()
  .regex(/^[A-Za-z0-9*?.-]{1,128}$/, 'a host name such as api.example.com (* and ? allowed)');
const Priority = z
  .string()
  .regex(/^\d{1,5}$/, 'a rule priority')
  .refine((p) => Number(p) >= 1 && Number(p) <= 50000, 'a rule priority between 1 and 50000');

// ---------------------------------------------------------------------------------------------
// Helpers for the words and checks.

/** `arn:…:targetgroup/checkout-blue/0123…` → `checkout-blue`; a name stays itself. */
export const targetGroupName = (ref: string): string => /:targetgroup\/([^/]+)\//.exec(ref)?.[1] ?? ref;
/** `arn:…:task-definition/checkout:7` → `checkout:7`. */
const revisionName = (ref: string): string => ref.split('/').at(-1) ?? ref;
/** `arn:…:service/prod-apps/checkout` → `checkout`. */
const serviceName = (ref: string): string => ref.split('/').at(-1) ?? ref;

const ecsCluster = (s: ActionSubject, what: string): void => {
  if (s.attributes.kind !== 'ecs') throw badRequest(`${label(s)} is not an ECS cluster; ${what} needs one.`);
};

const applicationBalancer = (s: ActionSubject, what: string): void => {
  if (s.attributes.lbType !== 'application')
    throw badRequest(
      `${label(s)} is ${String(s.attributes.lbType ?? 'not')} an Application Load Balancer; ${what} needs one.`,
    );
};

interface ListenerSeen {
  port: number | null;
  protocol: string | null;
  targetGroupArns: string[];
}
interface GroupSeen {
  arn: string | null;
  name: string | null;
}

const listenerOn = (s: ActionSubject, port: string): ListenerSeen => {
  const listeners = (s.attributes.listeners as ListenerSeen[] | undefined) ?? [];
  const l = listeners.find((x) => String(x.port) === port);
  if (!l)
    throw badRequest(
      `${label(s)} has no listener on port ${port}${listeners.length ? ` (it listens on ${listeners.map((x) => x.port).join(', ')})` : ''}.`,
      undefined,
      'port',
    );
  return l;
};

/** Whether a reference (ARN or name) names the group with this ARN, as the balancer's attributes know it. */
const names = (s: ActionSubject, ref: string, arnOf: string): boolean => {
  if (ref === arnOf) return true;
  const groups = (s.attributes.targetGroups as GroupSeen[] | undefined) ?? [];
  return groups.some((g) => g.arn === arnOf && g.name === ref) || targetGroupName(arnOf) === ref;
};

/** Monthly cost of `tasks` more (or fewer) tasks of a Fargate service, from its task size. */
const taskCostDelta = (s: ActionSubject, tasks: number): number => {
  if (s.attributes.launchType !== 'FARGATE' || tasks === 0) return 0;
  const each = fargateTaskMonthlyCents(Number(s.attributes.cpu ?? 0), Number(s.attributes.memoryGb ?? 0), s.region);
  return each === undefined ? 0 : each * tasks;
};

const desiredNow = (s: ActionSubject): number => Number(s.attributes.desiredCount ?? 0);

const serviceStates = ['steady', 'deploying', 'failed'];

const taskDefinitionInverse = ({ previous }: InverseArgs) =>
  previous?.taskDefinition
    ? {
        action: 'set_task_definition',
        params: {
          taskDefinition: previous.taskDefinition,
          ...(previous.desiredCount ? { desiredCount: previous.desiredCount } : {}),
          ...(previous.madeTaskDefinition ? { deregister: previous.madeTaskDefinition } : {}),
        },
      }
    : { why: 'the task definition it ran before was not recorded' };

// ---------------------------------------------------------------------------------------------

export const appActions: ActionCatalog = {
  cluster: [
    {
      name: 'register_task_definition',
      title: 'Register task definition',
      doing: 'registering a task definition for',
      description:
        'Register a Fargate task definition of one container (image, port, vCPU and memory) for an ECS cluster',
      params: z.object({
        family: EcsName,
        image: Image,
        containerPort: Port,
        cpu: Vcpu,
        memory: MemoryGb,
        /** The region the run expects (the template's priced region): refused when the cluster is elsewhere. */
        region: Region.optional(),
      }),
      states: ['active'],
      check: async (s, p) => {
        ecsCluster(s, 'a task definition for its services');
        checkFargateSize(p.cpu!, p.memory!);
        if (p.region && p.region !== s.region)
          throw conflict(
            `${label(s)} is in ${s.region}, not ${p.region}: pick a cluster in ${p.region}, or that region.`,
          );
      },
      detail: (_s, p) => `${p.family} (${p.image}, ${p.cpu} vCPU, ${p.memory} GB, port ${p.containerPort})`,
      blastRadius: (s, p) =>
        `Registers a new revision of task definition ${p.family} for services of ${label(s)}; nothing runs it until a service does, and running services keep their revision.`,
      inverse: ({ previous }) =>
        previous?.taskDefinition
          ? { action: 'deregister_task_definition', params: { taskDefinition: previous.taskDefinition } }
          : { why: 'the revision it registers is known once it has run' },
    },
    {
      name: 'deregister_task_definition',
      title: 'Deregister task definition',
      doing: 'deregistering a task definition of',
      description: 'Deregister a task definition revision: no new task or service can use it',
      params: z.object({ taskDefinition: TaskDefinitionRevision }),
      detail: (_s, p) => revisionName(p.taskDefinition!),
      blastRadius: (_s, p) =>
        `Revision ${revisionName(p.taskDefinition!)} can no longer start new tasks or services; what already runs it goes on.`,
      inverse: () => ({ why: 'a deregistered revision cannot be made active again; register a new one' }),
    },
    {
      name: 'create_service',
      title: 'Create service',
      doing: 'creating a service in',
      description:
        'Create a Fargate service running a task definition behind an ALB target group (subnets and security groups default to the load balancer’s)',
      params: z.object({
        name: EcsName,
        taskDefinition: TaskDefinitionRef,
        desiredCount: TaskCount,
        targetGroup: TargetGroupArn,
        containerPort: Port,
        containerName: EcsName.optional(),
        subnets: idList('subnet').optional(),
        securityGroups: idList('sg').optional(),
        assignPublicIp: z.enum(['ENABLED', 'DISABLED']).optional(),
      }),
      states: ['active'],
      check: async (s) => ecsCluster(s, 'a Fargate service'),
      detail: (_s, p) => `${p.name} (${p.desiredCount} tasks)`,
      blastRadius: (s, p) =>
        `Starts ${p.desiredCount} Fargate task(s) of ${revisionName(p.taskDefinition!)} as service ${p.name} in ${label(s)}, registered in target group ${targetGroupName(p.targetGroup!)}; they are billed per vCPU and GB while they run.${p.subnets ? '' : ' The tasks use the load balancer’s subnets and security groups.'}`,
      inverse: ({ previous }) =>
        previous?.service
          ? { action: 'delete_service', params: { service: previous.service } }
          : { why: 'the service it creates is known once it has run' },
    },
    {
      name: 'delete_service',
      title: 'Delete service',
      doing: 'deleting a service of',
      description: 'Scale an ECS service to 0 and delete it',
      params: z.object({ service: ServiceRef }),
      detail: (_s, p) => serviceName(p.service!),
      blastRadius: (s, p) =>
        `Service ${serviceName(p.service!)} of ${label(s)} stops its tasks, which leave their target groups; what they served fails unless something else serves it.`,
      inverse: () => ({ why: 'a deleted service cannot come back; create it again' }),
    },
  ],
  container_service: [
    {
      name: 'deploy_image',
      title: 'Deploy image',
      doing: 'deploying an image to',
      description:
        'Register a new task definition revision with another image and roll the service over to it (optionally with a new task count)',
      params: z.object({ image: Image, desiredCount: TaskCount.optional(), container: EcsName.optional() }),
      states: serviceStates,
      check: async (s, p) => {
        const same = p.image === s.attributes.image;
        if (same && (p.desiredCount === undefined || Number(p.desiredCount) === desiredNow(s)))
          throw conflictOn(`${label(s)} already runs ${p.image}.`, 'image');
      },
      detail: (s, p) =>
        `to ${p.image}${p.desiredCount !== undefined && Number(p.desiredCount) !== desiredNow(s) ? ` with ${p.desiredCount} tasks (was ${desiredNow(s)})` : ''}`,
      blastRadius: (s, p) =>
        `${label(s)} gets a new task definition revision with ${p.image} and rolls its tasks over to it: new tasks start and must pass their target group's health checks before the old ones drain.${p.desiredCount !== undefined && Number(p.desiredCount) !== desiredNow(s) ? ` It runs ${p.desiredCount} tasks (was ${desiredNow(s)}).` : ''}`,
      costDeltaCents: (s, p) =>
        p.desiredCount === undefined ? 0 : taskCostDelta(s, Number(p.desiredCount) - desiredNow(s)),
      inverse: taskDefinitionInverse,
    },
    {
      name: 'set_task_definition',
      title: 'Set task definition',
      doing: 'setting the task definition of',
      description:
        'Roll a service over to another task definition revision (optionally with a task count, deregistering a revision afterwards)',
      params: z.object({
        taskDefinition: TaskDefinitionRef,
        desiredCount: TaskCount.optional(),
        deregister: TaskDefinitionRevision.optional(),
      }),
      states: serviceStates,
      detail: (_s, p) => `to ${revisionName(p.taskDefinition!)}`,
      blastRadius: (s, p) =>
        `${label(s)} rolls its tasks over to ${revisionName(p.taskDefinition!)}${p.desiredCount !== undefined ? ` with ${p.desiredCount} tasks` : ''}: new tasks start and pass their health checks before the old ones drain.${p.deregister ? ` Revision ${revisionName(p.deregister)} is then deregistered.` : ''}`,
      costDeltaCents: (s, p) =>
        p.desiredCount === undefined ? 0 : taskCostDelta(s, Number(p.desiredCount) - desiredNow(s)),
      inverse: ({ previous, subject }) =>
        taskDefinitionInverse({
          params: {},
          previous: previous ?? {
            taskDefinition: String(subject?.attributes.taskDefinition ?? ''),
            desiredCount: String(subject?.attributes.desiredCount ?? ''),
          },
        }),
    },
    {
      name: 'scale_service',
      aliases: ['scale'],
      title: 'Scale service',
      doing: 'scaling',
      description: 'Set the number of tasks an ECS service runs',
      params: z.object({ desiredCount: TaskCount }),
      states: serviceStates,
      check: async (s, p) => {
        if (Number(p.desiredCount) === desiredNow(s))
          throw conflictOn(`${label(s)} already runs ${desiredNow(s)} tasks.`, 'desiredCount');
      },
      detail: (s, p) => `to ${p.desiredCount} tasks (was ${desiredNow(s)})`,
      blastRadius: (s, p) =>
        Number(p.desiredCount) < desiredNow(s)
          ? `${label(s)} stops ${desiredNow(s) - Number(p.desiredCount)} of its tasks; they leave their target groups first, and the rest carry the load.`
          : `${label(s)} starts ${Number(p.desiredCount) - desiredNow(s)} more tasks, serving once they pass their health checks.`,
      costDeltaCents: (s, p) => taskCostDelta(s, Number(p.desiredCount) - desiredNow(s)),
      inverse: ({ previous, subject }) => {
        const before = previous?.desiredCount ?? (subject ? String(subject.attributes.desiredCount ?? '') : '');
        return before
          ? { action: 'scale_service', params: { desiredCount: before } }
          : { why: 'its task count before was not recorded' };
      },
    },
  ],
  load_balancer: [
    {
      name: 'create_target_group',
      title: 'Create target group',
      doing: 'creating a target group for',
      description:
        'Create a target group (port, health check path; ip targets for Fargate) in the VPC of an Application Load Balancer',
      params: z.object({
        name: TargetGroupName,
        port: Port,
        healthCheckPath: PathPattern.refine((p) => !/[*?]/.test(p), 'a path without wildcards, such as /healthz'),
        protocol: z.enum(['HTTP', 'HTTPS']).optional(),
        targetType: z.enum(['ip', 'instance']).optional(),
      }),
      states: ['active'],
      check: async (s) => applicationBalancer(s, 'a target group for its listeners'),
      detail: (_s, p) => `${p.name} (${p.protocol ?? 'HTTP'} ${p.port}, health check ${p.healthCheckPath})`,
      blastRadius: (s, p) =>
        `Creates target group ${p.name} (${p.protocol ?? 'HTTP'} ${p.port}, health check ${p.healthCheckPath}) in the VPC of ${label(s)}; nothing reaches it until a listener or rule forwards to it.`,
      inverse: ({ previous }) =>
        previous?.targetGroup
          ? { action: 'delete_target_group', params: { targetGroup: previous.targetGroup } }
          : { why: 'the target group it creates is known once it has run' },
    },
    {
      name: 'delete_target_group',
      title: 'Delete target group',
      doing: 'deleting a target group of',
      description: 'Delete a target group no listener or rule forwards to',
      params: z.object({ targetGroup: TargetGroupArn }),
      detail: (_s, p) => targetGroupName(p.targetGroup!),
      blastRadius: (s, p) =>
        `Target group ${targetGroupName(p.targetGroup!)} is deleted with its health checks; AWS refuses while a listener or rule of ${label(s)} forwards to it.`,
      inverse: () => ({ why: 'a deleted target group cannot come back; create it again' }),
    },
    {
      name: 'create_listener_rule',
      title: 'Add listener rule',
      doing: 'adding a listener rule to',
      description:
        'Forward the requests of a listener that match a path pattern or host name to a target group (priority: after the existing rules unless given)',
      params: z.object({
        port: Port,
        targetGroup: TargetGroupArn,
        pathPattern: PathPattern.optional(),
        hostHeader: HostHeader.optional(),
        priority: Priority.optional(),
      }),
      states: ['active'],
      check: async (s, p) => {
        applicationBalancer(s, 'listener rules');
        if (!p.pathPattern && !p.hostHeader)
          throw badRequest('A listener rule needs a pathPattern or a hostHeader to match.', undefined, 'pathPattern');
        listenerOn(s, p.port!);
      },
      detail: (_s, p) =>
        `on port ${p.port}: ${[p.hostHeader && `host ${p.hostHeader}`, p.pathPattern && `path ${p.pathPattern}`].filter(Boolean).join(', ')}`,
      blastRadius: (s, p) =>
        `Requests to ${label(s)} on port ${p.port} matching ${[p.hostHeader && `host ${p.hostHeader}`, p.pathPattern && `path ${p.pathPattern}`].filter(Boolean).join(' and ')} go to target group ${targetGroupName(p.targetGroup!)}, unless a rule of higher priority takes them first.`,
      inverse: ({ previous }) =>
        previous?.rule
          ? { action: 'delete_listener_rule', params: { rule: previous.rule } }
          : { why: 'the rule it adds is known once it has run' },
    },
    {
      name: 'delete_listener_rule',
      title: 'Delete listener rule',
      doing: 'deleting a listener rule of',
      description: 'Delete a listener rule (its requests fall through to the later rules or the default action)',
      params: z.object({ rule: RuleArn }),
      blastRadius: (s) =>
        `Requests that matched the rule on ${label(s)} fall through to the listener's later rules or its default action.`,
      inverse: () => ({ why: 'a deleted rule cannot come back; add it again' }),
    },
    {
      name: 'switch_traffic',
      title: 'Switch traffic',
      doing: 'switching the traffic of',
      description:
        'Make a listener forward to another target group (blue/green): all new requests go there at once; the group it forwarded to is recorded to switch back',
      params: z.object({ port: Port, targetGroup: TargetGroupRef, fromTargetGroup: TargetGroupRef.optional() }),
      states: ['active'],
      check: async (s, p) => {
        const l = listenerOn(s, p.port!);
        if (l.targetGroupArns.some((a) => names(s, p.targetGroup!, a)))
          throw conflictOn(
            `${label(s)} already forwards port ${p.port} to ${targetGroupName(p.targetGroup!)}.`,
            'targetGroup',
          );
        if (p.fromTargetGroup && !l.targetGroupArns.some((a) => names(s, p.fromTargetGroup!, a)))
          throw conflictOn(
            `${label(s)} forwards port ${p.port} to ${l.targetGroupArns.map(targetGroupName).join(', ') || 'nothing'}, not to ${targetGroupName(p.fromTargetGroup)}; nothing would be switched from it.`,
            'fromTargetGroup',
          );
      },
      detail: (_s, p) => `port ${p.port} to ${targetGroupName(p.targetGroup!)}`,
      blastRadius: (s, p) =>
        `Every new request to ${label(s)} on port ${p.port} goes to ${targetGroupName(p.targetGroup!)} at once, no longer to ${p.fromTargetGroup ? targetGroupName(p.fromTargetGroup) : 'the group it forwards to now'}; requests in flight finish where they are.`,
      inverse: ({ params, previous }) =>
        previous?.targetGroup
          ? {
              action: 'switch_traffic',
              params: {
                port: params.port ?? previous.port ?? '',
                targetGroup: previous.targetGroup,
                fromTargetGroup: params.targetGroup ?? '',
              },
            }
          : { why: 'the target group it forwarded to before is recorded once it has run' },
    },
  ],
};
