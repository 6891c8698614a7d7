import type {
  V1ClusterRole,
  V1ConfigMap,
  V1ClusterRoleBinding,
  V1Container,
  V1Deployment,
  V1Namespace,
  V1Node,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PolicyRule,
  V1ReplicaSet,
  V1ResourceRequirements,
  V1Role,
  V1RoleBinding,
  V1Service,
} from '@kubernetes/client-node';
import { environmentFromTags } from '../resource.ts';
import type { Resource, ResourceType } from '../resource.ts';
import { bytes, cpuMillicores } from './quantity.ts';

/**
 * Kubernetes objects (as @kubernetes/client-node deserializes them: timestamps are Dates) →
 * normalized Resources. Ids are unique within a context: `<namespace>/<kind>/<name>` for
 * namespaced objects and `<kind>/<name>` for cluster-scoped ones, kind being the lowercase
 * Kubernetes kind (`web/deployment/frontend`, `node/ip-10-0-1-5`, `clusterrolebinding/admins`).
 * Labels are the tags; a namespaced object without an env label takes its namespace's.
 * Kubernetes objects cost nothing themselves (a node's cost is its VM's), so the cost is 0.
 */

export interface NormalizeContext {
  /** Kubeconfig context: the resource's account. */
  context: string;
  /** Cluster name: the resource's region. */
  cluster: string;
  seenAt: Date;
  /** Labels of each namespace, for the environment of objects that carry none. */
  namespaceLabels?: ReadonlyMap<string, Record<string, string>>;
}

/** The kind words used in ids. */
export type KubeKind =
  | 'node'
  | 'namespace'
  | 'persistentvolume'
  | 'clusterrole'
  | 'clusterrolebinding'
  | 'pod'
  | 'deployment'
  | 'service'
  | 'persistentvolumeclaim'
  | 'role'
  | 'rolebinding'
  | 'configmap'
  | 'cluster';

export const clusterScopedKinds: readonly KubeKind[] = [
  'cluster',
  'node',
  'namespace',
  'persistentvolume',
  'clusterrole',
  'clusterrolebinding',
];

export const typeOfKind: Record<KubeKind, ResourceType> = {
  node: 'node',
  namespace: 'namespace',
  persistentvolume: 'persistent_volume',
  clusterrole: 'role',
  clusterrolebinding: 'role_binding',
  pod: 'pod',
  deployment: 'deployment',
  service: 'service',
  persistentvolumeclaim: 'volume_claim',
  role: 'role',
  rolebinding: 'role_binding',
  configmap: 'config_map',
  cluster: 'cluster',
};

export interface KubeRef {
  kind: KubeKind;
  name: string;
  namespace?: string;
}

export const idOf = (ref: KubeRef): string =>
  ref.namespace ? `${ref.namespace}/${ref.kind}/${ref.name}` : `${ref.kind}/${ref.name}`;

/** `web/deployment/frontend` → its parts; undefined when the id is not one of ours. */
export const parseId = (id: string): KubeRef | undefined => {
  const parts = id.split('/');
  const known = (k: string | undefined): k is KubeKind => k !== undefined && k in typeOfKind;
  if (parts.length === 2 && known(parts[0]) && clusterScopedKinds.includes(parts[0]) && parts[1])
    return { kind: parts[0], name: parts[1] };
  if (parts.length === 3 && parts[0] && known(parts[1]) && !clusterScopedKinds.includes(parts[1]) && parts[2])
    return { namespace: parts[0], kind: parts[1], name: parts[2] };
  return undefined;
};

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const restartedAtAnnotation = 'kubectl.kubernetes.io/restartedAt';
export const nodeCostNote =
  "Kubernetes does not bill nodes: a node's cost is that of the VM behind it, listed by its cloud.";

const iso = (d: Date | string | undefined): string | null =>
  d === undefined ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();

interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  creationTimestamp?: Date;
}

const base = (
  ctx: NormalizeContext,
  kind: KubeKind,
  meta: Meta | undefined,
  state: string,
  attributes: Record<string, unknown>,
): Resource => {
  const name = meta?.name ?? '';
  const namespace = clusterScopedKinds.includes(kind) ? undefined : (meta?.namespace ?? 'default');
  const tags = { ...meta?.labels };
  let environment = environmentFromTags(tags);
  if (environment === 'unknown' && namespace)
    environment = environmentFromTags(ctx.namespaceLabels?.get(namespace) ?? {});
  return {
    provider: 'kubernetes',
    account: ctx.context,
    region: ctx.cluster,
    type: typeOfKind[kind],
    id: idOf({ kind, name, namespace }),
    name,
    state,
    tags,
    environment,
    monthlyCostCents: 0,
    attributes: {
      ...(namespace ? { namespace } : {}),
      kind,
      createdAt: iso(meta?.creationTimestamp),
      ...attributes,
    },
    seenAt: ctx.seenAt,
  };
};

/** Raw quantities with their parsed numbers (cpu in millicores, memory in bytes). */
const resourceList = (list: Record<string, string> | undefined) =>
  list
    ? {
        ...list,
        ...(list.cpu !== undefined ? { cpuMillicores: cpuMillicores(list.cpu) ?? null } : {}),
        ...(list.memory !== undefined ? { memoryBytes: bytes(list.memory) ?? null } : {}),
      }
    : null;

// ---- nodes

export const nodeState = (n: V1Node): 'ready' | 'not_ready' | 'cordoned' => {
  if (n.spec?.unschedulable) return 'cordoned';
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? 'ready' : 'not_ready';
};

export const normalizeNode = (n: V1Node, ctx: NormalizeContext): Resource => {
  const conditions = (n.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason ?? null,
    message: c.message ?? null,
  }));
  const labels = n.metadata?.labels ?? {};
  return base(ctx, 'node', n.metadata, nodeState(n), {
    ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    unschedulable: n.spec?.unschedulable ?? false,
    capacity: resourceList(n.status?.capacity),
    allocatable: resourceList(n.status?.allocatable),
    conditions,
    /** Pressure conditions that are on (MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable). */
    problems: conditions.filter((c) => c.type !== 'Ready' && c.status === 'True').map((c) => c.type),
    kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? null,
    osImage: n.status?.nodeInfo?.osImage ?? null,
    containerRuntime: n.status?.nodeInfo?.containerRuntimeVersion ?? null,
    instanceType: labels['node.kubernetes.io/instance-type'] ?? labels['beta.kubernetes.io/instance-type'] ?? null,
    zone: labels['topology.kubernetes.io/zone'] ?? null,
    internalIp: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? null,
    providerId: n.spec?.providerID ?? null,
    taints: (n.spec?.taints ?? []).map((t) => ({ key: t.key, value: t.value ?? null, effect: t.effect })),
    costNote: nodeCostNote,
  });
};

// ---- namespaces

export const normalizeNamespace = (ns: V1Namespace, ctx: NormalizeContext): Resource =>
  base(ctx, 'namespace', ns.metadata, (ns.status?.phase ?? 'Active').toLowerCase(), {});

// ---- containers (deployments and pods)

const containerResources = (c: V1Container) => {
  const r: V1ResourceRequirements | undefined = c.resources;
  const requests = resourceList(r?.requests);
  const limits = resourceList(r?.limits);
  return {
    name: c.name,
    image: c.image ?? null,
    requests,
    limits,
    hasRequests: Boolean(r?.requests?.cpu || r?.requests?.memory),
    hasLimits: Boolean(r?.limits?.cpu || r?.limits?.memory),
  };
};

// ---- deployments

export type RolloutState = 'available' | 'progressing' | 'degraded';

/** Rollout as `kubectl rollout status` judges it, plus a deadline exceeded or nothing available = degraded. */
export const rolloutOf = (d: V1Deployment): { state: RolloutState; message: string } => {
  const name = d.metadata?.name ?? '';
  const desired = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { state: 'degraded', message: `deployment "${name}" exceeded its progress deadline` };
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0))
    return { state: 'progressing', message: 'Waiting for deployment spec update to be observed...' };
  if (updated < desired)
    return {
      state: 'progressing',
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
    };
  if ((s.replicas ?? 0) > updated)
    return {
      state: 'progressing',
      message: `Waiting for deployment "${name}" rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination...`,
    };
  if (available < updated) {
    const waiting = `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`;
    return { state: desired > 0 && available === 0 ? 'degraded' : 'progressing', message: waiting };
  }
  return { state: 'available', message: `deployment "${name}" successfully rolled out` };
};

const ownedBy = (owner: { metadata?: { uid?: string } }, o: { metadata?: { ownerReferences?: { uid: string }[] } }) =>
  owner.metadata?.uid !== undefined && (o.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.metadata!.uid);

/** The deployment's ReplicaSets, newest revision first: its rollout history. */
export const historyOf = (d: V1Deployment, replicaSets: readonly V1ReplicaSet[]) =>
  replicaSets
    .filter((rs) => ownedBy(d, rs))
    .map((rs) => ({
      revision: Number(rs.metadata?.annotations?.[revisionAnnotation] ?? 0),
      replicaSet: rs.metadata?.name ?? '',
      images: (rs.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ''),
      replicas: rs.spec?.replicas ?? 0,
      createdAt: iso(rs.metadata?.creationTimestamp),
    }))
    .sort((a, b) => b.revision - a.revision);

export const normalizeDeployment = (
  d: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
  ctx: NormalizeContext,
): Resource => {
  const containers = (d.spec?.template?.spec?.containers ?? []).map(containerResources);
  const rollout = rolloutOf(d);
  const s = d.status ?? {};
  const revision = d.metadata?.annotations?.[revisionAnnotation];
  return base(ctx, 'deployment', d.metadata, rollout.state, {
    replicas: {
      desired: d.spec?.replicas ?? 1,
      current: s.replicas ?? 0,
      ready: s.readyReplicas ?? 0,
      updated: s.updatedReplicas ?? 0,
      available: s.availableReplicas ?? 0,
    },
    images: containers.map((c) => c.image),
    revision: revision === undefined ? null : Number(revision),
    rolloutStatus: rollout.message,
    history: historyOf(d, replicaSets),
    containers,
    /** Containers with neither a CPU nor a memory request: the scheduler places them blind. */
    containersWithoutRequests: containers.filter((c) => !c.hasRequests).map((c) => c.name),
    containersWithoutLimits: containers.filter((c) => !c.hasLimits).map((c) => c.name),
    selector: d.spec?.selector?.matchLabels ?? {},
    strategy: d.spec?.strategy?.type ?? null,
    restartedAt: d.spec?.template?.metadata?.annotations?.[restartedAtAnnotation] ?? null,
    conditions: (s.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason ?? null,
      message: c.message ?? null,
    })),
  });
};

// ---- pods

/** Why a pod is unwell, from its containers: CrashLoopBackOff, ImagePullBackOff, OOMKilled, … (null when fine). */
export const podReason = (p: V1Pod): string | null => {
  const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  const waiting = statuses.find((c) => c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing');
  if (waiting) return waiting.state!.waiting!.reason!;
  const terminated = statuses.find((c) => c.state?.terminated?.reason && c.state.terminated.exitCode !== 0);
  if (terminated) return terminated.state!.terminated!.reason!;
  return p.status?.reason ?? null;
};

/** The pod's owner deployment, through its ReplicaSet (`rsOwners`: ReplicaSet name → deployment name, per namespace). */
export const ownerDeployment = (p: V1Pod, rsOwners: ReadonlyMap<string, string>): string | null => {
  const rs = p.metadata?.ownerReferences?.find((r) => r.kind === 'ReplicaSet');
  if (!rs) return null;
  const known = rsOwners.get(`${p.metadata?.namespace ?? ''}/${rs.name}`);
  if (known) return known;
  const hash = p.metadata?.labels?.['pod-template-hash'];
  return hash && rs.name.endsWith(`-${hash}`) ? rs.name.slice(0, -hash.length - 1) : null;
};

/** ReplicaSet `namespace/name` → owning deployment's name. */
export const replicaSetOwners = (replicaSets: readonly V1ReplicaSet[]): Map<string, string> =>
  new Map(
    replicaSets.flatMap((rs) => {
      const owner = rs.metadata?.ownerReferences?.find((r) => r.kind === 'Deployment');
      return owner ? [[`${rs.metadata?.namespace ?? ''}/${rs.metadata?.name ?? ''}`, owner.name] as const] : [];
    }),
  );

export const normalizePod = (p: V1Pod, rsOwners: ReadonlyMap<string, string>, ctx: NormalizeContext): Resource => {
  const spec = p.spec;
  const statuses = p.status?.containerStatuses ?? [];
  const containers = (spec?.containers ?? []).map((c) => {
    const st = statuses.find((s) => s.name === c.name);
    return {
      ...containerResources(c),
      ready: st?.ready ?? false,
      restarts: st?.restartCount ?? 0,
      state: st?.state?.running
        ? 'running'
        : st?.state?.waiting
          ? 'waiting'
          : st?.state?.terminated
            ? 'terminated'
            : 'unknown',
      reason: st?.state?.waiting?.reason ?? st?.state?.terminated?.reason ?? null,
      privileged: c.securityContext?.privileged ?? false,
      runAsNonRoot: c.securityContext?.runAsNonRoot ?? spec?.securityContext?.runAsNonRoot ?? null,
      allowPrivilegeEscalation: c.securityContext?.allowPrivilegeEscalation ?? null,
    };
  });
  const reason = podReason(p);
  const phase = p.status?.phase ?? 'Unknown';
  const waitingReason = statuses.find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
  return base(ctx, 'pod', p.metadata, (waitingReason ?? phase).toLowerCase(), {
    phase,
    reason,
    restarts: containers.reduce((n, c) => n + c.restarts, 0),
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    node: spec?.nodeName ?? null,
    podIp: p.status?.podIP ?? null,
    startTime: iso(p.status?.startTime),
    qosClass: p.status?.qosClass ?? null,
    ownerDeployment: ownerDeployment(p, rsOwners),
    ownerKind: p.metadata?.ownerReferences?.[0]?.kind ?? null,
    serviceAccount: spec?.serviceAccountName ?? null,
    containers,
    containersWithoutRequests: containers.filter((c) => !c.hasRequests).map((c) => c.name),
    securityContext: {
      /** True when any container runs privileged. */
      privileged: containers.some((c) => c.privileged),
      /** True only when every container is required to run as non-root. */
      runAsNonRoot: containers.length > 0 && containers.every((c) => c.runAsNonRoot === true),
      hostNetwork: spec?.hostNetwork ?? false,
      hostPID: spec?.hostPID ?? false,
      hostIPC: spec?.hostIPC ?? false,
    },
  });
};

// ---- services

export const normalizeService = (s: V1Service, ctx: NormalizeContext): Resource => {
  const type = s.spec?.type ?? 'ClusterIP';
  const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.hostname ?? i.ip ?? '').filter(Boolean);
  const external = [...ingress, ...(s.spec?.externalIPs ?? [])];
  return base(ctx, 'service', s.metadata, type === 'LoadBalancer' && ingress.length === 0 ? 'pending' : 'active', {
    serviceType: type,
    clusterIp: s.spec?.clusterIP ?? null,
    ports: (s.spec?.ports ?? []).map((p) => ({
      name: p.name ?? null,
      port: p.port,
      targetPort: p.targetPort ?? null,
      protocol: p.protocol ?? 'TCP',
      nodePort: p.nodePort ?? null,
    })),
    external,
    /** Reachable from outside the cluster: a load balancer, node ports or external IPs. */
    exposed: type === 'LoadBalancer' || type === 'NodePort' || external.length > 0,
    selector: s.spec?.selector ?? {},
  });
};

// ---- storage

export const normalizePersistentVolume = (pv: V1PersistentVolume, ctx: NormalizeContext): Resource => {
  const capacity = pv.spec?.capacity?.storage ?? null;
  const claim = pv.spec?.claimRef;
  return base(ctx, 'persistentvolume', pv.metadata, (pv.status?.phase ?? 'Unknown').toLowerCase(), {
    phase: pv.status?.phase ?? null,
    capacity,
    capacityBytes: bytes(capacity) ?? null,
    claim: claim?.name ? `${claim.namespace ?? 'default'}/${claim.name}` : null,
    storageClass: pv.spec?.storageClassName ?? null,
    reclaimPolicy: pv.spec?.persistentVolumeReclaimPolicy ?? null,
    accessModes: pv.spec?.accessModes ?? [],
    volumeHandle: pv.spec?.csi?.volumeHandle ?? null,
  });
};

export const normalizeVolumeClaim = (pvc: V1PersistentVolumeClaim, ctx: NormalizeContext): Resource => {
  const capacity = pvc.status?.capacity?.storage ?? pvc.spec?.resources?.requests?.storage ?? null;
  return base(ctx, 'persistentvolumeclaim', pvc.metadata, (pvc.status?.phase ?? 'Unknown').toLowerCase(), {
    phase: pvc.status?.phase ?? null,
    capacity,
    capacityBytes: bytes(capacity) ?? null,
    storageClass: pvc.spec?.storageClassName ?? null,
    volumeName: pvc.spec?.volumeName ?? null,
    accessModes: pvc.spec?.accessModes ?? [],
  });
};

// ---- RBAC

const rules = (list: V1PolicyRule[] | undefined) =>
  (list ?? []).map((r) => ({
    apiGroups: r.apiGroups ?? [],
    resources: r.resources ?? [],
    verbs: r.verbs,
    ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
    ...(r.nonResourceURLs ? { nonResourceURLs: r.nonResourceURLs } : {}),
  }));

export const normalizeRole = (r: V1Role | V1ClusterRole, clusterScoped: boolean, ctx: NormalizeContext): Resource => {
  const list = rules(r.rules);
  return base(ctx, clusterScoped ? 'clusterrole' : 'role', r.metadata, 'active', {
    scope: clusterScoped ? 'cluster' : 'namespace',
    rules: list,
    /** Any rule granting every verb or every resource. */
    wildcard: list.some((x) => x.verbs.includes('*') || x.resources.includes('*')),
  });
};

export const normalizeRoleBinding = (
  b: V1RoleBinding | V1ClusterRoleBinding,
  clusterScoped: boolean,
  ctx: NormalizeContext,
): Resource =>
  base(ctx, clusterScoped ? 'clusterrolebinding' : 'rolebinding', b.metadata, 'active', {
    scope: clusterScoped ? 'cluster' : 'namespace',
    roleRef: { kind: b.roleRef.kind, name: b.roleRef.name },
    subjects: (b.subjects ?? []).map((s) => ({
      kind: s.kind,
      name: s.name,
      ...(s.namespace ? { namespace: s.namespace } : {}),
    })),
    grantsClusterAdmin: b.roleRef.kind === 'ClusterRole' && b.roleRef.name === 'cluster-admin',
  });

// ---- config maps

/** A config map: its keys and size, never its values (configuration is not inventory). */
export const normalizeConfigMap = (c: V1ConfigMap, ctx: NormalizeContext): Resource => {
  const data = c.data ?? {};
  const binary = c.binaryData ?? {};
  return base(ctx, 'configmap', c.metadata, 'active', {
    keys: [...Object.keys(data), ...Object.keys(binary)].sort(),
    sizeBytes:
      Object.values(data).reduce((n, v) => n + Buffer.byteLength(v), 0) +
      Object.values(binary).reduce((n, v) => n + Math.floor((v.length * 3) / 4), 0),
  });
};

// ---- the cluster itself

/**
 * The cluster behind a context, as one resource (`cluster/<cluster name>`, named after the
 * context): what a workflow acts on to create namespaces. `active` when its API server answered,
 * `unreachable` when it did not.
 */
export const clusterResource = (
  ctx: NormalizeContext,
  o: { server: string; reachable: boolean; version?: string | undefined; reason?: string | undefined },
): Resource => ({
  ...base(ctx, 'cluster', { name: ctx.cluster }, o.reachable ? 'active' : 'unreachable', {
    context: ctx.context,
    server: o.server,
    version: o.version ?? null,
    ...(o.reason ? { unreachable: o.reason } : {}),
  }),
  name: ctx.context,
});

// ---- a whole cluster

export interface ClusterListing {
  nodes: V1Node[];
  namespaces: V1Namespace[];
  pods: V1Pod[];
  services: V1Service[];
  persistentVolumes: V1PersistentVolume[];
  volumeClaims: V1PersistentVolumeClaim[];
  deployments: V1Deployment[];
  replicaSets: V1ReplicaSet[];
  roles: V1Role[];
  clusterRoles: V1ClusterRole[];
  roleBindings: V1RoleBinding[];
  clusterRoleBindings: V1ClusterRoleBinding[];
  /** Absent in listings made before config maps were listed (and in tests that leave them out). */
  configMaps?: V1ConfigMap[];
}

export const namespaceLabelsOf = (namespaces: readonly V1Namespace[]): Map<string, Record<string, string>> =>
  new Map(namespaces.map((n) => [n.metadata?.name ?? '', n.metadata?.labels ?? {}]));

/** Every object of one context as Resources (ReplicaSets feed deployment history and pod owners; they are not listed). */
export const normalizeCluster = (l: ClusterListing, ctx: Omit<NormalizeContext, 'namespaceLabels'>): Resource[] => {
  const c: NormalizeContext = { ...ctx, namespaceLabels: namespaceLabelsOf(l.namespaces) };
  const rsOwners = replicaSetOwners(l.replicaSets);
  const rsByNamespace = new Map<string, V1ReplicaSet[]>();
  for (const rs of l.replicaSets) {
    const ns = rs.metadata?.namespace ?? '';
    const list = rsByNamespace.get(ns);
    if (list) list.push(rs);
    else rsByNamespace.set(ns, [rs]);
  }
  return [
    ...l.nodes.map((n) => normalizeNode(n, c)),
    ...l.namespaces.map((n) => normalizeNamespace(n, c)),
    ...l.deployments.map((d) => normalizeDeployment(d, rsByNamespace.get(d.metadata?.namespace ?? '') ?? [], c)),
    ...l.pods.map((p) => normalizePod(p, rsOwners, c)),
    ...l.services.map((s) => normalizeService(s, c)),
    ...l.persistentVolumes.map((v) => normalizePersistentVolume(v, c)),
    ...l.volumeClaims.map((v) => normalizeVolumeClaim(v, c)),
    ...l.clusterRoles.map((r) => normalizeRole(r, true, c)),
    ...l.roles.map((r) => normalizeRole(r, false, c)),
    ...l.clusterRoleBindings.map((b) => normalizeRoleBinding(b, true, c)),
    ...l.roleBindings.map((b) => normalizeRoleBinding(b, false, c)),
    ...(l.configMaps ?? []).map((m) => normalizeConfigMap(m, c)),
  ];
};
