import type { LiveBus } from '../util/live.ts';
import type { ChangeRequest } from './model.ts';

/** What just happened to a change request. `approved` fires for every approval: check `change.status`. */
export type ChangeEvent =
  | 'requested'
  | 'approved'
  | 'rejected'
  | 'executing'
  | 'waiting'
  | 'succeeded'
  | 'failed'
  | 'expired'
  | 'interrupted'
  | 'rolled_back';

/**
 * Port through which the change service reports transitions (the engine posts and updates cards).
 * Called after the transition has committed, in order, one at a time per service call. A failure
 * is logged and never undoes the transition; keep it quick, since the caller awaits it.
 */
export interface ChangeListener {
  /** The change after the event, as stored. */
  changed(change: ChangeRequest, event: ChangeEvent): Promise<void>;
  /**
   * A step of a running change (`executing`), as its provider reports it; not stored, not audited.
   * Fire and forget: must return at once and never throw.
   */
  progress?(change: ChangeRequest, step: string): void;
}

/**
 * `inner`, with every transition announced first on the live bus (src/util/live.ts): a `change`
 * notice, and a `workflow` one when the change is a workflow run. Steps are not announced here
 * (the workflow executor announces each step it records).
 */
export const announcingListener = (
  live: Pick<LiveBus, 'publish'> | undefined,
  inner: ChangeListener,
): ChangeListener =>
  live
    ? {
        changed: async (change, event) => {
          const { id, workspaceId, status } = change;
          live.publish({ kind: 'change', workspaceId, changeId: id, status });
          if (change.plan.workflow) live.publish({ kind: 'workflow', workspaceId, runId: id, status });
          await inner.changed(change, event);
        },
        ...(inner.progress ? { progress: inner.progress.bind(inner) } : {}),
      }
    : inner;

/** A listener that does nothing: for jobs and tests that do not post anything. */
export const silentListener: ChangeListener = { changed: async () => undefined };
