import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { faultQueue } from '../faults.ts';
import { DeploymentSpec, observeDeployment, reconcileDeployment } from './controller.ts';
import { seedKubeFleet } from './fleet.ts';
import { apiVersionOf, hex, isoSeconds, resourceDefs } from './model.ts';
import type { KubeClusterSeed, KubeClusterState, KubeObject, ResourceDef } from './model.ts';
import { HttpFailure, notFound } from './http-failure.ts';
import { applyPatch, PatchError } from './patch.ts';
import type { Json } from './patch.ts';
import { createObject, deleteObject, isWritable, replaceObject } from './writes.ts';

export type { KubeClusterSeed, KubeClusterState, KubeObject } from './model.ts';
export { addBulkPods, seedKubeFleet } from './fleet.ts';

/**
 * The local Kubernetes API emulator: one loopback HTTP listener per cluster, speaking the REST
 * API the real @kubernetes/client-node sends (core/v1, apps/v1, rbac.authorization.k8s.io/v1,
 * metrics.k8s.io/v1beta1, discovery), with bearer-token auth, limit/continue pagination, the
 * three patch types, the deployment scale subresource, create (POST), replace (PUT) and delete of
 * namespaces, config maps, secrets, services and deployments (./writes.ts), Status objects for
 * errors, and injectable faults (429 with Retry-After, 5xx). Plain http: the kubeconfig it writes sets
 * insecure-skip-tls-verify, which the client requires to accept an http server.
 */

export interface KubeSandboxOptions {
  /** Clock for seeding and for what changes write (rollout times, metrics timestamps). */
  now?: () => Date;
  /** Clusters to serve instead of the seeded demo estate (see `seedKubeFleet`). */
  clusters?: KubeClusterSeed[];
  /** Largest page a list answers whatever `limit` asks (default 500, as a guard, like the server's). */
  pageLimit?: number;
  /** Overrides every seed's `metrics` flag (true: all clusters serve metrics.k8s.io; false: none). */
  withMetrics?: boolean;
  /** How many answered requests `requests` keeps, oldest dropped first (default 10,000: the app runs it for days). */
  maxRecordedRequests?: number;
  /**
   * Reads (GET or LIST) of a deployment created or replaced through the API (POST, PUT) that still
   * see its rollout unobserved before it settles (default 1: the first read after the write shows
   * it progressing, the next the settled rollout); 0 settles at once. Patches settle at once.
   */
  rolloutReads?: number;
}

/** An error the emulator answers instead of serving a request. */
export interface KubeFault {
  status: number;
  reason?: string;
  message?: string;
  /** Sent as Retry-After (seconds), as the API server does with 429. */
  retryAfterSeconds?: number;
}

export interface KubeSandboxRequest {
  cluster: string;
  method: string;
  /** Path with its query string. */
  path: string;
  contentType?: string;
  status: number;
}

export interface KubeSandboxCluster {
  name: string;
  /** Base URL of the cluster's API server (http://127.0.0.1:port). */
  url: string;
  token: string;
  /** The live state; tests may read or arrange it. */
  state: KubeClusterState;
}

export interface KubeSandbox {
  /** A kubeconfig (YAML) with one context, cluster and user per served cluster, tokens included. */
  kubeconfig(): string;
  clusters: KubeSandboxCluster[];
  /** The requests answered, oldest first (the last `maxRecordedRequests`). */
  requests: KubeSandboxRequest[];
  /**
   * Makes the next `times` (default 1) requests to `cluster` whose `METHOD /path` (no query)
   * contains `match` ('*' for any) fail with `fault`.
   */
  failNext(cluster: string, match: string, fault: KubeFault, times?: number): void;
  stop(): Promise<void>;
}

const maxBodyBytes = 1_000_000;

const statusBody = (code: number, reason: string, message: string, details?: Record<string, unknown>) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  ...(details ? { details } : {}),
  code,
});

const noSuchPath = (): HttpFailure =>
  new HttpFailure(404, 'NotFound', 'the server could not find the requested resource');

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new HttpFailure(413, 'RequestEntityTooLarge', 'request entity too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
};

/** Opaque continue tokens: base64 of the last key served and the list's resourceVersion, like the server's. */
const encodeContinue = (rv: number, start: string): string =>
  Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
const decodeContinue = (token: string): string => {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown };
    if (typeof parsed.start === 'string') return parsed.start;
  } catch {
    // answered below
  }
  throw new HttpFailure(400, 'BadRequest', 'continue key is not valid: illegal base64 data at input byte 0');
};

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Equality selectors only (`a=b,c==d,e!=f`), which is what the provider sends. */
const selectorMatches = (selector: string | null, labels: Record<string, string> = {}): boolean => {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = /^\s*([^!=\s]+)\s*(!=|==|=)\s*([^\s]*)\s*$/.exec(term);
    if (!m) return term.trim() === '' || term.trim() in labels;
    return m[2] === '!=' ? labels[m[1]!] !== m[3] : labels[m[1]!] === m[3];
  });
};

/** The deterministic reading metrics-server would give: a stable share of each object's name hash. */
const usageOf = (seed: string, cpuRange: [number, number], memMiRange: [number, number]) => {
  const h = parseInt(hex(seed, 8), 16);
  const cpu = cpuRange[0] + (h % (cpuRange[1] - cpuRange[0]));
  const mem = memMiRange[0] + ((h >>> 8) % (memMiRange[1] - memMiRange[0]));
  return { cpu: `${cpu * 1_000_000}n`, memory: `${mem * 1024}Ki` };
};

const metricsList = (cluster: KubeClusterState, path: string[]): unknown => {
  const now = isoSeconds(cluster.now());
  const [, ns, rest] = path[0] === 'namespaces' ? ['', path[1], path[2]] : ['', undefined, path[0]];
  if (rest === 'nodes' && !ns)
    return {
      kind: 'NodeMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: cluster.objects.nodes.map((n) => {
        const pressure = ((n.status?.conditions as { type: string; status: string }[]) ?? []).some(
          (c) => c.type === 'MemoryPressure' && c.status === 'True',
        );
        return {
          metadata: { name: n.metadata.name, creationTimestamp: now, labels: n.metadata.labels },
          timestamp: now,
          window: '20.05s',
          usage: usageOf(n.metadata.name, [300, 2400], pressure ? [15_000, 15_800] : [2_000, 9_000]),
        };
      }),
    };
  if (rest === 'pods')
    return {
      kind: 'PodMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: cluster.objects.pods
        .filter((p) => (!ns || p.metadata.namespace === ns) && p.status?.phase === 'Running')
        .map((p) => ({
          metadata: {
            name: p.metadata.name,
            namespace: p.metadata.namespace,
            creationTimestamp: now,
            labels: p.metadata.labels,
          },
          timestamp: now,
          window: '15.2s',
          containers: ((p.spec?.containers as { name: string }[]) ?? []).map((c) => ({
            name: c.name,
            usage: usageOf(`${keyOf(p)}/${c.name}`, [2, 400], [24, 600]),
          })),
        })),
    };
  throw noSuchPath();
};

const discovery = (cluster: KubeClusterState, path: string): unknown => {
  const groups = [...new Set(resourceDefs.filter((d) => d.group).map((d) => d.group))].map((g) => ({
    name: g,
    versions: [{ groupVersion: `${g}/v1`, version: 'v1' }],
    preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' },
  }));
  if (cluster.metrics)
    groups.push({
      name: 'metrics.k8s.io',
      versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
      preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
    });
  if (path === '/version') {
    const [major, minor] = (cluster.version ?? 'v1.31.0').slice(1).split('.');
    return { major, minor, gitVersion: cluster.version, platform: 'linux/amd64' };
  }
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  const groupVersion = path === '/api/v1' ? 'v1' : path.replace(/^\/apis\//, '');
  if (groupVersion === 'metrics.k8s.io/v1beta1' && cluster.metrics)
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: [
        { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
        { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
      ],
    };
  const defs = resourceDefs.filter((d) => apiVersionOf(d) === groupVersion);
  if (defs.length === 0) throw noSuchPath();
  return {
    kind: 'APIResourceList',
    groupVersion,
    resources: defs.flatMap((d) => [
      {
        name: d.plural,
        singularName: d.kind.toLowerCase(),
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: isWritable(d)
          ? ['create', 'delete', 'get', 'list', 'patch', 'update']
          : ['delete', 'get', 'list', 'patch'],
      },
      ...(d.plural === 'deployments'
        ? [
            {
              name: 'deployments/scale',
              singularName: '',
              namespaced: true,
              group: 'autoscaling',
              version: 'v1',
              kind: 'Scale',
              verbs: ['get', 'patch'],
            },
          ]
        : []),
    ]),
  };
};

interface Route {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** `/api/v1/...` or `/apis/<group>/<version>/...` → which resource, namespace, name and subresource. */
const route = (path: string[]): { groupVersion: string; rest: string[] } | undefined => {
  if (path[0] === 'api' && path[1] === 'v1') return { groupVersion: 'v1', rest: path.slice(2) };
  if (path[0] === 'apis' && path.length >= 3) return { groupVersion: `${path[1]}/${path[2]}`, rest: path.slice(3) };
  return undefined;
};

const resolve = (groupVersion: string, rest: string[]): Route => {
  const defs = resourceDefs.filter((d) => apiVersionOf(d) === groupVersion);
  const find = (plural: string | undefined) => defs.find((d) => d.plural === plural);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const def = find(rest[2]);
    if (!def?.namespaced || rest.length > 5) throw noSuchPath();
    return { def, namespace: rest[1], name: rest[3], subresource: rest[4] };
  }
  const def = find(rest[0]);
  if (!def || rest.length > 3) throw noSuchPath();
  return { def, name: rest[1], subresource: rest[2] };
};

const scaleOf = (d: KubeObject) => ({
  kind: 'Scale',
  apiVersion: 'autoscaling/v1',
  metadata: {
    name: d.metadata.name,
    namespace: d.metadata.namespace,
    uid: d.metadata.uid,
    resourceVersion: d.metadata.resourceVersion,
    creationTimestamp: d.metadata.creationTimestamp,
  },
  spec: { replicas: d.spec?.replicas ?? 0 },
  status: {
    replicas: (d.status?.replicas as number | undefined) ?? 0,
    selector: Object.entries((d.spec?.selector as { matchLabels?: Record<string, string> })?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  },
});

/** One cluster's API: everything after auth and fault injection. */
const serve = async (
  cluster: KubeClusterState,
  method: string,
  url: URL,
  contentType: string,
  body: () => Promise<string>,
  pageLimit: number,
): Promise<{ status: number; body: unknown }> => {
  const pathname = url.pathname.replace(/\/+$/, '') || '/';
  if (method === 'GET' && ['/version', '/api', '/apis', '/api/v1'].includes(pathname))
    return { status: 200, body: discovery(cluster, pathname) };
  const path = pathname.split('/').filter(Boolean);
  const r = route(path);
  if (!r) throw noSuchPath();
  if (r.groupVersion === 'metrics.k8s.io/v1beta1') {
    if (!cluster.metrics || method !== 'GET') throw noSuchPath();
    return { status: 200, body: r.rest.length === 0 ? discovery(cluster, pathname) : metricsList(cluster, r.rest) };
  }
  if (r.rest.length === 0 && method === 'GET') return { status: 200, body: discovery(cluster, pathname) };
  const { def, namespace, name, subresource } = resolve(r.groupVersion, r.rest);
  const store = cluster.objects[def.plural];
  const notAllowed = () =>
    new HttpFailure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (!name) {
    if (method === 'POST' && isWritable(def))
      return { status: 201, body: createObject(cluster, def, namespace, await body()) };
    if (method !== 'GET') throw notAllowed();
    // A list is a read of every deployment in it: held rollouts count it (controller.ts).
    if (def.plural === 'deployments')
      for (const d of store.filter((o) => !namespace || o.metadata.namespace === namespace))
        observeDeployment(cluster, d);
    return { status: 200, body: list(cluster, def, store, namespace, url.searchParams, pageLimit) };
  }
  const found = store.find((o) => o.metadata.name === name && (!def.namespaced || o.metadata.namespace === namespace));
  if (!found) throw notFound(def, name);
  if (subresource && !(subresource === 'scale' && def.plural === 'deployments')) throw noSuchPath();
  if (method === 'GET') {
    if (def.plural === 'deployments' && !subresource) observeDeployment(cluster, found);
    return { status: 200, body: subresource ? scaleOf(found) : found };
  }
  if (method === 'PUT' && !subresource) {
    if (!isWritable(def)) throw notAllowed();
    return { status: 200, body: replaceObject(cluster, def, found, await body()) };
  }
  if (method === 'DELETE') {
    deleteObject(cluster, def, found);
    return {
      status: 200,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, kind: def.plural, uid: found.metadata.uid },
      },
    };
  }
  if (method !== 'PATCH')
    throw new HttpFailure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  let patch: Json;
  try {
    patch = JSON.parse(await body()) as Json;
  } catch {
    throw new HttpFailure(400, 'BadRequest', 'the body of the request was in an unknown format');
  }
  try {
    if (subresource === 'scale') {
      const scaled = applyPatch(scaleOf(found) as unknown as Json, contentType, patch) as {
        spec?: { replicas?: unknown };
      };
      const replicas = scaled.spec?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
        throw new HttpFailure(
          422,
          'Invalid',
          `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0`,
        );
      update(cluster, def, found, { ...found, spec: { ...found.spec, replicas } });
      return { status: 200, body: scaleOf(found) };
    }
    const next = applyPatch(found as unknown as Json, contentType, patch) as unknown as KubeObject;
    update(cluster, def, found, next);
    return { status: 200, body: found };
  } catch (e) {
    if (e instanceof PatchError)
      throw new HttpFailure(
        e.status,
        e.status === 415 ? 'UnsupportedMediaType' : e.status === 400 ? 'BadRequest' : 'Invalid',
        e.message,
      );
    throw e;
  }
};

/** Writes a patched object back in place; a deployment whose spec changed rolls out. */
const update = (cluster: KubeClusterState, def: ResourceDef, found: KubeObject, next: KubeObject): void => {
  const specChanged = JSON.stringify(next.spec) !== JSON.stringify(found.spec);
  const unschedulable = next.spec?.unschedulable;
  if (def.plural === 'nodes' && unschedulable !== undefined && typeof unschedulable !== 'boolean')
    throw new HttpFailure(
      400,
      'BadRequest',
      `json: cannot unmarshal ${typeof unschedulable} into Go struct field NodeSpec.spec.unschedulable of type bool`,
    );
  if (def.plural === 'deployments' && specChanged) {
    const parsed = DeploymentSpec.safeParse(next.spec);
    if (!parsed.success)
      throw new HttpFailure(
        422,
        'Invalid',
        `Deployment.apps "${found.metadata.name}" is invalid: ${parsed.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
  }
  const identity = found.metadata;
  Object.assign(found, next, {
    apiVersion: apiVersionOf(def),
    kind: def.kind,
    metadata: {
      ...next.metadata,
      name: identity.name,
      ...(identity.namespace ? { namespace: identity.namespace } : {}),
      uid: identity.uid,
      creationTimestamp: identity.creationTimestamp,
      ...(identity.ownerReferences ? { ownerReferences: identity.ownerReferences } : {}),
    },
  });
  if (def.plural === 'deployments' && specChanged) {
    found.metadata.generation = (identity.generation ?? 1) + 1;
    reconcileDeployment(cluster, found);
  } else {
    cluster.revision += 1;
    found.metadata.resourceVersion = String(cluster.revision);
  }
};

const list = (
  cluster: KubeClusterState,
  def: ResourceDef,
  store: KubeObject[],
  namespace: string | undefined,
  query: URLSearchParams,
  pageLimit: number,
): unknown => {
  const start = query.get('continue') ? decodeContinue(query.get('continue')!) : undefined;
  const limitParam = Number(query.get('limit') ?? 0);
  const limit = Math.min(limitParam > 0 ? limitParam : pageLimit, pageLimit);
  const matching = store
    .filter((o) => !namespace || o.metadata.namespace === namespace)
    .filter((o) => selectorMatches(query.get('labelSelector'), o.metadata.labels))
    .map((o) => ({ key: keyOf(o), o }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const from = start === undefined ? 0 : matching.findIndex((m) => m.key > start);
  const page = from < 0 ? [] : matching.slice(from, from + limit);
  const remaining = from < 0 ? 0 : matching.length - from - page.length;
  return {
    kind: `${def.kind}List`,
    apiVersion: apiVersionOf(def),
    metadata: {
      resourceVersion: String(cluster.revision),
      ...(remaining > 0
        ? { continue: encodeContinue(cluster.revision, page[page.length - 1]!.key), remainingItemCount: remaining }
        : {}),
    },
    items: page.map((m) => m.o),
  };
};

const kubeconfigYaml = (clusters: KubeSandboxCluster[]): string =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: clusters.map((c) => ({ name: c.name, cluster: { server: c.url, 'insecure-skip-tls-verify': true } })),
    users: clusters.map((c) => ({ name: `${c.name}-admin`, user: { token: c.token } })),
    contexts: clusters.map((c) => ({ name: c.name, context: { cluster: c.name, user: `${c.name}-admin` } })),
    'current-context': clusters[0]?.name ?? '',
  });

/** Starts one loopback listener per cluster (the seeded `prod-eu` and `dev-us` by default). */
export const startKubernetesSandbox = async (opts: KubeSandboxOptions = {}): Promise<KubeSandbox> => {
  const now = opts.now ?? (() => new Date());
  const seeds = opts.clusters ?? seedKubeFleet(now());
  const pageLimit = opts.pageLimit ?? 500;
  const maxRecorded = opts.maxRecordedRequests ?? 10_000;
  const requests: KubeSandboxRequest[] = [];
  const faults = faultQueue<{ cluster: string; match: string }, KubeFault>();
  const servers: Server[] = [];
  const clusters: KubeSandboxCluster[] = [];

  for (const seed of seeds) {
    const maxRv = Math.max(
      1,
      ...Object.values(seed.objects).flatMap((os) => os.map((o) => Number(o.metadata.resourceVersion) || 0)),
    );
    const state: KubeClusterState = {
      ...seed,
      metrics: opts.withMetrics ?? seed.metrics,
      token: seed.token ?? `sandbox-${seed.name}-token`,
      revision: maxRv,
      now,
      rolloutReads: opts.rolloutReads ?? 1,
      rollouts: new Map(),
    };
    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const contentType = req.headers['content-type'] ?? '';
      const answer = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
        requests.push({
          cluster: state.name,
          method,
          path: `${url.pathname}${url.search}`,
          contentType: contentType || undefined,
          status,
        });
        if (requests.length > maxRecorded) requests.splice(0, requests.length - maxRecorded);
        const text = JSON.stringify(payload);
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...headers,
        });
        res.end(text);
      };
      try {
        if (req.headers.authorization !== `Bearer ${state.token}`) {
          answer(401, statusBody(401, 'Unauthorized', 'Unauthorized'));
          return;
        }
        const fault = faults.take(
          (f) => f.cluster === state.name && (f.match === '*' || `${method} ${url.pathname}`.includes(f.match)),
        );
        if (fault) {
          const reason = fault.reason ?? (fault.status === 429 ? 'TooManyRequests' : 'InternalError');
          const message =
            fault.message ??
            (fault.status === 429
              ? 'Too many requests, please try again later.'
              : 'an error on the server has prevented the request from succeeding');
          answer(
            fault.status,
            statusBody(fault.status, reason, message),
            fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
          );
          return;
        }
        const out = await serve(state, method, url, contentType, () => readBody(req), pageLimit);
        answer(out.status, out.body);
      } catch (e) {
        if (e instanceof HttpFailure) answer(e.status, statusBody(e.status, e.reason, e.message, e.details));
        else
          answer(
            500,
            statusBody(500, 'InternalError', `sandbox failure: ${e instanceof Error ? e.message : String(e)}`),
          );
      }
    };
    const server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    servers.push(server);
    clusters.push({
      name: state.name,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: state.token,
      state,
    });
  }

  return {
    kubeconfig: () => kubeconfigYaml(clusters),
    clusters,
    requests,
    failNext: (cluster, match, fault, times = 1) => faults.push({ cluster, match }, fault, times),
    stop: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((ok) => {
              s.closeAllConnections();
              s.close(() => ok());
            }),
        ),
      );
    },
  };
};
