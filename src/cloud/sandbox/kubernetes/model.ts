import { createHash } from 'node:crypto';

/**
 * The Kubernetes emulator's in-memory clusters: plain JSON objects shaped as the API server
 * serves them (apiVersion, kind, metadata, spec, status), kept per resource plural. Tests may reach
 * into a cluster's `objects` to arrange odd cases (10,000 pods, a deployment that vanished).
 */

export type Labels = Record<string, string>;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  labels?: Labels;
  annotations?: Labels;
  ownerReferences?: OwnerReference[];
}

/** Any served object. Fields beyond metadata stay JSON: the emulator only reads what its controllers need. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

/** The resource plurals the emulator serves (metrics.k8s.io is computed, not stored). */
export const plurals = [
  'nodes',
  'namespaces',
  'pods',
  'services',
  'persistentvolumes',
  'persistentvolumeclaims',
  'deployments',
  'replicasets',
  'roles',
  'clusterroles',
  'rolebindings',
  'clusterrolebindings',
  'configmaps',
  'secrets',
] as const;
export type Plural = (typeof plurals)[number];

export interface ResourceDef {
  group: string;
  version: string;
  plural: Plural;
  kind: string;
  namespaced: boolean;
}

const core = (plural: Plural, kind: string, namespaced: boolean): ResourceDef => ({
  group: '',
  version: 'v1',
  plural,
  kind,
  namespaced,
});
const apps = (plural: Plural, kind: string): ResourceDef => ({
  group: 'apps',
  version: 'v1',
  plural,
  kind,
  namespaced: true,
});
const rbac = (plural: Plural, kind: string, namespaced: boolean): ResourceDef => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced,
});

export const resourceDefs: readonly ResourceDef[] = [
  core('nodes', 'Node', false),
  core('namespaces', 'Namespace', false),
  core('pods', 'Pod', true),
  core('services', 'Service', true),
  core('persistentvolumes', 'PersistentVolume', false),
  core('persistentvolumeclaims', 'PersistentVolumeClaim', true),
  apps('deployments', 'Deployment'),
  apps('replicasets', 'ReplicaSet'),
  rbac('roles', 'Role', true),
  rbac('clusterroles', 'ClusterRole', false),
  rbac('rolebindings', 'RoleBinding', true),
  rbac('clusterrolebindings', 'ClusterRoleBinding', false),
  core('configmaps', 'ConfigMap', true),
  core('secrets', 'Secret', true),
];

export const apiVersionOf = (def: ResourceDef): string => (def.group ? `${def.group}/${def.version}` : def.version);

/** How a container whose image is listed fails, as the kubelet reports it. */
export type ImageFault = 'ImagePullBackOff' | 'CrashLoopBackOff';
/**
 * Why a pod does not start: its image (above), a Secret or key its environment names that is not
 * there (CreateContainerConfigError), or a ConfigMap volume that cannot be mounted (it stays
 * ContainerCreating).
 */
export type PodFault = ImageFault | 'CreateContainerConfigError' | 'ContainerCreating';

/** One cluster to serve: its objects, its token, and whether metrics-server is installed. */
export interface KubeClusterSeed {
  /** Context, cluster and user name in the kubeconfig. */
  name: string;
  /** Bearer token the cluster accepts (default `sandbox-<name>-token`). */
  token?: string;
  /** Serve metrics.k8s.io (as with metrics-server installed); without it the group answers 404. */
  metrics: boolean;
  /** gitVersion answered on /version. */
  version?: string;
  objects: Record<Plural, KubeObject[]>;
  /** Images that fail on this cluster, and how (a typo'd tag, a binary that exits at start). */
  imageFaults: Record<string, ImageFault>;
}

/** A served cluster: the seed made live, plus its counters. */
export interface KubeClusterState extends KubeClusterSeed {
  token: string;
  /** Monotonic resourceVersion, bumped by every write. */
  revision: number;
  now: () => Date;
  /**
   * How many reads of a deployment created or replaced through the API (POST, PUT) still see its
   * rollout unobserved (status lagging, as before the controller acts); 0 or absent: settled at once.
   */
  rolloutReads?: number;
  /** Deployments whose rollout is held, by uid: the reads left before it settles. */
  rollouts?: Map<string, number>;
}

export const emptyObjects = (): Record<Plural, KubeObject[]> =>
  Object.fromEntries(plurals.map((p) => [p, [] as KubeObject[]])) as Record<Plural, KubeObject[]>;

/** Short deterministic hex of a seed string: uids and name suffixes are hashes, never random. */
export const hex = (seed: string, length: number): string =>
  createHash('sha256').update(seed).digest('hex').slice(0, length);

/** A UUID-shaped id from a seed string. */
export const uidOf = (seed: string): string => {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** Kubernetes' "safe" alphabet for generated name suffixes (no vowels, no look-alikes). */
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
export const safeSuffix = (seed: string, length: number): string => {
  const bytes = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += safeAlphabet[bytes[i]! % safeAlphabet.length];
  return out;
};

/** A fresh object of a kind with its metadata filled in. */
export const makeObject = (
  def: ResourceDef,
  meta: { name: string; namespace?: string; labels?: Labels; annotations?: Labels; createdAt: Date },
  body: Omit<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
): KubeObject => ({
  apiVersion: apiVersionOf(def),
  kind: def.kind,
  metadata: {
    name: meta.name,
    ...(def.namespaced ? { namespace: meta.namespace ?? 'default' } : {}),
    uid: uidOf(`${def.kind}/${meta.namespace ?? ''}/${meta.name}/${meta.createdAt.toISOString()}`),
    resourceVersion: '1',
    creationTimestamp: meta.createdAt.toISOString(),
    ...(meta.labels ? { labels: meta.labels } : {}),
    ...(meta.annotations ? { annotations: meta.annotations } : {}),
  },
  ...body,
});

export const defOf = (plural: Plural): ResourceDef => resourceDefs.find((d) => d.plural === plural)!;

/** Seconds precision, as the API server writes timestamps. */
export const isoSeconds = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;
