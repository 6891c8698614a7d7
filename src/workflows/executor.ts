import type { WorkflowExecutor, WorkflowRunOutcome } from '../changes/context.ts';
import type { ChangeRequest } from '../changes/model.ts';
import { cancelRequested } from '../changes/repository.ts';
import { isUserFacing } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import type { LiveBus } from '../util/live.ts';
import { planWorkflow, type PlanDeps } from './plan.ts';
import { insertStep, listSteps } from './repository.ts';
import { runWorkflow, type GateState, type RunDeps, type WorkflowOutcome } from './run.ts';
import type { PlannedGate } from './plan.ts';
import type { Template } from './template.ts';

export interface WorkflowExecutorDeps extends PlanDeps {
  db: Db;
  now: () => Date;
  /** The template a plan was built from, by name and version (undefined: no longer available). */
  template(name: string, version: number, workspaceId: string): Template | undefined | Promise<Template | undefined>;
  sleep?: RunDeps['sleep'];
  waitPollMs?: number;
  /** Where each recorded step is announced to live pages (src/util/live.ts). */
  live?: Pick<LiveBus, 'publish'>;
}

/**
 * The executor's workflow runner. Before the first step it builds the plan again from the same
 * template, version and inputs against the live inventory: the approval bound to the plan's hash,
 * and a plan that no longer builds, or builds differently (a target gone or changed state, a price
 * moved, the template edited in place), fails the change before anything runs: it needs a new
 * request and a new approval. Then the approved steps run, each recorded in `workflow_steps`.
 */
export const createWorkflowExecutor = (d: WorkflowExecutorDeps): WorkflowExecutor => {
  const runDeps = (change: ChangeRequest, hooks: { progress(step: string): void }, seq: number): RunDeps => ({
    provider: d.provider,
    now: d.now,
    progress: hooks.progress,
    cancelRequested: () => cancelRequested(d.db, change.id),
    record: async (r) => {
      await insertStep(d.db, change.id, seq++, r);
      // Steps run while the change is executing (its transitions are announced by the change listener).
      d.live?.publish({
        kind: 'workflow',
        workspaceId: change.workspaceId,
        runId: change.id,
        status: 'executing',
        step: r.id,
      });
    },
    sleep: d.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref())),
    ...(d.waitPollMs ? { waitPollMs: d.waitPollMs } : {}),
    gate: async (step) => gateState(change, step, d.now()),
    runKey: change.id,
  });
  const outcomeOf = (out: WorkflowOutcome): WorkflowRunOutcome =>
    out.status === 'waiting' && out.gate
      ? {
          ok: false,
          summary: out.summary,
          error: null,
          waiting: { step: out.gate.id, deadline: new Date(d.now().getTime() + out.gate.timeoutMs) },
        }
      : { ok: out.status === 'succeeded', summary: out.summary, error: out.error };
  return {
    run: async (change, hooks) => {
      const plan = change.plan.workflow;
      if (!plan) return { ok: false, summary: `${change.id} is not a workflow run.`, error: 'not a workflow' };
      const refuse = (why: string) => ({
        ok: false,
        summary: `${plan.template}: ${why}; nothing was changed. Run it again to file a new request.`,
        error: why,
      });
      const template = await d.template(plan.template, plan.version, change.workspaceId);
      if (!template) return refuse(`version ${plan.version} of the template is no longer available`);
      let fresh;
      try {
        fresh = await planWorkflow(d, template, plan.inputs);
      } catch (e) {
        return refuse(`the plan no longer builds (${isUserFacing(e) ? e.userMessage : 'an unexpected error'})`);
      }
      if (fresh.hash !== plan.hash) {
        const at = plan.steps.findIndex((s, i) => canonicalJson(s) !== canonicalJson(fresh.steps[i]));
        return refuse(
          at >= 0
            ? `the plan changed since it was approved, from step ${at + 1} (${plan.steps[at]!.title})`
            : 'the plan changed since it was approved (its cost estimate)',
        );
      }
      return outcomeOf(await runWorkflow(runDeps(change, hooks, 0), plan));
    },
    // Taken up at its gate: not planned again (its own completed steps changed what a new plan
    // would see); the steps it recorded are what later steps read and what a failure undoes.
    resume: async (change, hooks) => {
      const plan = change.plan.workflow;
      if (!plan) return { ok: false, summary: `${change.id} is not a workflow run.`, error: 'not a workflow' };
      const done = await listSteps(d.db, change.id);
      return outcomeOf(await runWorkflow(runDeps(change, hooks, done.length), plan, { done }));
    },
    interruptedNote: async (changeId) => {
      const steps = await listSteps(d.db, changeId);
      if (steps.length === 0) return undefined;
      const done = steps.filter((s) => s.status === 'succeeded');
      const undone = steps.filter((s) => s.status === 'compensated');
      return [
        done.length
          ? `steps completed before it stopped: ${done.map((s) => `${s.index + 1}. ${s.title}`).join(', ')}`
          : 'no step had completed',
        undone.length ? `undone: ${undone.map((s) => `${s.index + 1}. ${s.title}`).join(', ')}` : '',
        'nothing was undone after the stop and nothing will run again: check those resources',
      ]
        .filter(Boolean)
        .join('; ');
    },
  };
};

/**
 * Where a gate stands from the change's recorded gate decisions: a rejection closes it, `quorum`
 * distinct approvals open it, and past its deadline without them it has lapsed. (Who may decide a
 * gate is checked when the decision is recorded: src/changes/service.ts.)
 */
export const gateState = (change: ChangeRequest, step: PlannedGate, now: Date): GateState => {
  const decisions = change.gateDecisions.filter((g) => g.step === step.id);
  const rejected = decisions.find((g) => g.decision === 'rejected');
  if (rejected) return { state: 'rejected', by: rejected.approver.displayName, reason: rejected.reason };
  const approved = decisions.filter((g) => g.decision === 'approved');
  if (approved.length >= step.quorum) return { state: 'approved', by: approved.map((g) => g.approver.displayName) };
  const deadline = change.gate?.step === step.id ? change.gate.deadline : null;
  if (deadline && deadline.getTime() <= now.getTime()) return { state: 'lapsed' };
  return { state: 'open' };
};
