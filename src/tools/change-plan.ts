import { z } from 'zod';

/**
 * What a change tool returns instead of mutating anything, and what it targets. These live below
 * every capability: the cloud's tools produce plans, the change queue stores and executes them,
 * and the engine files them, without any of them importing another to agree on the shape.
 */

/**
 * An action a change request carries out on one resource: a lower_snake word each provider
 * declares for its resource types (`stop`, `deallocate`, `scale`, `cordon`; src/cloud/actions.ts).
 */
export const ActionName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be a lower_snake action name');
export type ActionName = z.infer<typeof ActionName>;

/** Which resource an action targets. */
export const ResourceKey = z.object({
  provider: z.string(),
  account: z.string(),
  region: z.string(),
  type: z.string(),
  id: z.string().min(1),
});
export type ResourceKey = z.infer<typeof ResourceKey>;

/** The plan that becomes a change request (docs/architecture.md#change-requests). */
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
