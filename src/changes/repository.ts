import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from '../store/orm.ts';
import type { SQL } from 'drizzle-orm';
import { z } from 'zod';
import { actorKey, type Actor, type ConversationRef } from '../chat/actor.ts';
import { conflict } from '../errors.ts';
import { appendAudit, type AuditEventType } from './audit.ts';
import { ChangePlan } from '../tools/change-plan.ts';
import {
  AppliedPolicy,
  ChangeOverride,
  ChangeStatus,
  type ChangeDecision,
  type ChangeRequest,
  type ChangeResult,
  type GateDecision,
} from './model.ts';
import { approvals, changeRequests, gateApprovals } from './schema.ts';
import { assertTransition, initialStatus } from './state-machine.ts';
import type { DbOrTx } from './tx.ts';

/**
 * SQL for change requests. Every status change is one compare-and-set UPDATE (id AND expected
 * status), committed together with its audit event; the loser of a race gets null.
 */

type Row = typeof changeRequests.$inferSelect;

const ChangeResultSchema = z.object({ summary: z.string(), newState: z.string() });

const toDecision = (r: typeof approvals.$inferSelect): ChangeDecision => ({
  approver: r.approver,
  approverKey: r.approverKey,
  decision: r.decision === 'rejected' ? 'rejected' : 'approved',
  reason: r.reason,
  at: r.createdAt,
});

const toChange = (r: Row, decisions: ChangeDecision[], gateDecisions: GateDecision[]): ChangeRequest => ({
  id: r.id,
  workspaceId: r.workspaceId,
  status: ChangeStatus.parse(r.status),
  plan: ChangePlan.parse({
    action: r.action,
    target: r.target,
    resourceName: r.resourceName,
    environment: r.environment,
    params: r.params,
    summary: r.summary,
    blastRadius: r.blastRadius,
    costDeltaCents: r.costDeltaCents,
    rollback: r.rollback ?? null,
    ...(r.rollbackOf ? { rollbackOf: r.rollbackOf } : {}),
    ...(r.workflow ? { workflow: r.workflow } : {}),
  }),
  requester: r.requester,
  requesterKey: r.requesterKey,
  conversation: r.conversation,
  policy: AppliedPolicy.parse(r.policy),
  approvalsRequired: r.approvalsRequired,
  decisions,
  expiresAt: r.expiresAt,
  decidedBy: r.decidedBy ?? null,
  reason: r.reason,
  ...(r.override ? { override: ChangeOverride.parse(r.override) } : {}),
  rollbackData: r.rollbackData ?? null,
  result: r.result ? (ChangeResultSchema.parse(r.result) satisfies ChangeResult) : null,
  error: r.error,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  startedAt: r.startedAt,
  finishedAt: r.finishedAt,
  gate: r.gateStep ? { step: r.gateStep, deadline: r.gateDeadline } : null,
  gateDecisions,
});

const withDecisions = async (exec: DbOrTx, rows: Row[]): Promise<ChangeRequest[]> => {
  if (rows.length === 0) return [];
  const ds = await exec
    .select()
    .from(approvals)
    .where(
      inArray(
        approvals.changeId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(approvals.createdAt), asc(approvals.id));
  // Gates exist only inside workflow runs: single actions skip the second read.
  const runs = rows.filter((r) => r.workflow).map((r) => r.id);
  const gs = runs.length
    ? await exec
        .select()
        .from(gateApprovals)
        .where(inArray(gateApprovals.changeId, runs))
        .orderBy(asc(gateApprovals.createdAt), asc(gateApprovals.approverKey))
    : [];
  return rows.map((r) =>
    toChange(
      r,
      ds.filter((d) => d.changeId === r.id).map(toDecision),
      gs.filter((g) => g.changeId === r.id).map((g) => ({ ...toDecision({ ...g, id: 0 }), step: g.step })),
    ),
  );
};

const one = async (exec: DbOrTx, row: Row | undefined): Promise<ChangeRequest | null> =>
  row ? (await withDecisions(exec, [row]))[0]! : null;

export const getChange = async (exec: DbOrTx, id: string): Promise<ChangeRequest | null> => {
  const [row] = await exec.select().from(changeRequests).where(eq(changeRequests.id, id));
  return one(exec, row);
};

export interface ChangeFilter {
  status?: ChangeStatus | ChangeStatus[];
  requesterKey?: string;
  workspaceId?: string;
  rollbackOf?: string;
  /** Newest first; default 20, at most 200. */
  limit?: number;
}

export const listChanges = async (exec: DbOrTx, f: ChangeFilter = {}): Promise<ChangeRequest[]> => {
  const where: SQL[] = [];
  if (f.status !== undefined)
    where.push(inArray(changeRequests.status, Array.isArray(f.status) ? f.status : [f.status]));
  if (f.requesterKey !== undefined) where.push(eq(changeRequests.requesterKey, f.requesterKey));
  if (f.workspaceId !== undefined) where.push(eq(changeRequests.workspaceId, f.workspaceId));
  if (f.rollbackOf !== undefined) where.push(eq(changeRequests.rollbackOf, f.rollbackOf));
  const rows = await exec
    .select()
    .from(changeRequests)
    .where(and(...where))
    // Ids are `CR-<n>`: order numerically among requests created at the same instant.
    .orderBy(desc(changeRequests.createdAt), sql`length(${changeRequests.id}) desc`, desc(changeRequests.id))
    .limit(Math.min(Math.max(f.limit ?? 20, 1), 200));
  return withDecisions(exec, rows);
};

/** Requests in the given statuses, oldest first; with `dueBy`, only those whose approval window closed by then. */
export const inStatus = async (
  exec: DbOrTx,
  status: ChangeStatus[],
  dueBy?: Date,
  limit = 500,
): Promise<{ id: string; status: ChangeStatus }[]> => {
  const where: SQL[] = [inArray(changeRequests.status, status)];
  if (dueBy) where.push(lte(changeRequests.expiresAt, dueBy));
  const rows = await exec
    .select({ id: changeRequests.id, status: changeRequests.status })
    .from(changeRequests)
    .where(and(...where))
    .orderBy(asc(changeRequests.createdAt))
    .limit(limit);
  return rows.map((r) => ({ id: r.id, status: ChangeStatus.parse(r.status) }));
};

/** Per open status: how many, the oldest `updated_at` (when it entered that status) and, for executing, the stalest lease renewal. */
export const openChangeCounts = async (
  exec: DbOrTx,
): Promise<Array<{ status: string; count: number; oldest: Date | null; stalestLease: Date | null }>> => {
  const rows = await exec
    .select({
      status: changeRequests.status,
      count: sql<number>`count(*)::int`,
      oldest: sql<string | Date | null>`min(${changeRequests.updatedAt})`,
      stalestLease: sql<
        string | Date | null
      >`min(coalesce(${changeRequests.heartbeatAt}, ${changeRequests.startedAt}, ${changeRequests.updatedAt}))`,
    })
    .from(changeRequests)
    .where(inArray(changeRequests.status, ['pending', 'approved', 'executing']))
    .groupBy(changeRequests.status);
  const date = (v: string | Date | null): Date | null => (v === null ? null : new Date(v));
  return rows.map((r) => ({ ...r, oldest: date(r.oldest), stalestLease: date(r.stalestLease) }));
};

/**
 * Renews the executor lease of a running change. False when the request is no longer executing
 * under this executor (finished, or marked interrupted by another instance).
 */
export const renewLease = async (exec: DbOrTx, id: string, executor: string, at: Date): Promise<boolean> => {
  const rows = await exec
    .update(changeRequests)
    .set({ heartbeatAt: at })
    .where(
      and(eq(changeRequests.id, id), eq(changeRequests.status, 'executing'), eq(changeRequests.executor, executor)),
    )
    .returning({ id: changeRequests.id });
  return rows.length > 0;
};

/**
 * Requests whose executor is gone: `executing` with no lease renewal since `staleBefore`, and
 * `approved` (never started) since `staleBefore`. Without `staleBefore`: all of them.
 */
export const orphaned = async (
  exec: DbOrTx,
  staleBefore?: Date,
  limit = 500,
): Promise<{ id: string; status: ChangeStatus }[]> => {
  const where = staleBefore
    ? or(
        and(
          eq(changeRequests.status, 'executing'),
          lt(
            sql`coalesce(${changeRequests.heartbeatAt}, ${changeRequests.startedAt}, ${changeRequests.updatedAt})`,
            staleBefore,
          ),
        ),
        and(eq(changeRequests.status, 'approved'), lt(changeRequests.updatedAt, staleBefore)),
      )
    : inArray(changeRequests.status, ['executing', 'approved']);
  const rows = await exec
    .select({ id: changeRequests.id, status: changeRequests.status })
    .from(changeRequests)
    .where(where)
    .orderBy(asc(changeRequests.createdAt))
    .limit(limit);
  return rows.map((r) => ({ id: r.id, status: ChangeStatus.parse(r.status) }));
};

export interface NewChange {
  plan: ChangePlan;
  requester: Actor;
  conversation: ConversationRef;
  policy: AppliedPolicy;
  expiresAt: Date | null;
  now: Date;
}

/** The unique index that keeps one open rollback per change (schema.ts). */
const openRollbackIndex = 'change_requests_open_rollback_idx';

const isOpenRollbackClash = (e: unknown): boolean => {
  for (let cur: unknown = e; cur; cur = (cur as { cause?: unknown }).cause) {
    const pgErr = cur as { code?: string; constraint?: string };
    if (pgErr.code === '23505' && pgErr.constraint === openRollbackIndex) return true;
  }
  return false;
};

/**
 * Creates a request and its `change.requested` event (plus `change.rollback_requested` on the
 * original), in one transaction. A request whose policy auto-approves it is created `approved`,
 * with its `change.approved` event (`by: null`, `auto: true`) in the same commit: there is no
 * moment at which it is `pending` (docs/architecture.md#auto-approval).
 */
export const insertChange = (exec: DbOrTx, n: NewChange): Promise<ChangeRequest> =>
  insertChangeRow(exec, n).catch((e: unknown) => {
    if (isOpenRollbackClash(e)) throw conflict(`A rollback of ${n.plan.rollbackOf} is already under way.`);
    throw e;
  });

const insertChangeRow = (exec: DbOrTx, n: NewChange): Promise<ChangeRequest> =>
  exec.transaction(async (tx) => {
    const p = n.plan;
    const status = initialStatus(n.policy.autoApprove);
    const [row] = await tx
      .insert(changeRequests)
      .values({
        workspaceId: n.requester.workspaceId,
        status,
        action: p.action,
        target: p.target,
        resourceName: p.resourceName,
        environment: p.environment,
        params: p.params,
        summary: p.summary,
        blastRadius: p.blastRadius,
        costDeltaCents: p.costDeltaCents,
        rollback: p.rollback,
        rollbackOf: p.rollbackOf ?? null,
        workflow: p.workflow ?? null,
        requester: n.requester,
        requesterKey: actorKey(n.requester),
        conversation: n.conversation,
        policy: n.policy,
        approvalsRequired: n.policy.approvals,
        expiresAt: n.expiresAt,
        createdAt: n.now,
        updatedAt: n.now,
      })
      .returning();
    const id = row!.id;
    const by = actorKey(n.requester);
    await appendAudit(tx, {
      at: n.now,
      type: 'change.requested',
      actorKey: by,
      subject: id,
      data: { plan: p, requester: n.requester.displayName, policy: n.policy, expiresAt: n.expiresAt },
    });
    if (p.rollbackOf) {
      await appendAudit(tx, {
        at: n.now,
        type: 'change.rollback_requested',
        actorKey: by,
        subject: p.rollbackOf,
        data: { rollbackChange: id },
      });
    }
    if (status === 'approved') {
      await appendAudit(tx, {
        at: n.now,
        type: 'change.approved',
        actorKey: null,
        subject: id,
        data: { from: 'pending', to: 'approved', auto: true, rule: n.policy.rule },
      });
    }
    return toChange(row!, [], []);
  });

/** Columns a transition may set besides the status. */
export interface TransitionPatch {
  decidedBy?: Actor | null;
  reason?: string | null;
  rollbackData?: Record<string, string> | null;
  result?: ChangeResult | null;
  error?: string | null;
  startedAt?: Date;
  finishedAt?: Date;
  executor?: string | null;
  heartbeatAt?: Date | null;
  gateStep?: string | null;
  gateDeadline?: Date | null;
}

const auditTypeOf = (to: ChangeStatus): AuditEventType => `change.${to}` as AuditEventType;

export interface Transition {
  id: string;
  from: ChangeStatus;
  to: ChangeStatus;
  now: Date;
  patch?: TransitionPatch;
  /** Who caused it (null: the system) and what the audit event should add. */
  by: Actor | null;
  data?: Record<string, unknown>;
}

/** The compare-and-set. Null when the request was not in `from` any more (someone else won). */
export const transition = (exec: DbOrTx, t: Transition): Promise<ChangeRequest | null> => {
  assertTransition(t.from, t.to);
  return exec.transaction(async (tx) => {
    const [row] = await tx
      .update(changeRequests)
      .set({ ...t.patch, status: t.to, updatedAt: t.now })
      .where(and(eq(changeRequests.id, t.id), eq(changeRequests.status, t.from)))
      .returning();
    if (!row) return null;
    await appendAudit(tx, {
      at: t.now,
      type: auditTypeOf(t.to),
      actorKey: t.by ? actorKey(t.by) : null,
      subject: t.id,
      data: { from: t.from, to: t.to, ...t.data },
    });
    return one(tx, row);
  });
};

export type DecisionOutcome =
  | { kind: 'missing' }
  /** Not pending (any more): explain `change`'s state to the caller. */
  | { kind: 'closed'; change: ChangeRequest }
  /** Its approval window had closed: it has just been moved to expired (audited). */
  | { kind: 'expired'; change: ChangeRequest }
  /** This person already approved it. */
  | { kind: 'duplicate'; change: ChangeRequest; at: Date }
  /** Recorded; `change.status` is `approved` when this approval completed the count. */
  | { kind: 'approved'; change: ChangeRequest; completed: boolean }
  | { kind: 'rejected'; change: ChangeRequest };

export interface Decision {
  id: string;
  by: Actor;
  decision: 'approved' | 'rejected';
  reason?: string | undefined;
  now: Date;
  /**
   * An admin's approval through freezes or a shut approval window: stored on the request and
   * audited (`change.overridden`, before the approval's own event) in the same transaction.
   */
  override?: ChangeOverride & { details: Record<string, unknown> };
}

/**
 * Stores an admin's override on the locked request and audits it (`change.overridden`), inside the
 * caller's transaction, before the approval it comes with. Freezes an earlier override on the same
 * request named stay overridden.
 */
const writeOverride = async (
  tx: DbOrTx,
  locked: Row,
  o: NonNullable<Decision['override']>,
  d: Pick<Decision, 'id' | 'by' | 'now'> & { step?: string },
): Promise<void> => {
  const { details, ...override } = o;
  const earlier = locked.override ? ChangeOverride.parse(locked.override) : undefined;
  const stored: ChangeOverride = {
    ...override,
    freezes: [...new Set([...(earlier?.freezes ?? []), ...override.freezes])],
    window: override.window || Boolean(earlier?.window),
  };
  await tx.update(changeRequests).set({ override: stored }).where(eq(changeRequests.id, d.id));
  await appendAudit(tx, {
    at: d.now,
    type: 'change.overridden',
    actorKey: actorKey(d.by),
    subject: d.id,
    data: { reason: override.reason, by: d.by.displayName, ...(d.step ? { step: d.step } : {}), ...details },
  });
};

/**
 * Records an approval or rejection under a row lock, so concurrent approvals are counted one at a
 * time and exactly one of them (the one reaching the count) moves the request to approved.
 */
export const recordDecision = (exec: DbOrTx, d: Decision): Promise<DecisionOutcome> =>
  exec.transaction(async (tx): Promise<DecisionOutcome> => {
    const [locked] = await tx.select().from(changeRequests).where(eq(changeRequests.id, d.id)).for('update');
    if (!locked) return { kind: 'missing' };
    if (locked.status !== 'pending') return { kind: 'closed', change: (await one(tx, locked))! };
    if (locked.expiresAt && locked.expiresAt.getTime() <= d.now.getTime()) {
      const expired = await transition(tx, {
        id: d.id,
        from: 'pending',
        to: 'expired',
        now: d.now,
        by: null,
        patch: { reason: 'approval window closed', finishedAt: d.now },
        data: { expiresAt: locked.expiresAt },
      });
      return { kind: 'expired', change: expired! };
    }
    const key = actorKey(d.by);
    const values = {
      changeId: d.id,
      approverKey: key,
      approver: d.by,
      decision: d.decision,
      reason: d.reason ?? null,
      createdAt: d.now,
    };
    const by = { decidedBy: d.by, reason: d.reason ?? null };
    if (d.decision === 'rejected') {
      await tx
        .insert(approvals)
        .values(values)
        .onConflictDoUpdate({
          target: [approvals.changeId, approvals.approverKey],
          set: { decision: 'rejected', reason: values.reason, createdAt: d.now },
        });
      const rejected = await transition(tx, {
        id: d.id,
        from: 'pending',
        to: 'rejected',
        now: d.now,
        by: d.by,
        patch: { ...by, finishedAt: d.now },
        data: { reason: d.reason ?? null },
      });
      return { kind: 'rejected', change: rejected! };
    }
    const [inserted] = await tx.insert(approvals).values(values).onConflictDoNothing().returning();
    if (!inserted) {
      const [prior] = await tx
        .select()
        .from(approvals)
        .where(and(eq(approvals.changeId, d.id), eq(approvals.approverKey, key)));
      return { kind: 'duplicate', change: (await one(tx, locked))!, at: prior?.createdAt ?? d.now };
    }
    if (d.override) await writeOverride(tx, locked, d.override, d);
    const [{ count } = { count: 0 }] = await tx
      .select({ count: sql<number>`count(*)::int` })
      .from(approvals)
      .where(and(eq(approvals.changeId, d.id), eq(approvals.decision, 'approved')));
    const completed = count >= locked.approvalsRequired;
    const data = { approver: d.by.displayName, approvals: count, required: locked.approvalsRequired, completed };
    if (completed) {
      const approved = await transition(tx, {
        id: d.id,
        from: 'pending',
        to: 'approved',
        now: d.now,
        by: d.by,
        patch: { decidedBy: d.by },
        data,
      });
      return { kind: 'approved', change: approved!, completed };
    }
    await appendAudit(tx, {
      at: d.now,
      type: 'change.approved',
      actorKey: key,
      subject: d.id,
      data: { from: 'pending', to: 'pending', ...data },
    });
    return { kind: 'approved', change: (await getChange(tx, d.id))!, completed };
  });

/**
 * Asks a running workflow change to stop before its next step (`cancel CR-n`). True when the
 * request was recorded: the change is executing, a workflow, and not asked already.
 */
export const requestCancel = async (db: DbOrTx, id: string, now: Date): Promise<boolean> => {
  const rows = await db
    .update(changeRequests)
    .set({ cancelRequestedAt: now })
    .where(
      and(
        eq(changeRequests.id, id),
        inArray(changeRequests.status, ['executing', 'waiting']),
        isNotNull(changeRequests.workflow),
        isNull(changeRequests.cancelRequestedAt),
      ),
    )
    .returning({ id: changeRequests.id });
  return rows.length > 0;
};

/** Whether someone asked the change to stop (read by the workflow runner between steps). */
export const cancelRequested = async (db: DbOrTx, id: string): Promise<boolean> => {
  const [row] = await db
    .select({ at: changeRequests.cancelRequestedAt })
    .from(changeRequests)
    .where(eq(changeRequests.id, id));
  return Boolean(row?.at);
};

export type GateDecisionOutcome =
  | { kind: 'missing' }
  /** Not waiting at that gate (any more): explain `change`'s state to the caller. */
  | { kind: 'closed'; change: ChangeRequest }
  /** This person already decided this gate. */
  | { kind: 'duplicate'; change: ChangeRequest; at: Date }
  | { kind: 'recorded'; change: ChangeRequest };

/**
 * Records a decision on the approval gate a workflow run waits at, under a row lock (so a gate's
 * decisions are counted one at a time), with its audit event. The caller checks who may decide.
 */
export const recordGateDecision = (exec: DbOrTx, d: Decision & { step: string }): Promise<GateDecisionOutcome> =>
  exec.transaction(async (tx): Promise<GateDecisionOutcome> => {
    const [locked] = await tx.select().from(changeRequests).where(eq(changeRequests.id, d.id)).for('update');
    if (!locked) return { kind: 'missing' };
    if (locked.status !== 'waiting' || locked.gateStep !== d.step)
      return { kind: 'closed', change: (await one(tx, locked))! };
    const key = actorKey(d.by);
    const inserted = await tx
      .insert(gateApprovals)
      .values({
        changeId: d.id,
        step: d.step,
        approverKey: key,
        approver: d.by,
        decision: d.decision,
        reason: d.reason ?? null,
        createdAt: d.now,
      })
      .onConflictDoNothing()
      .returning({ at: gateApprovals.createdAt });
    if (inserted.length === 0) {
      const [earlier] = await tx
        .select({ at: gateApprovals.createdAt })
        .from(gateApprovals)
        .where(
          and(eq(gateApprovals.changeId, d.id), eq(gateApprovals.step, d.step), eq(gateApprovals.approverKey, key)),
        );
      return { kind: 'duplicate', change: (await one(tx, locked))!, at: earlier?.at ?? d.now };
    }
    if (d.override) await writeOverride(tx, locked, d.override, d);
    await appendAudit(tx, {
      at: d.now,
      type: d.decision === 'approved' ? 'change.gate_approved' : 'change.gate_rejected',
      actorKey: key,
      subject: d.id,
      data: { step: d.step, ...(d.reason ? { reason: d.reason } : {}) },
    });
    return { kind: 'recorded', change: (await getChange(tx, d.id))! };
  });

/** Workflow runs waiting at a gate whose deadline has passed (the expiry job resumes them to undo). */
export const lapsedGates = async (exec: DbOrTx, now: Date): Promise<Array<{ id: string }>> =>
  exec
    .select({ id: changeRequests.id })
    .from(changeRequests)
    .where(and(eq(changeRequests.status, 'waiting'), lte(changeRequests.gateDeadline, now)));
