import { z } from 'zod';
import { Role, type Actor, type ConversationRef } from '../chat/actor.ts';
import type { ChangePlan } from '../tools/change-plan.ts';

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

/** The policy rule a change request was evaluated against, frozen on the request when it is created. */
export const AppliedPolicy = z.object({
  rule: z.string().min(1),
  approvals: z.number().int().min(0),
  approverRoles: z.array(Role).min(1),
  allowSelfApproval: z.literal(false),
  autoApprove: z.boolean(),
  ttlMs: z.number().int().positive().optional(),
});
export type AppliedPolicy = z.infer<typeof AppliedPolicy>;

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
