import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { findAction } from '../../src/cloud/actions.ts';
import type { ActionSubject } from '../../src/cloud/actions.ts';
import { KubernetesProvider } from '../../src/cloud/kubernetes/provider.ts';
import type { KubernetesProviderOptions } from '../../src/cloud/kubernetes/provider.ts';
import type { ResourceAction } from '../../src/cloud/provider.ts';
import { Resource } from '../../src/cloud/resource.ts';
import { addBulkPods, seedKubeFleet } from '../../src/cloud/sandbox/kubernetes/fleet.ts';
import { startKubernetesSandbox } from '../../src/cloud/sandbox/kubernetes/server.ts';
import type { KubeSandbox } from '../../src/cloud/sandbox/kubernetes/server.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { rejectedAppError, sourceOf } from '../helpers/cloud.ts';

/**
 * The real @kubernetes/client-node against the loopback Kubernetes emulator: listing every type
 * per context, pagination, throttling, an unreachable context and a wrong token next to a
 * healthy one, metrics present and absent, each action undone by its declared inverse, and a
 * deployment that vanished between plan and execution.
 */

const now = new Date('2026-11-01T12:00:00Z');
let sandbox: KubeSandbox;
const providers: KubernetesProvider[] = [];
const sleeps: number[] = [];

const provider = (opts: Partial<KubernetesProviderOptions> = {}): KubernetesProvider => {
  const p = new KubernetesProvider({
    kubeconfig: sandbox.kubeconfig(),
    sandbox: true,
    now: () => now,
    requestTimeoutMs: 5_000,
    retry: {
      maxDelayMs: 50,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    ...opts,
  });
  providers.push(p);
  return p;
};

const byId = (all: Resource[], id: string): Resource => {
  const r = all.find((x) => x.id === id);
  if (!r) throw new Error(`no ${id} in ${all.length} resources`);
  return r;
};

/** The kubeconfig with one context's user token or server replaced. */
const editedKubeconfig = (context: string, edit: { token?: string; server?: string }): string => {
  const doc = parse(sandbox.kubeconfig()) as {
    clusters: { name: string; cluster: { server: string } }[];
    users: { name: string; user: { token: string } }[];
  };
  if (edit.server) doc.clusters.find((c) => c.name === context)!.cluster.server = edit.server;
  if (edit.token) doc.users.find((u) => u.name === `${context}-admin`)!.user.token = edit.token;
  return stringify(doc);
};

const closedPort = async (): Promise<number> => {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
};

beforeEach(async () => {
  sleeps.length = 0;
  sandbox = await startKubernetesSandbox({ now: () => now });
});
afterEach(async () => {
  for (const p of providers.splice(0)) p.close();
  await sandbox.stop();
});

describe('KubernetesProvider sources and listing', () => {
  it('has one source per context, keyed by context, with the cluster as region', () => {
    expect(provider().sources()).toEqual([
      {
        key: 'kubernetes:prod-eu:cluster',
        provider: 'kubernetes',
        account: 'prod-eu',
        region: 'prod-eu',
        label: 'Kubernetes prod-eu (cluster prod-eu)',
      },
      {
        key: 'kubernetes:dev-us:cluster',
        provider: 'kubernetes',
        account: 'dev-us',
        region: 'dev-us',
        label: 'Kubernetes dev-us (cluster dev-us)',
      },
    ]);
    expect(
      provider({ contexts: ['dev-us'] })
        .sources()
        .map((s) => s.account),
    ).toEqual(['dev-us']);
    expect(() => provider({ contexts: ['staging'] })).toThrow(/no context named "staging"/);
  });

  it('lists every type of prod-eu, normalized, with the planted problems visible', async () => {
    const p = provider();
    const all = await p.listSource(sourceOf(p, 'prod-eu'));
    for (const r of all) Resource.parse(r);
    expect(new Set(all.map((r) => r.account))).toEqual(new Set(['prod-eu']));
    expect(new Set(all.map((r) => r.region))).toEqual(new Set(['prod-eu']));
    expect(all.every((r) => r.monthlyCostCents === 0)).toBe(true);
    const count = (type: string) => all.filter((r) => r.type === type).length;
    expect({
      node: count('node'),
      namespace: count('namespace'),
      deployment: count('deployment'),
      pod: count('pod'),
      service: count('service'),
      persistent_volume: count('persistent_volume'),
      volume_claim: count('volume_claim'),
      role: count('role'),
      role_binding: count('role_binding'),
    }).toEqual({
      node: 3,
      namespace: 4,
      deployment: 5,
      pod: 11,
      service: 3,
      persistent_volume: 2,
      volume_claim: 1,
      role: 3,
      role_binding: 3,
    });
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);

    const pressured = byId(all, 'node/prod-eu-node-3');
    expect(pressured).toMatchObject({
      state: 'ready',
      attributes: {
        problems: ['MemoryPressure'],
        unschedulable: false,
        kubeletVersion: 'v1.31.4',
        capacity: { cpu: '2', cpuMillicores: 2000, memoryBytes: 16 * 2 ** 30 },
        allocatable: { cpu: '1920m', cpuMillicores: 1920 },
      },
    });
    expect(String(pressured.attributes.costNote)).toMatch(/VM/);

    const worker = byId(all, 'payments/deployment/payments-worker');
    expect(worker).toMatchObject({
      name: 'payments-worker',
      state: 'degraded',
      environment: 'prod',
      tags: { service: 'payments', owner: 'team-payments' },
      attributes: {
        namespace: 'payments',
        revision: 2,
        images: ['registry.example.com/payments-worker:2.4.0-rc1'],
        replicas: { desired: 2, updated: 2, available: 0, ready: 0 },
      },
    });
    expect(worker.attributes.history).toMatchObject([
      { revision: 2, images: ['registry.example.com/payments-worker:2.4.0-rc1'], replicas: 2 },
      { revision: 1, images: ['registry.example.com/payments-worker:2.3.5'], replicas: 0 },
    ]);
    const workerPods = all.filter((r) => r.type === 'pod' && r.attributes.ownerDeployment === 'payments-worker');
    expect(workerPods).toHaveLength(2);
    expect(workerPods.every((r) => r.state === 'imagepullbackoff' && r.attributes.reason === 'ImagePullBackOff')).toBe(
      true,
    );
    expect(workerPods.every((r) => r.attributes.phase === 'Pending')).toBe(true);

    expect(byId(all, 'web/deployment/frontend')).toMatchObject({
      state: 'available',
      attributes: { revision: 3, replicas: { desired: 3, available: 3 }, containersWithoutRequests: [] },
    });
    expect((byId(all, 'web/deployment/frontend').attributes.history as unknown[]).length).toBe(3);
    expect(byId(all, 'web/deployment/legacy-admin').attributes).toMatchObject({
      containersWithoutRequests: ['admin'],
      containersWithoutLimits: ['admin'],
    });

    const debug = byId(all, 'default/pod/debug-shell');
    expect(debug).toMatchObject({
      state: 'running',
      attributes: {
        node: 'prod-eu-node-2',
        ownerDeployment: null,
        securityContext: { privileged: true, hostNetwork: true, hostPID: true, runAsNonRoot: false },
      },
    });
    const frontendPod = all.find((r) => r.type === 'pod' && r.attributes.ownerDeployment === 'frontend')!;
    expect(frontendPod).toMatchObject({
      environment: 'prod',
      attributes: {
        phase: 'Running',
        restarts: 0,
        securityContext: { privileged: false, runAsNonRoot: true },
        containers: [{ name: 'nginx', requests: { cpu: '250m', cpuMillicores: 250, memoryBytes: 256 * 2 ** 20 } }],
      },
    });

    expect(byId(all, 'web/service/frontend')).toMatchObject({
      state: 'active',
      attributes: { serviceType: 'LoadBalancer', exposed: true, ports: [{ port: 80 }, { port: 443 }] },
    });
    expect((byId(all, 'web/service/frontend').attributes.external as string[])[0]).toMatch(
      /elb\.eu-west-1\.amazonaws\.com$/,
    );
    expect(byId(all, 'persistentvolume/pvc-old-reports')).toMatchObject({
      state: 'released',
      attributes: { claim: 'web/reports-archive', capacityBytes: 500 * 2 ** 30, reclaimPolicy: 'Retain' },
    });
    expect(byId(all, 'payments/persistentvolumeclaim/ledger-data')).toMatchObject({
      state: 'bound',
      attributes: { capacity: '100Gi', storageClass: 'gp3', volumeName: 'pvc-payments-db' },
    });
    expect(byId(all, 'clusterrolebinding/ci-deployer-admin')).toMatchObject({
      type: 'role_binding',
      attributes: {
        scope: 'cluster',
        roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }],
        grantsClusterAdmin: true,
      },
    });
    expect(byId(all, 'clusterrole/cluster-admin').attributes.wildcard).toBe(true);
    expect(byId(all, 'payments/role/payments-reader')).toMatchObject({
      attributes: { scope: 'namespace', wildcard: false },
    });
  });

  it('lists dev-us with its NotReady node and the pod in CrashLoopBackOff', async () => {
    const p = provider();
    const all = await p.listSource(sourceOf(p, 'dev-us'));
    expect(byId(all, 'node/dev-us-node-3').state).toBe('not_ready');
    const crashing = all.filter((r) => r.type === 'pod' && r.state === 'crashloopbackoff');
    expect(crashing).toHaveLength(1);
    expect(crashing[0]).toMatchObject({
      environment: 'dev',
      attributes: { ownerDeployment: 'search-indexer', phase: 'Running', reason: 'CrashLoopBackOff' },
    });
    expect(Number(crashing[0]!.attributes.restarts)).toBeGreaterThan(10);
    expect(byId(all, 'staging/persistentvolumeclaim/scratch').state).toBe('pending');
    expect(byId(all, 'staging/service/api').attributes).toMatchObject({ serviceType: 'NodePort', exposed: true });
  });

  it('pages through 10,000 pods with limit/continue', async () => {
    await sandbox.stop();
    const seeds = seedKubeFleet(now);
    addBulkPods(seeds[0]!, 'batch', 10_000, now);
    sandbox = await startKubernetesSandbox({ now: () => now, clusters: seeds });
    const p = provider({ pageSize: 500 });
    const started = performance.now();
    const all = await p.listSource(sourceOf(p, 'prod-eu'));
    const ms = performance.now() - started;
    const pods = all.filter((r) => r.type === 'pod');
    expect(pods).toHaveLength(10_011);
    expect(new Set(pods.map((r) => r.id)).size).toBe(10_011);
    const podPages = sandbox.requests.filter((r) => r.path.startsWith('/api/v1/pods?'));
    expect(podPages).toHaveLength(21);
    expect(podPages.every((r) => /limit=500/.test(r.path))).toBe(true);
    expect(podPages.slice(1).every((r) => /continue=/.test(r.path))).toBe(true);
    expect(ms).toBeLessThan(15_000);
  });

  it('backs off on 429 (Retry-After) and succeeds, counting the calls', async () => {
    const metrics = createMetrics();
    sandbox.failNext('prod-eu', 'GET /api/v1/pods', { status: 429, retryAfterSeconds: 1 }, 2);
    const p = provider({ metrics });
    const all = await p.listSource(sourceOf(p, 'prod-eu'));
    expect(all.filter((r) => r.type === 'pod')).toHaveLength(11);
    expect(sandbox.requests.filter((r) => r.path.startsWith('/api/v1/pods')).map((r) => r.status)).toEqual([
      429, 429, 200,
    ]);
    // Retry-After: 1 asks for 1 s; the test caps waits at 50 ms.
    expect(sleeps).toEqual([50, 50]);
    const calls = await metrics.registry.getSingleMetricAsString('devops_agent_cloud_calls_total');
    expect(calls).toContain(
      'devops_agent_cloud_calls_total{provider="kubernetes",operation="listPodForAllNamespaces",outcome="ok"} 1',
    );
  });

  it('gives up after its attempts with rate_limited', async () => {
    const metrics = createMetrics();
    sandbox.failNext('prod-eu', 'GET /api/v1/nodes', { status: 429 }, 10);
    const p = provider({ metrics, retry: { attempts: 3, maxDelayMs: 5, sleep: async () => undefined } });
    const err = await rejectedAppError(p.listSource(sourceOf(p, 'prod-eu')));
    expect(err.code).toBe('rate_limited');
    expect(err.userMessage).toMatch(/context prod-eu is throttling/);
    expect(sandbox.requests.filter((r) => r.path.startsWith('/api/v1/nodes')).map((r) => r.status)).toEqual([
      429, 429, 429,
    ]);
    const calls = await metrics.registry.getSingleMetricAsString('devops_agent_cloud_calls_total');
    expect(calls).toContain('operation="listNode",outcome="rate_limited"} 1');
  });

  it('rejects an unreachable context with a clear error while the other lists', async () => {
    const port = await closedPort();
    const p = provider({ kubeconfig: editedKubeconfig('dev-us', { server: `http://127.0.0.1:${port}` }) });
    const err = await rejectedAppError(p.listSource(sourceOf(p, 'dev-us')));
    expect(err.code).toBe('cloud_error');
    expect(err.userMessage).toContain(`Cannot reach the API server of context dev-us (http://127.0.0.1:${port})`);
    expect(err.userMessage).toMatch(/ECONNREFUSED/);
    expect((await p.listSource(sourceOf(p, 'prod-eu'))).length).toBeGreaterThan(30);
  });

  it('rejects a wrong token with auth_failed naming the context while the other lists', async () => {
    const p = provider({ kubeconfig: editedKubeconfig('prod-eu', { token: 'not-the-token' }) });
    const err = await rejectedAppError(p.listSource(sourceOf(p, 'prod-eu')));
    expect(err.code).toBe('auth_failed');
    expect(err.userMessage).toMatch(/context prod-eu refused the credentials \(401 Unauthorized\)/);
    expect(err.userMessage).not.toContain('not-the-token');
    expect((await p.listSource(sourceOf(p, 'dev-us'))).some((r) => r.type === 'deployment')).toBe(true);
  });

  it('times out a request that never answers', async () => {
    // Accepts the connection and never answers.
    const sockets = new Set<Socket>();
    const hung = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((ok) => hung.listen(0, '127.0.0.1', ok));
    try {
      const { port } = hung.address() as AddressInfo;
      const p = provider({
        kubeconfig: editedKubeconfig('dev-us', { server: `http://127.0.0.1:${port}` }),
        requestTimeoutMs: 150,
      });
      const err = await rejectedAppError(p.listSource(sourceOf(p, 'dev-us')));
      expect(err.code).toBe('cloud_error');
      expect(err.userMessage).toMatch(/context dev-us .* did not answer within 150 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => hung.close(() => ok()));
    }
  });
});

describe('KubernetesProvider cancellation', () => {
  it('stops a listing when the sync gives up on the source', async () => {
    const p = provider();
    const ac = new AbortController();
    ac.abort();
    const err = await rejectedAppError(p.listSource(sourceOf(p, 'prod-eu'), { signal: ac.signal }));
    expect(err.code).toBe('cloud_error');
    expect(err.userMessage).toMatch(/^Stopped listing .* on context prod-eu: the caller cancelled it\.$/);
    expect(sandbox.requests).toHaveLength(0);
  });
});

describe('KubernetesProvider.metrics', () => {
  it('reads node and pod usage from metrics.k8s.io on prod-eu', async () => {
    const p = provider();
    const rows = await p.metrics!(sourceOf(p, 'prod-eu'), { days: 1, now });
    const node3 = rows.filter((r) => r.resourceId === 'node/prod-eu-node-3');
    expect(node3.map((r) => r.metric).sort()).toEqual(['cpu_millicores', 'memory_bytes']);
    const mem = node3.find((r) => r.metric === 'memory_bytes')!;
    expect(mem).toMatchObject({ provider: 'kubernetes', account: 'prod-eu', day: '2026-11-01', unit: 'bytes' });
    expect(mem.avg).toBe(mem.max);
    expect(mem.avg).toBeGreaterThan(14 * 2 ** 30);
    const podCpu = rows.filter((r) => r.resourceId.startsWith('web/pod/') && r.metric === 'cpu_millicores');
    expect(podCpu.length).toBe(4);
    // Pods stuck pulling their image use nothing and are not reported.
    expect(rows.some((r) => r.resourceId.startsWith('payments/pod/payments-worker'))).toBe(false);
    const all = await p.listSource(sourceOf(p, 'prod-eu'));
    for (const r of rows) expect(all.some((x) => x.id === r.resourceId)).toBe(true);
  });

  it('answers [] without error on dev-us, which has no metrics API', async () => {
    const p = provider();
    expect(await p.metrics!(sourceOf(p, 'dev-us'), { days: 1, now })).toEqual([]);
    expect(
      sandbox.requests.some(
        (r) => r.cluster === 'dev-us' && r.path.startsWith('/apis/metrics.k8s.io') && r.status === 404,
      ),
    ).toBe(true);
  });
});

describe('KubernetesProvider actions and their inverses', () => {
  const key = (type: string, id: string, account = 'prod-eu') => ({
    provider: 'kubernetes',
    account,
    region: account,
    type,
    id,
  });
  const act = (action: string, type: string, id: string, params: Record<string, string> = {}): ResourceAction => ({
    action,
    target: key(type, id),
    params,
  });
  const subjectOf = (r: Resource): ActionSubject => r;

  it('scales a deployment and scales it back with the recorded inverse', async () => {
    const p = provider();
    const id = 'payments/deployment/payments-api';
    const before = (await p.describe(key('deployment', id)))!;
    const spec = findAction(p.actions, 'deployment', 'scale')!;
    await spec.check!(subjectOf(before), { replicas: '5' }, { sizes: async () => [], monthlyCostAt: () => undefined });
    expect(spec.inverse({ params: { replicas: '5' }, subject: subjectOf(before) })).toEqual({
      action: 'scale',
      params: { replicas: '2' },
    });

    const done = await p.execute(act('scale', 'deployment', id, { replicas: '5' }));
    expect(done).toMatchObject({ newState: 'available', previous: { replicas: '2' } });
    expect(done.summary).toContain('scaled to 5 replicas (was 2)');
    const scaled = (await p.describe(key('deployment', id)))!;
    expect(scaled.attributes.replicas).toMatchObject({ desired: 5, available: 5 });
    const pods = (await p.listSource(sourceOf(p, 'prod-eu'))).filter(
      (r) => r.attributes.ownerDeployment === 'payments-api',
    );
    expect(pods).toHaveLength(5);

    const inverse = spec.inverse({ params: { replicas: '5' }, previous: done.previous });
    expect(inverse).toEqual({ action: 'scale', params: { replicas: '2' } });
    if (!('action' in inverse)) throw new Error('no inverse');
    await p.execute(act(inverse.action, 'deployment', id, inverse.params));
    expect(((await p.describe(key('deployment', id)))!.attributes.replicas as { desired: number }).desired).toBe(2);
    expect(
      sandbox.requests.some((r) => r.method === 'PATCH' && r.path.endsWith('/deployments/payments-api/scale')),
    ).toBe(true);
  });

  it('describes one object of each kind as the listing shows it', async () => {
    const p = provider();
    const all = await p.listSource(sourceOf(p, 'prod-eu'));
    const pod = all.find((r) => r.type === 'pod' && r.attributes.ownerDeployment === 'payments-api')!;
    for (const r of [
      pod,
      byId(all, 'web/service/frontend'),
      byId(all, 'clusterrolebinding/ci-deployer-admin'),
      byId(all, 'payments/persistentvolumeclaim/ledger-data'),
      byId(all, 'persistentvolume/pvc-old-reports'),
      byId(all, 'payments/role/payments-reader'),
      byId(all, 'namespace/web'),
    ]) {
      expect(await p.describe(key(r.type, r.id))).toEqual(r);
    }
    expect(await p.describe(key('pod', 'web/pod/ghost'))).toBeNull();
    expect(await p.describe(key('deployment', 'node/prod-eu-node-1'))).toBeNull();
  });

  it('refuses bad parameters before calling the cluster', async () => {
    const p = provider();
    const err = await rejectedAppError(
      p.execute(act('scale', 'deployment', 'payments/deployment/payments-api', { replicas: '5000' })),
    );
    expect(err.code).toBe('bad_request');
    expect(err.userMessage).toMatch(/between 0 and 1000/);
    expect(sandbox.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });

  it('restarts a deployment like kubectl (restartedAt annotation, new revision); its inverse says why none', async () => {
    const p = provider();
    const id = 'web/deployment/frontend';
    const done = await p.execute(act('rollout_restart', 'deployment', id));
    expect(done.previous).toEqual({ revision: '3', restartedAt: '' });
    const after = (await p.describe(key('deployment', id)))!;
    expect(after.attributes).toMatchObject({ revision: 4, restartedAt: now.toISOString() });
    const patch = sandbox.requests.find(
      (r) => r.method === 'PATCH' && r.path === '/apis/apps/v1/namespaces/web/deployments/frontend',
    );
    expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
    const inverse = findAction(p.actions, 'deployment', 'rollout_restart')!.inverse({
      params: {},
      previous: done.previous,
    });
    expect(inverse).toHaveProperty('why');
  });

  it('rolls payments-worker back to the good revision, then undoes that with the recorded inverse', async () => {
    const p = provider();
    const id = 'payments/deployment/payments-worker';
    const spec = findAction(p.actions, 'deployment', 'rollout_undo')!;
    expect(spec.name).toBe('undo_rollout');
    const done = await p.execute(act('rollout_undo', 'deployment', id));
    expect(done.previous).toEqual({ revision: '2' });
    expect(done.newState).toBe('available');
    const fixed = (await p.describe(key('deployment', id)))!;
    expect(fixed).toMatchObject({
      state: 'available',
      attributes: { revision: 3, images: ['registry.example.com/payments-worker:2.3.5'] },
    });
    const inverse = spec.inverse({ params: {}, previous: done.previous });
    expect(inverse).toEqual({ action: 'undo_rollout', params: { toRevision: '2' } });
    if (!('action' in inverse)) throw new Error('no inverse');
    await p.execute(act(inverse.action, 'deployment', id, inverse.params));
    expect((await p.describe(key('deployment', id)))!).toMatchObject({
      state: 'degraded',
      attributes: { revision: 4, images: ['registry.example.com/payments-worker:2.4.0-rc1'] },
    });
  });

  it('refuses a rollback with no previous revision as a conflict', async () => {
    const p = provider();
    const id = 'web/deployment/legacy-admin';
    const subject = (await p.describe(key('deployment', id)))!;
    const spec = findAction(p.actions, 'deployment', 'undo_rollout')!;
    const planErr = await rejectedAppError(
      spec.check!(subject, {}, { sizes: async () => [], monthlyCostAt: () => undefined }),
    );
    expect(planErr.code).toBe('conflict');
    const err = await rejectedAppError(p.execute(act('undo_rollout', 'deployment', id)));
    expect(err.code).toBe('conflict');
    expect(err.userMessage).toBe(
      'web/deployment/legacy-admin has no previous revision to roll back to: its history keeps only revision 1.',
    );
    const missing = await rejectedAppError(
      p.execute(act('undo_rollout', 'deployment', 'web/deployment/frontend', { toRevision: '9' })),
    );
    expect(missing.code).toBe('conflict');
    expect(missing.userMessage).toMatch(/no revision 9 .* keeps 1, 2, 3/);
  });

  it('cordons a node and uncordons it with the inverse', async () => {
    const p = provider();
    const id = 'node/prod-eu-node-1';
    const cordon = findAction(p.actions, 'node', 'cordon')!;
    expect(cordon.doneStates).toContain('cordoned');
    const done = await p.execute(act('cordon', 'node', id));
    expect(done).toMatchObject({ newState: 'cordoned', previous: { unschedulable: 'false' } });
    expect((await p.describe(key('node', id)))!.state).toBe('cordoned');
    const inverse = cordon.inverse({ params: {}, previous: done.previous });
    expect(inverse).toEqual({ action: 'uncordon', params: {} });
    const undone = await p.execute(act('uncordon', 'node', id));
    expect(undone.newState).toBe('ready');
    expect(findAction(p.actions, 'node', 'uncordon')!.inverse({ params: {} })).toEqual({
      action: 'cordon',
      params: {},
    });
    expect((await p.describe(key('node', id)))!.attributes.unschedulable).toBe(false);
  });

  it('fails cleanly with not_found when the deployment was deleted after the plan', async () => {
    const p = provider();
    const id = 'web/deployment/frontend';
    expect(await p.describe(key('deployment', id))).not.toBeNull();
    const prod = sandbox.clusters.find((c) => c.name === 'prod-eu')!;
    const res = await fetch(`${prod.url}/apis/apps/v1/namespaces/web/deployments/frontend`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${prod.token}` },
    });
    expect(res.status).toBe(200);
    for (const a of [
      act('scale', 'deployment', id, { replicas: '4' }),
      act('rollout_restart', 'deployment', id),
      act('undo_rollout', 'deployment', id),
    ]) {
      const err = await rejectedAppError(p.execute(a));
      expect(err.code).toBe('not_found');
      expect(err.userMessage).toMatch(/web\/deployment\/frontend no longer exists/);
    }
    expect(await p.describe(key('deployment', id))).toBeNull();
    expect(sandbox.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    const gone = await rejectedAppError(p.execute(act('cordon', 'node', 'node/no-such-node')));
    expect(gone.code).toBe('not_found');
  });
});
