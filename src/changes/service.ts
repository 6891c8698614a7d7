import { actorKey, type Actor, type ConversationRef, type Role } from '../chat/actor.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { openChangeStatuses, type Metrics, type OpenChangeStats } from '../observability/metrics.ts';
import type { Db } from '../store/db.ts';
import {
  createChangeContext,
  type ChangeContext,
  type ExecutorLease,
  type ProviderLookup,
  type WorkflowExecutor,
} from './context.ts';
import { executeApproved, resumeWaiting } from './execute.ts';
import { approverNeedText, closedError, formatTime, rolesText, someoneElseText } from './explain.ts';
import { ApprovalBlockedError, blockerLines, blockersFor, isBlocked, type Blockers } from './gates.ts';
import type { ChangeListener } from './listener.ts';
import { ChangePlan } from '../tools/change-plan.ts';
import type { AppliedPolicy, ChangeRequest } from './model.ts';
import { approvalBlocker, evaluatePolicy, mayApprove, type Policy } from './policy.ts';
import { windowsText } from './windows.ts';
import {
  getChange,
  inStatus,
  openChangeCounts,
  insertChange,
  listChanges,
  orphaned,
  lapsedGates,
  recordDecision,
  recordGateDecision,
  requestCancel,
  type ChangeFilter,
} from './repository.ts';
import { appendAudit } from './audit.ts';
import { rollbackPlan, type SpecLookup } from './rollback.ts';
import { findAction } from '../cloud/actions.ts';

export interface ChangeServiceDeps {
  db: Db;
  providers: ProviderLookup;
  policy: Policy;
  /** How long a request waits for approval when its policy rule sets no ttlMs. */
  approvalTtlMs: number;
  now: () => Date;
  listener: ChangeListener;
  logger: Logger;
  /** Transitions are counted; with `openChanges`, the open requests are counted at scrape time too. */
  metrics: Pick<Metrics, 'changeTransitions'> & Partial<Pick<Metrics, 'openChanges'>>;
  /** This instance's identity and lease length when it runs a change. */
  executor: ExecutorLease;
  /** Runs workflow change requests (src/workflows/); without it they fail with a reason. */
  workflows?: WorkflowExecutor | undefined;
}

/**
 * How a request was filed besides the plan and who asks. Only src/incidents/ passes it (a unit
 * test keeps it so): no tool, button or LLM reaches it, since the engine files their plans with
 * the four arguments alone.
 */
export interface RequestOptions {
  /**
   * Filed by an incident auto-remediation rule. The policy is evaluated as for anyone (who may
   * request, approvers, windows); with `autoApprove` the request is auto-approved under the rule
   * `auto-remediation:<rule>` instead, unless a freeze or a shut window holds it pending.
   */
  autoRemediation?: { rule: string; autoApprove: boolean };
}

/** Change requests from plan to result. Errors are AppErrors whose userMessage says what to do. */
export interface ChangeService {
  /** Files a plan under policy; auto-approved plans run before this returns. */
  request(
    plan: ChangePlan,
    actor: Actor,
    role: Role,
    conversation: ConversationRef,
    opts?: RequestOptions,
  ): Promise<ChangeRequest>;
  /**
   * Adds an approval; the approval that completes the count runs the change before this returns.
   * Refused (ApprovalBlockedError) while a freeze covers the change or its rule's approval windows
   * are shut, unless an admin gives `override` (a reason): stored on the request and audited.
   */
  approve(id: string, actor: Actor, role: Role, opts?: { override?: string | undefined }): Promise<ChangeRequest>;
  /** Rejects a pending request (its requester may withdraw it). */
  reject(id: string, actor: Actor, role: Role, reason?: string): Promise<ChangeRequest>;
  /**
   * Stops a change: a pending one is withdrawn (its requester) or rejected (an approver); a running
   * workflow stops before its next step and undoes the completed ones (its requester, an approver
   * of its rule, or an admin). A single action that is already running cannot be stopped.
   */
  cancel(id: string, actor: Actor, role: Role, reason?: string): Promise<ChangeRequest>;
  /** Files a new request that undoes a succeeded one; the original becomes rolled_back when it succeeds. */
  rollback(id: string, actor: Actor, role: Role): Promise<ChangeRequest>;
  list(filter?: ChangeFilter): Promise<ChangeRequest[]>;
  get(id: string): Promise<ChangeRequest | null>;
  /** Pending requests past their expiry → expired. Returns those it moved. */
  expireDue(): Promise<ChangeRequest[]>;
  /**
   * Requests whose executor is gone → interrupted; never re-run. By default those whose lease
   * lapsed (any instance may call it); `all` when no other instance can be running (at the start
   * of the only process on an embedded database): every executing or approved-not-started request.
   */
  recoverInterrupted(opts?: { all?: boolean }): Promise<ChangeRequest[]>;
}

/** The open change requests as the metrics show them; ages in seconds on this instance's clock (as leases are). */
const openChangeStats = async (db: Db, at: Date): Promise<OpenChangeStats> => {
  const rows = await openChangeCounts(db);
  const age = (d: Date | null | undefined): number => (d ? Math.max(0, (at.getTime() - d.getTime()) / 1000) : 0);
  const byStatus = Object.fromEntries(
    openChangeStatuses.map((status) => {
      const row = rows.find((r) => r.status === status);
      return [status, { count: row?.count ?? 0, oldestSeconds: age(row?.oldest) }];
    }),
  ) as OpenChangeStats['byStatus'];
  return { byStatus, executingLeaseAgeSeconds: age(rows.find((r) => r.status === 'executing')?.stalestLease) };
};

const article = (role: Role): string => (role === 'admin' || role === 'approver' || role === 'operator' ? 'an' : 'a');

export const createChangeService = (deps: ChangeServiceDeps): ChangeService => {
  const ctx: ChangeContext = createChangeContext(deps);
  const { db, now } = ctx;
  const specOf: SpecLookup = (provider, type, action) => {
    const catalog = ctx.provider(provider)?.actions;
    return catalog ? findAction(catalog, type, action) : undefined;
  };
  // Counted in the database when /metrics is scraped: right whichever replica answers.
  deps.metrics.openChanges?.(() => openChangeStats(db, now()));

  const load = async (id: string, actor: Actor): Promise<ChangeRequest> => {
    const c = await getChange(db, id);
    if (!c) throw notFound(`There is no change request ${id}.`);
    if (c.workspaceId !== actor.workspaceId) throw forbidden(`${id} belongs to another workspace.`);
    return c;
  };

  const request: ChangeService['request'] = async (input, actor, role, conversation, opts = {}) => {
    const parsed = ChangePlan.safeParse(input);
    if (!parsed.success) throw badRequest('That change plan is not valid.', parsed.error);
    const plan = parsed.data;
    if (role === 'viewer') throw forbidden('Viewers cannot request changes: ask an admin for the operator role.');
    const decision = evaluatePolicy(deps.policy, plan, role, { conversation });
    if (!decision.allowed) throw forbidden(`You cannot request this change: ${decision.reason}.`);
    if (plan.rollbackOf) {
      const original = await getChange(db, plan.rollbackOf);
      if (!original || original.status !== 'succeeded')
        throw conflict(`${plan.rollbackOf} is not a change that succeeded, so it cannot be rolled back.`);
    }
    const { allowed: _allowed, ...evaluated } = decision;
    const auto = opts.autoRemediation;
    const ruled: AppliedPolicy = !auto
      ? evaluated
      : auto.autoApprove
        ? {
            ...evaluated,
            rule: `auto-remediation:${auto.rule}`,
            approvals: 0,
            autoApprove: true,
            autoRemediation: auto.rule,
          }
        : { ...evaluated, autoRemediation: auto.rule };
    let applied: AppliedPolicy = ruled;
    if (ruled.autoApprove) {
      // Auto-approved means run at once. Under a freeze or outside the rule's windows it is filed
      // like any other request instead, needing one approval (or an admin's override) to run.
      const blockers = await blockersFor(db, { workspaceId: actor.workspaceId, plan, policy: ruled }, now());
      if (isBlocked(blockers))
        applied = {
          ...ruled,
          autoApprove: false,
          // An auto-remediation held here needs what its policy rule needs of anyone (at least one).
          approvals: Math.max(1, evaluated.approvals),
          autoApproveHeld: blockerLines(blockers, ruled.rule).join('; '),
        };
    }
    const at = now();
    const created = await insertChange(db, {
      plan,
      requester: actor,
      conversation,
      policy: applied,
      expiresAt: new Date(at.getTime() + (applied.ttlMs ?? deps.approvalTtlMs)),
      now: at,
    });
    ctx.committed(created, 'none', 'pending', actor);
    await ctx.notify(created, 'requested');
    if (created.status !== 'approved') return created;
    // Auto-approved: filed `approved` in the same commit as the request (no pending window).
    ctx.committed(created, 'pending', 'approved', null);
    await ctx.notify(created, 'approved');
    return executeApproved(ctx, created);
  };

  /** What an admin's override records, or null when nothing blocks; throws when something blocks and it may not pass. */
  const gate = async (c: ChangeRequest, actor: Actor, role: Role, reason: string | undefined) => {
    const at = now();
    const blockers: Blockers = await blockersFor(db, c, at);
    if (!isBlocked(blockers)) return undefined;
    if (reason === undefined) throw new ApprovalBlockedError(c.id, blockers, c.policy.rule, role === 'admin');
    if (role !== 'admin')
      throw forbidden(
        `Only an admin can override what blocks ${c.id}: ${blockerLines(blockers, c.policy.rule).join('; ')}.`,
      );
    const why = reason.trim();
    if (why.length < 3)
      throw badRequest(
        `Say why you override (it is audited): \`approve ${c.id} override "<reason>"\`.`,
        undefined,
        'override',
      );
    return {
      by: actor,
      reason: why.slice(0, 500),
      at,
      freezes: blockers.freezes.map((f) => f.id),
      window: blockers.window !== undefined,
      details: {
        freezes: blockers.freezes.map((f) => ({
          id: f.id,
          environment: f.environment,
          by: f.createdBy.displayName,
          endsAt: f.endsAt,
          reason: f.reason,
        })),
        window: blockers.window ? windowsText(blockers.window.windows) : null,
      },
    };
  };

  /**
   * A decision on the approval gate a workflow run waits at: the gate's roles, never the requester,
   * one decision per person. A rejection, or the approval that completes the quorum, resumes the
   * run in this call (to go on, or to undo what it did); an approval short of it updates the card.
   */
  const decideGate = async (
    c: ChangeRequest,
    actor: Actor,
    role: Role,
    decision: 'approved' | 'rejected',
    reason?: string,
    overrideReason?: string,
  ): Promise<ChangeRequest> => {
    const step = c.plan.workflow?.steps.find((s) => s.id === c.gate?.step);
    if (!step || step.kind !== 'approval') throw closedError(c);
    const label = `step ${c.plan.workflow!.steps.indexOf(step) + 1} (${step.title}) of ${c.id}`;
    if (c.requesterKey === actorKey(actor))
      throw forbidden(
        `You requested ${c.id}, so you cannot decide its gate at ${label}: someone else with the ${step.roles.join(' or ')} role must.`,
      );
    if (!step.roles.includes(role))
      throw forbidden(
        `Deciding the gate at ${label} needs the ${step.roles.join(' or ')} role; you are ${article(role)} ${role}.`,
      );
    // Approving resumes the run: a freeze or a shut window of its rule refuses it, as for the run's own approval.
    const override = decision === 'approved' ? await gate(c, actor, role, overrideReason) : undefined;
    const out = await recordGateDecision(db, {
      id: c.id,
      step: step.id,
      by: actor,
      decision,
      reason,
      now: now(),
      ...(override ? { override } : {}),
    });
    switch (out.kind) {
      case 'missing':
        throw notFound(`There is no change request ${c.id}.`);
      case 'closed':
        throw closedError(out.change);
      case 'duplicate':
        throw conflict(
          `You already decided the gate at ${label} at ${formatTime(out.at)}; it needs ${step.quorum} approvals from different people.`,
        );
      case 'recorded': {
        const approvals = out.change.gateDecisions.filter((g) => g.step === step.id && g.decision === 'approved');
        if (decision === 'approved' && approvals.length < step.quorum) {
          await ctx.notify(out.change, 'waiting');
          return out.change;
        }
        return resumeWaiting(ctx, out.change, actor);
      }
    }
  };

  const approve: ChangeService['approve'] = async (id, actor, role, opts = {}) => {
    const c = await load(id, actor);
    if (c.status === 'waiting') return decideGate(c, actor, role, 'approved', undefined, opts.override);
    if (c.status !== 'pending') throw closedError(c);
    const blocker = approvalBlocker(c, actor, role);
    if (blocker === 'own') {
      throw forbidden(`You requested ${id}, so you cannot approve it yourself: ${someoneElseText(c.policy)} must.`);
    }
    if (blocker === 'role') {
      throw forbidden(
        `Approving ${id} needs ${approverNeedText(c.policy)} (policy rule "${c.policy.rule}"); you are ${article(role)} ${role}.`,
      );
    }
    // Past its expiry, recording the decision expires it (below): that is the answer, not a freeze.
    const due = c.expiresAt !== null && c.expiresAt.getTime() <= now().getTime();
    const override = due ? undefined : await gate(c, actor, role, opts.override);
    const outcome = await recordDecision(db, {
      id,
      by: actor,
      decision: 'approved',
      now: now(),
      ...(override ? { override } : {}),
    });
    switch (outcome.kind) {
      case 'missing':
        throw notFound(`There is no change request ${id}.`);
      case 'closed':
        throw closedError(outcome.change);
      case 'expired':
        ctx.committed(outcome.change, 'pending', 'expired', null);
        await ctx.notify(outcome.change, 'expired');
        throw closedError(outcome.change);
      case 'duplicate': {
        const missing =
          outcome.change.approvalsRequired - outcome.change.decisions.filter((d) => d.decision === 'approved').length;
        throw conflict(
          `You already approved ${id} at ${formatTime(outcome.at)}; it still needs ${missing} more approval${missing === 1 ? '' : 's'} from someone else.`,
        );
      }
      case 'rejected':
        throw new AppError('internal', 'unexpected rejection outcome');
      case 'approved':
        ctx.committed(outcome.change, 'pending', outcome.completed ? 'approved' : 'pending', actor);
        await ctx.notify(outcome.change, 'approved');
        return outcome.completed ? executeApproved(ctx, outcome.change) : outcome.change;
    }
  };

  const reject: ChangeService['reject'] = async (id, actor, role, reason) => {
    const c = await load(id, actor);
    if (c.status === 'waiting') return decideGate(c, actor, role, 'rejected', reason?.trim() || undefined);
    if (c.status !== 'pending') throw closedError(c);
    const withdrawing = c.requesterKey === actorKey(actor);
    if (!withdrawing && !mayApprove(c.policy, actor, role)) {
      throw forbidden(`Rejecting ${id} needs ${approverNeedText(c.policy)}; you are ${article(role)} ${role}.`);
    }
    const why = reason?.trim() || (withdrawing ? 'withdrawn by the requester' : undefined);
    const outcome = await recordDecision(db, { id, by: actor, decision: 'rejected', reason: why, now: now() });
    switch (outcome.kind) {
      case 'missing':
        throw notFound(`There is no change request ${id}.`);
      case 'closed':
      case 'duplicate':
        throw closedError(outcome.change);
      case 'expired':
        ctx.committed(outcome.change, 'pending', 'expired', null);
        await ctx.notify(outcome.change, 'expired');
        throw closedError(outcome.change);
      case 'approved':
        throw new AppError('internal', 'unexpected approval outcome');
      case 'rejected':
        ctx.committed(outcome.change, 'pending', 'rejected', actor);
        await ctx.notify(outcome.change, 'rejected');
        return outcome.change;
    }
  };

  const cancel: ChangeService['cancel'] = async (id, actor, role, reason) => {
    const c = await load(id, actor);
    if (c.status === 'pending') return reject(id, actor, role, reason?.trim() || 'cancelled');
    const mine = c.requesterKey === actorKey(actor);
    if (!mine && role !== 'admin' && !mayApprove(c.policy, actor, role))
      throw forbidden(
        `Cancelling ${id} needs its requester or someone with the ${rolesText([...new Set([...c.policy.approverRoles, 'admin' as const])])}; you are ${article(role)} ${role}.`,
      );
    if (c.status === 'approved' || (c.status === 'executing' && !c.plan.workflow))
      throw conflict(
        c.plan.workflow
          ? `${id} is starting; cancel it again in a moment to stop it before its next step.`
          : `${id} is a single action that is already running at the provider; it cannot be stopped. Once it ends, \`rollback ${id}\` undoes it.`,
      );
    if (c.status !== 'executing' && c.status !== 'waiting') throw closedError(c);
    const at = now();
    const asked = await db.transaction(async (tx) => {
      if (!(await requestCancel(tx, id, at))) return false;
      await appendAudit(tx, {
        at,
        type: 'change.cancel_requested',
        actorKey: actorKey(actor),
        subject: id,
        data: { by: actor.displayName, ...(reason?.trim() ? { reason: reason.trim() } : {}) },
      });
      return true;
    });
    if (!asked) {
      const again = await getChange(db, id);
      if (again?.status === 'executing')
        throw conflict(`Someone already asked ${id} to stop; it stops before its next step.`);
      throw closedError(again ?? c);
    }
    deps.logger.info({ changeId: id, by: actorKey(actor) }, 'workflow cancel requested');
    // At a gate nothing runs: the run is taken up now, sees the cancel, and undoes its steps.
    if (c.status === 'waiting') return resumeWaiting(ctx, (await getChange(db, id)) ?? c, actor);
    ctx.progress(c, `cancel asked by ${actor.displayName}; stopping before the next step`);
    return (await getChange(db, id)) ?? c;
  };

  const rollback: ChangeService['rollback'] = async (id, actor, role) => {
    const original = await load(id, actor);
    if (original.status !== 'succeeded') {
      const state =
        original.status === 'rolled_back'
          ? `already rolled back (${original.reason ?? 'by a later change'})`
          : original.status;
      throw conflict(`Only a change that succeeded can be rolled back; ${id} is ${state}.`);
    }
    const [running] = await listChanges(db, { rollbackOf: id, status: ['pending', 'approved', 'executing'], limit: 1 });
    if (running) throw conflict(`A rollback of ${id} is already under way: ${running.id} (${running.status}).`);
    return request(rollbackPlan(original, specOf), actor, role, original.conversation);
  };

  const expireDue: ChangeService['expireDue'] = async () => {
    const moved: ChangeRequest[] = [];
    for (const { id } of await inStatus(db, ['pending'], now())) {
      const at = now();
      const c = await ctx.move(
        {
          id,
          from: 'pending',
          to: 'expired',
          now: at,
          by: null,
          patch: { reason: 'approval window closed', finishedAt: at },
        },
        'expired',
      );
      if (c) moved.push(c);
    }
    // Workflow runs whose approval gate lapsed: taken up to undo the steps they completed.
    for (const { id } of await lapsedGates(db, now())) {
      const c = await getChange(db, id);
      if (c?.status === 'waiting') moved.push(await resumeWaiting(ctx, c, null));
    }
    return moved;
  };

  const recoverInterrupted: ChangeService['recoverInterrupted'] = async (opts = {}) => {
    const moved: ChangeRequest[] = [];
    const staleBefore = opts.all ? undefined : new Date(now().getTime() - deps.executor.leaseMs);
    for (const { id, status } of await orphaned(db, staleBefore)) {
      const at = now();
      const note =
        status === 'executing'
          ? await ctx.workflows?.interruptedNote?.(id).catch((err: unknown) => {
              deps.logger.warn({ err, changeId: id }, 'could not read the steps of an interrupted workflow');
              return undefined;
            })
          : undefined;
      const reason =
        status === 'executing'
          ? `the service stopped while it was running${note ? `; ${note}` : ''}`
          : 'the service stopped before it started';
      const c = await ctx.move(
        { id, from: status, to: 'interrupted', now: at, by: null, patch: { reason, finishedAt: at } },
        'interrupted',
      );
      if (c) moved.push(c);
    }
    if (moved.length)
      deps.logger.warn(
        { changes: moved.map((c) => c.id) },
        'change requests whose executor stopped were marked interrupted (not re-run)',
      );
    return moved;
  };

  return {
    request,
    approve,
    reject,
    cancel,
    rollback,
    list: (filter = {}) => listChanges(db, filter),
    get: (id) => getChange(db, id),
    expireDue,
    recoverInterrupted,
  };
};
