import { z } from 'zod';
import type { ChangePlan } from '../tools/change-plan.ts';
import { withArticle } from '../chat/format.ts';
import { AppError, badRequest, conflict, formatZodIssues } from '../errors.ts';
import type { Tool } from '../tools/tool.ts';
import { findAction, subjectLabel, type ActionCheckContext, type ActionSpec } from './actions.ts';
import type { CloudProvider } from './provider.ts';
import { resourceRepository } from './repository.ts';
import { resolveResource } from './resolve.ts';
import type { Resource } from './resource.ts';
import type { CloudToolDeps } from './tool-deps.ts';

/**
 * Change tools never touch a cloud: they check the request makes sense against the inventory and
 * the provider's declared actions (src/cloud/actions.ts), and return a plan (what, where, blast
 * radius, cost delta, rollback) that becomes a change request. Nothing here knows one cloud's
 * verbs: `stop` on an Azure VM finds its `deallocate` through the alias the provider declares.
 */

export const providerFor = (d: Pick<CloudToolDeps, 'provider'>, r: Resource): CloudProvider => {
  const p = d.provider(r.provider);
  if (!p)
    throw new AppError(
      'bad_request',
      `No ${r.provider} provider is configured, so ${r.name || r.id} cannot be changed.`,
    );
  return p;
};

const typeWords = (type: string): string => type.replace(/_/g, ' ');
const where = (r: Resource): string => `${r.region}, env=${r.environment}`;
const prodNote = (r: Resource): string =>
  ['prod', 'production'].includes(r.environment) ? ' This is production.' : '';

const targetOf = (r: Resource): ChangePlan['target'] => ({
  provider: r.provider,
  account: r.account,
  region: r.region,
  type: r.type,
  id: r.id,
});

/** What an action's checks may ask the provider (sizes from the cloud, prices from the tables). */
export const checkContext = (
  p: CloudProvider,
  r: Pick<Resource, 'type' | 'region' | 'account'>,
): ActionCheckContext => ({
  sizes: () => p.sizesFor(r.type, r.region, r.account),
  monthlyCostAt: (size) => p.monthlyCostFor?.(r.type, size, r.region),
});

/** The actions a resource offers now (its type's specs whose states include its state). */
export const actionsNow = (p: CloudProvider | undefined, r: Resource): ActionSpec[] =>
  (p?.actions[r.type] ?? []).filter((s) => !s.inverseOnly && (!s.states || s.states.includes(r.state)));

/**
 * The plan for one action on one resource, or an AppError saying why not: unknown action for the
 * type (with the ones it has), wrong state, bad parameters, a failed provider check.
 */
export const planAction = async (
  d: Pick<CloudToolDeps, 'provider'>,
  r: Resource,
  name: string,
  rawParams: Record<string, string> = {},
): Promise<ChangePlan> => {
  const provider = providerFor(d, r);
  const label = subjectLabel(r);
  const spec = findAction(provider.actions, r.type, name);
  if (!spec) {
    const offered = (provider.actions[r.type] ?? []).filter((s) => !s.inverseOnly).map((s) => s.name);
    const elsewhere = Object.keys(provider.actions).filter((t) => findAction(provider.actions, t, name));
    const what = `${label} is ${withArticle(typeWords(r.type))}`;
    throw badRequest(
      elsewhere.length
        ? `${what}; ${name} applies to ${elsewhere.map((t) => `${typeWords(t)}s`).join(' and ')}.${offered.length ? ` It can: ${offered.join(', ')}.` : ''}`
        : offered.length
          ? `${what}; “${name}” is not something I can do to it. It can: ${offered.join(', ')}.`
          : `${what}; I have no actions for ${typeWords(r.type)}s.`,
    );
  }
  if (spec.inverseOnly)
    throw badRequest(
      `${spec.title} only runs to undo an earlier change (\`rollback CR-n\`, or a workflow's compensation); it is not asked for on its own.`,
    );
  const parsed = spec.params.safeParse(rawParams);
  if (!parsed.success) throw badRequest(`${spec.title} ${label}: ${formatZodIssues(parsed.error)}.`);
  const params = Object.fromEntries(
    Object.entries(parsed.data as Record<string, string | undefined>).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );
  if (spec.doneStates?.includes(r.state)) throw conflict(`${label} is already ${r.state}.`);
  if (spec.states && !spec.states.includes(r.state))
    throw conflict(`${label} is ${r.state}; ${spec.name} needs it to be ${spec.states.join(' or ')}.`);
  const ctx = checkContext(provider, r);
  await spec.check?.(r, params, ctx);
  const inverse = spec.inverse({ params, subject: r });
  const detail = spec.detail?.(r, params);
  return {
    action: spec.name,
    target: targetOf(r),
    resourceName: r.name || r.id,
    environment: r.environment,
    params,
    summary: `${spec.title} ${label}${detail ? ` ${detail}` : ''} in ${where(r)}`,
    blastRadius: `${spec.blastRadius(r, params)}${prodNote(r)}`,
    costDeltaCents: Math.round(spec.costDeltaCents?.(r, params, ctx) ?? 0),
    rollback: 'action' in inverse ? inverse : null,
  };
};

/** Resolves what a change names, preferring resources that have the action (their provider declares it for their type). */
const resolveFor = (d: CloudToolDeps, ref: string, action: string): Promise<Resource> =>
  resolveResource(resourceRepository(d.db), ref, {
    accept: (r) => Boolean(findAction(d.provider(r.provider)?.actions ?? {}, r.type, action)),
  });

/** The input of `resource_action` (incident proposals are checked against it). */
export const ActionInput = z
  .object({
    action: z
      .string()
      .min(1)
      .max(40)
      .describe(
        'The action, as the provider names it: start, stop, reboot, resize (EC2, Azure VMs, GCE); deallocate, restart (Azure); reset, set_machine_type (GCE); scale, rollout_restart, undo_rollout (Kubernetes deployments); cordon, uncordon (Kubernetes nodes); set_requests (Kubernetes pods: the container requests of their deployment); on AWS also snapshot_and_delete and modify_volume_type (volumes), delete_snapshot (snapshots, RDS snapshots), release_address, revoke_ingress / authorize_ingress (security groups), set_retention / clear_retention (log groups), block_public_access (buckets), enable_key_rotation / disable_key_rotation (KMS keys).',
      ),
    resource: z.string().min(1).max(200).describe('Resource id or name.'),
    params: z
      .record(z.string().max(40), z.string().max(200))
      .optional()
      .describe('Action parameters as strings, e.g. {"size":"t3.large"} for resize or {"replicas":"3"} for scale.'),
  })
  // A button's form sends its fields at the top level (`replicas: "3"`): they are parameters too.
  .catchall(z.string().max(200));

export const resourceActionTool = (d: CloudToolDeps): Tool<typeof ActionInput> => ({
  name: 'resource_action',
  description:
    'Requests any action a provider declares for a resource (see the action list). Never acts directly: returns a plan that becomes a change request needing approval per policy.',
  input: ActionInput,
  kind: 'change',
  minRole: 'operator',
  llm: true,
  run: async (input) => {
    const { action, resource, params, ...fromForm } = input;
    const name = action.toLowerCase().replace(/[\s-]+/g, '_');
    const r = await resolveFor(d, resource, name);
    const all = { ...(fromForm as Record<string, string>), ...(params ?? {}) };
    return { type: 'plan', plan: await planAction(d, r, name, all) };
  },
});

const PowerInput = z.object({
  action: z.enum(['start', 'stop', 'reboot']).describe('What to do to the resource.'),
  resource: z.string().min(1).max(200).describe('Resource id or name.'),
});

export const powerActionTool = (d: CloudToolDeps): Tool<typeof PowerInput> => ({
  name: 'power_action',
  description:
    'Requests starting, stopping or rebooting a resource. Never acts directly: returns a plan that becomes a change request needing approval per policy.',
  input: PowerInput,
  kind: 'change',
  minRole: 'operator',
  llm: true,
  run: async ({ action, resource }) => {
    const r = await resolveFor(d, resource, action);
    return { type: 'plan', plan: await planAction(d, r, action) };
  },
});

const ResizeInput = z.object({
  resource: z.string().min(1).max(200).describe('Instance id or name.'),
  size: z.string().min(1).max(60).describe('New instance size, e.g. t3.large, Standard_D4s_v5, e2-standard-4.'),
});

export const resizeTool = (d: CloudToolDeps): Tool<typeof ResizeInput> => ({
  name: 'resize_resource',
  description:
    'Requests changing an instance to another size (instance type, VM size, machine type). Returns a plan that becomes a change request; a running instance is stopped, resized and started again.',
  input: ResizeInput,
  kind: 'change',
  minRole: 'operator',
  llm: true,
  run: async ({ resource, size }) => {
    const r = await resolveFor(d, resource, 'resize');
    return { type: 'plan', plan: await planAction(d, r, 'resize', { size }) };
  },
});
