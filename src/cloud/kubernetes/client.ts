import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  PatchStrategy,
  RbacAuthorizationV1Api,
  VersionApi,
} from '@kubernetes/client-node';
import type {
  ConfigurationOptions,
  V1ConfigMap,
  V1Namespace,
  V1Service,
  ObservableMiddleware,
  RequestContext,
  ResponseContext,
  V1Deployment,
  V1ListMeta,
  V1Node,
} from '@kubernetes/client-node';
import type { Metrics } from '../../observability/metrics.ts';
import { isApiException, kubeFailureKind, retryAfterSeconds, translateKubeError } from './errors.ts';
import type { KubeContext } from './kubeconfig.ts';
import type { ClusterListing, KubeRef } from './normalize.ts';

/**
 * The SDK-bound part of the Kubernetes provider, loaded on its first call: one set of API clients
 * per kubeconfig context, every call counted and timed, bounded by a timeout, retried with
 * backoff on 429 (the client does not retry), and its failures translated to AppError. The
 * provider module imports this file only dynamically.
 */

/** The kinds a workflow writes into a namespace. */
export type WorkloadKind = 'configmap' | 'service' | 'deployment';
export type WorkloadObject<K extends WorkloadKind> = K extends 'configmap'
  ? V1ConfigMap
  : K extends 'service'
    ? V1Service
    : V1Deployment;

/** A 404 (already translated to not_found) read as "there is none". */
const absentAsNull = (e: unknown): null => {
  if ((e as { code?: unknown }).code === 'not_found') return null;
  throw e;
};

export interface RetrySettings {
  /** Attempts per call, the first included. */
  attempts: number;
  /** Longest wait between attempts, whatever Retry-After says. */
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export interface ContextSettings {
  metrics?: Metrics;
  timeoutMs: number;
  retry: RetrySettings;
}

type PatchType = (typeof PatchStrategy)[keyof typeof PatchStrategy];

/**
 * Per-call options: the abort signal (timeout and the caller's) and, for patches, the content
 * type. The ObjectParam API hands options to the observable layer, so the middleware answers
 * the client's own Observable (as its setHeaderOptions does).
 */
const callOptions = (signal: AbortSignal, contentType?: PatchType): ConfigurationOptions => {
  const middleware: ObservableMiddleware = {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(signal);
      if (contentType) ctx.setHeaderParam('Content-Type', contentType);
      return new Observable(Promise.resolve(ctx));
    },
    post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
};

interface Page<T> {
  items: T[];
  metadata?: V1ListMeta;
}

export class ContextApi {
  readonly context: KubeContext;
  readonly #settings: ContextSettings;
  readonly #core: CoreV1Api;
  readonly #apps: AppsV1Api;
  readonly #rbac: RbacAuthorizationV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #version: VersionApi;

  constructor(kubeconfig: string, context: KubeContext, settings: ContextSettings) {
    this.context = context;
    this.#settings = settings;
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfig);
    kc.setCurrentContext(context.name);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#apps = kc.makeApiClient(AppsV1Api);
    this.#rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#version = kc.makeApiClient(VersionApi);
  }

  /** One logical call: attempts with backoff on 429, a timeout per attempt, metrics, AppError on failure. */
  async call<T>(
    operation: string,
    doing: string,
    fn: (options: (contentType?: PatchType) => ConfigurationOptions) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const { metrics, timeoutMs, retry } = this.#settings;
    const started = performance.now();
    const observe = (outcome: string): void => {
      metrics?.cloudCalls.inc({ provider: 'kubernetes', operation, outcome });
      metrics?.cloudCallSeconds.observe(
        { provider: 'kubernetes', operation, outcome },
        (performance.now() - started) / 1000,
      );
    };
    for (let attempt = 1; ; attempt++) {
      try {
        signal?.throwIfAborted();
        const attemptSignal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]);
        const out = await fn((contentType) => callOptions(attemptSignal, contentType));
        observe('ok');
        return out;
      } catch (e) {
        if (isApiException(e) && e.code === 429 && attempt < retry.attempts && !signal?.aborted) {
          const asked = retryAfterSeconds(e);
          const backoff = asked !== undefined ? asked * 1000 : 200 * 2 ** (attempt - 1);
          await retry.sleep(Math.min(backoff, retry.maxDelayMs));
          continue;
        }
        observe(kubeFailureKind(e));
        throw translateKubeError(e, { context: this.context.name, server: this.context.server, doing, timeoutMs });
      }
    }
  }

  /** Every page of a list (limit/continue), as one array. */
  async listAll<T>(
    operation: string,
    what: string,
    page: (p: { limit: number; _continue?: string }, options: ConfigurationOptions) => Promise<Page<T>>,
    pageSize: number,
    signal?: AbortSignal,
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const res = await this.call(
        operation,
        `listing ${what}`,
        (o) => page({ limit: pageSize, _continue: token }, o()),
        signal,
      );
      for (const item of res.items) items.push(item);
      token = res.metadata?._continue || undefined;
    } while (token);
    return items;
  }

  /**
   * Every object type the inventory shows, each type listed in full (types in parallel). The
   * first failing type cancels the others: the listing fails as a whole anyway.
   */
  async listCluster(pageSize: number, signal?: AbortSignal): Promise<ClusterListing> {
    const core = this.#core;
    const apps = this.#apps;
    const rbac = this.#rbac;
    const failed = new AbortController();
    const sig = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
    const all = <T>(
      operation: string,
      what: string,
      page: (p: { limit: number; _continue?: string }, options: ConfigurationOptions) => Promise<Page<T>>,
    ): Promise<T[]> =>
      this.listAll(operation, what, page, pageSize, sig).catch((e: unknown) => {
        failed.abort();
        throw e;
      });
    const [
      nodes,
      namespaces,
      pods,
      services,
      persistentVolumes,
      volumeClaims,
      deployments,
      replicaSets,
      roles,
      clusterRoles,
      roleBindings,
      clusterRoleBindings,
      configMaps,
    ] = await Promise.all([
      all('listNode', 'nodes', (p, o) => core.listNode(p, o)),
      all('listNamespace', 'namespaces', (p, o) => core.listNamespace(p, o)),
      all('listPodForAllNamespaces', 'pods', (p, o) => core.listPodForAllNamespaces(p, o)),
      all('listServiceForAllNamespaces', 'services', (p, o) => core.listServiceForAllNamespaces(p, o)),
      all('listPersistentVolume', 'persistent volumes', (p, o) => core.listPersistentVolume(p, o)),
      all('listPersistentVolumeClaimForAllNamespaces', 'persistent volume claims', (p, o) =>
        core.listPersistentVolumeClaimForAllNamespaces(p, o),
      ),
      all('listDeploymentForAllNamespaces', 'deployments', (p, o) => apps.listDeploymentForAllNamespaces(p, o)),
      all('listReplicaSetForAllNamespaces', 'replica sets', (p, o) => apps.listReplicaSetForAllNamespaces(p, o)),
      all('listRoleForAllNamespaces', 'roles', (p, o) => rbac.listRoleForAllNamespaces(p, o)),
      all('listClusterRole', 'cluster roles', (p, o) => rbac.listClusterRole(p, o)),
      all('listRoleBindingForAllNamespaces', 'role bindings', (p, o) => rbac.listRoleBindingForAllNamespaces(p, o)),
      all('listClusterRoleBinding', 'cluster role bindings', (p, o) => rbac.listClusterRoleBinding(p, o)),
      all('listConfigMapForAllNamespaces', 'config maps', (p, o) => core.listConfigMapForAllNamespaces(p, o)),
    ]);
    return {
      nodes,
      namespaces,
      pods,
      services,
      persistentVolumes,
      volumeClaims,
      deployments,
      replicaSets,
      roles,
      clusterRoles,
      roleBindings,
      clusterRoleBindings,
      configMaps,
    };
  }

  /** One object by its ref, with what normalizing it needs (its namespace's labels, a deployment's ReplicaSets). */
  async readOne(ref: KubeRef, doing: string): Promise<Partial<ClusterListing>> {
    const ns = ref.namespace ?? '';
    const { name } = ref;
    const core = this.#core;
    const rbac = this.#rbac;
    const namespace = async () =>
      ref.namespace
        ? this.call('readNamespace', doing, (o) => core.readNamespace({ name: ns }, o())).then(
            (n) => [n],
            () => [],
          )
        : [];
    switch (ref.kind) {
      case 'node':
        return { nodes: [await this.readNode(name, doing)] };
      case 'namespace':
        return { namespaces: [await this.call('readNamespace', doing, (o) => core.readNamespace({ name }, o()))] };
      case 'persistentvolume':
        return {
          persistentVolumes: [
            await this.call('readPersistentVolume', doing, (o) => core.readPersistentVolume({ name }, o())),
          ],
        };
      case 'clusterrole':
        return {
          clusterRoles: [await this.call('readClusterRole', doing, (o) => rbac.readClusterRole({ name }, o()))],
        };
      case 'clusterrolebinding':
        return {
          clusterRoleBindings: [
            await this.call('readClusterRoleBinding', doing, (o) => rbac.readClusterRoleBinding({ name }, o())),
          ],
        };
      case 'deployment': {
        const d = await this.readDeployment(ns, name, doing);
        return { deployments: [d], replicaSets: await this.replicaSetsOf(d, doing), namespaces: await namespace() };
      }
      case 'pod': {
        const p = await this.call('readNamespacedPod', doing, (o) =>
          core.readNamespacedPod({ name, namespace: ns }, o()),
        );
        const rsName = p.metadata?.ownerReferences?.find((r) => r.kind === 'ReplicaSet')?.name;
        const replicaSets = rsName
          ? await this.call('readNamespacedReplicaSet', doing, (o) =>
              this.#apps.readNamespacedReplicaSet({ name: rsName, namespace: ns }, o()),
            ).then(
              (rs) => [rs],
              () => [],
            )
          : [];
        return { pods: [p], replicaSets, namespaces: await namespace() };
      }
      case 'service':
        return {
          services: [
            await this.call('readNamespacedService', doing, (o) =>
              core.readNamespacedService({ name, namespace: ns }, o()),
            ),
          ],
          namespaces: await namespace(),
        };
      case 'persistentvolumeclaim':
        return {
          volumeClaims: [
            await this.call('readNamespacedPersistentVolumeClaim', doing, (o) =>
              core.readNamespacedPersistentVolumeClaim({ name, namespace: ns }, o()),
            ),
          ],
          namespaces: await namespace(),
        };
      case 'role':
        return {
          roles: [
            await this.call('readNamespacedRole', doing, (o) => rbac.readNamespacedRole({ name, namespace: ns }, o())),
          ],
          namespaces: await namespace(),
        };
      case 'rolebinding':
        return {
          roleBindings: [
            await this.call('readNamespacedRoleBinding', doing, (o) =>
              rbac.readNamespacedRoleBinding({ name, namespace: ns }, o()),
            ),
          ],
          namespaces: await namespace(),
        };
      case 'configmap':
        return {
          configMaps: [
            await this.call('readNamespacedConfigMap', doing, (o) =>
              core.readNamespacedConfigMap({ name, namespace: ns }, o()),
            ),
          ],
          namespaces: await namespace(),
        };
      case 'cluster':
        // The cluster is not an API object: the provider describes it from /version (`serverVersion`).
        return {};
    }
  }

  /** The API server's version (GET /version): what answers when the cluster is reachable. */
  serverVersion(doing: string): Promise<{ gitVersion: string }> {
    return this.call('getCode', doing, (o) => this.#version.getCode(o()));
  }

  /** A namespace, or null when there is none. */
  readNamespace(name: string, doing: string): Promise<V1Namespace | null> {
    return this.call('readNamespace', doing, (o) => this.#core.readNamespace({ name }, o())).catch(absentAsNull);
  }

  createNamespace(body: V1Namespace, doing: string): Promise<V1Namespace> {
    return this.call('createNamespace', doing, (o) => this.#core.createNamespace({ body }, o()));
  }

  async deleteNamespace(name: string, doing: string): Promise<void> {
    await this.call('deleteNamespace', doing, (o) => this.#core.deleteNamespace({ name }, o()));
  }

  /** A config map, service or deployment of a namespace, or null when there is none. */
  readWorkload<K extends WorkloadKind>(kind: K, namespace: string, name: string, doing: string) {
    const p = { name, namespace };
    const call = (): Promise<WorkloadObject<K>> => {
      switch (kind) {
        case 'configmap':
          return this.call('readNamespacedConfigMap', doing, (o) =>
            this.#core.readNamespacedConfigMap(p, o()),
          ) as never;
        case 'service':
          return this.call('readNamespacedService', doing, (o) => this.#core.readNamespacedService(p, o())) as never;
        default:
          return this.readDeployment(namespace, name, doing) as never;
      }
    };
    return call().catch(absentAsNull);
  }

  /** POST: a new config map, service or deployment (409 AlreadyExists → conflict). */
  createWorkload<K extends WorkloadKind>(
    kind: K,
    namespace: string,
    body: WorkloadObject<K>,
    doing: string,
  ): Promise<WorkloadObject<K>> {
    switch (kind) {
      case 'configmap':
        return this.call('createNamespacedConfigMap', doing, (o) =>
          this.#core.createNamespacedConfigMap({ namespace, body: body as V1ConfigMap }, o()),
        ) as never;
      case 'service':
        return this.call('createNamespacedService', doing, (o) =>
          this.#core.createNamespacedService({ namespace, body: body as V1Service }, o()),
        ) as never;
      default:
        return this.call('createNamespacedDeployment', doing, (o) =>
          this.#apps.createNamespacedDeployment({ namespace, body: body as V1Deployment }, o()),
        ) as never;
    }
  }

  /** PUT: the whole object replaced (a resourceVersion in the body makes it conditional). */
  replaceWorkload<K extends WorkloadKind>(
    kind: K,
    namespace: string,
    name: string,
    body: WorkloadObject<K>,
    doing: string,
  ): Promise<WorkloadObject<K>> {
    switch (kind) {
      case 'configmap':
        return this.call('replaceNamespacedConfigMap', doing, (o) =>
          this.#core.replaceNamespacedConfigMap({ name, namespace, body: body as V1ConfigMap }, o()),
        ) as never;
      case 'service':
        return this.call('replaceNamespacedService', doing, (o) =>
          this.#core.replaceNamespacedService({ name, namespace, body: body as V1Service }, o()),
        ) as never;
      default:
        return this.call('replaceNamespacedDeployment', doing, (o) =>
          this.#apps.replaceNamespacedDeployment({ name, namespace, body: body as V1Deployment }, o()),
        ) as never;
    }
  }

  /** DELETE (a deployment's ReplicaSets and pods go with it: background propagation). */
  async deleteWorkload(kind: WorkloadKind, namespace: string, name: string, doing: string): Promise<void> {
    const p = { name, namespace };
    switch (kind) {
      case 'configmap':
        await this.call('deleteNamespacedConfigMap', doing, (o) => this.#core.deleteNamespacedConfigMap(p, o()));
        return;
      case 'service':
        await this.call('deleteNamespacedService', doing, (o) => this.#core.deleteNamespacedService(p, o()));
        return;
      default:
        await this.call('deleteNamespacedDeployment', doing, (o) =>
          this.#apps.deleteNamespacedDeployment({ ...p, propagationPolicy: 'Background' }, o()),
        );
    }
  }

  readDeployment(namespace: string, name: string, doing: string): Promise<V1Deployment> {
    return this.call('readNamespacedDeployment', doing, (o) =>
      this.#apps.readNamespacedDeployment({ name, namespace }, o()),
    );
  }

  /** The deployment's ReplicaSets (by its selector, kept only when it owns them). */
  async replicaSetsOf(d: V1Deployment, doing: string) {
    const labelSelector = Object.entries(d.spec?.selector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const namespace = d.metadata?.namespace ?? 'default';
    const all = await this.listAll(
      'listNamespacedReplicaSet',
      `the replica sets of ${namespace}/${d.metadata?.name ?? ''} (${doing})`,
      (p, o) => this.#apps.listNamespacedReplicaSet({ ...p, namespace, labelSelector }, o),
      500,
    );
    return all.filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid));
  }

  scaleDeployment(namespace: string, name: string, replicas: number, doing: string) {
    return this.call('patchNamespacedDeploymentScale', doing, (o) =>
      this.#apps.patchNamespacedDeploymentScale(
        { name, namespace, body: { spec: { replicas } } },
        o(PatchStrategy.MergePatch),
      ),
    );
  }

  readReplicaSet(namespace: string, name: string, doing: string) {
    return this.call('readNamespacedReplicaSet', doing, (o) =>
      this.#apps.readNamespacedReplicaSet({ name, namespace }, o()),
    );
  }

  /** The pods of a namespace that match `labelSelector` (`k=v,k2=v2`). */
  podsMatching(namespace: string, labelSelector: string, doing: string) {
    return this.listAll(
      'listNamespacedPod',
      `the pods of ${namespace} matching ${labelSelector} (${doing})`,
      (p, o) => this.#core.listNamespacedPod({ ...p, namespace, labelSelector }, o),
      500,
    );
  }

  /** A strategic merge patch of the deployment (how kubectl writes rollout restarts). */
  patchDeployment(
    namespace: string,
    name: string,
    body: object,
    doing: string,
    type: PatchType = PatchStrategy.StrategicMergePatch,
  ) {
    return this.call('patchNamespacedDeployment', doing, (o) =>
      this.#apps.patchNamespacedDeployment({ name, namespace, body }, o(type)),
    );
  }

  readNode(name: string, doing: string): Promise<V1Node> {
    return this.call('readNode', doing, (o) => this.#core.readNode({ name }, o()));
  }

  /** `kubectl cordon` / `uncordon`: spec.unschedulable through a strategic merge patch. */
  setUnschedulable(name: string, unschedulable: boolean, doing: string): Promise<V1Node> {
    return this.call('patchNode', doing, (o) =>
      this.#core.patchNode({ name, body: { spec: { unschedulable } } }, o(PatchStrategy.StrategicMergePatch)),
    );
  }

  /** metrics.k8s.io lists (as untyped JSON: the provider validates them); null when the cluster has no metrics API. */
  async metricsLists(signal?: AbortSignal): Promise<{ nodes: unknown; pods: unknown } | null> {
    const list = (plural: 'nodes' | 'pods') =>
      this.call(
        `listMetrics${plural === 'nodes' ? 'Nodes' : 'Pods'}`,
        `reading ${plural === 'nodes' ? 'node' : 'pod'} metrics`,
        (o) =>
          this.#custom.listClusterCustomObject(
            { group: 'metrics.k8s.io', version: 'v1beta1', plural },
            o(),
          ) as Promise<unknown>,
        signal,
      );
    try {
      const [nodes, pods] = await Promise.all([list('nodes'), list('pods')]);
      return { nodes, pods };
    } catch (e) {
      // A cluster without metrics-server has no metrics.k8s.io group: the API server answers 404.
      if ((e as { code?: unknown }).code === 'not_found') return null;
      throw e;
    }
  }
}
