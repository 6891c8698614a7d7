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

/** What undoes a completed workflow step: an action and its parameters, the action's recorded inverse, or nothing. */
export const PlannedCompensation = z.union([
  z.object({ action: ActionName, params: z.record(z.string(), z.string()) }),
  z.literal('inverse'),
  z.null(),
]);
export type PlannedCompensation = z.infer<typeof PlannedCompensation>;

const PlannedBase = {
  /** The template's step id. */
  id: z.string().min(1),
  title: z.string(),
  target: ResourceKey,
  resourceName: z.string(),
  environment: z.string(),
  timeoutMs: z.number().int().positive(),
  retries: z.number().int().min(0),
};

/** A step of a workflow plan (src/workflows/plan.ts builds them). */
export const PlannedStep = z.discriminatedUnion('kind', [
  z.object({
    ...PlannedBase,
    kind: z.literal('action'),
    action: ActionName,
    /** Resolved, except `${steps.<id>.<output>}`, resolved when the step runs. */
    params: z.record(z.string(), z.string()),
    summary: z.string(),
    blastRadius: z.string(),
    costDeltaCents: z.number().int(),
    compensate: PlannedCompensation,
  }),
  z.object({
    ...PlannedBase,
    kind: z.literal('wait'),
    /** The state the target must reach before the next step. */
    until: z.string(),
  }),
  z.object({
    id: z.string().min(1),
    title: z.string(),
    kind: z.literal('approval'),
    /** Roles whose members may decide the gate (never the run's requester). */
    roles: z.array(z.string().min(1)).min(1),
    /** Distinct approvals that open it. */
    quorum: z.number().int().min(1),
    /** How long the run waits at the gate before it lapses (and the completed steps are undone). */
    timeoutMs: z.number().int().positive(),
  }),
]);
export type PlannedStep = z.infer<typeof PlannedStep>;
export type PlannedAction = Extract<PlannedStep, { kind: 'action' }>;
export type PlannedWait = Extract<PlannedStep, { kind: 'wait' }>;
export type PlannedGate = Extract<PlannedStep, { kind: 'approval' }>;
/** The steps that act on or read a resource (every kind but an approval gate). */
export type PlannedResourceStep = PlannedAction | PlannedWait;

/** A workflow template made into steps for given inputs: what a workflow change request runs. */
export const WorkflowPlan = z.object({
  template: z.string(),
  version: z.number().int(),
  inputs: z.record(z.string(), z.string()),
  steps: z.array(PlannedStep).min(1),
  /** Monthly cost of what the template builds, from the price tables (cents), and what could not be priced. */
  monthlyCents: z.number().int(),
  unpriced: z.array(z.string()),
  /** sha256 of the canonical JSON of everything above: what the approval binds to. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type WorkflowPlan = z.infer<typeof WorkflowPlan>;

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
  /**
   * Set for a workflow run: its steps (the fields above describe the run as a whole, `target`
   * being its first step's). The executor runs them through the workflow runner.
   */
  workflow: WorkflowPlan.optional(),
});
export type ChangePlan = z.infer<typeof ChangePlan>;
