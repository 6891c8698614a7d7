import { z } from 'zod';
import { parseQuantity } from '../../kubernetes/quantity.ts';
import { defOf, hex, isoSeconds, makeObject, safeSuffix } from './model.ts';
import type { KubeClusterState, KubeObject, Labels, PodFault } from './model.ts';

/**
 * The deployment controller, settled at once: after a deployment's spec changes, its ReplicaSets,
 * revisions, pods and status are what the real controllers would converge to. A template never
 * seen before gets a new ReplicaSet at revision max+1; a template equal to an old ReplicaSet's
 * (a rollback) moves that ReplicaSet to max+1, as Kubernetes does. Images listed in the
 * cluster's `imageFaults` never become available, so their rollout stays degraded.
 */

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
const hashLabel = 'pod-template-hash';
/** ReplicaSets kept per deployment (spec.revisionHistoryLimit's default). */
const historyLimit = 10;

const Quantity = z
  .union([z.string(), z.number()])
  .refine((q) => parseQuantity(q) !== undefined && parseQuantity(q)! >= 0, {
    message: 'must be a quantity such as 250m, 0.5, 128Mi or 1Gi',
  });
const ResourceList = z.record(z.string(), Quantity);
/** As the API server's validation: quantities parse, and no request exceeds its limit. */
const Resources = z
  .looseObject({ requests: ResourceList.optional(), limits: ResourceList.optional() })
  .superRefine((r, ctx) => {
    for (const [k, req] of Object.entries(r.requests ?? {})) {
      const limit = r.limits?.[k];
      if (limit !== undefined && parseQuantity(req)! > parseQuantity(limit)!)
        ctx.addIssue({
          code: 'custom',
          path: ['requests'],
          message: `Invalid value: "${req}": must be less than or equal to ${k} limit of ${limit}`,
        });
    }
  });
const Container = z.looseObject({
  name: z.string().min(1),
  image: z.string().min(1),
  resources: Resources.optional(),
});
const Template = z.looseObject({
  metadata: z.looseObject({ labels: z.record(z.string(), z.string()).optional() }).optional(),
  spec: z.looseObject({ containers: z.array(Container).min(1) }),
});
/** What a deployment's spec must hold after a patch; anything else is answered 422 Invalid. */
export const DeploymentSpec = z.looseObject({
  replicas: z.number().int().min(0).max(100_000),
  selector: z.looseObject({ matchLabels: z.record(z.string(), z.string()) }),
  template: Template,
});
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;
type PodTemplate = z.infer<typeof Template>;

export const revisionOf = (o: KubeObject): number => Number(o.metadata.annotations?.[revisionAnnotation] ?? 0);

const stable = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(stable)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, x]) => [k, stable(x)]),
        )
      : v;

/** The template without the hash label the controller adds, as a stable string. */
const templateKey = (t: PodTemplate): string => {
  const labels = { ...t.metadata?.labels };
  delete labels[hashLabel];
  return JSON.stringify(stable({ ...t, metadata: { ...t.metadata, labels } }));
};

const ownedBy = (o: KubeObject, owner: KubeObject): boolean =>
  o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid) ?? false;

const touch = (cluster: KubeClusterState, o: KubeObject): void => {
  cluster.revision += 1;
  o.metadata.resourceVersion = String(cluster.revision);
};

interface ConfigRefs {
  envFrom?: { secretRef?: { name?: string; optional?: boolean } }[];
  env?: { valueFrom?: { secretKeyRef?: { name?: string; key?: string; optional?: boolean } } }[];
}

/**
 * Why the template's pods would not start on this cluster: an image listed in `imageFaults`, a
 * Secret (or a key of it) its environment needs that is not in the namespace
 * (CreateContainerConfigError), or a ConfigMap volume that is not there (the pod stays
 * ContainerCreating, FailedMount). Optional references never fail.
 */
export const faultOf = (cluster: KubeClusterState, t: PodTemplate, namespace: string): PodFault | undefined => {
  const image = t.spec.containers.map((c) => cluster.imageFaults[c.image]).find((f) => f !== undefined);
  if (image) return image;
  const inNamespace = (plural: 'secrets' | 'configmaps', name: string | undefined) =>
    cluster.objects[plural].find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
  const secretMissing = (name: string | undefined, key?: string): boolean => {
    const secret = inNamespace('secrets', name);
    if (!secret) return true;
    const data = { ...(secret.data as Labels | undefined), ...(secret.stringData as Labels | undefined) };
    return key !== undefined && !(key in data);
  };
  for (const c of t.spec.containers as ConfigRefs[]) {
    for (const f of c.envFrom ?? [])
      if (f.secretRef && !f.secretRef.optional && secretMissing(f.secretRef.name)) return 'CreateContainerConfigError';
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && !ref.optional && secretMissing(ref.name, ref.key)) return 'CreateContainerConfigError';
    }
  }
  const volumes = (t.spec.volumes as { configMap?: { name?: string; optional?: boolean } }[] | undefined) ?? [];
  for (const v of volumes)
    if (v.configMap && !v.configMap.optional && !inNamespace('configmaps', v.configMap.name))
      return 'ContainerCreating';
  return undefined;
};

/** Brings a deployment's ReplicaSets, pods and status in line with its spec. */
export const reconcileDeployment = (cluster: KubeClusterState, deployment: KubeObject, at = cluster.now()): void => {
  const spec = DeploymentSpec.parse(deployment.spec);
  const ns = deployment.metadata.namespace!;
  const all = cluster.objects.replicasets;
  const owned = all.filter((rs) => ownedBy(rs, deployment));
  const key = templateKey(spec.template);
  const hash = safeSuffix(key, 10);
  const maxRevision = Math.max(0, ...owned.map(revisionOf));
  let current = owned.find((rs) => templateKey((rs.spec as DeploymentSpec).template) === key);
  if (!current) {
    const labels: Labels = { ...spec.template.metadata?.labels, [hashLabel]: hash };
    current = makeObject(
      defOf('replicasets'),
      {
        name: `${deployment.metadata.name}-${hash}`,
        namespace: ns,
        labels,
        annotations: { [revisionAnnotation]: String(maxRevision + 1) },
        createdAt: at,
      },
      {
        spec: {
          replicas: 0,
          selector: { matchLabels: { ...spec.selector.matchLabels, [hashLabel]: hash } },
          template: { ...structuredClone(spec.template), metadata: { ...spec.template.metadata, labels } },
        },
        status: {},
      },
    );
    current.metadata.ownerReferences = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: deployment.metadata.name,
        uid: deployment.metadata.uid,
        controller: true,
      },
    ];
    all.push(current);
    owned.push(current);
  } else if (revisionOf(current) !== maxRevision) {
    current.metadata.annotations = { ...current.metadata.annotations, [revisionAnnotation]: String(maxRevision + 1) };
  }
  deployment.metadata.annotations = {
    ...deployment.metadata.annotations,
    [revisionAnnotation]: current.metadata.annotations![revisionAnnotation]!,
  };

  const fault = faultOf(cluster, spec.template, ns);
  for (const rs of owned) {
    const replicas = rs === current ? spec.replicas : 0;
    const available = fault || replicas === 0 ? 0 : replicas;
    rs.spec = { ...rs.spec, replicas };
    rs.status = {
      replicas,
      fullyLabeledReplicas: replicas,
      readyReplicas: available,
      availableReplicas: available,
      observedGeneration: 1,
    };
    touch(cluster, rs);
    reconcilePods(cluster, rs, replicas, fault, at);
  }
  // History beyond the limit goes, oldest first (never the current one).
  const old = owned.filter((rs) => rs !== current).sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of old.slice(0, Math.max(0, old.length - (historyLimit - 1)))) all.splice(all.indexOf(rs), 1);

  const available = fault ? 0 : spec.replicas;
  const lastUpdate = isoSeconds(at);
  deployment.status = {
    observedGeneration: deployment.metadata.generation ?? 1,
    replicas: spec.replicas,
    updatedReplicas: spec.replicas,
    readyReplicas: available,
    availableReplicas: available,
    ...(spec.replicas - available > 0 ? { unavailableReplicas: spec.replicas - available } : {}),
    conditions: [
      available >= spec.replicas
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', lastUpdate)
        : condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
            lastUpdate,
          ),
      fault
        ? condition(
            'Progressing',
            'False',
            'ProgressDeadlineExceeded',
            `ReplicaSet "${current.metadata.name}" has timed out progressing.`,
            lastUpdate,
          )
        : condition(
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${current.metadata.name}" has successfully progressed.`,
            lastUpdate,
          ),
    ],
  };
  touch(cluster, deployment);
};

const condition = (type: string, status: string, reason: string, message: string, at: string) => ({
  type,
  status,
  reason,
  message,
  lastUpdateTime: at,
  lastTransitionTime: at,
});

/** Schedulable, Ready nodes, in name order: where new pods go (round robin by pod name hash). */
const placeable = (cluster: KubeClusterState): string[] =>
  cluster.objects.nodes
    .filter((n) => !n.spec?.unschedulable)
    .filter((n) =>
      ((n.status?.conditions as { type: string; status: string }[] | undefined) ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      ),
    )
    .map((n) => n.metadata.name)
    .sort();

const reconcilePods = (
  cluster: KubeClusterState,
  rs: KubeObject,
  replicas: number,
  fault: PodFault | undefined,
  at: Date,
): void => {
  const pods = cluster.objects.pods;
  const mine = pods.filter((p) => ownedBy(p, rs)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const p of mine.slice(replicas)) pods.splice(pods.indexOf(p), 1);
  const template = (rs.spec as DeploymentSpec).template;
  const nodes = placeable(cluster);
  for (let i = mine.length; i < replicas; i++) {
    let name = '';
    for (let n = 0; !name || pods.some((p) => p.metadata.name === name); n++)
      name = `${rs.metadata.name}-${safeSuffix(`${rs.metadata.uid}/${i}/${n}`, 5)}`;
    const pod = podFromTemplate(template, {
      name,
      namespace: rs.metadata.namespace!,
      node: nodes.length ? nodes[parseInt(hex(name, 6), 16) % nodes.length]! : undefined,
      fault,
      at,
    });
    pod.metadata.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true },
    ];
    touch(cluster, pod);
    pods.push(pod);
  }
};

/** A pod as the kubelet reports it: running and ready, or stuck on an image fault. */
export const podFromTemplate = (
  template: { metadata?: { labels?: Labels; annotations?: Labels }; spec: Record<string, unknown> },
  o: { name: string; namespace: string; node?: string; fault?: PodFault; at: Date },
): KubeObject => {
  const containers =
    (template.spec.containers as {
      name: string;
      image: string;
      resources?: { requests?: Labels; limits?: Labels };
    }[]) ?? [];
  const started = isoSeconds(o.at);
  const restarts = o.fault === 'CrashLoopBackOff' ? 12 + (parseInt(hex(o.name, 4), 16) % 40) : 0;
  const statusOf = (c: { name: string; image: string }) => ({
    name: c.name,
    image: c.image,
    imageID: o.fault === 'ImagePullBackOff' ? '' : `${c.image.split(':')[0]}@sha256:${hex(c.image, 64)}`,
    ready: !o.fault,
    started: !o.fault,
    restartCount: restarts,
    state: !o.fault
      ? { running: { startedAt: started } }
      : o.fault === 'ImagePullBackOff'
        ? { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } }
        : o.fault === 'CrashLoopBackOff'
          ? {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off 5m0s restarting failed container=${c.name} pod=${o.name}`,
              },
            }
          : o.fault === 'CreateContainerConfigError'
            ? { waiting: { reason: 'CreateContainerConfigError', message: 'secret not found' } }
            : { waiting: { reason: 'ContainerCreating' } },
    ...(o.fault === 'CrashLoopBackOff'
      ? { lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: started, finishedAt: started } } }
      : {}),
  });
  const ready = o.fault ? 'False' : 'True';
  return makeObject(
    defOf('pods'),
    {
      name: o.name,
      namespace: o.namespace,
      labels: template.metadata?.labels,
      annotations: template.metadata?.annotations,
      createdAt: o.at,
    },
    {
      spec: { ...structuredClone(template.spec), ...(o.node ? { nodeName: o.node } : {}) },
      status: {
        phase: o.fault && o.fault !== 'CrashLoopBackOff' ? 'Pending' : 'Running',
        conditions: [
          { type: 'PodScheduled', status: o.node ? 'True' : 'False' },
          { type: 'Ready', status: ready },
          { type: 'ContainersReady', status: ready },
        ],
        ...(o.node ? { hostIP: `10.0.${parseInt(hex(o.node, 2), 16)}.10` } : {}),
        podIP: `10.244.${parseInt(hex(o.name, 2), 16)}.${parseInt(hex(o.name + 'ip', 2), 16)}`,
        startTime: started,
        containerStatuses: containers.map(statusOf),
        qosClass: qosOf(containers),
      },
    },
  );
};

const qosOf = (containers: { resources?: { requests?: Labels; limits?: Labels } }[]): string => {
  if (containers.every((c) => !c.resources?.requests && !c.resources?.limits)) return 'BestEffort';
  const guaranteed = containers.every(
    (c) =>
      c.resources?.limits?.cpu &&
      c.resources.limits.memory &&
      (c.resources.requests?.cpu ?? c.resources.limits.cpu) === c.resources.limits.cpu &&
      (c.resources.requests?.memory ?? c.resources.limits.memory) === c.resources.limits.memory,
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
};

/** Deletes a deployment with its ReplicaSets and their pods (background cascading deletion, settled). */
export const deleteDeployment = (cluster: KubeClusterState, deployment: KubeObject): void => {
  const { replicasets, pods, deployments } = cluster.objects;
  for (const rs of replicasets.filter((r) => ownedBy(r, deployment))) {
    for (const p of pods.filter((x) => ownedBy(x, rs))) pods.splice(pods.indexOf(p), 1);
    replicasets.splice(replicasets.indexOf(rs), 1);
  }
  deployments.splice(deployments.indexOf(deployment), 1);
  cluster.rollouts?.delete(deployment.metadata.uid);
  cluster.revision += 1;
};

/**
 * A deployment created or replaced through the API (POST, PUT): with the cluster's `rolloutReads`
 * set, the controller has not observed it yet for that many reads (a new one has no status, no
 * ReplicaSet and no pods; a replaced one keeps its old status and pods with its generation ahead),
 * then the next read settles it. Without it, it settles at once.
 */
export const holdRollout = (cluster: KubeClusterState, deployment: KubeObject): void => {
  if (!cluster.rolloutReads) {
    reconcileDeployment(cluster, deployment);
    return;
  }
  (cluster.rollouts ??= new Map()).set(deployment.metadata.uid, cluster.rolloutReads);
  touch(cluster, deployment);
};

/** A read of a deployment (GET or LIST): counts against a held rollout, and settles it when none is left. */
export const observeDeployment = (cluster: KubeClusterState, deployment: KubeObject): void => {
  const left = cluster.rollouts?.get(deployment.metadata.uid);
  if (left === undefined) return;
  if (left > 0) {
    cluster.rollouts!.set(deployment.metadata.uid, left - 1);
    return;
  }
  cluster.rollouts!.delete(deployment.metadata.uid);
  reconcileDeployment(cluster, deployment);
};
