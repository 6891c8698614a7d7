import { describe, expect, it } from '@jest/globals';
import type { V1Deployment, V1Node, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { rollbackTarget } from '../../src/cloud/kubernetes/actions.ts';
import { translateKubeError } from '../../src/cloud/kubernetes/errors.ts';
import { readContexts } from '../../src/cloud/kubernetes/kubeconfig.ts';
import {
  historyOf,
  idOf,
  nodeState,
  normalizeCluster,
  normalizeDeployment,
  normalizeNode,
  normalizePod,
  parseId,
  podReason,
  rolloutOf,
} from '../../src/cloud/kubernetes/normalize.ts';
import type { ClusterListing } from '../../src/cloud/kubernetes/normalize.ts';
import { bytes, cpuMillicores, parseQuantity } from '../../src/cloud/kubernetes/quantity.ts';
import { usageSamples } from '../../src/cloud/kubernetes/usage.ts';
import { Resource } from '../../src/cloud/resource.ts';

const seenAt = new Date('2026-11-01T12:00:00Z');
const ctx = { context: 'prod-eu', cluster: 'eks-prod', seenAt };

const node = (over: Partial<V1Node> = {}, ready = 'True'): V1Node => ({
  metadata: { name: 'n1', labels: { 'node.kubernetes.io/instance-type': 'm6i.large' } },
  spec: {},
  status: {
    capacity: { cpu: '2', memory: '8Gi' },
    allocatable: { cpu: '1930m', memory: '7Gi' },
    conditions: [
      { type: 'Ready', status: ready },
      { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure' },
    ],
    nodeInfo: { kubeletVersion: 'v1.30.1' } as NonNullable<V1Node['status']>['nodeInfo'],
  },
  ...over,
});

const deployment = (
  over: { generation?: number; replicas?: number; status?: V1Deployment['status'] } = {},
): V1Deployment => ({
  metadata: {
    name: 'api',
    namespace: 'shop',
    uid: 'd-1',
    generation: over.generation ?? 2,
    annotations: { 'deployment.kubernetes.io/revision': '2' },
  },
  spec: {
    replicas: over.replicas ?? 3,
    selector: { matchLabels: { app: 'api' } },
    template: {
      metadata: { labels: { app: 'api' } },
      spec: {
        containers: [
          { name: 'api', image: 'api:2', resources: { requests: { cpu: '100m', memory: '128Mi' } } },
          { name: 'sidecar', image: 'envoy:1.31' },
        ],
      },
    },
  },
  status: over.status ?? {
    observedGeneration: 2,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
  },
});

const rs = (name: string, revision: string, image: string, ownerUid = 'd-1'): V1ReplicaSet => ({
  metadata: {
    name,
    namespace: 'shop',
    annotations: { 'deployment.kubernetes.io/revision': revision },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: ownerUid, controller: true }],
  },
  spec: { selector: {}, replicas: 0, template: { spec: { containers: [{ name: 'api', image }] } } },
});

describe('quantities', () => {
  it('parses CPU, memory and exponent forms', () => {
    expect(cpuMillicores('250m')).toBe(250);
    expect(cpuMillicores('2')).toBe(2000);
    expect(cpuMillicores('0.5')).toBe(500);
    expect(cpuMillicores('1500000n')).toBe(2);
    expect(bytes('512Mi')).toBe(512 * 2 ** 20);
    expect(bytes('1G')).toBe(1e9);
    expect(bytes('1e3')).toBe(1000);
    expect(bytes('16777216Ki')).toBe(16 * 2 ** 30);
    expect(parseQuantity('lots')).toBeUndefined();
    expect(parseQuantity('5Xi')).toBeUndefined();
    expect(parseQuantity(undefined)).toBeUndefined();
  });
});

describe('ids', () => {
  it('round-trips namespaced and cluster-scoped ids and refuses others', () => {
    expect(idOf({ kind: 'deployment', namespace: 'web', name: 'frontend' })).toBe('web/deployment/frontend');
    expect(parseId('web/deployment/frontend')).toEqual({ namespace: 'web', kind: 'deployment', name: 'frontend' });
    expect(parseId('node/ip-10-0-0-1')).toEqual({ kind: 'node', name: 'ip-10-0-0-1' });
    expect(parseId('web/node/x')).toBeUndefined();
    expect(parseId('deployment/frontend')).toBeUndefined();
    expect(parseId('i-0abc')).toBeUndefined();
  });
});

describe('nodes', () => {
  it('maps Ready / NotReady / SchedulingDisabled to ready / not_ready / cordoned', () => {
    expect(nodeState(node())).toBe('ready');
    expect(nodeState(node({}, 'Unknown'))).toBe('not_ready');
    expect(nodeState(node({ spec: { unschedulable: true } }))).toBe('cordoned');
  });

  it('keeps capacity, allocatable, the conditions that are on, and the kubelet version', () => {
    const r = normalizeNode(node(), ctx);
    Resource.parse(r);
    expect(r).toMatchObject({
      provider: 'kubernetes',
      account: 'prod-eu',
      region: 'eks-prod',
      id: 'node/n1',
      monthlyCostCents: 0,
      environment: 'unknown',
      attributes: {
        capacity: { cpu: '2', cpuMillicores: 2000, memoryBytes: 8 * 2 ** 30 },
        allocatable: { cpuMillicores: 1930 },
        problems: ['DiskPressure'],
        kubeletVersion: 'v1.30.1',
        instanceType: 'm6i.large',
      },
    });
  });
});

describe('deployments', () => {
  it('judges rollouts like kubectl rollout status, with a deadline or nothing available as degraded', () => {
    expect(rolloutOf(deployment()).state).toBe('available');
    expect(rolloutOf(deployment()).message).toBe('deployment "api" successfully rolled out');
    expect(rolloutOf(deployment({ generation: 3 })).state).toBe('progressing');
    expect(
      rolloutOf(
        deployment({ status: { observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3 } }),
      ),
    ).toMatchObject({ state: 'progressing', message: expect.stringContaining('1 out of 3 new replicas') });
    expect(
      rolloutOf(
        deployment({ status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 0 } }),
      ).state,
    ).toBe('degraded');
    expect(
      rolloutOf(
        deployment({
          status: {
            observedGeneration: 2,
            replicas: 3,
            updatedReplicas: 3,
            availableReplicas: 2,
            conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
          },
        }),
      ).state,
    ).toBe('degraded');
    expect(rolloutOf(deployment({ replicas: 0, status: { observedGeneration: 2 } })).state).toBe('available');
  });

  it('lists history from owned ReplicaSets only, newest first, and flags containers without requests', () => {
    const sets = [rs('api-a', '1', 'api:1'), rs('api-b', '2', 'api:2'), rs('other-c', '7', 'x:1', 'someone-else')];
    expect(historyOf(deployment(), sets).map((h) => [h.revision, h.images])).toEqual([
      [2, ['api:2']],
      [1, ['api:1']],
    ]);
    const r = normalizeDeployment(deployment(), sets, {
      ...ctx,
      namespaceLabels: new Map([['shop', { env: 'Staging' }]]),
    });
    expect(r).toMatchObject({
      id: 'shop/deployment/api',
      state: 'available',
      environment: 'staging',
      attributes: {
        namespace: 'shop',
        revision: 2,
        images: ['api:2', 'envoy:1.31'],
        containersWithoutRequests: ['sidecar'],
        containersWithoutLimits: ['api', 'sidecar'],
        replicas: { desired: 3, ready: 3, updated: 3, available: 3 },
      },
    });
  });
});

describe('pods', () => {
  const pod = (
    statuses: NonNullable<V1Pod['status']>['containerStatuses'],
    phase = 'Running',
    over: Partial<V1Pod> = {},
  ): V1Pod => ({
    metadata: {
      name: 'api-b-x1',
      namespace: 'shop',
      labels: { app: 'api', 'pod-template-hash': 'b', env: 'prod' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-b', uid: 'rs' }],
    },
    spec: {
      containers: [{ name: 'api', image: 'api:2', securityContext: { runAsNonRoot: true } }],
      nodeName: 'n1',
    },
    status: { phase, containerStatuses: statuses },
    ...over,
  });

  it('takes the waiting reason as state (CrashLoopBackOff, ImagePullBackOff), else the phase', () => {
    const crash = pod([
      {
        name: 'api',
        image: 'api:2',
        imageID: '',
        ready: false,
        restartCount: 14,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
      },
    ]);
    expect(podReason(crash)).toBe('CrashLoopBackOff');
    const r = normalizePod(crash, new Map(), ctx);
    expect(r).toMatchObject({
      state: 'crashloopbackoff',
      environment: 'prod',
      attributes: { restarts: 14, ownerDeployment: 'api', phase: 'Running' },
    });
    const pull = pod(
      [
        {
          name: 'api',
          image: 'api:2',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ErrImagePull' } },
        },
      ],
      'Pending',
    );
    expect(normalizePod(pull, new Map(), ctx).state).toBe('errimagepull');
    const ok = pod([
      { name: 'api', image: 'api:2', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
    ]);
    expect(normalizePod(ok, new Map([['shop/api-b', 'api-v2']]), ctx)).toMatchObject({
      state: 'running',
      attributes: {
        reason: null,
        ownerDeployment: 'api-v2',
        securityContext: { privileged: false, runAsNonRoot: true },
      },
    });
    const oom = pod(
      [
        {
          name: 'api',
          image: 'api:2',
          imageID: '',
          ready: false,
          restartCount: 1,
          state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        },
      ],
      'Failed',
    );
    expect(podReason(oom)).toBe('OOMKilled');
  });

  it('reports privileged containers and host namespaces', () => {
    const p = pod([], 'Running', {
      spec: { hostNetwork: true, containers: [{ name: 'x', image: 'busybox', securityContext: { privileged: true } }] },
    });
    expect(normalizePod(p, new Map(), ctx).attributes.securityContext).toEqual({
      privileged: true,
      runAsNonRoot: false,
      hostNetwork: true,
      hostPID: false,
      hostIPC: false,
    });
  });
});

describe('a whole cluster', () => {
  it('normalizes every type with unique ids and valid Resources', () => {
    const listing: ClusterListing = {
      nodes: [node()],
      namespaces: [{ metadata: { name: 'shop', labels: { env: 'prod' } }, status: { phase: 'Active' } }],
      pods: [],
      services: [
        {
          metadata: { name: 'api', namespace: 'shop' },
          spec: { type: 'LoadBalancer', ports: [{ port: 443 }] },
          status: {},
        },
      ],
      persistentVolumes: [
        { metadata: { name: 'pv1' }, spec: { capacity: { storage: '10Gi' } }, status: { phase: 'Available' } },
      ],
      volumeClaims: [
        {
          metadata: { name: 'data', namespace: 'shop' },
          spec: { resources: { requests: { storage: '5Gi' } } },
          status: { phase: 'Pending' },
        },
      ],
      deployments: [deployment()],
      replicaSets: [rs('api-b', '2', 'api:2')],
      roles: [
        {
          metadata: { name: 'r', namespace: 'shop' },
          rules: [{ verbs: ['get'], resources: ['pods'], apiGroups: [''] }],
        },
      ],
      clusterRoles: [{ metadata: { name: 'god' }, rules: [{ verbs: ['*'], resources: ['*'], apiGroups: ['*'] }] }],
      roleBindings: [
        {
          metadata: { name: 'rb', namespace: 'shop' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
          subjects: [],
        },
      ],
      clusterRoleBindings: [
        {
          metadata: { name: 'ci-admin' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'ci' }],
        },
      ],
    };
    const all = normalizeCluster(listing, ctx);
    for (const r of all) Resource.parse(r);
    expect(all.map((r) => [r.type, r.id, r.state])).toEqual([
      ['node', 'node/n1', 'ready'],
      ['namespace', 'namespace/shop', 'active'],
      ['deployment', 'shop/deployment/api', 'available'],
      ['service', 'shop/service/api', 'pending'],
      ['persistent_volume', 'persistentvolume/pv1', 'available'],
      ['volume_claim', 'shop/persistentvolumeclaim/data', 'pending'],
      ['role', 'clusterrole/god', 'active'],
      ['role', 'shop/role/r', 'active'],
      ['role_binding', 'clusterrolebinding/ci-admin', 'active'],
      ['role_binding', 'shop/rolebinding/rb', 'active'],
    ]);
    expect(all.find((r) => r.id === 'shop/service/api')!.environment).toBe('prod');
    expect(all.find((r) => r.id === 'clusterrolebinding/ci-admin')!.attributes.grantsClusterAdmin).toBe(true);
    expect(all.find((r) => r.id === 'clusterrole/god')!.attributes.wildcard).toBe(true);
  });
});

describe('metrics.k8s.io usage', () => {
  it('turns node and pod readings into daily samples, pods summing their containers', () => {
    const rows = usageSamples(
      {
        nodes: { items: [{ metadata: { name: 'n1' }, usage: { cpu: '1200000000n', memory: '4Gi' } }] },
        pods: {
          items: [
            {
              metadata: { name: 'p', namespace: 'shop' },
              containers: [
                { name: 'a', usage: { cpu: '150m', memory: '100Mi' } },
                { name: 'b', usage: { cpu: '50m', memory: '28Mi' } },
              ],
            },
          ],
        },
      },
      { context: 'prod-eu', day: '2026-11-01' },
    );
    expect(rows).toEqual([
      {
        provider: 'kubernetes',
        account: 'prod-eu',
        resourceId: 'node/n1',
        day: '2026-11-01',
        metric: 'cpu_millicores',
        avg: 1200,
        max: 1200,
        unit: 'millicores',
      },
      {
        provider: 'kubernetes',
        account: 'prod-eu',
        resourceId: 'node/n1',
        day: '2026-11-01',
        metric: 'memory_bytes',
        avg: 4 * 2 ** 30,
        max: 4 * 2 ** 30,
        unit: 'bytes',
      },
      {
        provider: 'kubernetes',
        account: 'prod-eu',
        resourceId: 'shop/pod/p',
        day: '2026-11-01',
        metric: 'cpu_millicores',
        avg: 200,
        max: 200,
        unit: 'millicores',
      },
      {
        provider: 'kubernetes',
        account: 'prod-eu',
        resourceId: 'shop/pod/p',
        day: '2026-11-01',
        metric: 'memory_bytes',
        avg: 128 * 2 ** 20,
        max: 128 * 2 ** 20,
        unit: 'bytes',
      },
    ]);
    expect(() => usageSamples({ nodes: { items: 'x' }, pods: { items: [] } }, { context: 'c', day: 'd' })).toThrow(
      /unexpected shape/,
    );
  });
});

describe('rollback target', () => {
  const history = [{ revision: 4 }, { revision: 2 }, { revision: 1 }];
  it('picks the newest revision below the current, or the one asked', () => {
    expect(rollbackTarget('d', history, 4)).toBe(2);
    expect(rollbackTarget('d', history, 4, 1)).toBe(1);
  });
  it('refuses with a sentence when there is nothing to go back to', () => {
    expect(() => rollbackTarget('web/deployment/x', [{ revision: 1 }], 1)).toThrow(
      'web/deployment/x has no previous revision to roll back to: its history keeps only revision 1.',
    );
    expect(() => rollbackTarget('d', history, 4, 4)).toThrow('d is already at revision 4.');
    expect(() => rollbackTarget('d', history, 4, 3)).toThrow(/no revision 3 .*keeps 1, 2, 4/);
  });
});

describe('errors', () => {
  const apiException = (code: number, body: object, headers: Record<string, string> = {}) =>
    Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify(body), headers });
  const scope = { context: 'prod-eu', server: 'https://10.0.0.1:6443', doing: 'listing pods' };

  it('maps statuses to AppError codes with the server message and the context', () => {
    expect(translateKubeError(apiException(401, { message: 'Unauthorized' }), scope)).toMatchObject({
      code: 'auth_failed',
      userMessage: expect.stringContaining(
        'context prod-eu refused the credentials (401 Unauthorized) while listing pods',
      ),
    });
    expect(
      translateKubeError(
        apiException(403, { message: 'pods is forbidden: User "ci" cannot list resource "pods"' }),
        scope,
      ).userMessage,
    ).toBe(
      'The API server of context prod-eu denied listing pods (403 Forbidden): pods is forbidden: User "ci" cannot list resource "pods"',
    );
    expect(translateKubeError(apiException(404, { message: 'deployments.apps "x" not found' }), scope)).toMatchObject({
      code: 'not_found',
      userMessage: expect.stringContaining('deployments.apps "x" not found'),
    });
    expect(translateKubeError(apiException(429, {}), scope).code).toBe('rate_limited');
    expect(translateKubeError(apiException(409, { message: 'the object has been modified' }), scope).code).toBe(
      'conflict',
    );
    expect(translateKubeError(apiException(422, { message: 'spec.replicas: Invalid value' }), scope).code).toBe(
      'bad_request',
    );
    expect(translateKubeError(apiException(503, { message: 'etcd is down' }), scope)).toMatchObject({
      code: 'cloud_error',
      userMessage: expect.stringContaining('etcd is down (HTTP 503)'),
    });
  });

  it('names the context and server when nothing answered', () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' }),
    });
    expect(translateKubeError(refused, scope)).toMatchObject({
      code: 'cloud_error',
      userMessage:
        'Cannot reach the API server of context prod-eu (https://10.0.0.1:6443): connect ECONNREFUSED 10.0.0.1:6443',
    });
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    expect(translateKubeError(timeout, { ...scope, timeoutMs: 200 }).userMessage).toMatch(
      /did not answer within 200 ms/,
    );
  });
});

describe('kubeconfig', () => {
  const text = `
apiVersion: v1
kind: Config
clusters:
  - name: eks-prod
    cluster: { server: https://prod.example.com }
  - name: kind
    cluster: { server: https://127.0.0.1:6443 }
users:
  - name: u
    user: { token: secret-token }
contexts:
  - name: prod
    context: { cluster: eks-prod, user: u }
  - name: kind-dev
    context: { cluster: kind, user: u }
current-context: prod
`;
  it('reads contexts with their clusters, all or the ones asked', () => {
    expect(readContexts(text)).toEqual([
      { name: 'prod', cluster: 'eks-prod', server: 'https://prod.example.com' },
      { name: 'kind-dev', cluster: 'kind', server: 'https://127.0.0.1:6443' },
    ]);
    expect(readContexts(text, ['kind-dev']).map((c) => c.name)).toEqual(['kind-dev']);
  });
  it('refuses unknown contexts, broken YAML and dangling clusters as config_invalid, without echoing secrets', () => {
    expect(() => readContexts(text, ['staging'])).toThrow('no context named "staging" (it has prod, kind-dev)');
    expect(() => readContexts('clusters: [')).toThrow(/not valid YAML/);
    const dangling = text.replace('cluster: kind, user', 'cluster: nowhere, user');
    try {
      readContexts(dangling);
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toMatchObject({ code: 'config_invalid' });
      expect(String((e as Error).message)).toContain('names cluster "nowhere"');
      expect(String((e as Error).message)).not.toContain('secret-token');
    }
  });
});
