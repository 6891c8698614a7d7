import { z } from 'zod';
import { Actor, Role, type ConversationRef } from '../chat/actor.ts';
import type { ChangePlan } from '../tools/change-plan.ts';
import { ApprovalWindow } from './windows.ts';

/** Lifecycle of a change request (docs/architecture.md#states). Every transition is one SQL compare-and-set. */
export const ChangeStatus = z.enum([
  'draft',
  'pending',
  'approved',
  'executing',
  /** A workflow run stopped at an approval gate inside it: nothing runs until the gate is decided. */
  'waiting',
  'succeeded',
  'failed',
  'rejected',
  'expired',
  'interrupted',
  'rolled_back',
]);
export type ChangeStatus = z.infer<typeof ChangeStatus>;

/** A change request's id as stored: `CR-<n>` (the grammar also reads `cr12`, `#12`, `12`). */
export const ChangeId = z.string().regex(/^CR-[1-9]\d*$/, 'a change id looks like CR-12');

/** Which change requests a listing shows: all recent, pending only, or the asking person's. */
export const ChangeFilter = z.enum(['all', 'pending', 'mine']);
export type ChangeFilter = z.infer<typeof ChangeFilter>;

/** A named group of people who may approve, with its members' keys (`actorKey`) as the policy listed them. */
export const ApproverGroup = z.object({ name: z.string().min(1), members: z.array(z.string().min(1)) });
export type ApproverGroup = z.infer<typeof ApproverGroup>;

/**
 * The policy rule a change request was evaluated against, frozen on the request when it is
 * created (with its groups' members and its approval windows), so a later policy change does not
 * alter open requests. Approvers: anyone with one of `approverRoles` or in one of `approverGroups`.
 */
export const AppliedPolicy = z.object({
  rule: z.string().min(1),
  approvals: z.number().int().min(0),
  /** Empty only when groups name the approvers. */
  approverRoles: z.array(Role),
  approverGroups: z.array(ApproverGroup).min(1).optional(),
  allowSelfApproval: z.literal(false),
  autoApprove: z.boolean(),
  ttlMs: z.number().int().positive().optional(),
  /** When it may be approved (and so run); always when absent. */
  windows: z.array(ApprovalWindow).min(1).optional(),
  /**
   * The rule auto-approves, but a freeze or a shut window covered the change when it was filed:
   * why it was filed pending instead, needing one approval (`autoApprove` false, `approvals` 1).
   */
  autoApproveHeld: z.string().min(1).optional(),
  /**
   * Filed by this incident auto-remediation rule (src/incidents/remediation.ts): what its
   * `maxPerHour` counts. With the rule's `autoApprove`, `rule` is `auto-remediation:<name>`.
   */
  autoRemediation: z.string().min(1).optional(),
});
export type AppliedPolicy = z.infer<typeof AppliedPolicy>;

/**
 * An admin's override of what blocked approving a request (freezes, the rule's approval
 * windows), stored on the request and audited (`change.overridden`): later approvals of the same
 * request pass the freezes it names and, with `window`, the windows. A freeze begun after it
 * still blocks.
 */
export const ChangeOverride = z.object({
  by: Actor,
  reason: z.string().min(1),
  at: z.coerce.date(),
  freezes: z.array(z.number().int()),
  window: z.boolean(),
});
export type ChangeOverride = z.infer<typeof ChangeOverride>;

/** One approver's recorded decision. */
export interface ChangeDecision {
  approver: Actor;
  approverKey: string;
  decision: 'approved' | 'rejected';
  reason: string | null;
  at: Date;
}

/** What the provider reported after executing. */
export type ChangeResult = {
  summary: string;
  newState: string;
};

/** A change request as the rest of the app sees it (mapped from its row plus its decisions). */
export interface ChangeRequest {
  /** `CR-<n>`. */
  id: string;
  workspaceId: string;
  status: ChangeStatus;
  plan: ChangePlan;
  requester: Actor;
  requesterKey: string;
  conversation: ConversationRef;
  policy: AppliedPolicy;
  approvalsRequired: number;
  /** Every approval (and the rejection, if any), oldest first. */
  decisions: ChangeDecision[];
  /** After this a pending request can no longer be approved. */
  expiresAt: Date | null;
  /** Who completed the approvals or rejected it; null when auto-approved or not yet decided. */
  decidedBy: Actor | null;
  /** Rejection reason, or why it ended (expired, interrupted, rolled back by CR-n). */
  reason: string | null;
  /** An admin's audited override of a freeze or approval window; absent when there is none. */
  override?: ChangeOverride;
  /** The provider's `previous` values, recorded after executing: what a rollback restores. */
  rollbackData: Record<string, string> | null;
  result: ChangeResult | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** A workflow run waiting at an approval gate: the gate's step id and when it lapses (null otherwise). */
  gate: { step: string; deadline: Date | null } | null;
  /** Decisions on the approval gates inside a workflow run, oldest first (empty for a single action). */
  gateDecisions: GateDecision[];
}

/** One approver's decision on an approval gate of a workflow run. */
export interface GateDecision extends ChangeDecision {
  step: string;
}
