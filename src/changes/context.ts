import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { actorKey, type Actor } from '../chat/actor.ts';
import { reportProgress } from '../chat/progress.ts';
import type { CloudProvider } from '../cloud/provider.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db } from '../store/db.ts';
import type { ChangeEvent, ChangeListener } from './listener.ts';
import type { ChangeRequest, ChangeStatus } from './model.ts';
import { transition, type Transition } from './repository.ts';

/**
 * What the executor needs of a change's target kind: the declared actions and a way to run one.
 * A cloud provider is one; so is the bot's own off-hours schedules (src/scans/offhours/executor.ts),
 * whose activation is a change request like any other.
 */
export type ActionRunner = Pick<CloudProvider, 'actions' | 'execute' | 'describe'>;

/**
 * Runs the steps of a workflow change request (a plan with `workflow`): the executor calls it in
 * place of a provider, under the same lease. Wired by the app from src/workflows/; absent, a
 * workflow change fails with a clear reason.
 */
export interface WorkflowExecutor {
  run(change: ChangeRequest, hooks: { progress(step: string): void }): Promise<WorkflowRunOutcome>;
  /**
   * Takes up a run that stopped at an approval gate (`change.gate`), once the gate is decided (or
   * lapsed, or the run was cancelled there): it goes on, or undoes the steps it had completed.
   */
  resume(change: ChangeRequest, hooks: { progress(step: string): void }): Promise<WorkflowRunOutcome>;
  /**
   * For a workflow change found executing with no live executor (marked interrupted, never
   * re-run): what its steps had done, for the reason people read; undefined when it recorded none.
   */
  interruptedNote?(changeId: string): Promise<string | undefined>;
}

/** How a workflow run ended, or that it stopped at an approval gate (`waiting`: nothing undone, nothing lost). */
export type WorkflowRunOutcome =
  | { ok: boolean; summary: string; error: string | null; waiting?: undefined }
  | { ok: false; summary: string; error: null; waiting: { step: string; deadline: Date } };

/** Action runners (cloud providers) by name: a map, or a lookup that returns undefined (or throws) for unknown names. */
export type ProviderLookup = ReadonlyMap<string, ActionRunner> | ((name: string) => ActionRunner | undefined);

/** This app instance as an executor of changes, and how long its lease on a running change lasts. */
export interface ExecutorLease {
  /** Unique per process: host, pid and a random part. */
  id: string;
  /** Renewed every third of this while the provider runs. */
  leaseMs: number;
}

export const newExecutorId = (): string => `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/** What the service's parts share: the store, the clock, and the one way to report a transition. */
export interface ChangeContext {
  db: Db;
  now: () => Date;
  logger: Logger;
  executor: ExecutorLease;
  provider(name: string): ActionRunner | undefined;
  workflows?: WorkflowExecutor | undefined;
  /**
   * Reports a committed transition: counts it and writes its one info log line (who, what, which
   * resource, from → to). Every transition passes here exactly once: `move` calls it, and so do the
   * service's paths that commit a transition themselves (a new request, a decision).
   */
  committed(change: ChangeRequest, from: ChangeStatus | 'none', to: ChangeStatus, by: Actor | null): void;
  /** Tells the listener; its failure is logged, never thrown. */
  notify(change: ChangeRequest, event: ChangeEvent): Promise<void>;
  /** A step of a running change: to the listener (card copies) and to the turn waiting for it, if any. */
  progress(change: ChangeRequest, step: string): void;
  /** The compare-and-set; when it wins: counted and the listener told. Null when it lost. */
  move(t: Transition, event: ChangeEvent): Promise<ChangeRequest | null>;
}

export const createChangeContext = (d: {
  db: Db;
  now: () => Date;
  logger: Logger;
  executor: ExecutorLease;
  providers: ProviderLookup;
  workflows?: WorkflowExecutor | undefined;
  listener: ChangeListener;
  metrics: Pick<Metrics, 'changeTransitions'>;
}): ChangeContext => {
  const lookup =
    typeof d.providers === 'function'
      ? d.providers
      : (n: string) => (d.providers as ReadonlyMap<string, ActionRunner>).get(n);
  const committed = (change: ChangeRequest, from: ChangeStatus | 'none', to: ChangeStatus, by: Actor | null): void => {
    // pending → pending (an approval short of the count) is logged, not counted: the status did not change.
    if (from !== to) d.metrics.changeTransitions.inc({ from, to });
    // For a SIEM: the change log without reading the database (the audit chain stays the record).
    d.logger.info(
      {
        event: 'change.transition',
        changeId: change.id,
        from,
        to,
        by: by ? actorKey(by) : 'system',
        byName: by?.displayName ?? 'system',
        requester: change.requesterKey,
        workspaceId: change.workspaceId,
        action: change.plan.action,
        params: change.plan.params,
        resource: { ...change.plan.target, name: change.plan.resourceName, environment: change.plan.environment },
        approvals: change.decisions.filter((x) => x.decision === 'approved').length,
        approvalsRequired: change.approvalsRequired,
        ...(change.plan.rollbackOf ? { rollbackOf: change.plan.rollbackOf } : {}),
        ...(change.reason ? { reason: change.reason } : {}),
        ...(change.error ? { error: change.error } : {}),
      },
      `change ${change.id} ${from} → ${to}`,
    );
  };
  const notify = async (change: ChangeRequest, event: ChangeEvent): Promise<void> => {
    try {
      await d.listener.changed(change, event);
    } catch (err) {
      d.logger.error({ err, changeId: change.id, event }, 'change listener failed; the transition stands');
    }
  };
  return {
    db: d.db,
    now: d.now,
    logger: d.logger,
    executor: d.executor,
    provider: lookup,
    workflows: d.workflows,
    committed,
    notify,
    progress: (change, step) => {
      reportProgress(`${change.id} · ${change.plan.resourceName}: ${step}…`);
      try {
        d.listener.progress?.(change, step);
      } catch (err) {
        d.logger.warn({ err, changeId: change.id }, 'change progress listener failed');
      }
    },
    move: async (t, event) => {
      const moved = await transition(d.db, t);
      if (!moved) return null;
      committed(moved, t.from, t.to, t.by);
      await notify(moved, event);
      return moved;
    },
  };
};
