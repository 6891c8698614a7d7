import { describe, expect, it } from '@jest/globals';
import type { ActionCheckContext, ActionSubject } from '../../src/cloud/actions.ts';
import { findAction } from '../../src/cloud/actions.ts';
import { appActions, checkFargateSize, fargateTaskMonthlyCents } from '../../src/cloud/aws/app-actions.ts';
import { awsActions } from '../../src/cloud/aws/actions.ts';
import { serviceState } from '../../src/cloud/aws/ecs.ts';
import { targetGroupState } from '../../src/cloud/aws/normalize.ts';
import { isAppError } from '../../src/errors.ts';

// The deploy and release actions' own logic: Fargate sizes, the checks a plan runs before anything
// is filed, the cost of more tasks, and what each inverse undoes from the values recorded.

const spec = (type: string, name: string) => {
  const s = findAction(awsActions, type, name);
  if (!s) throw new Error(`no ${type} ${name}`);
  return s;
};

const ctx: ActionCheckContext = { sizes: async () => [], monthlyCostAt: () => undefined };

const arn = (name: string, id = '0123456789abcdef') =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/${id}`;
const blue = arn('checkout-blue');
const green = arn('checkout-green', 'fedcba9876543210');

const subject = (over: Partial<ActionSubject>): ActionSubject => ({
  provider: 'aws',
  account: '123456789012',
  region: 'us-east-1',
  type: 'load_balancer',
  id: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/checkout-prod-alb/ff35d834d26115a3',
  name: 'checkout-prod-alb',
  state: 'active',
  environment: 'prod',
  tags: {},
  monthlyCostCents: 1643,
  attributes: {},
  ...over,
});
const alb = subject({
  attributes: {
    lbType: 'application',
    listeners: [
      { port: 443, protocol: 'HTTPS', targetGroupArns: [blue] },
      { port: 8443, protocol: 'HTTPS', targetGroupArns: [green] },
    ],
    targetGroups: [
      { arn: blue, name: 'checkout-blue' },
      { arn: green, name: 'checkout-green' },
    ],
  },
});
const cluster = subject({
  type: 'cluster',
  id: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod-apps',
  name: 'prod-apps',
  monthlyCostCents: 0,
  attributes: { kind: 'ecs' },
});
const service = (over: Record<string, unknown> = {}, region = 'us-east-1') =>
  subject({
    type: 'container_service',
    region,
    id: `arn:aws:ecs:${region}:123456789012:service/prod-apps/checkout-green`,
    name: 'checkout-green',
    state: 'steady',
    attributes: {
      launchType: 'FARGATE',
      image: 'public.ecr.aws/acme/checkout:1.4.1',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:6',
      cpu: 0.5,
      memoryGb: 1,
      desiredCount: 0,
      ...over,
    },
  });

/** The AppError a check throws, or undefined when it passes. */
const refusal = async (run: () => Promise<void> | undefined) => {
  try {
    await run();
    return undefined;
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { code: e.code, message: e.message, field: e.field };
  }
};

describe('Fargate sizes and prices', () => {
  it('accepts the memory each vCPU size allows and names them when it does not', () => {
    expect(() => checkFargateSize('0.5', '4')).not.toThrow();
    expect(() => checkFargateSize('4', '30')).not.toThrow();
    expect(() => checkFargateSize('0.25', '3')).toThrow(
      'A 0.25 vCPU Fargate task takes 0.5, 1, 2 GB of memory, not 3.',
    );
    expect(() => checkFargateSize('1', '1')).toThrow('takes 2, 3, 4, 5, 6, 7, 8 GB');
    expect(() => checkFargateSize('3', '6')).toThrow('Fargate runs 0.25, 0.5, 1, 2, 4, 8, 16 vCPU tasks, not 3.');
  });

  it('prices a task from the vCPU-hour and GB-hour, and leaves an unpriced region unpriced', () => {
    // (0.5 × 0.04048 + 1 × 0.004445) × 730, per line rounded to cents.
    expect(fargateTaskMonthlyCents(0.5, 1, 'us-east-1')).toBe(1478 + 324);
    expect(fargateTaskMonthlyCents(0.5, 1, 'eu-west-1')).toBeUndefined();
  });
});

describe('the cluster actions', () => {
  it('refuse a cluster that is not ECS, a Fargate size that does not exist and a region the run does not expect', async () => {
    const register = spec('cluster', 'register_task_definition');
    const params = { family: 'orders', image: 'node:22', containerPort: '3000', cpu: '0.5', memory: '1' };
    expect(await refusal(() => register.check!(cluster, params, ctx))).toBeUndefined();
    expect(
      await refusal(() => register.check!({ ...cluster, attributes: { kind: 'eks' } }, params, ctx)),
    ).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('is not an ECS cluster'),
    });
    expect(await refusal(() => register.check!(cluster, { ...params, memory: '8' }, ctx))).toMatchObject({
      code: 'bad_request',
      field: 'memory',
    });
    expect(await refusal(() => register.check!(cluster, { ...params, region: 'eu-west-1' }, ctx))).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('is in us-east-1, not eu-west-1'),
    });
  });

  it('check their parameters: names, images, an ARN where one is made', () => {
    const create = spec('cluster', 'create_service');
    const ok = {
      name: 'orders',
      taskDefinition: 'orders:1',
      desiredCount: '2',
      targetGroup: arn('orders'),
      containerPort: '3000',
    };
    expect(create.params.safeParse(ok).success).toBe(true);
    expect(create.params.safeParse({ ...ok, targetGroup: 'orders' }).success).toBe(false);
    expect(create.params.safeParse({ ...ok, desiredCount: '1001' }).success).toBe(false);
    expect(
      create.params.safeParse({ ...ok, subnets: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210' }).success,
    ).toBe(true);
    expect(create.params.safeParse({ ...ok, subnets: 'subnet-1 subnet-2' }).success).toBe(false);
    const register = spec('cluster', 'register_task_definition');
    expect(
      register.params.safeParse({ family: 'a', image: 'my image', containerPort: '80', cpu: '1', memory: '2' }).success,
    ).toBe(false);
    expect(spec('cluster', 'deregister_task_definition').params.safeParse({ taskDefinition: 'orders' }).success).toBe(
      false,
    );
  });

  it('undo what they made from what they recorded, and say why not before it ran', () => {
    expect(
      spec('cluster', 'register_task_definition').inverse({
        params: {},
        previous: { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/orders:1' },
      }),
    ).toEqual({
      action: 'deregister_task_definition',
      params: { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/orders:1' },
    });
    expect(spec('cluster', 'create_service').inverse({ params: {}, previous: { service: 'arn:svc' } })).toEqual({
      action: 'delete_service',
      params: { service: 'arn:svc' },
    });
    expect(spec('cluster', 'create_service').inverse({ params: {}, subject: cluster })).toEqual({
      why: 'the service it creates is known once it has run',
    });
    expect(spec('cluster', 'delete_service').inverse({ params: {} })).toHaveProperty('why');
  });
});

describe('the service actions', () => {
  it('deploy an image: refused when nothing would change, costed by the tasks it adds', async () => {
    const deploy = spec('container_service', 'deploy_image');
    expect(
      await refusal(() => deploy.check!(service(), { image: 'public.ecr.aws/acme/checkout:1.4.1' }, ctx)),
    ).toMatchObject({
      code: 'conflict',
      field: 'image',
    });
    // The same image at another count is a change.
    expect(
      await refusal(() =>
        deploy.check!(service(), { image: 'public.ecr.aws/acme/checkout:1.4.1', desiredCount: '2' }, ctx),
      ),
    ).toBeUndefined();
    expect(deploy.costDeltaCents!(service(), { image: 'x:2', desiredCount: '2' }, ctx)).toBe(2 * 1802);
    expect(deploy.costDeltaCents!(service({ desiredCount: 3 }), { image: 'x:2', desiredCount: '1' }, ctx)).toBe(
      -2 * 1802,
    );
    expect(deploy.costDeltaCents!(service({}, 'eu-west-1'), { image: 'x:2', desiredCount: '2' }, ctx)).toBe(0);
    expect(deploy.detail!(service(), { image: 'x:2', desiredCount: '2' })).toBe('to x:2 with 2 tasks (was 0)');
  });

  it('roll back to the revision and count recorded, deregistering the one made', () => {
    const previous = {
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:6',
      desiredCount: '0',
      madeTaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:8',
    };
    expect(spec('container_service', 'deploy_image').inverse({ params: { image: 'x:2' }, previous })).toEqual({
      action: 'set_task_definition',
      params: {
        taskDefinition: previous.taskDefinition,
        desiredCount: '0',
        deregister: previous.madeTaskDefinition,
      },
    });
    // Undoing the roll-back returns to what it replaced, from the service as it was seen.
    expect(
      spec('container_service', 'set_task_definition').inverse({ params: {}, subject: service({ desiredCount: 2 }) }),
    ).toEqual({
      action: 'set_task_definition',
      params: { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:6', desiredCount: '2' },
    });
    expect(spec('container_service', 'deploy_image').inverse({ params: {} })).toHaveProperty('why');
  });

  it('scale: refused at the same count, undone to the count recorded', async () => {
    const scale = spec('container_service', 'scale');
    expect(scale.name).toBe('scale_service');
    expect(await refusal(() => scale.check!(service({ desiredCount: 2 }), { desiredCount: '2' }, ctx))).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('already runs 2 tasks'),
    });
    expect(scale.inverse({ params: { desiredCount: '4' }, previous: { desiredCount: '2' } })).toEqual({
      action: 'scale_service',
      params: { desiredCount: '2' },
    });
  });
});

describe('the load balancer actions', () => {
  it('switch traffic only from the group the listener forwards to, and never to where it already goes', async () => {
    const swap = spec('load_balancer', 'switch_traffic');
    expect(
      await refusal(() =>
        swap.check!(alb, { port: '443', targetGroup: 'checkout-green', fromTargetGroup: 'checkout-blue' }, ctx),
      ),
    ).toBeUndefined();
    expect(
      await refusal(() => swap.check!(alb, { port: '443', targetGroup: green, fromTargetGroup: blue }, ctx)),
    ).toBeUndefined();
    expect(await refusal(() => swap.check!(alb, { port: '443', targetGroup: 'checkout-blue' }, ctx))).toMatchObject({
      code: 'conflict',
      field: 'targetGroup',
      message:
        'checkout-prod-alb (arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/checkout-prod-alb/ff35d834d26115a3) already forwards port 443 to checkout-blue.',
    });
    expect(
      await refusal(() =>
        swap.check!(alb, { port: '8443', targetGroup: 'checkout-blue', fromTargetGroup: 'checkout-blue' }, ctx),
      ),
    ).toMatchObject({
      code: 'conflict',
      field: 'fromTargetGroup',
      message: expect.stringContaining('forwards port 8443 to checkout-green, not to checkout-blue'),
    });
    expect(await refusal(() => swap.check!(alb, { port: '80', targetGroup: 'checkout-green' }, ctx))).toMatchObject({
      code: 'bad_request',
      field: 'port',
      message: expect.stringContaining('has no listener on port 80 (it listens on 443, 8443)'),
    });
  });

  it('switch back from the recorded group, only while the listener still forwards to the new one', () => {
    const swap = spec('load_balancer', 'switch_traffic');
    expect(
      swap.inverse({
        params: { port: '443', targetGroup: 'checkout-green' },
        previous: { port: '443', targetGroup: blue },
      }),
    ).toEqual({
      action: 'switch_traffic',
      params: { port: '443', targetGroup: blue, fromTargetGroup: 'checkout-green' },
    });
    expect(swap.inverse({ params: { port: '443', targetGroup: 'checkout-green' }, subject: alb })).toHaveProperty(
      'why',
    );
  });

  it('add a rule only with something to match, on a listener the balancer has, of an ALB', async () => {
    const rule = spec('load_balancer', 'create_listener_rule');
    const params = { port: '443', targetGroup: arn('orders') };
    expect(await refusal(() => rule.check!(alb, params, ctx))).toMatchObject({
      code: 'bad_request',
      field: 'pathPattern',
    });
    expect(await refusal(() => rule.check!(alb, { ...params, hostHeader: 'orders.example.com' }, ctx))).toBeUndefined();
    expect(
      await refusal(() => rule.check!(alb, { ...params, port: '80', pathPattern: '/orders/*' }, ctx)),
    ).toMatchObject({
      field: 'port',
    });
    const nlb = { ...alb, attributes: { ...alb.attributes, lbType: 'network' } };
    expect(await refusal(() => rule.check!(nlb, { ...params, pathPattern: '/orders/*' }, ctx))).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('network an Application Load Balancer'),
    });
    expect(rule.inverse({ params, previous: { rule: 'arn:rule' } })).toEqual({
      action: 'delete_listener_rule',
      params: { rule: 'arn:rule' },
    });
  });

  it('name a target group the way ELB allows', () => {
    const create = spec('load_balancer', 'create_target_group');
    const ok = { name: 'orders-api', port: '8080', healthCheckPath: '/health' };
    expect(create.params.safeParse(ok).success).toBe(true);
    for (const name of ['internal-orders', '-orders', 'orders-', 'a'.repeat(33), 'orders_api'])
      expect(create.params.safeParse({ ...ok, name }).success).toBe(false);
    expect(create.params.safeParse({ ...ok, healthCheckPath: '/health/*' }).success).toBe(false);
    expect(create.inverse({ params: ok, previous: { targetGroup: arn('orders-api') } })).toEqual({
      action: 'delete_target_group',
      params: { targetGroup: arn('orders-api') },
    });
  });

  it('are merged into the AWS catalog after the instance actions and the fixes', () => {
    expect(awsActions.instance?.map((a) => a.name)).toEqual(['start', 'stop', 'reboot', 'resize']);
    // The deploy actions first on a load balancer, then Route 53's health checks of it.
    expect(awsActions.load_balancer?.slice(0, appActions.load_balancer!.length)).toEqual(appActions.load_balancer);
    expect(awsActions.load_balancer?.slice(appActions.load_balancer!.length).map((a) => a.name)).toEqual([
      'create_health_check',
      'delete_health_check',
    ]);
    expect(Object.keys(appActions).sort()).toEqual(['cluster', 'container_service', 'load_balancer']);
  });
});

describe('the states waits read', () => {
  it("a target group's health in one word", () => {
    const h = (...states: string[]) => states.map((State) => ({ TargetHealth: { State } })) as never;
    expect(targetGroupState(h())).toBe('empty');
    expect(targetGroupState(h('healthy', 'healthy'))).toBe('healthy');
    expect(targetGroupState(h('healthy', 'initial'))).toBe('initial');
    expect(targetGroupState(h('healthy', 'unhealthy', 'initial'))).toBe('unhealthy');
    expect(targetGroupState(h('unused', 'unused'))).toBe('unused');
    expect(targetGroupState(h('healthy', 'unused'))).toBe('degraded');
    expect(targetGroupState(h('healthy', 'draining'))).toBe('healthy');
    expect(targetGroupState(h('draining'))).toBe('draining');
  });

  it("an ECS service's rollout in one word", () => {
    const steady = {
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 2,
      pendingCount: 0,
      deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
    } as never;
    expect(serviceState(steady)).toBe('steady');
    expect(serviceState({ ...(steady as object), runningCount: 1 } as never)).toBe('deploying');
    expect(
      serviceState({ ...(steady as object), deployments: [{ status: 'PRIMARY' }, { status: 'ACTIVE' }] } as never),
    ).toBe('deploying');
    expect(
      serviceState({ ...(steady as object), deployments: [{ status: 'PRIMARY', rolloutState: 'FAILED' }] } as never),
    ).toBe('failed');
    expect(serviceState({ ...(steady as object), status: 'DRAINING' } as never)).toBe('draining');
  });
});
