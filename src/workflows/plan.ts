import { hash } from 'node:crypto';
import { findAction, subjectLabel } from '../cloud/actions.ts';
import { planAction } from '../cloud/change-tools.ts';
import type { CloudProvider } from '../cloud/provider.ts';
import type { Resource } from '../cloud/resource.ts';
import { AppError, badRequest } from '../errors.ts';
import type {
  ChangePlan,
  PlannedAction,
  PlannedCompensation,
  PlannedGate,
  PlannedResourceStep,
  PlannedStep,
  PlannedWait,
  ResourceKey,
  WorkflowPlan,
} from '../tools/change-plan.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import {
  costResourceInputs,
  estimateMonthlyCents,
  inputProblem,
  parseDuration,
  resolveValue,
  type Template,
} from './template.ts';

/**
 * A template and its inputs made into the whole plan a person approves: every step with its
 * resolved target (read from the inventory now), parameters, what it affects, what it costs and
 * what undoes it, and a hash of all of it. The approval binds to that hash: a plan that no longer
 * builds the same before it runs needs a new approval.
 */

export type {
  PlannedAction,
  PlannedCompensation,
  PlannedGate,
  PlannedResourceStep,
  PlannedStep,
  PlannedWait,
  WorkflowPlan,
};

/** Environments from the most to the least guarded: a run's environment is its most guarded step's. */
const guarded = ['prod', 'production', 'staging'];

/**
 * A workflow plan as the change request a person approves: the fields of a single change describe
 * the run as a whole (its first step's target, its most guarded environment, every step in the
 * summary, every action's blast radius), and `workflow` carries the steps.
 */
export const workflowChangePlan = (template: Template, plan: WorkflowPlan): ChangePlan => {
  const onResources = plan.steps.filter((s): s is PlannedResourceStep => s.kind !== 'approval');
  const first = onResources[0]!;
  const envs = [...new Set(onResources.map((s) => s.environment))];
  const environment = guarded.find((e) => envs.includes(e)) ?? envs[0] ?? first.environment;
  const actions = plan.steps.filter((s): s is PlannedAction => s.kind === 'action');
  return {
    action: 'run_workflow',
    target: first.target,
    resourceName: first.resourceName,
    environment,
    params: { template: template.name, version: String(template.version) },
    summary: `Run ${template.name} (v${template.version}), ${plan.steps.length} steps: ${plan.steps
      .map(
        (s, i) =>
          `${i + 1}. ${s.kind === 'action' ? s.summary : s.kind === 'wait' ? `${s.title} (until ${s.until})` : `${s.title} (approval by ${s.quorum})`}`,
      )
      .join('; ')}`,
    blastRadius: [...new Set(actions.map((s) => s.blastRadius))].join(' '),
    costDeltaCents: actions.reduce((sum, s) => sum + s.costDeltaCents, 0) + plan.monthlyCents,
    rollback: null,
    workflow: plan,
  };
};

/** The plan's hash: canonical JSON (the audit chain's), so key order never changes it. */
export const planHash = (plan: Omit<WorkflowPlan, 'hash'>): string =>
  hash('sha256', canonicalJson({ ...plan, hash: undefined }), 'hex');

/**
 * The inputs a run gives, checked against the template: unknown names, missing required ones and
 * values that do not fit are all reported at once (`name: reason`, the form shows each by its field).
 */
export const checkInputs = (template: Template, given: Record<string, string>): Record<string, string> => {
  const problems: string[] = [];
  const out: Record<string, string> = {};
  for (const name of Object.keys(given))
    if (!(name in template.inputs)) problems.push(`${name}: ${template.name} has no such input`);
  for (const [name, input] of Object.entries(template.inputs)) {
    const value = given[name]?.trim() || input.default;
    if (value === undefined) {
      if (!input.optional) problems.push(`${name}: required (${input.description})`);
      continue;
    }
    const why = inputProblem(input, value);
    if (why) problems.push(`${name}: ${why}`);
    else out[name] = value;
  }
  if (problems.length > 0)
    throw badRequest(`${template.name} cannot run with these inputs:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  return out;
};

export interface PlanDeps {
  provider(name: string): CloudProvider | undefined;
  /** A live resource of the inventory by type and id or name; throws a user-facing error when there is none. */
  resource(provider: string, type: string, ref: string): Promise<Resource>;
}

const stepRefs = /\$\{\s*steps\./;

/** The step a `${steps.<id>.<output>}` target comes from. */
const madeBy = (id: string): string => /\$\{\s*steps\.([^.}\s]+)/.exec(id)![1]!;

const keyOf = (r: Resource): ResourceKey => ({
  provider: r.provider,
  account: r.account,
  region: r.region,
  type: r.type,
  id: r.id,
});

/**
 * Builds the plan of a template for given inputs. Every target is read from the inventory now, so
 * the card shows what will be touched; an action's parameters are checked by its own schema and
 * checks (a step whose parameters wait for an earlier step's output is checked when it runs).
 */
export const planWorkflow = async (
  d: PlanDeps,
  template: Template,
  given: Record<string, string>,
): Promise<WorkflowPlan> => {
  const inputs = checkInputs(template, given);
  const scope = { inputs, steps: {} };
  const provider = d.provider(template.provider);
  if (!provider) throw new AppError('unavailable', `no cloud provider "${template.provider}" is configured`);
  const steps: PlannedStep[] = [];
  // Targets an earlier action step changes: their state when a later step runs is not the one the
  // inventory shows now (a resize after a stop), so a later step on them is checked when it runs.
  const touched = new Set<string>();
  for (const step of template.steps) {
    if ('approval' in step) {
      // The run stops here until enough people approve (src/changes/service.ts decides gates).
      steps.push({
        id: step.id,
        title: step.title,
        kind: 'approval',
        roles: step.approval.roles,
        quorum: step.approval.quorum,
        timeoutMs: parseDuration(step.timeout)!,
      });
      continue;
    }
    const t = 'action' in step ? step.target : step.wait.target;
    const timing = { timeoutMs: parseDuration(step.timeout)!, retries: step.retries };
    let base: Omit<PlannedWait, 'kind' | 'until'>;
    let r: Resource | undefined;
    if (stepRefs.test(t.id)) {
      // Made by an earlier step: it is found when this step runs, in that step's account (and region, unless moved).
      const from = madeBy(t.id);
      const maker = steps.find((s): s is PlannedResourceStep => s.id === from && s.kind !== 'approval');
      if (!maker)
        throw badRequest(`${template.name}: step ${step.id}'s target comes from step ${from}, which is not before it`);
      base = {
        id: step.id,
        title: step.title,
        target: {
          ...maker.target,
          type: t.type,
          id: t.id.trim(),
          region: t.region !== undefined ? resolveValue(t.region, scope) : maker.target.region,
        },
        resourceName: `the ${t.type} step ${from} makes`,
        environment: maker.environment,
        ...timing,
      };
    } else {
      r = await d.resource(template.provider, t.type, resolveValue(t.id, scope));
      if (r.type !== t.type)
        throw badRequest(`${template.name}: step ${step.id} needs a ${t.type}; ${subjectLabel(r)} is a ${r.type}`);
      base = {
        id: step.id,
        title: step.title,
        target: keyOf(r),
        resourceName: r.name || r.id,
        environment: r.environment,
        ...timing,
      };
    }
    if ('wait' in step) {
      steps.push({ ...base, kind: 'wait', until: step.wait.until });
      continue;
    }
    const spec = findAction(provider.actions, t.type, step.action);
    if (!spec) throw badRequest(`${template.name}: ${template.provider} has no action ${step.action} for a ${t.type}`);
    const key = `${base.target.provider}\u0000${base.target.account}\u0000${base.target.id}`;
    const params: Record<string, string> = {};
    let later = r === undefined || touched.has(key);
    touched.add(key);
    for (const [k, v] of Object.entries(step.params)) {
      if (stepRefs.test(v)) {
        later = true;
        params[k] = v;
      } else params[k] = resolveValue(v, scope);
    }
    // A step on a target as it is now, with parameters known now, goes through the same planning as
    // a single change: the action's schema, the states it needs, the provider's checks, the blast
    // radius and the cost delta. Otherwise the schema is checked on what is known, the rest when it runs.
    const single = later || !r ? undefined : await planAction({ provider: d.provider }, r, spec.name, params);
    if (later) {
      const known = Object.fromEntries(Object.entries(params).filter(([, v]) => !stepRefs.test(v)));
      const checked = spec.params.partial().safeParse(known);
      if (!checked.success)
        throw badRequest(
          `${template.name}, step ${step.id} (${spec.title} ${base.resourceName}): ${checked.error.issues.map((i) => i.message).join('; ')}`,
        );
    }
    const compensate: PlannedCompensation =
      step.compensate === 'none'
        ? null
        : step.compensate === 'inverse'
          ? 'inverse'
          : {
              action: step.compensate.action,
              params: Object.fromEntries(
                Object.entries(step.compensate.params).map(([k, v]) => [
                  k,
                  stepRefs.test(v) ? v : resolveValue(v, scope),
                ]),
              ),
            };
    steps.push({
      ...base,
      kind: 'action',
      action: spec.name,
      params: single?.params ?? params,
      summary: single?.summary ?? `${spec.title} ${r ? subjectLabel(r) : base.resourceName}`,
      blastRadius: single?.blastRadius ?? (r ? spec.blastRadius(r, params) : `Makes changes to ${base.resourceName}.`),
      costDeltaCents: single?.costDeltaCents ?? 0,
      compensate,
    });
  }
  // Cost lines may read the picked resources' attributes (a database's engine and storage).
  const resources: Record<string, Record<string, unknown>> = {};
  for (const name of costResourceInputs(template)) {
    const input = template.inputs[name]!;
    if (inputs[name] === undefined || !input.resource) continue;
    const r = await d.resource(template.provider, input.resource.type, inputs[name]);
    resources[name] = { ...r.attributes, id: r.id, name: r.name, region: r.region, state: r.state };
  }
  const cost = estimateMonthlyCents(template, inputs, resources);
  const plan = {
    template: template.name,
    version: template.version,
    inputs,
    steps,
    monthlyCents: cost.cents,
    unpriced: cost.unpriced,
  };
  return { ...plan, hash: planHash(plan) };
};
