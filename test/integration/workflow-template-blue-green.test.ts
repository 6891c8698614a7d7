import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { AwsProvider } from '../../src/cloud/aws/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { planWorkflow, workflowChangePlan, type PlanDeps, type PlannedResourceStep } from '../../src/workflows/plan.ts';
import { loadWorkspaceTemplates } from '../../src/workflows/registry.ts';
import { runWorkflow } from '../../src/workflows/run.ts';
import type { Template } from '../../src/workflows/template.ts';
import { inventoryOf, planDepsOf, sandboxAws } from '../fixtures/workflow-sandbox.ts';
import { runDepsFor, statuses } from '../fixtures/workflow-aws-run.ts';

// The built-in blue-green template on the sandbox's seeded checkout pair (blue live behind
// checkout-prod-alb:443, green idle at 0 tasks behind the test listener), through the real ECS and
// ELBv2 SDK clients: a release that switches traffic to green, green failing its health checks
// under traffic (traffic goes back to blue, green back to what it ran), a new image that never
// gets healthy (traffic never moves), and the plans it refuses.
const now = new Date('2026-11-01T12:00:00Z');
const clock = () => now;
let sandbox: Sandbox;
let aws: AwsProvider;
let planDeps: PlanDeps;
let template: Template;

const inputs = {
  load_balancer: 'checkout-prod-alb',
  blue_target_group: 'checkout-blue-tg',
  green_target_group: 'checkout-green-tg',
  green_service: 'checkout-green',
  image: 'public.ecr.aws/acme/checkout:1.5.0',
};

const find = async (type: string, name: string): Promise<Resource> => {
  const r = (await inventoryOf(aws)).find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
/** Where checkout-prod-alb's HTTPS listener sends its traffic, as the provider reads it. */
const liveGroups = async (): Promise<string[]> => {
  const alb = await find('load_balancer', 'checkout-prod-alb');
  const listener = (alb.attributes.listeners as Array<{ port: number; targetGroupArns: string[] }>).find(
    (l) => l.port === 443,
  )!;
  const names = new Map(
    (alb.attributes.targetGroups as Array<{ arn: string; name: string }>).map((g) => [g.arn, g.name]),
  );
  return listener.targetGroupArns.map((a) => names.get(a) ?? a);
};
const checkoutRevisions = () =>
  sandbox.fleet.ecs!.taskDefinitions.filter((d) => d.family === 'checkout').map((d) => [d.revision, d.status]);

beforeAll(async () => {
  template = (await loadWorkspaceTemplates()).latest('blue-green')!;
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

describe('the blue-green template', () => {
  it('plans the release on the seeded pair: green costs its new tasks, the switch is checked against the listener', async () => {
    expect(template).toMatchObject({ name: 'blue-green', version: 1, category: 'release', provider: 'aws' });
    const plan = await planWorkflow(planDeps, template, inputs);
    expect((plan.steps as PlannedResourceStep[]).map((s) => [s.id, s.kind, s.target.type, s.resourceName])).toEqual([
      ['deploy_green', 'action', 'container_service', 'checkout-green'],
      ['green_steady', 'wait', 'container_service', 'checkout-green'],
      ['green_healthy', 'wait', 'target_group', 'checkout-green-tg'],
      ['switch', 'action', 'load_balancer', 'checkout-prod-alb'],
      ['green_holds', 'wait', 'target_group', 'checkout-green-tg'],
    ]);
    const [deploy, , , swap] = plan.steps;
    expect(deploy!.kind === 'action' && deploy!.summary).toMatch(
      /^Deploy image checkout-green \(.*\) to public\.ecr\.aws\/acme\/checkout:1\.5\.0 with 2 tasks \(was 0\) in us-east-1, env=prod$/,
    );
    // Two more Fargate tasks of 0.5 vCPU and 1 GB in us-east-1.
    expect(deploy).toMatchObject({ costDeltaCents: 3604, compensate: 'inverse' });
    expect(swap!.kind === 'action' && swap!.blastRadius).toMatch(
      /^Every new request to checkout-prod-alb .* on port 443 goes to checkout-green-tg at once, no longer to checkout-blue-tg;/,
    );
    expect(workflowChangePlan(template, plan)).toMatchObject({ costDeltaCents: 3604, environment: 'prod' });
  });

  it('releases to green and switches the listener to it once green is healthy', async () => {
    const plan = await planWorkflow(planDeps, template, inputs);
    const { deps, records } = runDepsFor(aws, clock);
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'succeeded', summary: 'blue-green: all 5 steps done.' });
    expect(statuses(records)).toEqual([
      ['deploy_green', 'succeeded'],
      ['green_steady', 'succeeded'],
      ['green_healthy', 'succeeded'],
      ['switch', 'succeeded'],
      ['green_holds', 'succeeded'],
    ]);
    expect(records[0]!.summary).toBe(
      'checkout-green is rolling over to public.ecr.aws/acme/checkout:1.5.0 (checkout:8, was checkout:6 with public.ecr.aws/acme/checkout:1.4.1), 2 tasks (was 0)',
    );
    expect(records[0]!.previous).toEqual({
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:6',
      desiredCount: '0',
      madeTaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:8',
    });
    expect(records[3]!.summary).toBe('checkout-prod-alb:443 now forwards to checkout-green-tg (was checkout-blue-tg)');
    expect(records[3]!.previous).toMatchObject({
      port: '443',
      targetGroup: expect.stringContaining(':targetgroup/checkout-blue-tg/'),
    });

    expect(await liveGroups()).toEqual(['checkout-green-tg']);
    expect(await find('container_service', 'checkout-green')).toMatchObject({
      state: 'steady',
      monthlyCostCents: 3604,
      attributes: { image: 'public.ecr.aws/acme/checkout:1.5.0', desiredCount: 2, runningCount: 2 },
    });
    expect(await find('target_group', 'checkout-green-tg')).toMatchObject({
      state: 'healthy',
      attributes: { healthy: 2 },
    });
    // Blue keeps running for a quick way back; no listener sends it traffic now.
    expect(await find('container_service', 'checkout-blue')).toMatchObject({
      state: 'steady',
      attributes: { image: 'public.ecr.aws/acme/checkout:1.4.2', desiredCount: 2 },
    });
    expect(await find('target_group', 'checkout-blue-tg')).toMatchObject({ state: 'unused' });
  });

  it('puts traffic back on blue when green fails its health checks after the switch', async () => {
    const plan = await planWorkflow(planDeps, template, inputs);
    // Green passes its checks on the test listener, then fails them under production traffic.
    const execute = aws.execute.bind(aws);
    aws.execute = async (action, opts) => {
      const result = await execute(action, opts);
      if (action.action === 'switch_traffic' && action.params.targetGroup === 'checkout-green-tg')
        for (const t of sandbox.fleet.targetGroups.find((g) => g.name === 'checkout-green-tg')!.targets)
          Object.assign(t, { health: 'unhealthy', reason: 'Target.ResponseCodeMismatch' });
      return result;
    };
    const { deps, records } = runDepsFor(aws, clock, {
      timeoutWhen: (done, polls) => done.some((r) => r.id === 'switch') && polls >= 6,
    });
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'failed', error: 'did not finish within 300 s' });
    expect(statuses(records)).toEqual([
      ['deploy_green', 'succeeded'],
      ['green_steady', 'succeeded'],
      ['green_healthy', 'succeeded'],
      ['switch', 'succeeded'],
      ['green_holds', 'timed_out'],
      ['switch', 'compensated'],
      ['deploy_green', 'compensated'],
    ]);
    expect(out.summary).toBe(
      [
        "blue-green: step 5 of 5 (Check green's health under traffic) failed: did not finish within 300 s.",
        '- Switch the listener from blue to green: undone (checkout-prod-alb:443 now forwards to checkout-blue-tg (was checkout-green-tg))',
        '- Deploy the new image to green: undone (checkout-green is rolling over to checkout:6 (was checkout:8), 0 tasks (was 2); checkout:8 deregistered)',
      ].join('\n'),
    );
    // Traffic is on blue again, healthy; green is back to its old revision at 0 tasks.
    expect(await liveGroups()).toEqual(['checkout-blue-tg']);
    expect(await find('target_group', 'checkout-blue-tg')).toMatchObject({
      state: 'healthy',
      attributes: { healthy: 2 },
    });
    expect(await find('container_service', 'checkout-green')).toMatchObject({
      attributes: {
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:6',
        image: 'public.ecr.aws/acme/checkout:1.4.1',
        desiredCount: 0,
      },
    });
    expect(checkoutRevisions()).toEqual([
      [6, 'ACTIVE'],
      [7, 'ACTIVE'],
      [8, 'INACTIVE'],
    ]);
  });

  it('never moves traffic when the new image does not get healthy on green', async () => {
    const plan = await planWorkflow(planDeps, template, inputs);
    sandbox.fleet.ecs!.imageFaults.push(inputs.image);
    const { deps, records } = runDepsFor(aws, clock, {
      timeoutWhen: (done, polls) => done.length === 1 && polls >= 4,
    });
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(statuses(records)).toEqual([
      ['deploy_green', 'succeeded'],
      ['green_steady', 'timed_out'],
      ['deploy_green', 'compensated'],
    ]);
    expect(await liveGroups()).toEqual(['checkout-blue-tg']);
    expect(await find('target_group', 'checkout-blue-tg')).toMatchObject({ state: 'healthy' });
    expect(await find('container_service', 'checkout-green')).toMatchObject({
      attributes: { image: 'public.ecr.aws/acme/checkout:1.4.1', desiredCount: 0 },
    });
  });

  it('says so when the switch back cannot happen, and refuses plans whose sides are wrong', async () => {
    // The listener does not forward to the "blue" named: nothing would be switched from it.
    await expect(planWorkflow(planDeps, template, { ...inputs, blue_target_group: 'web-prod-tg' })).rejects.toThrow(
      /checkout-prod-alb .* forwards port 443 to checkout-blue-tg, not to web-prod-tg; nothing would be switched from it/,
    );
    await expect(
      planWorkflow(planDeps, template, {
        ...inputs,
        green_target_group: 'checkout-blue-tg',
        blue_target_group: 'checkout-blue-tg',
      }),
    ).rejects.toThrow(/already forwards port 443 to checkout-blue-tg/);
    await expect(
      planWorkflow(planDeps, template, { ...inputs, image: 'public.ecr.aws/acme/checkout:1.4.1', desired_count: '0' }),
    ).rejects.toThrow(/desired_count: 0 is below the minimum 1/);

    // Someone moves the listener by hand while green is failing: the way back is refused, and said.
    const plan = await planWorkflow(planDeps, template, inputs);
    const execute = aws.execute.bind(aws);
    aws.execute = async (action, opts) => {
      const result = await execute(action, opts);
      if (action.action === 'switch_traffic' && action.params.targetGroup === 'checkout-green-tg') {
        const alb = sandbox.fleet.loadBalancers.find((b) => b.name === 'checkout-prod-alb')!;
        alb.listeners.find((l) => l.port === 443)!.targetGroupArn = sandbox.fleet.targetGroups.find(
          (g) => g.name === 'web-prod-tg',
        )?.arn;
        for (const t of sandbox.fleet.targetGroups.find((g) => g.name === 'checkout-green-tg')!.targets)
          t.health = 'unhealthy';
      }
      return result;
    };
    const { deps, records } = runDepsFor(aws, clock, {
      timeoutWhen: (done, polls) => done.some((r) => r.id === 'switch') && polls >= 6,
    });
    const out = await runWorkflow(deps, plan);
    expect(statuses(records).slice(4)).toEqual([
      ['green_holds', 'timed_out'],
      ['switch', 'not_compensated'],
      ['deploy_green', 'compensated'],
    ]);
    expect(records[5]!.error).toBe(
      'checkout-prod-alb:443 forwards to web-prod-tg, not to checkout-green-tg; nothing was switched.',
    );
    expect(out.summary).toContain(
      '- Switch the listener from blue to green: NOT undone: checkout-prod-alb:443 forwards to web-prod-tg, not to checkout-green-tg',
    );
  });
});
