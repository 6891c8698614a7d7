import { afterEach, describe, expect, it } from '@jest/globals';
import { createEcsClient, listEcs } from '../../src/cloud/aws/ecs.ts';
import { AwsProvider } from '../../src/cloud/aws/provider.ts';
import type { ResourceAction } from '../../src/cloud/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/cloud/sandbox/server.ts';
import { isAppError } from '../../src/errors.ts';
import { inventoryOf } from '../fixtures/workflow-sandbox.ts';

// The AWS provider's ECS and load balancer side through the real SDKs against the sandbox: the
// listing (paged), describe for waits and refreshes, a rollout paced by the sandbox's clock, and
// AWS's refusals as clear AppErrors with AWS's own message.
let now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
let aws: AwsProvider;

const start = async (opts: SandboxOptions = {}) => {
  now = new Date('2026-11-01T12:00:00Z');
  sandbox = await startSandbox({ now: () => now, ...opts });
  aws = new AwsProvider({
    regions: ['us-east-1', 'eu-west-1'],
    account: '123456789012',
    endpoint: sandbox.url,
    sandbox: true,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
    now: () => now,
    maxAttempts: 1,
  });
};
afterEach(async () => {
  aws.destroy();
  await sandbox.stop();
});

const named = async (type: string, name: string): Promise<Resource> => {
  const r = (await inventoryOf(aws)).find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
const act = (r: Resource, action: string, params: Record<string, string> = {}): ResourceAction => ({
  action,
  target: { provider: 'aws', account: r.account, region: r.region, type: r.type, id: r.id },
  params,
});
const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return { code: e.code, message: e.userMessage, field: e.field };
    throw e;
  }
  throw new Error('expected a failure');
};

describe('the ECS and target group listing', () => {
  it('lists clusters, services and target groups page by page, priced and with their states', async () => {
    await start();
    const all = await inventoryOf(aws);
    expect(all.filter((r) => r.type === 'cluster').map((r) => [r.name, r.region, r.state, r.attributes.kind])).toEqual([
      ['prod-apps', 'us-east-1', 'active', 'ecs'],
      ['dev-apps', 'eu-west-1', 'active', 'ecs'],
    ]);
    expect(all.filter((r) => r.type === 'container_service').map((r) => [r.name, r.state, r.monthlyCostCents])).toEqual(
      [
        ['checkout-blue', 'steady', 3604],
        ['checkout-green', 'steady', 0],
      ],
    );
    expect(all.filter((r) => r.type === 'target_group').map((r) => [r.name, r.state])).toEqual([
      ['web-prod-tg', 'healthy'],
      ['api-prod-tg', 'healthy'],
      ['checkout-blue-tg', 'healthy'],
      ['checkout-green-tg', 'empty'],
      // Its only instance is stopped.
      ['legacy-dev-tg', 'unused'],
    ]);
    // One service per page: two ListServices pages for prod-apps's two services.
    const client = createEcsClient(
      { region: 'us-east-1', endpoint: sandbox.url, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } },
      undefined,
    );
    const listed = () => sandbox.requests.filter((r) => r.action === 'ListServices').length;
    const before = listed();
    try {
      const paged = await listEcs(client, {
        account: '123456789012',
        region: 'us-east-1',
        seenAt: now,
        sandbox: true,
        pageSize: 1,
      });
      expect(paged).toEqual(
        all.filter((r) => r.region === 'us-east-1' && ['cluster', 'container_service'].includes(r.type)),
      );
    } finally {
      client.destroy();
    }
    expect(listed() - before).toBe(2);
  });

  it('describes one service, target group, cluster and load balancer as the listing does, and a gone one as null', async () => {
    await start();
    for (const [type, name] of [
      ['container_service', 'checkout-blue'],
      ['target_group', 'checkout-blue-tg'],
      ['cluster', 'prod-apps'],
      ['load_balancer', 'checkout-prod-alb'],
    ] as const) {
      const listed = await named(type, name);
      expect(await aws.describe(listed)).toEqual(listed);
    }
    const blue = await named('container_service', 'checkout-blue');
    await aws.execute(act(await named('cluster', 'prod-apps'), 'delete_service', { service: blue.id }));
    expect(await aws.describe(blue)).toBeNull();
    expect(
      await aws.describe({
        ...blue,
        type: 'target_group',
        id: `${(await named('target_group', 'checkout-blue-tg')).id.slice(0, -1)}0`,
      }),
    ).toBeNull();
  });
});

describe('a rollout paced by the clock', () => {
  it('deploys after the transition time passes, not after a number of reads', async () => {
    await start({ transitionMs: 2_000 });
    const green = await named('container_service', 'checkout-green');
    const out = await aws.execute(
      act(green, 'deploy_image', { image: 'public.ecr.aws/acme/checkout:1.5.0', desiredCount: '2' }),
    );
    expect(out).toMatchObject({
      newState: 'deploying',
      outputs: { taskDefinition: expect.stringMatching(/checkout:8$/) },
    });
    const state = async () => [
      (await aws.describe(green))?.state,
      (await named('target_group', 'checkout-green-tg')).state,
    ];
    // However often it is read, nothing moves until the clock does.
    for (let i = 0; i < 3; i++) expect(await state()).toEqual(['deploying', 'empty']);
    now = new Date(now.getTime() + 2_000);
    expect(await state()).toEqual(['deploying', 'initial']);
    now = new Date(now.getTime() + 2_000);
    expect(await state()).toEqual(['steady', 'healthy']);
  });
});

describe("AWS's refusals", () => {
  it('a target group name taken, a group in use, a rule priority taken: conflicts with the reason', async () => {
    await start();
    const alb = await named('load_balancer', 'web-prod-alb');
    expect(
      await failure(
        aws.execute(act(alb, 'create_target_group', { name: 'web-prod-tg', port: '80', healthCheckPath: '/' })),
      ),
    ).toMatchObject({
      code: 'conflict',
      field: 'name',
      message: expect.stringContaining('A target group named web-prod-tg already exists'),
    });
    const inUse = (await named('target_group', 'web-prod-tg')).id;
    expect(await failure(aws.execute(act(alb, 'delete_target_group', { targetGroup: inUse })))).toEqual({
      code: 'conflict',
      field: undefined,
      message: `AWS refused deleting a target group of ${alb.id} in us-east-1 because of its current state: Target group '${inUse}' is currently in use by a listener or a rule`,
    });
    const made = await aws.execute(
      act(alb, 'create_target_group', { name: 'orders', port: '8080', healthCheckPath: '/health' }),
    );
    const rule = { port: '443', targetGroup: made.outputs!.targetGroup!, pathPattern: '/orders/*', priority: '7' };
    await aws.execute(act(alb, 'create_listener_rule', rule));
    expect(
      await failure(aws.execute(act(alb, 'create_listener_rule', { ...rule, pathPattern: '/o/*' }))),
    ).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining("Priority '7' is currently in use"),
    });
    // Another balancer cannot forward to a group one already uses.
    const checkout = await named('load_balancer', 'checkout-prod-alb');
    expect(await failure(aws.execute(act(checkout, 'create_listener_rule', { ...rule, priority: '1' })))).toMatchObject(
      {
        code: 'conflict',
        message: expect.stringContaining('cannot be associated with more than one load balancer'),
      },
    );
  });

  it("ECS's own errors: a group with no balancer, a Fargate size, throttling, a service that is gone", async () => {
    await start();
    const cluster = await named('cluster', 'prod-apps');
    const alb = await named('load_balancer', 'web-prod-alb');
    const group = await aws.execute(
      act(alb, 'create_target_group', { name: 'loose', port: '3000', healthCheckPath: '/' }),
    );
    const td = await aws.execute(
      act(cluster, 'register_task_definition', {
        family: 'loose',
        image: 'node:22',
        containerPort: '3000',
        cpu: '0.25',
        memory: '0.5',
      }),
    );
    const service = {
      name: 'loose',
      taskDefinition: td.outputs!.taskDefinition!,
      desiredCount: '1',
      targetGroup: group.outputs!.targetGroup!,
      containerPort: '3000',
    };
    // Without subnets the provider asks the balancer, and there is none yet.
    expect(await failure(aws.execute(act(cluster, 'create_service', service)))).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('is not attached to a load balancer yet'),
    });
    // With subnets, ECS itself refuses, and says why.
    expect(
      await failure(aws.execute(act(cluster, 'create_service', { ...service, subnets: 'subnet-0123456789abcdef0' }))),
    ).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('does not have an associated load balancer'),
    });
    sandbox.failNext('RegisterTaskDefinition', { code: 'ThrottlingException', message: 'Rate exceeded' });
    expect(
      await failure(
        aws.execute(
          act(cluster, 'register_task_definition', {
            family: 'x',
            image: 'node:22',
            containerPort: '80',
            cpu: '1',
            memory: '2',
          }),
        ),
      ),
    ).toMatchObject({ code: 'rate_limited' });
    const blue = await named('container_service', 'checkout-blue');
    await aws.execute(act(cluster, 'delete_service', { service: blue.id }));
    expect(await failure(aws.execute(act(blue, 'scale_service', { desiredCount: '3' })))).toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('checkout-blue'),
    });
  });
});
