import { z } from 'zod';
import { ActionName, ResourceKey } from '../cloud/provider.ts';

/** Lifecycle of a change request (DESIGN.md §4). Every transition is one SQL compare-and-set. */
export const ChangeStatus = z.enum([
  'draft',
  'pending',
  'approved',
  'executing',
  'succeeded',
  'failed',
  'rejected',
  'expired',
  'interrupted',
  'rolled_back',
]);
export type ChangeStatus = z.infer<typeof ChangeStatus>;

/**
 * What a change tool returns instead of mutating anything: the plan that becomes a change request.
 */
export const ChangePlan = z.object({
  action: ActionName,
  target: ResourceKey,
  resourceName: z.string(),
  environment: z.string(),
  params: z.record(z.string(), z.string()),
  /** One line: "Stop i-0abc (web-1, prod) in eu-west-1". */
  summary: z.string(),
  /** What is affected beyond the resource itself, in words. */
  blastRadius: z.string(),
  /** Estimated monthly cost change in cents (negative saves money). */
  costDeltaCents: z.number().int(),
  /** The inverse action recorded for rollback, when there is one. */
  rollback: z.object({ action: ActionName, params: z.record(z.string(), z.string()) }).nullable(),
  /** Set when this plan rolls back an earlier change. */
  rollbackOf: z.string().optional(),
});
export type ChangePlan = z.infer<typeof ChangePlan>;
