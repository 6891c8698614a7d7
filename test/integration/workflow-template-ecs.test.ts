import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { AwsProvider } from '../../src/cloud/aws/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { planWorkflow, type PlanDeps, type PlannedResourceStep } from '../../src/workflows/plan.ts';
import { loadWorkspaceTemplates } from '../../src/workflows/registry.ts';
import { runWorkflow } from '../../src/workflows/run.ts';
import type { Template } from '../../src/workflows/template.ts';
import { inventoryOf, planDepsOf, sandboxAws } from '../fixtures/workflow-sandbox.ts';
import { runDepsFor, statuses } from '../fixtures/workflow-aws-run.ts';

// The built-in ecs-node-app template, loaded as the app loads it, planned over the sandbox's
// inventory and run through the real ECS and ELBv2 SDK clients against the sandbox's emulators:
// the whole deployment, a cloud call refused half way and what its compensation removes again, a
// service whose tasks never pass their health checks, and the plans it refuses.
const now = new Date('2026-11-01T12:00:00Z');
const clock = () => now;
let sandbox: Sandbox;
let aws: AwsProvider;
let planDeps: PlanDeps;
let template: Template;

const inputs = {
  cluster: 'prod-apps',
  load_balancer: 'web-prod-alb',
  app_name: 'orders-api',
  image: 'public.ecr.aws/acme/orders-api:1.0.0',
  container_port: '8080',
  health_check_path: '/health',
};

const rows = async (type: string, name?: string): Promise<Resource[]> =>
  (await inventoryOf(aws)).filter((r) => r.type === type && (name === undefined || r.name === name));
const webAlbRules = () =>
  sandbox.fleet.loadBalancers.find((b) => b.name === 'web-prod-alb')!.listeners.flatMap((l) => l.rules ?? []);
const ordersTaskDefinitions = () => sandbox.fleet.ecs!.taskDefinitions.filter((d) => d.family === 'orders-api');

beforeAll(async () => {
  const registry = await loadWorkspaceTemplates();
  template = registry.latest('ecs-node-app')!;
});
beforeEach(async () => {
  sandbox = await startSandbox({ now: clock });
  aws = sandboxAws(sandbox.url, clock);
  planDeps = planDepsOf(aws);
});
afterEach(async () => {
  aws.destroy();
  await sandbox.stop();
});

describe('the ecs-node-app template', () => {
  it('is a built-in template the registry loads', () => {
    expect(template).toMatchObject({ name: 'ecs-node-app', version: 1, category: 'deploy', provider: 'aws' });
    expect(template.steps.map((s) => s.id)).toEqual([
      'task_definition',
      'target_group',
      'route',
      'service',
      'steady',
      'healthy',
    ]);
  });

  it('plans every step against the inventory and prices the tasks from the Fargate table', async () => {
    const plan = await planWorkflow(planDeps, template, inputs);
    expect((plan.steps as PlannedResourceStep[]).map((s) => [s.id, s.kind, s.target.type, s.resourceName])).toEqual([
      ['task_definition', 'action', 'cluster', 'prod-apps'],
      ['target_group', 'action', 'load_balancer', 'web-prod-alb'],
      ['route', 'action', 'load_balancer', 'web-prod-alb'],
      ['service', 'action', 'cluster', 'prod-apps'],
      ['steady', 'wait', 'container_service', 'the container_service step service makes'],
      ['healthy', 'wait', 'target_group', 'the target_group step target_group makes'],
    ]);
    const [register, group, route] = plan.steps;
    expect(register).toMatchObject({
      action: 'register_task_definition',
      params: { family: 'orders-api', cpu: '0.5', memory: '1', containerPort: '8080', region: 'us-east-1' },
    });
    expect(register!.kind === 'action' && register!.summary).toBe(
      'Register task definition prod-apps (arn:aws:ecs:us-east-1:123456789012:cluster/prod-apps) orders-api (public.ecr.aws/acme/orders-api:1.0.0, 0.5 vCPU, 1 GB, port 8080) in us-east-1, env=prod',
    );
    expect(group!.kind === 'action' && group!.blastRadius).toMatch(
      /^Creates target group orders-api-tg \(HTTP 8080, health check \/health\) in the VPC of web-prod-alb .* This is production\.$/,
    );
    // Its target group is made by the step before: checked when it runs.
    expect(route).toMatchObject({
      params: { targetGroup: '${steps.target_group.targetGroup}', pathPattern: '/orders-api/*', port: '443' },
    });
    // 2 tasks × (0.5 vCPU × $0.04048 + 1 GB × $0.004445) × 730 h.
    expect(plan).toMatchObject({ monthlyCents: 2955 + 649, unpriced: [] });
  });

  it('deploys the app end to end: task definition, target group, rule, service, steady and healthy', async () => {
    const plan = await planWorkflow(planDeps, template, inputs);
    const { deps, records, progress } = runDepsFor(aws, clock);
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'succeeded', summary: 'ecs-node-app: all 6 steps done.' });
    expect(statuses(records)).toEqual([
      ['task_definition', 'succeeded'],
      ['target_group', 'succeeded'],
      ['route', 'succeeded'],
      ['service', 'succeeded'],
      ['steady', 'succeeded'],
      ['healthy', 'succeeded'],
    ]);
    expect(progress[0]).toBe('step 1 of 6: Register the task definition');
    const taskDefinition = 'arn:aws:ecs:us-east-1:123456789012:task-definition/orders-api:1';
    expect(records[0]!.outputs).toMatchObject({ taskDefinition, family: 'orders-api', revision: '1' });
    const groupArn = records[1]!.outputs.targetGroup!;
    expect(groupArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/orders-api-tg\/[0-9a-f]{16}$/,
    );
    expect(records[2]!.summary).toBe('web-prod-alb:443 forwards path /orders-api/* to orders-api-tg (rule priority 1)');
    const serviceArn = 'arn:aws:ecs:us-east-1:123456789012:service/prod-apps/orders-api';
    expect(records[3]!.outputs).toEqual(expect.objectContaining({ service: serviceArn, name: 'orders-api' }));
    expect(records[4]!.summary).toBe('the container_service step service makes is steady');

    // What the emulator holds now, as the provider reads it.
    const [service] = await rows('container_service', 'orders-api');
    expect(service).toMatchObject({
      id: serviceArn,
      state: 'steady',
      environment: 'prod',
      monthlyCostCents: 3604,
      attributes: {
        taskDefinition,
        image: 'public.ecr.aws/acme/orders-api:1.0.0',
        containerPort: 8080,
        cpu: 0.5,
        memoryGb: 1,
        desiredCount: 2,
        runningCount: 2,
        launchType: 'FARGATE',
        targetGroups: [groupArn],
      },
    });
    const [group] = await rows('target_group', 'orders-api-tg');
    expect(group).toMatchObject({
      id: groupArn,
      state: 'healthy',
      environment: 'prod',
      attributes: { targetType: 'ip', port: 8080, healthCheckPath: '/health', targets: 2, healthy: 2 },
    });
    const [alb] = await rows('load_balancer', 'web-prod-alb');
    expect((alb!.attributes.targetGroups as Array<{ name: string }>).map((g) => g.name)).toContain('orders-api-tg');
    expect(webAlbRules()).toEqual([
      expect.objectContaining({
        priority: 1,
        targetGroupArn: groupArn,
        conditions: [{ field: 'path-pattern', values: ['/orders-api/*'] }],
      }),
    ]);
    // The new task definition runs Node with its port in PORT.
    expect(ordersTaskDefinitions()[0]).toMatchObject({
      status: 'ACTIVE',
      cpu: '512',
      memory: '1024',
      containers: [
        expect.objectContaining({
          environment: [
            { name: 'NODE_ENV', value: 'production' },
            { name: 'PORT', value: '8080' },
          ],
        }),
      ],
    });
  });

  it('undoes what it made, newest first, when ECS refuses the service', async () => {
    const plan = await planWorkflow(planDeps, template, inputs);
    sandbox.failNext('CreateService', {
      code: 'AccessDeniedException',
      message: 'User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: ecs:CreateService',
    });
    const { deps, records } = runDepsFor(aws, clock);
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(out.error).toContain('not authorized to perform: ecs:CreateService');
    expect(out.summary).toMatch(
      /^ecs-node-app: step 4 of 6 \(Create the Fargate service\) failed: AWS refused the permissions/,
    );
    expect(statuses(records)).toEqual([
      ['task_definition', 'succeeded'],
      ['target_group', 'succeeded'],
      ['route', 'succeeded'],
      ['service', 'failed'],
      ['route', 'compensated'],
      ['target_group', 'compensated'],
      ['task_definition', 'compensated'],
    ]);
    expect(records.slice(4).map((r) => r.summary)).toEqual([
      'Deleted a listener rule of web-prod-alb',
      'Deleted target group orders-api-tg',
      'Deregistered task definition orders-api:1',
    ]);
    // Nothing it made is left.
    expect(await rows('target_group', 'orders-api-tg')).toEqual([]);
    expect(await rows('container_service', 'orders-api')).toEqual([]);
    expect(webAlbRules()).toEqual([]);
    expect(ordersTaskDefinitions().map((d) => d.status)).toEqual(['INACTIVE']);
  });

  it('deletes the service too when its tasks never pass the health checks and the wait times out', async () => {
    const plan = await planWorkflow(planDeps, template, inputs);
    sandbox.fleet.ecs!.imageFaults.push(inputs.image);
    // The steady wait gives up after a few polls (its 15 minutes, on the test's clock).
    const { deps, records } = runDepsFor(aws, clock, {
      timeoutWhen: (done, polls) => done.some((r) => r.id === 'service') && polls >= 4,
    });
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'failed', error: 'did not finish within 900 s' });
    expect(statuses(records)).toEqual([
      ['task_definition', 'succeeded'],
      ['target_group', 'succeeded'],
      ['route', 'succeeded'],
      ['service', 'succeeded'],
      ['steady', 'timed_out'],
      ['service', 'compensated'],
      ['route', 'compensated'],
      ['target_group', 'compensated'],
      ['task_definition', 'compensated'],
    ]);
    expect(records[5]!.summary).toBe('Deleted service orders-api of prod-apps (was 2 tasks)');
    expect(
      await aws.describe({
        ...(plan.steps[0] as PlannedResourceStep).target,
        type: 'container_service',
        id: records[3]!.outputs.service!,
      }),
    ).toBeNull();
    expect(await rows('target_group', 'orders-api-tg')).toEqual([]);
    expect(webAlbRules()).toEqual([]);
    // The seeded checkout services were not touched.
    expect((await rows('container_service')).map((s) => [s.name, s.state])).toEqual([
      ['checkout-blue', 'steady'],
      ['checkout-green', 'steady'],
    ]);
  });

  it('refuses a plan Fargate cannot run, a cluster in another region and a network load balancer', async () => {
    await expect(planWorkflow(planDeps, template, { ...inputs, cpu: '0.25', memory: '8' })).rejects.toThrow(
      'A 0.25 vCPU Fargate task takes 0.5, 1, 2 GB of memory, not 8.',
    );
    await expect(planWorkflow(planDeps, template, { ...inputs, cluster: 'dev-apps' })).rejects.toThrow(
      /dev-apps .* is in eu-west-1, not us-east-1/,
    );
    await expect(planWorkflow(planDeps, template, { ...inputs, load_balancer: 'api-prod-nlb' })).rejects.toThrow(
      /api-prod-nlb .* is network an Application Load Balancer; a target group for its listeners needs one/,
    );
    await expect(planWorkflow(planDeps, template, { ...inputs, app_name: 'Orders_API' })).rejects.toThrow(
      /app_name: "Orders_API" does not match/,
    );
  });

  it('lists the Fargate lines as unpriced in a region the table does not price', async () => {
    const plan = await planWorkflow(planDeps, template, {
      ...inputs,
      cluster: 'dev-apps',
      load_balancer: 'legacy-dev-alb',
      listener_port: '80',
      region: 'eu-west-1',
    });
    expect(plan).toMatchObject({
      monthlyCents: 0,
      unpriced: ['fargate vcpu in eu-west-1', 'fargate memory_gb in eu-west-1'],
    });
  });
});
