import { z } from 'zod';
import type { ChangePlan } from '../tools/change-plan.ts';
import { AppError, badRequest, conflict } from '../errors.ts';
import { closest } from '../chat/suggest.ts';
import type { Tool } from '../tools/tool.ts';
import type { CloudProvider } from './provider.ts';
import { resourceRepository } from './repository.ts';
import { resolveResource } from './resolve.ts';
import type { Resource } from './resource.ts';
import type { CloudToolDeps } from './tool-deps.ts';

/**
 * Change tools never touch a cloud: they check the request makes sense against the inventory and
 * return a plan (what, where, blast radius, cost delta, rollback) that becomes a change request.
 */

const providerFor = (d: CloudToolDeps, r: Resource): CloudProvider => {
  const p = d.provider(r.provider);
  if (!p)
    throw new AppError(
      'bad_request',
      `No ${r.provider} provider is configured, so ${r.name || r.id} cannot be changed.`,
    );
  return p;
};

const label = (r: Resource): string => (r.name && r.name !== r.id ? `${r.name} (${r.id})` : r.id);
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

const PowerInput = z.object({
  action: z.enum(['start', 'stop', 'reboot']).describe('What to do to the resource.'),
  resource: z.string().min(1).max(200).describe('Resource id or name.'),
});

/** The states an action applies to (a picker offers only these; the tools refuse others). */
export const needsState: Record<'start' | 'stop' | 'reboot' | 'resize', string[]> = {
  start: ['stopped'],
  stop: ['running', 'pending'],
  reboot: ['running'],
  resize: ['running', 'stopped'],
};

export const powerActionTool = (d: CloudToolDeps): Tool<typeof PowerInput> => ({
  name: 'power_action',
  description:
    'Requests starting, stopping or rebooting a resource. Never acts directly: returns a plan that becomes a change request needing approval per policy.',
  input: PowerInput,
  kind: 'change',
  minRole: 'operator',
  llm: true,
  run: async ({ action, resource }) => {
    const r = await resolveResource(resourceRepository(d.db), resource);
    const provider = providerFor(d, r);
    if (!provider.actionsFor(r.type).includes(action))
      throw badRequest(`${label(r)} is a ${r.type.replace('_', ' ')}; ${action} applies to instances.`);
    if (!needsState[action].includes(r.state)) {
      const already =
        (action === 'stop' && ['stopped', 'stopping'].includes(r.state)) ||
        (action === 'start' && ['running', 'pending'].includes(r.state));
      throw conflict(
        already
          ? `${label(r)} is already ${r.state}.`
          : `${label(r)} is ${r.state}; ${action} needs it to be ${needsState[action].join(' or ')}.`,
      );
    }
    const size = String(r.attributes.instanceType ?? '');
    const compute = provider.monthlyCostFor?.(r.type, size) ?? 0;
    // A running instance's inventory cost is its compute cost; a stopped one costs none until started.
    const costDeltaCents = action === 'stop' ? -r.monthlyCostCents : action === 'start' ? compute : 0;
    const blastRadius = {
      stop: `${label(r)} stops serving until started again; its EBS volumes and private IP are kept, a public IP may change.${prodNote(r)}`,
      start: `${label(r)} boots and starts billing compute again.${prodNote(r)}`,
      reboot: `${label(r)} is unavailable for a minute or two while it reboots.${prodNote(r)}`,
    }[action];
    const verb = action[0]!.toUpperCase() + action.slice(1);
    const plan: ChangePlan = {
      action,
      target: targetOf(r),
      resourceName: r.name || r.id,
      environment: r.environment,
      params: {},
      summary: `${verb} ${label(r)} in ${where(r)}`,
      blastRadius,
      costDeltaCents,
      rollback:
        action === 'stop'
          ? { action: 'start', params: {} }
          : action === 'start'
            ? { action: 'stop', params: {} }
            : null,
    };
    return { type: 'plan', plan };
  },
});

const ResizeInput = z.object({
  resource: z.string().min(1).max(200).describe('Instance id or name.'),
  size: z.string().min(1).max(50).describe('New instance size, e.g. t3.large.'),
});

export const resizeTool = (d: CloudToolDeps): Tool<typeof ResizeInput> => ({
  name: 'resize_resource',
  description:
    'Requests changing an instance to another size (instance type). Returns a plan that becomes a change request; a running instance is stopped, resized and started again.',
  input: ResizeInput,
  kind: 'change',
  minRole: 'operator',
  llm: true,
  run: async ({ resource, size }) => {
    const r = await resolveResource(resourceRepository(d.db), resource);
    const provider = providerFor(d, r);
    if (!provider.actionsFor(r.type).includes('resize'))
      throw badRequest(`${label(r)} is a ${r.type.replace('_', ' ')}; only instances can be resized.`);
    const sizes = provider.sizesFor(r.type);
    const wanted = size.toLowerCase();
    if (!sizes.includes(wanted)) {
      const guess = closest(wanted, sizes);
      throw badRequest(
        `“${size}” is not a size I can resize to.${guess ? ` Did you mean \`${guess}\`?` : ''} Valid sizes: ${sizes.join(', ')}.`,
        undefined,
        'size',
      );
    }
    const current = String(r.attributes.instanceType ?? '');
    if (current === wanted) throw new AppError('conflict', `${label(r)} is already ${wanted}.`, { field: 'size' });
    const running = r.state === 'running';
    const before = provider.monthlyCostFor?.(r.type, current);
    const after = provider.monthlyCostFor?.(r.type, wanted);
    const plan: ChangePlan = {
      action: 'resize',
      target: targetOf(r),
      resourceName: r.name || r.id,
      environment: r.environment,
      params: { size: wanted },
      summary: `Resize ${label(r)} from ${current || '?'} to ${wanted} in ${where(r)}`,
      blastRadius: running
        ? `${label(r)} is stopped, changed to ${wanted} and started again: a few minutes of downtime.${prodNote(r)}`
        : `${label(r)} is stopped, so no downtime; it runs as ${wanted} when next started.${prodNote(r)}`,
      costDeltaCents: before !== undefined && after !== undefined && running ? after - before : 0,
      rollback: current ? { action: 'resize', params: { size: current } } : null,
    };
    return { type: 'plan', plan };
  },
});
