import type { V1Deployment, V1Node } from '@kubernetes/client-node';
import { AppError, badRequest, conflict, isAppError, notFound } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import { findAction } from '../actions.ts';
import type {
  ActionResult,
  CloudProvider,
  ExecuteOptions,
  ListOptions,
  MetricSample,
  ResourceAction,
  SyncSource,
} from '../provider.ts';
import type { Resource } from '../resource.ts';
import { kubernetesActions, noRequest, rollbackTarget } from './actions.ts';
import type { ContextApi, RetrySettings } from './client.ts';
import { readContexts } from './kubeconfig.ts';
import type { KubeContext } from './kubeconfig.ts';
import {
  clusterResource,
  historyOf,
  idOf,
  nodeState,
  normalizeCluster,
  parseId,
  restartedAtAnnotation,
  revisionAnnotation,
  rolloutOf,
  typeOfKind,
} from './normalize.ts';
import type { ClusterListing, KubeRef } from './normalize.ts';
import { usageSamples } from './usage.ts';
import { executeNamespaceAction, executeWorkloadAction } from './workloads.ts';

/**
 * CloudProvider for Kubernetes: one source per kubeconfig context (account = context, region =
 * its cluster), listing nodes, namespaces, deployments (with rollout history), pods, services,
 * PVs/PVCs and RBAC, usage from metrics.k8s.io where the cluster serves it, and deployment and
 * node actions. Built from the kubeconfig text alone (no environment or file reads); the SDK
 * (client.ts) loads on the first call or in `load()`.
 */

export interface KubernetesProviderOptions {
  /** The kubeconfig as YAML text (tokens, certificates and servers inline). */
  kubeconfig: string;
  /** Contexts to list (default: every context in the kubeconfig). */
  contexts?: string[];
  /** True when the kubeconfig points at the local emulator: answers say so. */
  sandbox: boolean;
  now?: () => Date;
  metrics?: Metrics;
  /** `limit` per list page (default 500, as kubectl). */
  pageSize?: number;
  /** Per request attempt (default 30 s). */
  requestTimeoutMs?: number;
  /** Backoff on 429 (the client does not retry): attempts (default 4), longest wait (default 10 s), sleep (tests). */
  retry?: Partial<RetrySettings>;
}

const emptyListing = (): ClusterListing => ({
  nodes: [],
  namespaces: [],
  pods: [],
  services: [],
  persistentVolumes: [],
  volumeClaims: [],
  deployments: [],
  replicaSets: [],
  roles: [],
  clusterRoles: [],
  roleBindings: [],
  clusterRoleBindings: [],
});

export class KubernetesProvider implements CloudProvider {
  readonly name = 'kubernetes' as const;
  readonly sandbox: boolean;
  readonly actions = kubernetesActions;
  readonly #opts: KubernetesProviderOptions;
  readonly #contexts: KubeContext[];
  readonly #now: () => Date;
  readonly #apis = new Map<string, ContextApi>();
  #sdk: Promise<typeof import('./client.ts')> | undefined;

  constructor(opts: KubernetesProviderOptions) {
    this.#opts = opts;
    this.sandbox = opts.sandbox;
    this.#now = opts.now ?? (() => new Date());
    this.#contexts = readContexts(opts.kubeconfig, opts.contexts);
    if (opts.pageSize !== undefined && !(Number.isInteger(opts.pageSize) && opts.pageSize > 0))
      throw badRequest('The Kubernetes page size must be a positive whole number.');
  }

  sources(): SyncSource[] {
    return this.#contexts.map((c) => ({
      key: `kubernetes:${c.name}:cluster`,
      provider: 'kubernetes',
      account: c.name,
      region: c.cluster,
      label: `Kubernetes ${c.name} (cluster ${c.cluster})`,
    }));
  }

  async load(): Promise<void> {
    try {
      await this.#client();
    } catch {
      // The first call reports it.
    }
  }

  close(): void {
    this.#apis.clear();
  }

  async sizesFor(): Promise<string[]> {
    return [];
  }

  async listSource(source: SyncSource, opts: ListOptions = {}): Promise<Resource[]> {
    const api = await this.#api(source.account);
    const seenAt = this.#now();
    const [listing, version] = await Promise.all([
      api.listCluster(this.#opts.pageSize ?? 500, opts.signal),
      api.serverVersion('reading the server version'),
    ]);
    const ctx = { context: api.context.name, cluster: api.context.cluster, seenAt };
    // The cluster itself first: what a workflow acts on to make namespaces (it answered, so it is reachable).
    return [
      clusterResource(ctx, { server: api.context.server, reachable: true, version: version.gitVersion }),
      ...normalizeCluster(listing, ctx),
    ];
  }

  /** The cluster of a context: `active` when its API server answers /version, `unreachable` when nothing answers. */
  async #describeCluster(api: ContextApi): Promise<Resource> {
    const ctx = { context: api.context.name, cluster: api.context.cluster, seenAt: this.#now() };
    try {
      const version = await api.serverVersion('reading the server version');
      return clusterResource(ctx, { server: api.context.server, reachable: true, version: version.gitVersion });
    } catch (e) {
      // An answer that refuses (401, 403) is a reachable cluster with a credentials problem: that is an error.
      if (isAppError(e) && e.code === 'cloud_error')
        return clusterResource(ctx, { server: api.context.server, reachable: false, reason: e.userMessage });
      throw e;
    }
  }

  async metrics(
    source: SyncSource,
    range: { days: number; now: Date },
    opts: ListOptions = {},
  ): Promise<MetricSample[]> {
    const api = await this.#api(source.account);
    const lists = await api.metricsLists(opts.signal);
    if (!lists) return [];
    try {
      return usageSamples(lists, { context: api.context.name, day: range.now.toISOString().slice(0, 10) });
    } catch (e) {
      throw new AppError('cloud_error', `The metrics API of context ${api.context.name}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  async describe(key: ResourceKey): Promise<Resource | null> {
    const ref = parseId(key.id);
    if (!ref || typeOfKind[ref.kind] !== key.type) return null;
    const api = await this.#api(key.account);
    if (ref.kind === 'cluster') return ref.name === api.context.cluster ? this.#describeCluster(api) : null;
    try {
      const parts = await api.readOne(ref, `reading ${key.id}`);
      const found = normalizeCluster(
        { ...emptyListing(), ...parts },
        { context: api.context.name, cluster: api.context.cluster, seenAt: this.#now() },
      );
      return found.find((r) => r.id === key.id && r.type === key.type) ?? null;
    } catch (e) {
      if (isAppError(e) && e.code === 'not_found') return ref.kind === 'pod' ? this.#replacementOf(api, ref) : null;
      throw e;
    }
  }

  /**
   * Every rollout replaces a deployment's pods, set_requests (planned on a pod) and its rollback
   * included, so the pod a change was planned on may be gone by the time it runs while what the
   * change acts on, its deployment, is there. A gone pod whose ReplicaSet (its name less the
   * last `-suffix`) and deployment still exist is described by one of the deployment's current
   * pods, under that pod's own id; null when there is none.
   */
  async #replacementOf(api: ContextApi, ref: KubeRef): Promise<Resource | null> {
    const ns = ref.namespace!;
    const doing = `looking for the pods that replaced ${idOf(ref)}`;
    const cut = ref.name.lastIndexOf('-');
    if (cut <= 0) return null;
    const absent = (e: unknown) => {
      if (isAppError(e) && e.code === 'not_found') return null;
      throw e;
    };
    const rs = await api.readReplicaSet(ns, ref.name.slice(0, cut), doing).catch(absent);
    const owner = rs?.metadata?.ownerReferences?.find((o) => o.kind === 'Deployment');
    if (!owner) return null;
    const deployment = await api.readDeployment(ns, owner.name, doing).catch(absent);
    if (!deployment || deployment.metadata?.uid !== owner.uid) return null;
    const revision = deployment.metadata?.annotations?.[revisionAnnotation];
    const current = (await api.replicaSetsOf(deployment, doing)).find(
      (r) => r.metadata?.annotations?.[revisionAnnotation] === revision,
    );
    const labels = current?.spec?.selector?.matchLabels;
    if (!labels) return null;
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = (await api.podsMatching(ns, selector, doing))
      .filter((p) => p.metadata?.ownerReferences?.some((o) => o.uid === current.metadata?.uid))
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const name = pods[0]?.metadata?.name;
    if (!name) return null;
    const parts = await api.readOne({ namespace: ns, kind: 'pod', name }, doing).catch(absent);
    if (!parts) return null;
    const found = normalizeCluster(
      { ...emptyListing(), ...parts },
      { context: api.context.name, cluster: api.context.cluster, seenAt: this.#now() },
    );
    return found.find((r) => r.type === 'pod') ?? null;
  }

  async execute(action: ResourceAction, opts: ExecuteOptions = {}): Promise<ActionResult> {
    const { target } = action;
    const spec = findAction(this.actions, target.type, action.action);
    if (!spec) throw badRequest(`Kubernetes cannot ${action.action} a ${target.type}.`);
    const parsed = spec.params.safeParse(action.params);
    if (!parsed.success)
      throw badRequest(`Invalid parameters for ${spec.name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    const params = parsed.data as Record<string, string | undefined>;
    const ref = parseId(target.id);
    if (!ref || typeOfKind[ref.kind] !== target.type)
      throw badRequest(
        `${target.id} is not a Kubernetes ${target.type} id (expected <namespace>/<kind>/<name> or <kind>/<name>).`,
      );
    const api = await this.#api(target.account);
    const progress = opts.progress ?? (() => undefined);
    switch (spec.name) {
      case 'scale':
        return this.#scale(api, ref, Number(params.replicas), progress);
      case 'rollout_restart':
        return this.#restart(api, ref, progress);
      case 'undo_rollout':
        return this.#undo(api, ref, params.toRevision ? Number(params.toRevision) : undefined, progress);
      case 'cordon':
      case 'uncordon':
        return this.#cordon(api, ref, spec.name === 'cordon', progress);
      case 'set_requests':
        return this.#setRequests(
          api,
          { namespace: ref.namespace, kind: 'deployment', name: params.deployment! },
          params.container!,
          { cpu: params.cpu, memory: params.memory },
          progress,
        );
      case 'create_namespace':
      case 'delete_namespace':
        if (ref.name !== api.context.cluster)
          throw badRequest(`Context ${api.context.name} is cluster ${api.context.cluster}, not ${ref.name}.`);
        return executeNamespaceAction(api, spec.name, params.name!, progress);
      default:
        if (ref.kind === 'namespace') return executeWorkloadAction(api, spec.name, ref.name, params, progress);
        throw badRequest(`Kubernetes cannot ${spec.name} a ${target.type}.`);
    }
  }

  async #scale(api: ContextApi, ref: KubeRef, replicas: number, progress: (s: string) => void): Promise<ActionResult> {
    const id = idOf(ref);
    const before = await this.#deployment(api, ref, `scaling ${id}`);
    const was = before.spec?.replicas ?? 1;
    progress(`scaling ${id} from ${was} to ${replicas} replicas`);
    await api.scaleDeployment(ref.namespace!, ref.name, replicas, `scaling ${id}`);
    const after = await this.#deployment(api, ref, `reading ${id} after scaling it`);
    return {
      summary: `${id} scaled to ${replicas} replicas (was ${was}); rollout: ${rolloutOf(after).message}`,
      newState: rolloutOf(after).state,
      previous: { replicas: String(was) },
    };
  }

  async #restart(api: ContextApi, ref: KubeRef, progress: (s: string) => void): Promise<ActionResult> {
    const id = idOf(ref);
    const before = await this.#deployment(api, ref, `restarting ${id}`);
    const revision = before.metadata?.annotations?.[revisionAnnotation] ?? '';
    const at = this.#now().toISOString();
    progress(`patching ${restartedAtAnnotation} of ${id}`);
    await api.patchDeployment(
      ref.namespace!,
      ref.name,
      { spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: at } } } } },
      `restarting ${id}`,
    );
    const after = await this.#deployment(api, ref, `reading ${id} after restarting it`);
    return {
      summary: `${id} restarted at ${at} (revision ${after.metadata?.annotations?.[revisionAnnotation] ?? '?'}, was ${revision || '?'}); rollout: ${rolloutOf(after).message}`,
      newState: rolloutOf(after).state,
      previous: { revision, restartedAt: before.spec?.template?.metadata?.annotations?.[restartedAtAnnotation] ?? '' },
    };
  }

  async #undo(
    api: ContextApi,
    ref: KubeRef,
    toRevision: number | undefined,
    progress: (s: string) => void,
  ): Promise<ActionResult> {
    const id = idOf(ref);
    const doing = `rolling back ${id}`;
    const before = await this.#deployment(api, ref, doing);
    const replicaSets = await api.replicaSetsOf(before, doing);
    const history = historyOf(before, replicaSets);
    const currentText = before.metadata?.annotations?.[revisionAnnotation];
    const current = currentText === undefined ? undefined : Number(currentText);
    const target = rollbackTarget(id, history, current, toRevision);
    const rs = replicaSets.find((r) => Number(r.metadata?.annotations?.[revisionAnnotation]) === target);
    const template = rs?.spec?.template;
    if (!template) throw conflict(`${id}: the replica set of revision ${target} has no pod template to roll back to.`);
    // As kubectl: the old ReplicaSet's template without the hash label the controller added.
    const labels = { ...template.metadata?.labels };
    delete labels['pod-template-hash'];
    progress(`rolling ${id} back from revision ${current ?? '?'} to ${target}`);
    await api.patchDeployment(
      ref.namespace!,
      ref.name,
      [
        { op: 'test', path: '/metadata/uid', value: before.metadata?.uid },
        { op: 'replace', path: '/spec/template', value: { ...template, metadata: { ...template.metadata, labels } } },
      ],
      doing,
      'application/json-patch+json',
    );
    const after = await this.#deployment(api, ref, `reading ${id} after rolling it back`);
    const images = (after.spec?.template?.spec?.containers ?? []).map((c) => c.image).join(', ');
    return {
      summary: `${id} rolled back to revision ${target} (${images}), now revision ${after.metadata?.annotations?.[revisionAnnotation] ?? '?'}; was revision ${current ?? '?'}; rollout: ${rolloutOf(after).message}`,
      newState: rolloutOf(after).state,
      previous: { revision: String(current ?? '') },
    };
  }

  /**
   * A container's requests in the deployment's pod template, by a strategic merge patch (containers
   * merge by name, so the others stay as they are); `none` removes a request. The previous values
   * are the template's own text, `none` where there was no request, for the inverse.
   */
  async #setRequests(
    api: ContextApi,
    ref: KubeRef,
    container: string,
    want: { cpu?: string; memory?: string },
    progress: (s: string) => void,
  ): Promise<ActionResult> {
    const id = idOf(ref);
    const doing = `setting the requests of ${container} in ${id}`;
    if (want.cpu === undefined && want.memory === undefined)
      throw badRequest('set_requests needs cpu, memory or both (e.g. cpu 120m, memory 128Mi).');
    const before = await api.readDeployment(ref.namespace!, ref.name, doing).catch((e: unknown) => {
      if (isAppError(e) && e.code === 'not_found')
        throw notFound(
          `There is no deployment ${ref.name} in namespace ${ref.namespace} (${doing}): nothing was changed.`,
        );
      throw e;
    });
    const containers = before.spec?.template?.spec?.containers ?? [];
    const c = containers.find((x) => x.name === container);
    if (!c)
      throw conflict(
        `${id} has no container ${container} (it has ${containers.map((x) => x.name).join(', ') || 'none'}): nothing was changed.`,
      );
    const had = c.resources?.requests ?? {};
    const changed = (['cpu', 'memory'] as const).filter((k) => want[k] !== undefined);
    const previous = Object.fromEntries(changed.map((k) => [k, had[k] ?? noRequest]));
    if (changed.every((k) => previous[k] === want[k]))
      throw conflict(`${container} in ${id} already requests ${changed.map((k) => `${k} ${want[k]}`).join(', ')}.`);
    const requests = Object.fromEntries(changed.map((k) => [k, want[k] === noRequest ? null : want[k]]));
    const shown = (q: string | undefined) => (q === noRequest ? 'nothing' : q);
    const words = changed.map((k) => `${k} ${shown(previous[k])} → ${shown(want[k])}`).join(', ');
    progress(`setting the requests of ${container} in ${id}: ${words}`);
    await api.patchDeployment(
      ref.namespace!,
      ref.name,
      { spec: { template: { spec: { containers: [{ name: container, resources: { requests } }] } } } },
      doing,
    );
    const after = await this.#deployment(api, ref, `reading ${id} after setting its requests`);
    return {
      summary: `${container} in ${id} now requests ${words} (revision ${after.metadata?.annotations?.[revisionAnnotation] ?? '?'}); rollout: ${rolloutOf(after).message}`,
      newState: rolloutOf(after).state,
      previous,
    };
  }

  async #cordon(api: ContextApi, ref: KubeRef, cordon: boolean, progress: (s: string) => void): Promise<ActionResult> {
    const id = idOf(ref);
    const verb = cordon ? 'cordoning' : 'uncordoning';
    const before: V1Node = await api.readNode(ref.name, `${verb} ${id}`).catch((e: unknown) => {
      throw this.#vanished(e, id, verb);
    });
    const was = before.spec?.unschedulable ?? false;
    progress(`${verb} ${ref.name}`);
    const after = await api.setUnschedulable(ref.name, cordon, `${verb} ${id}`).catch((e: unknown) => {
      throw this.#vanished(e, id, verb);
    });
    return {
      summary: `node ${ref.name} ${cordon ? 'cordoned' : 'uncordoned'} (was ${nodeState(before)})`,
      newState: nodeState(after),
      previous: { unschedulable: String(was) },
    };
  }

  async #deployment(api: ContextApi, ref: KubeRef, doing: string): Promise<V1Deployment> {
    try {
      return await api.readDeployment(ref.namespace!, ref.name, doing);
    } catch (e) {
      throw this.#vanished(e, idOf(ref), doing);
    }
  }

  /** A 404 while acting means the object went away since the plan: say so plainly. */
  #vanished(e: unknown, id: string, doing: string): unknown {
    if (isAppError(e) && e.code === 'not_found')
      return notFound(`${id} no longer exists (${doing} found nothing): it was deleted after the change was planned.`);
    return e;
  }

  #client(): Promise<typeof import('./client.ts')> {
    this.#sdk ??= import('./client.ts');
    return this.#sdk;
  }

  async #api(context: string): Promise<ContextApi> {
    const ctx = this.#contexts.find((c) => c.name === context);
    if (!ctx) throw notFound(`No Kubernetes context named "${context}" is configured.`);
    const known = this.#apis.get(context);
    if (known) return known;
    const sdk = await this.#client();
    let api: ContextApi;
    try {
      api = new sdk.ContextApi(this.#opts.kubeconfig, ctx, {
        metrics: this.#opts.metrics,
        timeoutMs: this.#opts.requestTimeoutMs ?? 30_000,
        retry: {
          attempts: this.#opts.retry?.attempts ?? 4,
          maxDelayMs: this.#opts.retry?.maxDelayMs ?? 10_000,
          sleep: this.#opts.retry?.sleep ?? ((ms) => new Promise((ok) => setTimeout(ok, ms))),
        },
      });
    } catch (e) {
      throw new AppError(
        'config_invalid',
        `The kubeconfig context ${context} cannot be used: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    this.#apis.set(context, api);
    return api;
  }
}
