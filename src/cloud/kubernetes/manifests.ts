import type { V1ConfigMap, V1Deployment, V1Namespace, V1Service } from '@kubernetes/client-node';
import { z } from 'zod';

/**
 * The objects a workflow writes, built from typed parameters (never free-form YAML): a namespace,
 * a config map holding one file, a deployment of one container and a service in front of it. Every
 * object carries `app.kubernetes.io/managed-by: devops-agent`; pods and the deployment's selector
 * carry `app.kubernetes.io/name: <name>`, which a service selects by its `app`. Type-only imports
 * of the SDK: this module loads no SDK.
 *
 * An object written over one that was there is recorded first as a snapshot (`snapshotOf`): its
 * labels, annotations and content, as JSON, which the inverse writes back (`restoreBody`).
 */

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const nameLabel = 'app.kubernetes.io/name';
export const managedBy = 'devops-agent';

/** What apply_deployment takes, already checked by its schema. */
export interface DeploymentParams {
  name: string;
  image: string;
  replicas: number;
  port: number;
  /** Command-line flags, e.g. `--config.file=/etc/prometheus/prometheus.yml`. */
  args?: string[] | undefined;
  /** A config map of the namespace mounted read-only at `mountPath`. */
  configMap?: string | undefined;
  mountPath?: string | undefined;
  /** A secret of the namespace whose keys become environment variables (never read by the agent). */
  envFromSecret?: string | undefined;
  cpu?: string | undefined;
  memory?: string | undefined;
  /** Runs the pod as this non-root user (and group for its volumes). */
  runAsUser?: number | undefined;
  /** An HTTP path on `port` that answers 200 once the container serves (the readiness probe). */
  readyPath?: string | undefined;
}

export interface ServiceParams {
  name: string;
  /** The deployment whose pods it sends traffic to (their `app.kubernetes.io/name`). */
  app: string;
  port: number;
  targetPort?: number | undefined;
  type?: 'ClusterIP' | 'NodePort' | undefined;
}

export interface ConfigMapParams {
  name: string;
  key: string;
  text: string;
}

const labelsOf = (name: string) => ({ [nameLabel]: name, [managedByLabel]: managedBy });

export const namespaceManifest = (name: string): V1Namespace => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { [managedByLabel]: managedBy } },
});

export const configMapManifest = (namespace: string, p: ConfigMapParams): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: p.name, namespace, labels: labelsOf(p.name) },
  data: { [p.key]: p.text },
});

export const serviceManifest = (namespace: string, p: ServiceParams): V1Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: p.name, namespace, labels: labelsOf(p.name) },
  spec: {
    type: p.type ?? 'ClusterIP',
    selector: { [nameLabel]: p.app },
    ports: [{ name: 'http', port: p.port, targetPort: p.targetPort ?? p.port, protocol: 'TCP' }],
  },
});

export const deploymentManifest = (namespace: string, p: DeploymentParams): V1Deployment => {
  const labels = labelsOf(p.name);
  const volume = p.configMap ? 'config' : undefined;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: p.name, namespace, labels },
    spec: {
      replicas: p.replicas,
      selector: { matchLabels: { [nameLabel]: p.name } },
      template: {
        metadata: { labels },
        spec: {
          ...(p.runAsUser !== undefined
            ? { securityContext: { runAsNonRoot: true, runAsUser: p.runAsUser, fsGroup: p.runAsUser } }
            : {}),
          containers: [
            {
              name: p.name,
              image: p.image,
              ...(p.args?.length ? { args: p.args } : {}),
              ports: [{ name: 'http', containerPort: p.port, protocol: 'TCP' }],
              ...(p.envFromSecret ? { envFrom: [{ secretRef: { name: p.envFromSecret } }] } : {}),
              ...(p.cpu || p.memory
                ? {
                    resources: {
                      requests: { ...(p.cpu ? { cpu: p.cpu } : {}), ...(p.memory ? { memory: p.memory } : {}) },
                    },
                  }
                : {}),
              ...(volume ? { volumeMounts: [{ name: volume, mountPath: p.mountPath!, readOnly: true }] } : {}),
              ...(p.readyPath ? { readinessProbe: { httpGet: { path: p.readyPath, port: p.port } } } : {}),
              securityContext: { allowPrivilegeEscalation: false },
            },
          ],
          ...(volume ? { volumes: [{ name: volume, configMap: { name: p.configMap! } }] } : {}),
        },
      },
    },
  };
};

/** Annotations the API server or a controller writes: never part of what an inverse restores. */
const serverAnnotations = ['deployment.kubernetes.io/revision', 'kubectl.kubernetes.io/last-applied-configuration'];

type Restorable = {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: object;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
};

/**
 * What an inverse needs to put an object back as it was: its labels, annotations (less the
 * server's) and content (a config map's data, a service's or deployment's spec, less what the
 * server assigns: a service's ClusterIPs, the creation time in a pod template), as JSON.
 */
export const snapshotOf = (o: Restorable): string => {
  const annotations = Object.fromEntries(
    Object.entries(o.metadata?.annotations ?? {}).filter(([k]) => !serverAnnotations.includes(k)),
  );
  const spec = o.spec ? (JSON.parse(JSON.stringify(o.spec)) as Record<string, unknown>) : undefined;
  if (spec) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    const template = spec.template as { metadata?: { creationTimestamp?: unknown } } | undefined;
    if (template?.metadata) delete template.metadata.creationTimestamp;
  }
  return JSON.stringify({
    metadata: {
      name: o.metadata?.name,
      ...(o.metadata?.labels ? { labels: o.metadata.labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    ...(spec ? { spec } : {}),
    ...(o.data ? { data: o.data } : {}),
    ...(o.binaryData ? { binaryData: o.binaryData } : {}),
  });
};

/** The largest snapshot an inverse carries (a config map holds at most 1 MiB). */
export const maxSnapshotChars = 1_100_000;

const Snapshot = z
  .object({
    metadata: z
      .object({
        name: z.string().min(1),
        labels: z.record(z.string(), z.string()).optional(),
        annotations: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
    spec: z.record(z.string(), z.unknown()).optional(),
    data: z.record(z.string(), z.string()).optional(),
    binaryData: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type Snapshot = z.infer<typeof Snapshot>;

/** A snapshot as recorded by `snapshotOf`, or why it is not one. */
export const parseSnapshot = (text: string): { ok: true; snapshot: Snapshot } | { ok: false; why: string } => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, why: 'object must be the JSON an earlier change recorded' };
  }
  const parsed = Snapshot.safeParse(raw);
  return parsed.success
    ? { ok: true, snapshot: parsed.data }
    : { ok: false, why: `object is not a recorded object: ${parsed.error.issues[0]?.message ?? ''}` };
};

/** The body that writes a snapshot back into `namespace` (kind and apiVersion of `kind`). */
export const restoreBody = (
  kind: 'configmap' | 'service' | 'deployment',
  namespace: string,
  s: Snapshot,
): V1ConfigMap | V1Service | V1Deployment => {
  const metadata = { ...s.metadata, namespace };
  switch (kind) {
    case 'configmap':
      return {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata,
        ...(s.data ? { data: s.data } : {}),
        ...(s.binaryData ? { binaryData: s.binaryData } : {}),
      };
    case 'service':
      return { apiVersion: 'v1', kind: 'Service', metadata, spec: s.spec as V1Service['spec'] };
    default:
      return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: s.spec as V1Deployment['spec'] };
  }
};
