import type { protos } from '@google-cloud/compute';
import { AppError, badRequest } from '../../errors.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import type { Resource } from '../resource.ts';
import { translateGcpError } from './errors.ts';
import { instanceResource, regionOfZone } from './normalize.ts';
import type { NormalizeContext } from './normalize.ts';
import type { GcpClients } from './types.ts';

/**
 * Compute Engine reads: aggregated lists (every zone or region of a project in one paged call),
 * one instance, and the machine types a zone offers. Type-only SDK imports: the clients come in.
 */

type Instance = protos.google.cloud.compute.v1.IInstance;

/** Our instance id `zones/us-central1-a/instances/web-1` → zone and name. */
export const parseInstanceId = (id: string): { zone: string; name: string } => {
  const m = /^zones\/([a-z]+-[a-z]+\d+-[a-z])\/instances\/([a-z]([-a-z0-9]{0,61}[a-z0-9])?)$/.exec(id);
  if (!m)
    throw badRequest(
      `“${id}” is not a GCE instance id here (expected zones/<zone>/instances/<name>, e.g. zones/us-central1-a/instances/web-1).`,
    );
  return { zone: m[1]!, name: m[2]! };
};

/** Every item of an aggregated list (scopes with only a NO_RESULTS_ON_PAGE warning hold none). */
export const collectAggregated = async <T>(
  pages: AsyncIterable<[string, Record<string, unknown>]>,
  field: string,
  signal?: AbortSignal,
): Promise<T[]> => {
  const all: T[] = [];
  for await (const [, scoped] of pages) {
    signal?.throwIfAborted();
    const items = scoped[field];
    if (Array.isArray(items)) all.push(...(items as T[]));
  }
  return all;
};

export const collect = async <T>(items: AsyncIterable<T>, signal?: AbortSignal): Promise<T[]> => {
  const all: T[] = [];
  for await (const item of items) {
    signal?.throwIfAborted();
    all.push(item);
  }
  return all;
};

/** One instance as GCE has it now, or null when it no longer exists. */
export const getInstance = async (
  c: GcpClients,
  project: string,
  zone: string,
  name: string,
): Promise<Instance | null> => {
  try {
    const [instance] = await c.timed('instances.get', () =>
      c.instances.get({ project, zone, instance: name }, c.readOptions),
    );
    return instance;
  } catch (e) {
    const err = translateGcpError(e, `reading instance ${name} in ${zone}`, project);
    if (err.code === 'not_found') return null;
    throw err;
  }
};

export const describeInstance = async (
  c: GcpClients,
  key: ResourceKey,
  ctx: Omit<NormalizeContext, 'project'>,
): Promise<Resource | null> => {
  const { zone, name } = parseInstanceId(key.id);
  const instance = await getInstance(c, key.account, zone, name);
  return instance ? instanceResource(instance, { ...ctx, project: key.account }) : null;
};

/** The machine types one zone offers (the valid sizes of set_machine_type there), sorted. */
export const zoneMachineTypes = async (c: GcpClients, project: string, zone: string): Promise<string[]> => {
  try {
    const types = await c.timed('machineTypes.list', () =>
      collect(c.machineTypes.listAsync({ project, zone, maxResults: c.pageSize }, c.readOptions)),
    );
    return types
      .map((t) => t.name ?? '')
      .filter(Boolean)
      .sort();
  } catch (e) {
    throw translateGcpError(e, `listing the machine types of ${zone}`, project);
  }
};

/** Machine types offered in any zone of a region (one aggregated call); a zone's own list decides at execution. */
export const regionMachineTypes = async (c: GcpClients, project: string, region: string): Promise<string[]> => {
  try {
    const names = new Set<string>();
    await c.timed('machineTypes.aggregatedList', async () => {
      for await (const [scope, scoped] of c.machineTypes.aggregatedListAsync(
        { project, maxResults: c.pageSize },
        c.readOptions,
      )) {
        const zone = scope.replace(/^zones\//, '');
        if (regionOfZone(zone) !== region) continue;
        for (const t of scoped.machineTypes ?? []) if (t.name) names.add(t.name);
      }
    });
    if (names.size === 0) throw new AppError('not_found', `Project ${project} has no zones in region ${region}.`);
    return [...names].sort();
  } catch (e) {
    throw translateGcpError(e, `listing the machine types of ${region}`, project);
  }
};
