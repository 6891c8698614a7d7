import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { AwsProvider } from '../../src/cloud/aws/provider.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { listAuditEvents } from '../../src/changes/audit.ts';
import { createFreeze } from '../../src/changes/freezes.ts';
import { DEFAULT_POLICY } from '../../src/changes/policy.ts';
import type { AppError } from '../../src/errors.ts';
import { requestCancel } from '../../src/changes/repository.ts';
import { createChangeService, type ChangeService } from '../../src/changes/service.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { sql } from '../../src/store/orm.ts';
import { createWorkflowExecutor } from '../../src/workflows/executor.ts';
import { planWorkflow, type PlannedAction, workflowChangePlan, type PlanDeps } from '../../src/workflows/plan.ts';
import { listSteps } from '../../src/workflows/repository.ts';
import type { Template } from '../../src/workflows/template.ts';
import { conversation, person } from '../fixtures/changes-plans.ts';
import { recordingListener } from '../fixtures/changes-harness.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { announcingListener } from '../../src/changes/listener.ts';
import { createMemoryLiveBus } from '../../src/store/live.ts';
import type { LiveBus, LiveEvent } from '../../src/util/live.ts';
import {
  instanceState,
  inventoryOf,
  planDepsOf,
  quietDevYaml,
  sandboxAws,
  templateOf,
} from '../fixtures/workflow-sandbox.ts';

// A workflow run as a change request: one plan, one approval, executed exactly once by the change
// executor through the workflow runner (real AWS SDK against the sandbox's EC2 emulator), its
// steps recorded in the database; a plan that drifted before its approval runs nothing; a cancel
// asked while it runs stops it between steps and undoes what ran.
const now = new Date('2026-11-01T12:00:00Z');
/** The service's clock: moved on by the tests of a gate that lapses. */
let at = now;
let store: TestStore;
let sandbox: Sandbox;
let aws: AwsProvider;
let service: ChangeService;

let template: Template;
const inventory = () => inventoryOf(aws);
const state = (name: string) => instanceState(aws, name);
let deps: PlanDeps;
/** What the live bus heard (the run's transitions and steps). */
let live: LiveBus;
let heard: LiveEvent[];

const file = async () =>
  workflowChangePlan(template, await planWorkflow(deps, template, { first: 'web-dev-1', second: 'api-dev-1' }));

beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(async () => store.dispose());

beforeEach(async () => {
  await store.db.execute(sql`truncate workflow_steps`);
  sandbox = await startSandbox({ now: () => now });
  aws = sandboxAws(sandbox.url, () => now);
  deps = planDepsOf(aws);
  template = templateOf(aws, quietDevYaml);
  at = now;
  live = createMemoryLiveBus(createLogger('silent'));
  heard = [];
  live.subscribe((e) => heard.push(e));
  service = createChangeService({
    db: store.db,
    providers: new Map([['aws', aws]]),
    policy: DEFAULT_POLICY,
    approvalTtlMs: 3_600_000,
    now: () => at,
    listener: announcingListener(live, recordingListener()),
    logger: createLogger('silent'),
    metrics: createMetrics(),
    executor: { id: 'test-executor', leaseMs: 60_000 },
    workflows: createWorkflowExecutor({
      ...deps,
      db: store.db,
      now: () => at,
      template: (name, version) => (name === template.name && version === template.version ? template : undefined),
      // Waits poll at once; no step here outlasts its timeout.
      sleep: (ms) => (ms === 1 ? new Promise((r) => setImmediate(r)) : new Promise(() => undefined)),
      waitPollMs: 1,
      live,
    }),
  });
});
afterEach(async () => {
  aws.destroy();
  await sandbox.stop();
});

describe('a workflow change request', () => {
  it('is one plan with one approval, and runs every step once it is approved', async () => {
    const plan = await file();
    expect(plan).toMatchObject({
      action: 'run_workflow',
      environment: 'dev',
      params: { template: 'quiet-dev', version: '1' },
    });
    expect(plan.summary).toMatch(
      /^Run quiet-dev \(v1\), 3 steps: 1\. Stop web-dev-1 .*; 2\. Wait for the first to stop \(until stopped\); 3\. Stop api-dev-1/,
    );
    // A dev stop alone is auto-approved; a workflow is approved as a whole.
    const c = await service.request(plan, person('alice'), 'operator', conversation);
    expect(c.status).toBe('pending');
    expect(await state('web-dev-1')).toBe('running');
    const done = await service.approve(c.id, person('bob'), 'approver');
    expect(done).toMatchObject({ status: 'succeeded', result: { summary: 'quiet-dev: all 3 steps done.' } });
    expect(done.plan.workflow?.hash).toBe(plan.workflow?.hash);
    expect((await listSteps(store.db, c.id)).map((s) => [s.id, s.status])).toEqual([
      ['stop_first', 'succeeded'],
      ['first_stopped', 'succeeded'],
      ['stop_second', 'succeeded'],
    ]);
    expect(await state('web-dev-1')).toBe('stopped');
    expect(await state('api-dev-1')).toBe('stopped');
    // Live pages heard the run move and each step as it was recorded.
    const workflow = () => heard.filter((e) => e.kind === 'workflow');
    await waitFor(() => workflow().some((e) => e.status === 'succeeded'), {
      what: 'the run announced done',
      timeoutMs: 5_000,
      detail: workflow,
    });
    expect(workflow().flatMap((e) => (e.step ? [e.step] : []))).toEqual(['stop_first', 'first_stopped', 'stop_second']);
    expect(workflow().every((e) => e.kind === 'workflow' && e.runId === c.id)).toBe(true);
    expect(heard.some((e) => e.kind === 'change' && e.changeId === c.id && e.status === 'pending')).toBe(true);
  });

  it('runs nothing when the plan no longer builds the same as the one approved', async () => {
    const c = await service.request(await file(), person('alice'), 'operator', conversation);
    // Someone stops the second instance by hand before the approval.
    const second = (await inventory()).find((r) => r.name === 'api-dev-1')!;
    await aws.execute({
      action: 'stop',
      target: { provider: 'aws', account: second.account, region: second.region, type: 'instance', id: second.id },
      params: {},
    });
    const done = await service.approve(c.id, person('bob'), 'approver');
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(
      /^quiet-dev: the plan no longer builds \(.*already stopped.*\); nothing was changed\. Run it again to file a new request\.$/,
    );
    expect(await listSteps(store.db, c.id)).toEqual([]);
    expect(await state('web-dev-1')).toBe('running');
  });

  it('runs nothing when the plan builds differently from the one approved (the template edited in place)', async () => {
    const c = await service.request(await file(), person('alice'), 'operator', conversation);
    template = { ...template, steps: template.steps.map((s, i) => (i === 2 ? { ...s, title: 'Stop the other' } : s)) };
    const done = await service.approve(c.id, person('bob'), 'approver');
    expect(done.status).toBe('failed');
    expect(done.error).toBe(
      'quiet-dev: the plan changed since it was approved, from step 3 (Stop the second); nothing was changed. Run it again to file a new request.',
    );
    expect(await listSteps(store.db, c.id)).toEqual([]);
    expect(await state('web-dev-1')).toBe('running');
  });

  it('is marked interrupted, with its completed steps listed, when its executor stops half way; never run again', async () => {
    const c = await service.request(await file(), person('alice'), 'operator', conversation);
    const execute = aws.execute.bind(aws);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atThird = new Promise<void>((r) => (reached = r));
    aws.execute = async (action, opts) => {
      // The third step hangs: as far as this test goes, the process running it is gone.
      if (action.target.id === (planned.steps[2] as PlannedAction).target.id) {
        reached();
        await held;
      }
      return execute(action, opts);
    };
    const planned = c.plan.workflow!;
    const running = service.approve(c.id, person('bob'), 'approver');
    await atThird;
    // Another instance's recovery, once the lease lapsed (here: told that no executor can be alive).
    const [interrupted] = await service.recoverInterrupted({ all: true });
    expect(interrupted).toMatchObject({ id: c.id, status: 'interrupted' });
    expect(interrupted!.reason).toBe(
      'the service stopped while it was running; steps completed before it stopped: 1. Stop the first, 2. Wait for the first to stop; nothing was undone after the stop and nothing will run again: check those resources',
    );
    // The hung step ends after all: the run it belonged to records what really happened (late), and
    // no step runs twice.
    release();
    await running;
    expect((await service.get(c.id))?.status).toBe('succeeded');
    expect((await listSteps(store.db, c.id)).map((s) => s.id)).toEqual(['stop_first', 'first_stopped', 'stop_second']);
  });

  it('stops between steps when cancelled while it runs, and undoes the steps done', async () => {
    const c = await service.request(await file(), person('alice'), 'operator', conversation);
    const execute = aws.execute.bind(aws);
    let asked: boolean | undefined;
    const refusals: string[] = [];
    aws.execute = async (action, opts) => {
      const r = await execute(action, opts);
      // `cancel CR-n` while the first step runs: only its requester, an approver or an admin may.
      if (asked === undefined) {
        await service.cancel(c.id, person('dave'), 'operator').catch((e: AppError) => refusals.push(e.userMessage));
        const cancelled = await service.cancel(c.id, person('alice'), 'operator', 'wrong order');
        asked = cancelled.status === 'executing';
        await service.cancel(c.id, person('carol'), 'admin').catch((e: AppError) => refusals.push(e.userMessage));
      }
      return r;
    };
    const done = await service.approve(c.id, person('bob'), 'approver');
    expect(asked).toBe(true);
    expect(refusals).toEqual([
      expect.stringMatching(
        /^Cancelling CR-\d+ needs its requester or someone with the approver or admin role; you are an operator/,
      ),
      expect.stringMatching(/^Someone already asked CR-\d+ to stop/),
    ]);
    const audit = await listAuditEvents(store.db, { subject: c.id });
    expect(audit.find((e) => e.type === 'change.cancel_requested')?.data).toEqual({
      by: 'Alice',
      reason: 'wrong order',
    });
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(
      /^quiet-dev: cancelled before step 2 of 3 \(Wait for the first to stop\)\.\n- Stop the first: undone/,
    );
    expect((await listSteps(store.db, c.id)).map((s) => [s.id, s.status])).toEqual([
      ['stop_first', 'succeeded'],
      ['stop_first', 'compensated'],
    ]);
    expect(await state('web-dev-1')).toBe('running');
    expect(await state('api-dev-1')).toBe('running');
    // Too late now: the change is no longer executing.
    expect(await requestCancel(store.db, c.id, now)).toBe(false);
    await expect(service.cancel(c.id, person('alice'), 'operator')).rejects.toThrow(/failed/);
  });
});

describe('an approval gate inside a run', () => {
  const gated = () =>
    templateOf(
      aws,
      quietDevYaml.replace(
        '  - id: stop_second',
        '  - id: go_on\n    title: A second pair of eyes\n    approval: { roles: [approver, admin], quorum: 2 }\n    timeout: 1h\n  - id: stop_second',
      ),
    );
  const fileGated = async () => {
    template = gated();
    const plan = workflowChangePlan(
      template,
      await planWorkflow(deps, template, { first: 'web-dev-1', second: 'api-dev-1' }),
    );
    return service.request(plan, person('alice'), 'operator', conversation);
  };
  const stepsOf = async (id: string) => (await listSteps(store.db, id)).map((s) => [s.id, s.status]);

  it('stops the run at the gate until a quorum of two other people approves it, then goes on', async () => {
    const c = await fileGated();
    expect(c.plan.workflow!.steps[2]).toEqual({
      id: 'go_on',
      title: 'A second pair of eyes',
      kind: 'approval',
      roles: ['approver', 'admin'],
      quorum: 2,
      timeoutMs: 3_600_000,
    });
    const waiting = await service.approve(c.id, person('bob'), 'approver');
    expect(waiting).toMatchObject({
      status: 'waiting',
      gate: { step: 'go_on', deadline: new Date(now.getTime() + 3_600_000) },
    });
    expect(await stepsOf(c.id)).toEqual([
      ['stop_first', 'succeeded'],
      ['first_stopped', 'succeeded'],
    ]);
    expect(await state('api-dev-1')).toBe('running');

    // Not the requester, not an operator; one decision per person.
    await expect(service.approve(c.id, person('alice'), 'approver')).rejects.toThrow(
      /You requested CR-\d+, so you cannot decide its gate at step 3 \(A second pair of eyes\)/,
    );
    await expect(service.approve(c.id, person('olga'), 'operator')).rejects.toThrow(
      /needs the approver or admin role; you are an operator/,
    );
    const one = await service.approve(c.id, person('bob'), 'approver');
    expect(one.status).toBe('waiting');
    expect(one.gateDecisions.map((g) => [g.step, g.approver.displayName, g.decision])).toEqual([
      ['go_on', 'Bob', 'approved'],
    ]);
    await expect(service.approve(c.id, person('bob'), 'approver')).rejects.toThrow(
      /You already decided the gate at step 3/,
    );
    expect(await state('api-dev-1')).toBe('running');

    const done = await service.approve(c.id, person('carol'), 'admin');
    expect(done).toMatchObject({
      status: 'succeeded',
      gate: null,
      result: { summary: 'quiet-dev: all 4 steps done.' },
    });
    expect(await stepsOf(c.id)).toEqual([
      ['stop_first', 'succeeded'],
      ['first_stopped', 'succeeded'],
      ['go_on', 'succeeded'],
      ['stop_second', 'succeeded'],
    ]);
    expect((await listSteps(store.db, c.id))[2]!.summary).toBe('approved by Bob, Carol');
    expect(await state('api-dev-1')).toBe('stopped');
    const audit = (await listAuditEvents(store.db, { subject: c.id })).map((e) => e.type);
    expect(audit).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.waiting',
      'change.gate_approved',
      'change.gate_approved',
      'change.executing',
      'change.succeeded',
    ]);
  });

  it('undoes the completed steps when the gate is rejected, and says who rejected it', async () => {
    const c = await fileGated();
    await service.approve(c.id, person('bob'), 'approver');
    const done = await service.reject(c.id, person('carol'), 'admin', 'not during the sale');
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(
      /^quiet-dev: step 3 of 4 \(A second pair of eyes\) failed: rejected by Carol \(not during the sale\)\.\n- Stop the first: undone/,
    );
    expect(await stepsOf(c.id)).toEqual([
      ['stop_first', 'succeeded'],
      ['first_stopped', 'succeeded'],
      ['go_on', 'failed'],
      ['stop_first', 'compensated'],
    ]);
    expect(await state('web-dev-1')).toBe('running');
  });

  it('lapses at its deadline: the expiry job takes the run up and undoes its steps', async () => {
    const c = await fileGated();
    await service.approve(c.id, person('bob'), 'approver');
    at = new Date(now.getTime() + 30 * 60_000);
    expect(await service.expireDue()).toEqual([]);
    at = new Date(now.getTime() + 3_600_000);
    const [lapsed] = await service.expireDue();
    expect(lapsed).toMatchObject({ id: c.id, status: 'failed' });
    expect(lapsed!.error).toMatch(/step 3 of 4 \(A second pair of eyes\) failed: not approved within 60 min/);
    expect(await state('web-dev-1')).toBe('running');
  });

  it('cancel at the gate undoes the steps at once', async () => {
    const c = await fileGated();
    await service.approve(c.id, person('bob'), 'approver');
    const done = await service.cancel(c.id, person('alice'), 'operator', 'changed my mind');
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(
      /^quiet-dev: cancelled before step 3 of 4 \(A second pair of eyes\)\.\n- Stop the first: undone/,
    );
    expect(await state('web-dev-1')).toBe('running');
  });

  it('a freeze declared while the run waits refuses its gate approvals; an admin overrides it, audited', async () => {
    const c = await fileGated();
    await service.approve(c.id, person('bob'), 'approver');
    const freeze = await createFreeze(store.db, {
      workspaceId: 'T1',
      environment: 'dev',
      reason: 'dev cluster upgrade',
      by: person('carol'),
      conversation,
      now: at,
      endsAt: new Date(at.getTime() + 3_600_000),
    });
    try {
      await expect(service.approve(c.id, person('bob'), 'approver')).rejects.toThrow(
        /cannot be approved now: dev is frozen by Carol until 2026-11-01 13:00 UTC \(“dev cluster upgrade”\)/,
      );
      // Rejecting (which undoes what ran) is never frozen; here an admin lets it go on instead.
      const one = await service.approve(c.id, person('carol'), 'admin', { override: 'finish the half-done run' });
      expect(one.status).toBe('waiting');
      expect(one.override).toMatchObject({ reason: 'finish the half-done run', freezes: [freeze.id] });
      // The second approval passes the freeze the override named.
      const done = await service.approve(c.id, person('bob'), 'approver');
      expect(done.status).toBe('succeeded');
      expect(await state('api-dev-1')).toBe('stopped');
      const audit = (await listAuditEvents(store.db, { subject: c.id })).map((e) => e.type);
      expect(audit.slice(3, 7)).toEqual([
        'change.waiting',
        'change.overridden',
        'change.gate_approved',
        'change.gate_approved',
      ]);
    } finally {
      await store.db.execute(sql`delete from change_freezes`);
    }
  });
});
