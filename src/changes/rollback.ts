import type { ActionSpec, ActionSubject } from '../cloud/actions.ts';
import { conflict } from '../errors.ts';
import type { ChangePlan } from '../tools/change-plan.ts';
import type { ChangeRequest } from './model.ts';

type Inverse = { action: string; params: Record<string, string> };

/** The provider's declared action for a plan's target type, by name (src/cloud/actions.ts). */
export type SpecLookup = (provider: string, type: string, action: string) => ActionSpec | undefined;

/**
 * The action that undoes a change that ran, asked of the action's spec with what the provider
 * reported as the previous state (rollback data), which wins over what the plan guessed before
 * running. Without recorded data the plan's declared inverse stands. Null, with why, when there
 * is nothing to undo.
 */
export const inverseOf = (
  c: ChangeRequest,
  spec: ActionSpec | undefined,
): { inverse: Inverse } | { inverse: null; why: string } => {
  const declared = c.plan.rollback;
  const previous = c.rollbackData && Object.keys(c.rollbackData).length > 0 ? c.rollbackData : undefined;
  if (spec && previous) {
    const r = spec.inverse({ params: c.plan.params, previous });
    if ('why' in r) return { inverse: null, why: r.why };
    return { inverse: { action: r.action, params: { ...declared?.params, ...r.params } } };
  }
  if (declared) return { inverse: declared };
  if (spec) {
    const r = spec.inverse({ params: c.plan.params });
    return 'why' in r ? { inverse: null, why: r.why } : { inverse: r };
  }
  return { inverse: null, why: `its previous state was not recorded` };
};

/** The resource as the change left it, for the inverse spec's words. */
const subjectOf = (c: ChangeRequest): ActionSubject => ({
  ...(c.plan.target as Pick<ActionSubject, 'provider' | 'account' | 'region' | 'type' | 'id'>),
  name: c.plan.resourceName,
  state: c.result?.newState ?? 'unknown',
  environment: c.plan.environment,
  attributes: {},
  tags: {},
  monthlyCostCents: 0,
});

/** The plan of a new change request that rolls `c` back (it still goes through policy and approval). */
export const rollbackPlan = (c: ChangeRequest, specOf: SpecLookup): ChangePlan => {
  if (c.plan.workflow)
    throw conflict(
      `${c.id} is a run of ${c.plan.workflow.template}; a run is not rolled back as one change (a failed run already undid its completed steps). Undo what it built with the single changes, or run a template that removes it.`,
    );
  const t = c.plan.target;
  const r = inverseOf(c, specOf(t.provider, t.type, c.plan.action));
  if (!r.inverse) throw conflict(`${c.id} cannot be rolled back: ${r.why}.`);
  const { action, params } = r.inverse;
  const inverseSpec = specOf(t.provider, t.type, action);
  const subject = subjectOf(c);
  const detail = inverseSpec?.detail?.(subject, params) ?? Object.values(params).join(' ');
  const effect = inverseSpec
    ? inverseSpec.blastRadius(subject, params)
    : `${c.plan.resourceName} is changed back with ${action}.`;
  return {
    action,
    target: t,
    resourceName: c.plan.resourceName,
    environment: c.plan.environment,
    params,
    summary: `Roll back ${c.id}: ${action} ${t.id} (${c.plan.resourceName}, ${c.plan.environment})${detail ? ` ${detail}` : ''} in ${t.region}`,
    // Said anew for the inverse action: the original's words describe the opposite change.
    blastRadius: `${effect} This undoes ${c.id}.${/^prod/i.test(c.plan.environment) ? ' It is a production resource.' : ''}`,
    costDeltaCents: -c.plan.costDeltaCents,
    rollback: { action: c.plan.action, params: c.plan.params },
    rollbackOf: c.id,
  };
};
