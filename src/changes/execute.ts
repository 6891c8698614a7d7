import { findAction } from '../cloud/actions.ts';
import { AppError, isUserFacing } from '../errors.ts';
import type { Actor } from '../chat/actor.ts';
import type { ActionRunner, ChangeContext, WorkflowRunOutcome } from './context.ts';
import type { ChangeRequest } from './model.ts';
import { getChange, renewLease, type TransitionPatch } from './repository.ts';

/**
 * Runs an approved change exactly once: only the caller that wins approved → executing calls the
 * provider, outside any transaction. While it runs, the executor renews a lease on the row; a crash
 * leaves the request `executing` with a lapsing lease, which recovery (at start when the database
 * is ours alone, else by the recurring job on any instance) turns into `interrupted`. Never re-run.
 */
export const executeApproved = async (ctx: ChangeContext, approved: ChangeRequest): Promise<ChangeRequest> => {
  const id = approved.id;
  const start = ctx.now();
  const executing = await ctx.move(
    {
      id,
      from: 'approved',
      to: 'executing',
      now: start,
      by: null,
      patch: { startedAt: start, executor: ctx.executor.id, heartbeatAt: start },
    },
    'executing',
  );
  if (!executing) return reload(ctx, id);
  return finish(ctx, id, await withLease(ctx, id, () => runProvider(ctx, executing)));
};

/**
 * Takes up a workflow run that waited at an approval gate, once the gate is decided, has lapsed
 * or the run was cancelled there: only the caller that wins waiting → executing goes on (under a
 * new lease), to run the remaining steps or to undo the completed ones.
 */
export const resumeWaiting = async (
  ctx: ChangeContext,
  waiting: ChangeRequest,
  by: Actor | null,
): Promise<ChangeRequest> => {
  const id = waiting.id;
  const at = ctx.now();
  const executing = await ctx.move(
    {
      id,
      from: 'waiting',
      to: 'executing',
      now: at,
      by,
      patch: { executor: ctx.executor.id, heartbeatAt: at, gateStep: null, gateDeadline: null },
      data: { resumedAt: waiting.gate?.step ?? null },
    },
    'executing',
  );
  if (!executing) return reload(ctx, id);
  if (!ctx.workflows) {
    const error = 'workflow runs are not enabled on this instance; the run stopped at its gate';
    return finish(ctx, id, { to: 'failed', patch: { error }, data: { error } });
  }
  const workflows = ctx.workflows;
  return finish(
    ctx,
    id,
    await withLease(ctx, id, async (): Promise<Outcome> => {
      try {
        // The change as it waited: its gate and the decisions on it say how the run goes on.
        return outcomeOf(await workflows.resume(waiting, { progress: (step) => ctx.progress(executing, step) }));
      } catch (err) {
        const error = isUserFacing(err) ? err.userMessage : 'the workflow runner failed unexpectedly';
        ctx.logger.warn({ err, changeId: id }, 'workflow resume failed');
        return { to: 'failed', patch: { error }, data: { error } };
      }
    }),
  );
};

/** Records how an execution ended: done, failed, or (a workflow) waiting at a gate. */
const finish = async (ctx: ChangeContext, id: string, outcome: Outcome): Promise<ChangeRequest> => {
  const now = ctx.now();
  const patch: TransitionPatch =
    outcome.to === 'waiting'
      ? { ...outcome.patch, executor: null, heartbeatAt: null }
      : { ...outcome.patch, finishedAt: now };
  const finished =
    (await ctx.move({ id, from: 'executing', to: outcome.to, now, by: null, patch, data: outcome.data }, outcome.to)) ??
    // Recovery elsewhere marked it interrupted while it ran: record what really happened.
    (await ctx.move(
      { id, from: 'interrupted', to: outcome.to, now, by: null, patch, data: { ...outcome.data, late: true } },
      outcome.to,
    ));
  if (!finished) {
    ctx.logger.error({ changeId: id, outcome: outcome.to }, 'change ran but its result could not be recorded');
    return reload(ctx, id);
  }
  if (finished.status === 'succeeded' && finished.plan.rollbackOf) await markRolledBack(ctx, finished);
  return finished;
};

/** Renews the executor lease every third of its length while `run` is in flight. */
const withLease = async <T>(ctx: ChangeContext, id: string, run: () => Promise<T>): Promise<T> => {
  let lost = false;
  let done = false;
  const timer = setInterval(
    () => {
      if (lost || done) return;
      renewLease(ctx.db, id, ctx.executor.id, ctx.now()).then(
        (held) => {
          lost = !held && !done;
          if (lost)
            ctx.logger.warn(
              { changeId: id },
              'lost the execution lease (marked interrupted elsewhere); the result will still be recorded',
            );
        },
        (err: unknown) => ctx.logger.warn({ err, changeId: id }, 'could not renew the execution lease'),
      );
    },
    Math.max(ctx.executor.leaseMs / 3, 250),
  );
  timer.unref();
  try {
    return await run();
  } finally {
    done = true;
    clearInterval(timer);
  }
};

type Outcome = { to: 'succeeded' | 'failed' | 'waiting'; patch: TransitionPatch; data: Record<string, unknown> };

const outcomeOf = (out: WorkflowRunOutcome): Outcome =>
  out.waiting
    ? {
        to: 'waiting',
        patch: { gateStep: out.waiting.step, gateDeadline: out.waiting.deadline },
        data: { gate: out.waiting.step, deadline: out.waiting.deadline, summary: out.summary },
      }
    : out.ok
      ? {
          to: 'succeeded',
          patch: { result: { summary: out.summary, newState: 'done' } },
          data: { summary: out.summary },
        }
      : { to: 'failed', patch: { error: out.summary }, data: { error: out.error, summary: out.summary } };

/**
 * The plan was made against the inventory; before acting, the target is read from the cloud again.
 * A target that vanished, or whose state no longer allows the action (someone else stopped it,
 * a deployment was deleted), fails the change with the reason and touches nothing. A provider
 * that cannot describe, or a describe that fails, leaves the check to the provider's own call.
 */
const changedSincePlan = async (
  ctx: ChangeContext,
  provider: ActionRunner,
  c: ChangeRequest,
): Promise<string | undefined> => {
  if (!provider.describe) return undefined;
  const t = c.plan.target;
  let now;
  try {
    now = await provider.describe(t);
  } catch (err) {
    ctx.logger.warn({ err, changeId: c.id }, 'could not re-read the target before executing; the provider decides');
    return undefined;
  }
  const name = c.plan.resourceName && c.plan.resourceName !== t.id ? `${c.plan.resourceName} (${t.id})` : t.id;
  if (!now) return `${name} no longer exists in ${t.region}; nothing was changed`;
  const spec = findAction(provider.actions, t.type, c.plan.action);
  if (spec?.doneStates?.includes(now.state)) return `${name} is already ${now.state}; nothing was changed`;
  if (spec?.states && !spec.states.includes(now.state))
    return `${name} is now ${now.state} (it changed since the request); ${c.plan.action} needs it to be ${spec.states.join(' or ')}, so nothing was changed`;
  return undefined;
};

/** A workflow change: its steps through the workflow runner (which re-checks the plan first). */
const runWorkflowChange = async (ctx: ChangeContext, c: ChangeRequest): Promise<Outcome> => {
  if (!ctx.workflows) {
    const error = 'workflow runs are not enabled on this instance; nothing was changed';
    return { to: 'failed', patch: { error }, data: { error } };
  }
  try {
    return outcomeOf(await ctx.workflows.run(c, { progress: (step) => ctx.progress(c, step) }));
  } catch (err) {
    const error = isUserFacing(err) ? err.userMessage : 'the workflow runner failed unexpectedly';
    ctx.logger.warn({ err, changeId: c.id }, 'workflow execution failed');
    return { to: 'failed', patch: { error }, data: { error } };
  }
};

const runProvider = async (ctx: ChangeContext, c: ChangeRequest): Promise<Outcome> => {
  const p = c.plan;
  if (p.workflow) return runWorkflowChange(ctx, c);
  try {
    const provider = ctx.provider(p.target.provider);
    if (!provider) {
      const error = `no cloud provider "${p.target.provider}" is configured`;
      return { to: 'failed', patch: { error }, data: { error } };
    }
    const stale = await changedSincePlan(ctx, provider, c);
    if (stale) return { to: 'failed', patch: { error: stale }, data: { error: stale, stale: true } };
    const r = await provider.execute(
      { action: p.action, target: p.target, params: p.params },
      { progress: (step) => ctx.progress(c, step), idempotencyKey: c.id },
    );
    return {
      to: 'succeeded',
      patch: { result: { summary: r.summary, newState: r.newState }, rollbackData: r.previous },
      data: { summary: r.summary, newState: r.newState, previous: r.previous },
    };
  } catch (err) {
    // Only AppError texts are written for users (not an `internal` one's); anything else may carry internals.
    const error = isUserFacing(err) ? err.userMessage : 'the cloud provider failed unexpectedly';
    ctx.logger.warn({ err, changeId: c.id }, 'change execution failed');
    return { to: 'failed', patch: { error }, data: { error } };
  }
};

const markRolledBack = async (ctx: ChangeContext, rollback: ChangeRequest): Promise<void> => {
  const originalId = rollback.plan.rollbackOf!;
  const moved = await ctx.move(
    {
      id: originalId,
      from: 'succeeded',
      to: 'rolled_back',
      now: ctx.now(),
      by: rollback.decidedBy,
      patch: { reason: `rolled back by ${rollback.id}` },
      data: { rollbackChange: rollback.id },
    },
    'rolled_back',
  );
  if (!moved)
    ctx.logger.warn(
      { changeId: originalId, rollbackChange: rollback.id },
      'rolled-back change was no longer in succeeded',
    );
};

const reload = async (ctx: ChangeContext, id: string): Promise<ChangeRequest> => {
  const c = await getChange(ctx.db, id);
  if (!c) throw new AppError('internal', `change request ${id} vanished`);
  return c;
};
