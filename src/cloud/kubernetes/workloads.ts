import type { V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import { badRequest, conflict, isAppError } from '../../errors.ts';
import type { ActionResult } from '../provider.ts';
import type { ContextApi, WorkloadKind } from './client.ts';
import {
  configMapManifest,
  deploymentManifest,
  namespaceManifest,
  parseSnapshot,
  restoreBody,
  serviceManifest,
  snapshotOf,
} from './manifests.ts';
import { idOf, rolloutOf } from './normalize.ts';
import { deploymentParamProblem } from './workload-actions.ts';

/**
 * Carries out what workflow templates make (workload-actions.ts) over one context's API: creating a
 * namespace, and applying, deleting and restoring config maps, deployments and services in one.
 * Each records in `previous` what its inverse needs and reports what it made in `outputs`.
 */

type Params = Record<string, string | undefined>;

/** A delete that finds the object gone meanwhile has done what was asked. */
const goneIsDone = (e: unknown): void => {
  if (!(isAppError(e) && e.code === 'not_found')) throw e;
};
type Progress = (step: string) => void;

/** The action's kind word (`config_map`) → the API kind (`configmap`) and the output's name. */
const kinds = {
  config_map: { kind: 'configmap', label: 'config map' },
  deployment: { kind: 'deployment', label: 'deployment' },
  service: { kind: 'service', label: 'service' },
} as const satisfies Record<string, { kind: WorkloadKind; label: string }>;
type ActionKind = keyof typeof kinds;

/** The state an object is in after a write, as the inventory names it. */
const stateOf = (kind: WorkloadKind, o: unknown): string =>
  kind === 'deployment' ? rolloutOf(o as V1Deployment).state : 'active';

const manifestOf = (kind: ActionKind, namespace: string, p: Params): V1ConfigMap | V1Deployment | V1Service => {
  switch (kind) {
    case 'config_map':
      return configMapManifest(namespace, { name: p.name!, key: p.key!, text: p.text! });
    case 'service':
      return serviceManifest(namespace, {
        name: p.name!,
        app: p.app!,
        port: Number(p.port),
        targetPort: p.targetPort ? Number(p.targetPort) : undefined,
        type: p.type as 'ClusterIP' | 'NodePort' | undefined,
      });
    default: {
      const why = deploymentParamProblem(p);
      if (why) throw badRequest(why);
      return deploymentManifest(namespace, {
        name: p.name!,
        image: p.image!,
        replicas: Number(p.replicas),
        port: Number(p.port),
        args: p.args?.trim() ? p.args.trim().split(/\s+/) : undefined,
        configMap: p.configMap,
        mountPath: p.mountPath,
        envFromSecret: p.envFromSecret,
        cpu: p.cpu,
        memory: p.memory,
        runAsUser: p.runAsUser ? Number(p.runAsUser) : undefined,
        readyPath: p.readyPath,
      });
    }
  }
};

/** Writes `body` as `name`: created when there is none, else replaced with what was there recorded. */
const write = async (
  api: ContextApi,
  kind: ActionKind,
  namespace: string,
  name: string,
  body: V1ConfigMap | V1Deployment | V1Service,
  verb: 'applied' | 'restored',
  progress: Progress,
): Promise<ActionResult> => {
  const { kind: apiKind, label } = kinds[kind];
  const id = idOf({ namespace, kind: apiKind, name });
  const doing = `${verb === 'applied' ? 'applying' : 'restoring'} ${label} ${id}`;
  const before = await api.readWorkload(apiKind, namespace, name, doing);
  let after: unknown;
  if (!before) {
    progress(`creating ${label} ${id}`);
    after = await api.createWorkload(apiKind, namespace, body as never, doing);
  } else {
    progress(`replacing ${label} ${id} (what was there is recorded)`);
    // Conditional on what was read: someone else's write in between is a conflict, not lost.
    const current = { ...body, metadata: { ...body.metadata, resourceVersion: before.metadata?.resourceVersion } };
    if (apiKind === 'service') {
      const ip = (before as V1Service).spec?.clusterIP;
      if (ip) (current as V1Service).spec = { ...(current as V1Service).spec, clusterIP: ip };
    }
    after = await api.replaceWorkload(apiKind, namespace, name, current as never, doing);
  }
  return {
    summary: `${label} ${id} ${before ? `replaced (${verb}; the one before is recorded)` : `created (${verb})`}`,
    newState: stateOf(apiKind, after),
    previous: before ? { existed: 'true', object: snapshotOf(before) } : { existed: 'false' },
    outputs: { [kind]: id, created: String(!before) },
  };
};

const remove = async (
  api: ContextApi,
  kind: ActionKind,
  namespace: string,
  name: string,
  progress: Progress,
): Promise<ActionResult> => {
  const { kind: apiKind, label } = kinds[kind];
  const id = idOf({ namespace, kind: apiKind, name });
  const doing = `deleting ${label} ${id}`;
  const before = await api.readWorkload(apiKind, namespace, name, doing);
  // Already gone (deleted by hand, or with its namespace): what was asked for is done.
  if (!before) return { summary: `${label} ${id} was already gone`, newState: 'deleted', previous: {} };
  progress(`deleting ${label} ${id}`);
  await api.deleteWorkload(apiKind, namespace, name, doing).catch(goneIsDone);
  return {
    summary: `${label} ${id} deleted (recorded first)`,
    newState: 'deleted',
    previous: { object: snapshotOf(before) },
  };
};

/** Runs one workload action on a namespace (`namespace`: its name). */
export const executeWorkloadAction = async (
  api: ContextApi,
  action: string,
  namespace: string,
  p: Params,
  progress: Progress,
): Promise<ActionResult> => {
  const m = /^(apply|delete|restore)_(config_map|deployment|service)$/.exec(action);
  if (!m) throw badRequest(`Kubernetes cannot ${action} in a namespace.`);
  const verb = m[1] as 'apply' | 'delete' | 'restore';
  const kind = m[2] as ActionKind;
  const name = p.name!;
  if (verb === 'delete') return remove(api, kind, namespace, name, progress);
  if (verb === 'apply') return write(api, kind, namespace, name, manifestOf(kind, namespace, p), 'applied', progress);
  const snapshot = parseSnapshot(p.object ?? '');
  if (!snapshot.ok) throw badRequest(snapshot.why);
  if (snapshot.snapshot.metadata.name !== name)
    throw badRequest(`The recorded object is ${snapshot.snapshot.metadata.name}, not ${name}.`);
  const body = restoreBody(kinds[kind].kind, namespace, snapshot.snapshot);
  return write(api, kind, namespace, name, body, 'restored', progress);
};

/** create_namespace / delete_namespace on a cluster. */
export const executeNamespaceAction = async (
  api: ContextApi,
  action: string,
  name: string,
  progress: Progress,
): Promise<ActionResult> => {
  const id = idOf({ kind: 'namespace', name });
  if (action === 'create_namespace') {
    const doing = `creating namespace ${name}`;
    const there = await api.readNamespace(name, doing);
    if (there) {
      if (there.status?.phase === 'Terminating')
        throw conflict(`Namespace ${name} is being deleted; wait until it is gone, or pick another name.`);
      return {
        summary: `namespace ${name} was already there; used as it is`,
        newState: 'active',
        previous: { existed: 'true' },
        outputs: { namespace: id, created: 'false' },
      };
    }
    progress(`creating namespace ${name}`);
    const made = await api.createNamespace(namespaceManifest(name), doing);
    return {
      summary: `namespace ${name} created`,
      newState: (made.status?.phase ?? 'Active').toLowerCase(),
      previous: { existed: 'false' },
      outputs: { namespace: id, created: 'true' },
    };
  }
  if (action !== 'delete_namespace') throw badRequest(`Kubernetes cannot ${action} a cluster.`);
  const doing = `deleting namespace ${name}`;
  const there = await api.readNamespace(name, doing);
  if (!there) return { summary: `namespace ${name} was already gone`, newState: 'deleted', previous: {} };
  progress(`deleting namespace ${name} and everything in it`);
  await api.deleteNamespace(name, doing).catch(goneIsDone);
  return { summary: `namespace ${name} deleted with everything in it`, newState: 'deleted', previous: {} };
};
