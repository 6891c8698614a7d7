import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AwsProvider } from '../../src/cloud/aws/provider.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { planWorkflow, type PlannedAction, type PlanDeps } from '../../src/workflows/plan.ts';
import { runWorkflow } from '../../src/workflows/run.ts';
import type { Template } from '../../src/workflows/template.ts';
import {
  instanceState,
  inventoryOf,
  planDepsOf,
  quietDevYaml,
  sandboxAws,
  templateOf,
} from '../fixtures/workflow-sandbox.ts';
import { fakeRunDeps } from '../fixtures/workflow-aws-run.ts';

// Workflow plans built from a template over the sandbox's inventory and run step by step through
// the real AWS SDK against the sandbox's EC2 emulator: success, a failing step and its
// compensation, retries, a wait that times out, and a cancel between steps.
const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
let aws: AwsProvider;

const templateYaml = quietDevYaml
  .replace(
    'title: Stop the second\n    action: stop\n    target: { type: instance, id: "${inputs.second}" }',
    'title: Stop the second\n    action: stop\n    target: { type: instance, id: "${inputs.second}" }\n    retries: 1',
  )
  .replace('until: stopped }', 'until: stopped }\n    timeout: 2m');
const template = (yaml = templateYaml): Template => templateOf(aws, yaml);
const inventory = () => inventoryOf(aws);
const state = (name: string) => instanceState(aws, name);
let planDeps: PlanDeps;

/** Run deps with a fake clock for waits and timeouts: a poll passes at once; a timeout fires after `pollsBeforeTimeout` polls. */
const runDeps = (o: { cancelAfter?: number; pollsBeforeTimeout?: number } = {}) => fakeRunDeps({ aws }, () => now, o);

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => now });
  aws = sandboxAws(sandbox.url, () => now);
  planDeps = planDepsOf(aws);
});
afterEach(async () => {
  aws.destroy();
  await sandbox.stop();
});

describe('a workflow plan', () => {
  it('resolves every target from the inventory, checks each action, and hashes the whole', async () => {
    const plan = await planWorkflow(planDeps, template(), { first: 'web-dev-1', second: 'api-dev-1' });
    expect(plan.steps.map((s) => [s.id, s.kind, (s as PlannedAction).resourceName])).toEqual([
      ['stop_first', 'action', 'web-dev-1'],
      ['first_stopped', 'wait', 'web-dev-1'],
      ['stop_second', 'action', 'api-dev-1'],
    ]);
    expect(plan.steps[0]).toMatchObject({ action: 'stop', compensate: 'inverse', timeoutMs: 600_000, retries: 0 });
    expect(plan.steps[0]!.kind === 'action' && plan.steps[0]!.summary).toMatch(/^Stop web-dev-1 \(i-[0-9a-f]+\)/);
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
    const again = await planWorkflow(planDeps, template(), { second: 'api-dev-1', first: 'web-dev-1' });
    expect(again.hash).toBe(plan.hash);
    const other = await planWorkflow(planDeps, template(), { first: 'api-dev-1', second: 'web-dev-1' });
    expect(other.hash).not.toBe(plan.hash);
  });

  it('refuses inputs with every problem at once, and an action the target is not in a state for', async () => {
    await expect(planWorkflow(planDeps, template(), { first: 'web-dev-1', colour: 'red' })).rejects.toThrow(
      /quiet-dev cannot run with these inputs:\n- colour: quiet-dev has no such input\n- second: required \(The second instance\)/,
    );
    // worker-staging-1 is stopped already: the plan says so rather than filing a step that does nothing.
    await expect(
      planWorkflow(planDeps, template(), { first: 'web-dev-1', second: 'worker-staging-1' }),
    ).rejects.toThrow(/worker-staging-1.*already stopped/);
  });
});

describe('a workflow run', () => {
  it('runs every step in order and records each', async () => {
    const plan = await planWorkflow(planDeps, template(), { first: 'web-dev-1', second: 'api-dev-1' });
    const { deps, records, progress } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'succeeded', error: null, summary: 'quiet-dev: all 3 steps done.' });
    expect(records.map((r) => [r.id, r.status, r.attempts])).toEqual([
      ['stop_first', 'succeeded', 1],
      ['first_stopped', 'succeeded', 1],
      ['stop_second', 'succeeded', 1],
    ]);
    expect(records[0]!.previous).toEqual({ state: 'running' });
    expect(progress[0]).toBe('step 1 of 3: Stop the first');
    expect(await state('web-dev-1')).toBe('stopped');
    expect(await state('api-dev-1')).toBe('stopped');
  });

  it('undoes the completed steps in reverse when a step fails, and says what it undid', async () => {
    const plan = await planWorkflow(planDeps, template(), { first: 'web-dev-1', second: 'api-dev-1' });
    // The second stop is refused (twice, were it tried again): IAM says no.
    const { deps, records } = runDeps();
    let stops = 0;
    const execute = aws.execute.bind(aws);
    aws.execute = async (action, opts) => {
      if (action.action === 'stop' && ++stops === 2)
        sandbox.failNext(
          'StopInstances',
          { code: 'UnauthorizedOperation', message: 'You are not authorized', status: 403 },
          2,
        );
      return execute(action, opts);
    };
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(out.summary).toMatch(/^quiet-dev: step 3 of 3 \(Stop the second\) failed: .+\n- Stop the first: undone \(/);
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ['stop_first', 'succeeded'],
      ['first_stopped', 'succeeded'],
      ['stop_second', 'failed'],
      ['stop_first', 'compensated'],
    ]);
    // An authorisation failure is final: no second attempt despite `retries: 1`.
    expect(records[2]!.attempts).toBe(1);
    expect(await state('web-dev-1')).toBe('running');
    expect(await state('api-dev-1')).toBe('running');
  });

  it('tries a step again after a failure that another attempt can fix', async () => {
    const plan = await planWorkflow(planDeps, template(), { first: 'web-dev-1', second: 'api-dev-1' });
    const execute = aws.execute.bind(aws);
    let stops = 0;
    aws.execute = async (action, opts) => {
      if (action.action === 'stop' && ++stops === 2)
        sandbox.failNext('StopInstances', {
          code: 'InternalError',
          message: 'We encountered an internal error',
          status: 500,
        });
      return execute(action, opts);
    };
    const { deps, records, progress } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('succeeded');
    expect(records[2]).toMatchObject({ id: 'stop_second', status: 'succeeded', attempts: 2 });
    expect(progress.some((p) => /attempt 1 failed .*trying again/.test(p))).toBe(true);
  });

  it('fails a wait that outlasts its timeout, and undoes what ran before it', async () => {
    const yaml = templateYaml.replace('until: stopped', 'until: terminated');
    const plan = await planWorkflow(planDeps, template(yaml), { first: 'web-dev-1', second: 'api-dev-1' });
    const { deps, records, polls } = runDeps({ pollsBeforeTimeout: 3 });
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'failed', error: 'did not finish within 120 s' });
    // The timed-out wait stops reading its target (no poll loop left running in the background).
    const after = polls();
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(polls()).toBeLessThanOrEqual(after + 1);
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ['stop_first', 'succeeded'],
      ['first_stopped', 'timed_out'],
      ['stop_first', 'compensated'],
    ]);
    expect(await state('web-dev-1')).toBe('running');
    expect(await state('api-dev-1')).toBe('running');
  });

  it("plans a later step on a target an earlier one changes when it runs, and feeds it an earlier step's output", async () => {
    const yaml = `
name: bigger-for-a-while
version: 1
category: other
description: Resize an instance up, then back to its size from before.
provider: aws
inputs:
  instance: { type: resource, description: The instance, resource: { type: instance } }
steps:
  - id: grow
    title: Grow
    action: resize
    target: { type: instance, id: "\${inputs.instance}" }
    params: { size: t3.xlarge }
  - id: shrink
    title: Back to its size
    action: resize
    target: { type: instance, id: "\${inputs.instance}" }
    params: { size: "\${steps.grow.was_size}" }
`;
    const size = async () =>
      (await inventory()).find((r) => r.type === 'instance' && r.name === 'web-dev-1')?.attributes.instanceType;
    const before = await size();
    const plan = await planWorkflow(planDeps, template(yaml), { instance: 'web-dev-1' });
    // The second resize is planned on what is known: its size comes from the first when it runs.
    expect(plan.steps[1]).toMatchObject({
      kind: 'action',
      params: { size: '${steps.grow.was_size}' },
      costDeltaCents: 0,
    });
    const { deps, records } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('succeeded');
    expect(records[0]!.outputs).toMatchObject({ was_size: before, state: expect.any(String) });
    expect(records[1]).toMatchObject({ id: 'shrink', status: 'succeeded' });
    expect(await size()).toBe(before);
  });

  it('finds a target an earlier step made when the step runs, and undoes a step on it there', async () => {
    const yaml = `
name: stop-then-check
version: 1
category: other
description: Stop an instance, then wait on what the stop reported, then fail.
provider: aws
inputs:
  instance: { type: resource, description: The instance, resource: { type: instance } }
steps:
  - id: stop
    title: Stop it
    action: stop
    target: { type: instance, id: "\${inputs.instance}" }
  - id: stopped
    title: Wait for what the stop touched
    wait: { target: { type: instance, id: "\${steps.stop.id}" }, until: stopped }
  - id: start_again
    title: Start what the stop touched
    action: start
    target: { type: instance, id: "\${steps.stop.id}" }
  - id: resize_bad
    title: Resize to nothing
    action: resize
    target: { type: instance, id: "\${steps.stop.id}" }
    params: { size: no-such-size }
`;
    const plan = await planWorkflow(planDeps, template(yaml), { instance: 'web-dev-1' });
    const first = plan.steps[0] as PlannedAction;
    const id = first.target.id;
    expect(plan.steps[1]).toMatchObject({
      kind: 'wait',
      resourceName: 'the instance step stop makes',
      target: { ...first.target, id: '${steps.stop.id}' },
    });
    expect(plan.steps[2]).toMatchObject({ kind: 'action', summary: 'Start the instance step stop makes' });
    const { deps, records } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ['stop', 'succeeded'],
      ['stopped', 'succeeded'],
      ['start_again', 'succeeded'],
      ['resize_bad', 'failed'],
      ['start_again', 'compensated'],
      ['stop', 'compensated'],
    ]);
    expect(records[1]!.outputs.id).toBe(id);
    expect(await state('web-dev-1')).toMatch(/running|pending/);
  });

  it('stops between steps when cancelled, and undoes the steps done', async () => {
    const plan = await planWorkflow(planDeps, template(), { first: 'web-dev-1', second: 'api-dev-1' });
    const { deps, records } = runDeps({ cancelAfter: 2 });
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('cancelled');
    expect(out.summary).toMatch(
      /^quiet-dev: cancelled before step 3 of 3 \(Stop the second\)\.\n- Stop the first: undone/,
    );
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ['stop_first', 'succeeded'],
      ['first_stopped', 'succeeded'],
      ['stop_first', 'compensated'],
    ]);
    expect(await state('api-dev-1')).toBe('running');
  });
});
