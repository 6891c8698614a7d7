import { AppError } from '../errors.ts';
import type { ChangeStatus } from './model.ts';

/**
 * The change request lifecycle (docs/architecture.md#transitions). The repository refuses any compare-and-set that is
 * not listed here, so a coding mistake cannot move a request backwards.
 *
 * - `approved → interrupted`: the process died between the approval and the start of execution.
 * - `executing → waiting → executing`: a workflow run reached an approval gate inside it
 *   (src/workflows/); it waits without an executor, and the gate's decision resumes it.
 * - `interrupted → succeeded | failed`: a late result from an executor that was still alive when
 *   its lease lapsed and another instance's recovery (job `changes.recover`, or start-up
 *   recovery on an embedded database) marked its change interrupted. The truth is recorded;
 *   nothing is ever re-run.
 */
export const transitions: Readonly<Record<ChangeStatus, readonly ChangeStatus[]>> = {
  draft: ['pending', 'rejected'],
  pending: ['approved', 'rejected', 'expired'],
  approved: ['executing', 'interrupted'],
  executing: ['succeeded', 'failed', 'interrupted', 'waiting'],
  // A workflow at a gate holds no executor: its decision (or its deadline) resumes it, to run on or to undo.
  waiting: ['executing'],
  succeeded: ['rolled_back'],
  interrupted: ['succeeded', 'failed'],
  failed: [],
  rejected: [],
  expired: [],
  rolled_back: [],
};

/**
 * Where a new request starts: `pending`, or `approved` when its policy rule auto-approves it. An
 * auto-approved request is filed and approved in ONE commit (docs/architecture.md#auto-approval):
 * its `pending → approved` step is audited (`change.requested`, then `change.approved` with
 * `auto: true`) but never stored on its own, so a crash cannot leave it `pending` for a later
 * click to run.
 */
export const initialStatus = (autoApprove: boolean): ChangeStatus => {
  if (!autoApprove) return 'pending';
  assertTransition('pending', 'approved');
  return 'approved';
};

export const canTransition = (from: ChangeStatus, to: ChangeStatus): boolean => transitions[from].includes(to);

export const assertTransition = (from: ChangeStatus, to: ChangeStatus): void => {
  if (!canTransition(from, to)) throw new AppError('internal', `illegal change request transition ${from} → ${to}`);
};

/**
 * Statuses no transition leaves: failed, rejected, expired, rolled_back. (`succeeded` may still be
 * rolled back and `interrupted` may still take a late result, so they are not final.)
 */
export const isFinal = (s: ChangeStatus): boolean => transitions[s].length === 0;

/** Statuses in which a decision can still be made by a person. */
export const isOpen = (s: ChangeStatus): boolean => s === 'draft' || s === 'pending';
