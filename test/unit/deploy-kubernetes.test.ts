import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigSchema, loadConfig } from '../../src/config.ts';
import { defaultReadyTimeoutMs, probeRoutes } from '../../src/http/probes.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { productionChecks } from '../../src/production-checks.ts';
import { drainBudgetMs, parseDockerfile, readRepoFile, repoRoot } from '../helpers/deploy.ts';

/**
 * manifests/kubernetes: every document against the Kubernetes JSON schema of its kind (the
 * kubernetes-models package: the API's OpenAPI schemas compiled for ajv, offline), then what no
 * schema can see: that the pieces refer to each other correctly and to what the app really does.
 */
const dir = path.join(repoRoot, 'manifests/kubernetes');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .sort();
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [k: string]: unknown;
}
type Doc = Manifest & { file: string };
const docs: Doc[] = files.flatMap((file) =>
  parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return { file, ...(d.toJS() as Manifest) };
  }),
);
const kustomization = parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as {
  namespace: string;
  resources: string[];
  images: { name: string; newName: string; newTag: string }[];
};

const models: Record<string, { new (data: never): { validate(): void } }> = {
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};
const validationError = (doc: Manifest): string | null => {
  const Model = models[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) return `no schema for ${doc.apiVersion} ${doc.kind}: add its model to this test`;
  try {
    new Model(doc as never).validate();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
};

const one = <T>(kind: string): T & Doc => {
  const found = docs.filter((d) => d.kind === kind);
  expect(found.map((d) => d.kind)).toEqual([kind]);
  return found[0] as T & Doc;
};

interface Probe {
  httpGet: { path: string; port: string | number };
  timeoutSeconds?: number;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string; valueFrom?: { configMapKeyRef?: { name: string }; secretKeyRef?: { name: string } } }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  securityContext: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot: boolean; runAsUser: number; seccompProfile: { type: string } };
  initContainers: Container[];
  containers: Container[];
  volumes: { name: string; emptyDir?: object }[];
}
const deployment = one<{
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}>('Deployment');
const pod = deployment.spec.template.spec;
const podLabels = deployment.spec.template.metadata.labels;
const app = pod.containers.find((c) => c.name === 'app')!;
const containers = [...pod.initContainers, ...pod.containers];

/** Does a matchLabels selector pick the Deployment's pods? */
const selectsPods = (selector: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);
/** A port given by name or number: the app container's port it means, if any. */
const containerPort = (port: string | number): number | undefined =>
  app.ports?.find((p) => p.name === port || p.containerPort === port)?.containerPort;

const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const dataOf = (d: Doc): Record<string, string> =>
  ({ ...(d.data as Record<string, string>), ...(d.stringData as Record<string, string>) }) as Record<string, string>;

describe('Kubernetes manifests', () => {
  it('the kustomization lists every manifest except the example Secret, which is never applied over real values', () => {
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'secret.example.yaml'));
    expect(one<object>('Namespace').metadata.name).toBe(kustomization.namespace);
    expect(kustomization.images.map((i) => i.name)).toEqual([...new Set(containers.map((c) => c.image))]);
  });

  it('every document is valid against the Kubernetes schema of its kind', () => {
    expect(docs.map((d) => [d.file, d.kind, validationError(d)])).toEqual(docs.map((d) => [d.file, d.kind, null]));
  });

  it('the schema check catches a wrong value (it can fail)', () => {
    const broken = structuredClone(deployment) as Doc & { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(validationError(broken)).toMatch(/replicas must be integer/);
  });

  it('runs 2 replicas whose selector, Service, PodDisruptionBudget and NetworkPolicy all pick the same pods', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(selectsPods(deployment.spec.selector.matchLabels)).toBe(true);
    const service = one<{ spec: { selector: Record<string, string>; ports: { targetPort: string | number }[] } }>(
      'Service',
    );
    expect(selectsPods(service.spec.selector)).toBe(true);
    expect(service.spec.ports.map((p) => containerPort(p.targetPort))).toEqual([3000]);
    const pdb = one<{ spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>(
      'PodDisruptionBudget',
    );
    expect(pdb.spec.minAvailable).toBe(1);
    expect(selectsPods(pdb.spec.selector.matchLabels)).toBe(true);
  });

  it('probes the routes the app serves, on its container port, with the meaning each route has', () => {
    const routes = probeRoutes({ ready: async () => {}, metrics: createMetrics(), logger: createLogger('silent') }).map(
      (r) => `${r.method} ${r.path}`,
    );
    const probes = { startup: app.startupProbe!, liveness: app.livenessProbe!, readiness: app.readinessProbe! };
    // Liveness and start-up: the process answers. Readiness: the database answers too (503 otherwise).
    expect(Object.values(probes).map((p) => p.httpGet.path)).toEqual(['/healthz', '/healthz', '/readyz']);
    for (const p of Object.values(probes)) {
      expect(routes).toContain(`GET ${p.httpGet.path}`);
      expect(containerPort(p.httpGet.port)).toBe(3000);
    }
    // /readyz gives the database this long before it answers 503: the probe must wait for that answer.
    expect(probes.readiness.timeoutSeconds! * 1000).toBeGreaterThan(defaultReadyTimeoutMs);
  });

  it('configures the app through a ConfigMap and a Secret that exist, with the port the container exposes', () => {
    const refs = containers.flatMap((c) => [
      ...(c.envFrom ?? []).map((e) => e.configMapRef ?? e.secretRef),
      ...(c.env ?? []).map((e) => e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef),
    ]);
    const kinds = containers.flatMap((c) => [
      ...(c.envFrom ?? []).map((e) => (e.configMapRef ? 'ConfigMap' : 'Secret')),
      ...(c.env ?? []).filter((e) => e.valueFrom).map((e) => (e.valueFrom!.configMapKeyRef ? 'ConfigMap' : 'Secret')),
    ]);
    expect(refs.length).toBeGreaterThan(0);
    refs.forEach((ref, i) =>
      expect([kinds[i], ref!.name, byKind(kinds[i]!).some((d) => d.metadata.name === ref!.name)]).toEqual([
        kinds[i],
        ref!.name,
        true,
      ]),
    );
    const config = dataOf(one('ConfigMap'));
    expect(Number(config.PORT)).toBe(app.ports![0]!.containerPort);
    expect(config.HOST).toBe('0.0.0.0');
  });

  it('holds only variables the app reads, and the example passes the config schema and production mode', () => {
    const config = dataOf(one('ConfigMap'));
    const secret = dataOf(one('Secret'));
    // AWS credentials are read by the AWS SDK itself, not by the config schema.
    const known = new Set([...Object.keys(ConfigSchema.shape), 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect([...Object.keys(config), ...Object.keys(secret)].filter((k) => !known.has(k))).toEqual([]);
    const parsed = loadConfig({ ...parseDockerfile().image.env, ...config, ...secret });
    expect(parsed.NODE_ENV).toBe('production');
    expect(productionChecks(parsed)).toEqual({ refusals: [], warnings: [] });
    // Placeholders only: nothing that looks like a real credential is committed.
    expect(Object.values(secret).every((v) => v.includes('CHANGE-ME'))).toBe(true);
  });

  it('runs non-root, read-only, without capabilities, under RuntimeDefault seccomp (the restricted profile)', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    for (const c of containers) {
      expect([c.name, c.securityContext]).toEqual([
        c.name,
        {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        },
      ]);
      // The one writable place is /tmp, an emptyDir.
      const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    }
    expect(one<{ automountServiceAccountToken: boolean }>('ServiceAccount').metadata.name).toBe(pod.serviceAccountName);
    expect(pod.automountServiceAccountToken).toBe(false);
    const ns = one<object>('Namespace');
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('sets requests and limits on every container, limits no lower than requests', () => {
    const mib = (q: string): number => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q);
      if (!m) throw new Error(`memory quantity in Mi or Gi expected, got ${q}`);
      return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
    };
    const milli = (q: string): number => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
    for (const c of containers) {
      const { requests, limits } = c.resources;
      expect(mib(limits.memory)).toBeGreaterThanOrEqual(mib(requests.memory));
      expect(milli(limits.cpu)).toBeGreaterThanOrEqual(milli(requests.cpu));
    }
    // The app idles at ~300 MiB RSS (measured, see deployment.yaml): the request must cover that.
    expect(mib(app.resources.requests.memory)).toBeGreaterThanOrEqual(320);
  });

  it('migrates in an initContainer of the same image, with the script `npm run db:migrate` runs', () => {
    expect(pod.initContainers.map((c) => c.image)).toEqual([app.image]);
    const [migrate] = pod.initContainers;
    const pkg = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> };
    expect(migrate!.command!.join(' ')).toBe(pkg.scripts['db:migrate']);
    expect(fs.existsSync(path.join(repoRoot, migrate!.command![1]!))).toBe(true);
    // The Dockerfile test runs this very command in the production install.
  });

  it('gives the app enough time to drain before SIGKILL', () => {
    const preStop = app.lifecycle?.preStop?.exec?.command;
    expect(preStop?.[0]).toBe('sleep');
    const { totalMs } = drainBudgetMs();
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(Number(preStop![1]) * 1000 + totalMs);
  });

  it('lets in the app port only, and out DNS, PostgreSQL and HTTPS only', () => {
    const policy = one<{
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress: { ports: { port: string | number; protocol: string }[] }[];
        egress: { ports: { port: number; protocol: string }[] }[];
      };
    }>('NetworkPolicy');
    expect(selectsPods(policy.spec.podSelector.matchLabels)).toBe(true);
    expect([...policy.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
    expect(policy.spec.ingress.flatMap((r) => r.ports.map((p) => [containerPort(p.port), p.protocol]))).toEqual([
      [3000, 'TCP'],
    ]);
    expect(
      policy.spec.egress
        .flatMap((r) => r.ports.map((p) => `${p.port}/${p.protocol}`))
        .sort()
        .join(' '),
    ).toBe('443/TCP 53/TCP 53/UDP 5432/TCP');
  });
});
