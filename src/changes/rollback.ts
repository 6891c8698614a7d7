import type { ResourceAction } from '../cloud/provider.ts';
import { conflict } from '../errors.ts';
import type { ChangePlan } from '../tools/change-plan.ts';
import type { ChangeRequest } from './model.ts';

type Inverse = Pick<ResourceAction, 'action' | 'params'>;

/**
 * The action that undoes a change that ran, preferring what the provider reported as the previous
 * state (rollback data) over what the plan guessed before running. Null, with why, when there is
 * nothing to undo.
 */
export const inverseOf = (c: ChangeRequest): { inverse: Inverse } | { inverse: null; why: string } => {
  const previous = c.rollbackData ?? {};
  const declared = c.plan.rollback;
  switch (c.plan.action) {
    case 'resize': {
      const size = previous.size ?? declared?.params.size;
      if (!size) return { inverse: null, why: 'its previous size was not recorded' };
      return { inverse: { action: 'resize', params: { ...declared?.params, size } } };
    }
    case 'start':
    case 'stop': {
      const fromState = previous.state === 'running' ? 'start' : previous.state === 'stopped' ? 'stop' : undefined;
      const inverse: Inverse | null = fromState ? { action: fromState, params: {} } : declared;
      if (!inverse) return { inverse: null, why: 'its previous state was not recorded' };
      if (inverse.action === c.plan.action)
        return { inverse: null, why: `the resource was already ${previous.state ?? 'in that state'} before it ran` };
      return { inverse };
    }
    case 'reboot':
      return { inverse: null, why: 'a reboot cannot be undone' };
  }
};

const rollbackEffect: Record<ChangePlan['action'], (name: string, params: Record<string, string>) => string> = {
  stop: (name) => `${name} stops serving until started again.`,
  start: (name) => `${name} boots and starts billing compute again.`,
  reboot: (name) => `${name} is unavailable for a minute or two while it reboots.`,
  resize: (name, p) =>
    `${name} is stopped, changed back to ${p.size ?? 'its previous size'} and started again if it was running: a few minutes of downtime.`,
};

/** The plan of a new change request that rolls `c` back (it still goes through policy and approval). */
export const rollbackPlan = (c: ChangeRequest): ChangePlan => {
  const r = inverseOf(c);
  if (!r.inverse) throw conflict(`${c.id} cannot be rolled back: ${r.why}.`);
  const { action, params } = r.inverse;
  const t = c.plan.target;
  const detail = action === 'resize' ? ` to ${params.size}` : '';
  return {
    action,
    target: t,
    resourceName: c.plan.resourceName,
    environment: c.plan.environment,
    params,
    summary: `Roll back ${c.id}: ${action} ${t.id} (${c.plan.resourceName}, ${c.plan.environment})${detail} in ${t.region}`,
    // Said anew for the inverse action: the original's words describe the opposite change.
    blastRadius: `${rollbackEffect[action](c.plan.resourceName, params)} This undoes ${c.id}.${
      /^prod/i.test(c.plan.environment) ? ' It is a production resource.' : ''
    }`,
    costDeltaCents: -c.plan.costDeltaCents,
    rollback: { action: c.plan.action, params: c.plan.params },
    rollbackOf: c.id,
  };
};
