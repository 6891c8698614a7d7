import { afterEach, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { seedKubeFleet } from '../../src/cloud/sandbox/kubernetes/fleet.ts';
import { startKubernetesSandbox } from '../../src/cloud/sandbox/kubernetes/server.ts';
import type { KubeSandbox } from '../../src/cloud/sandbox/kubernetes/server.ts';

/**
 * The Kubernetes emulator on the wire, driven by the real @kubernetes/client-node (and plain
 * fetch where the client hides the answer): discovery, auth, Status errors, pagination tokens,
 * patch content types, and the deployment controller's revisions and status.
 */

const now = new Date('2026-11-01T12:00:00Z');
let sandbox: KubeSandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

const client = (sb: KubeSandbox, context: string) => {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sb.kubeconfig());
  kc.setCurrentContext(context);
  return {
    apps: kc.makeApiClient(k8s.AppsV1Api),
    core: kc.makeApiClient(k8s.CoreV1Api),
    apis: kc.makeApiClient(k8s.ApisApi),
  };
};

const rejection = async (p: Promise<unknown>): Promise<{ code: number; body: string }> => {
  try {
    await p;
  } catch (e) {
    return e as { code: number; body: string };
  }
  throw new Error('expected a rejection');
};

describe('Kubernetes sandbox', () => {
  it('seeds the same estate from the same clock', () => {
    expect(JSON.stringify(seedKubeFleet(now))).toBe(JSON.stringify(seedKubeFleet(now)));
    expect(JSON.stringify(seedKubeFleet(now))).not.toBe(
      JSON.stringify(seedKubeFleet(new Date('2026-11-02T12:00:00Z'))),
    );
  });

  it('writes a kubeconfig with one context per cluster and advertises metrics.k8s.io only where installed', async () => {
    sandbox = await startKubernetesSandbox({ now: () => now });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sandbox.kubeconfig());
    expect(kc.getContexts().map((c) => c.name)).toEqual(['prod-eu', 'dev-us']);
    expect(kc.getCluster('dev-us')).toMatchObject({ server: sandbox.clusters[1]!.url, skipTLSVerify: true });
    const groups = async (ctx: string) => (await client(sandbox!, ctx).apis.getAPIVersions()).groups.map((g) => g.name);
    expect(await groups('prod-eu')).toContain('metrics.k8s.io');
    expect(await groups('dev-us')).not.toContain('metrics.k8s.io');
    expect(await groups('dev-us')).toEqual(expect.arrayContaining(['apps', 'rbac.authorization.k8s.io']));
  });

  it('answers 401 without the token and 404 Status objects for missing objects and paths', async () => {
    sandbox = await startKubernetesSandbox({ now: () => now });
    const prod = sandbox.clusters[0]!;
    expect((await fetch(`${prod.url}/api/v1/nodes`)).status).toBe(401);
    expect(
      (await fetch(`${prod.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${sandbox.clusters[1]!.token}` } }))
        .status,
    ).toBe(401);
    const err = await rejection(
      client(sandbox, 'prod-eu').apps.readNamespacedDeployment({ name: 'ghost', namespace: 'web' }),
    );
    expect(err.code).toBe(404);
    expect(JSON.parse(err.body)).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'deployments.apps "ghost" not found',
      code: 404,
    });
    const gone = await fetch(`${sandbox.clusters[1]!.url}/apis/metrics.k8s.io/v1beta1/nodes`, {
      headers: { authorization: `Bearer ${sandbox.clusters[1]!.token}` },
    });
    expect(gone.status).toBe(404);
  });

  it('pages with limit/continue and refuses a forged continue token', async () => {
    sandbox = await startKubernetesSandbox({ now: () => now });
    const { core } = client(sandbox, 'prod-eu');
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 4, _continue: token });
      expect(page.items.length).toBeLessThanOrEqual(4);
      names.push(...page.items.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`));
      token = page.metadata?._continue;
    } while (token);
    expect(names).toHaveLength(11);
    expect(new Set(names).size).toBe(11);
    expect((await rejection(core.listPodForAllNamespaces({ limit: 4, _continue: '%%%' }))).code).toBe(400);
  });

  it('refuses a merge body sent as JSON patch, as the API server does', async () => {
    sandbox = await startKubernetesSandbox({ now: () => now });
    const { apps } = client(sandbox, 'prod-eu');
    const err = await rejection(
      apps.patchNamespacedDeployment({ name: 'frontend', namespace: 'web', body: { spec: { replicas: 5 } } }),
    );
    expect(err.code).toBe(400);
  });

  it('rolls out a template change as a new revision, and a scale without one', async () => {
    sandbox = await startKubernetesSandbox({ now: () => now });
    const { apps } = client(sandbox, 'prod-eu');
    const scaled = await apps.patchNamespacedDeployment({
      name: 'payments-api',
      namespace: 'payments',
      body: [{ op: 'replace', path: '/spec/replicas', value: 4 }],
    });
    expect(scaled.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(scaled.status).toMatchObject({
      observedGeneration: scaled.metadata?.generation,
      replicas: 4,
      updatedReplicas: 4,
      availableReplicas: 4,
    });
    const rolled = await apps.patchNamespacedDeployment(
      {
        name: 'payments-api',
        namespace: 'payments',
        body: {
          spec: {
            template: { spec: { containers: [{ name: 'api', image: 'registry.example.com/payments-api:3.9.0' }] } },
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(rolled.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(rolled.spec?.template?.spec?.containers[0]).toMatchObject({
      image: 'registry.example.com/payments-api:3.9.0',
      resources: { requests: { cpu: '500m' } },
    });
    const sets = await apps.listNamespacedReplicaSet({ namespace: 'payments', labelSelector: 'app=payments-api' });
    expect(
      sets.items
        .map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs.spec?.replicas])
        .sort(),
    ).toEqual([
      ['1', 0],
      ['2', 0],
      ['3', 4],
    ]);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'payments-api', namespace: 'payments' });
    expect(scale).toMatchObject({ spec: { replicas: 4 }, status: { replicas: 4, selector: 'app=payments-api' } });
    const invalid = await rejection(
      apps.patchNamespacedDeployment({
        name: 'payments-api',
        namespace: 'payments',
        body: [{ op: 'replace', path: '/spec/replicas', value: -1 }],
      }),
    );
    expect(invalid.code).toBe(422);
  });

  it('serves metrics on every cluster with withMetrics: true, and on none with false', async () => {
    sandbox = await startKubernetesSandbox({ now: () => now, withMetrics: false });
    const prod = sandbox.clusters[0]!;
    const res = await fetch(`${prod.url}/apis/metrics.k8s.io/v1beta1/pods`, {
      headers: { authorization: `Bearer ${prod.token}` },
    });
    expect(res.status).toBe(404);
    await sandbox.stop();
    sandbox = await startKubernetesSandbox({ now: () => now, withMetrics: true });
    const dev = sandbox.clusters[1]!;
    const nodes = await fetch(`${dev.url}/apis/metrics.k8s.io/v1beta1/nodes`, {
      headers: { authorization: `Bearer ${dev.token}` },
    });
    expect(nodes.status).toBe(200);
    expect(((await nodes.json()) as { items: unknown[] }).items).toHaveLength(3);
  });
});
