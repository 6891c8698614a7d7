import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { findAction } from '../../src/cloud/actions.ts';
import { planAction } from '../../src/cloud/change-tools.ts';
import { KubernetesProvider } from '../../src/cloud/kubernetes/provider.ts';
import type { ResourceAction } from '../../src/cloud/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { startKubernetesSandbox } from '../../src/cloud/sandbox/kubernetes/server.ts';
import type { KubeSandbox } from '../../src/cloud/sandbox/kubernetes/server.ts';
import { rejectedAppError, sourceOf } from '../helpers/cloud.ts';

/**
 * set_requests, the fix of cost.k8s.requests: planned on an over-requested pod, executed through
 * @kubernetes/client-node as a strategic merge patch of the pod's deployment in the emulator,
 * which rolls out new pods; the recorded inverse restores the requests; the pod it was planned
 * on, replaced by the rollout, is described by its replacement so the executor's pre-check
 * (and the rollback's) finds something to judge.
 */

const now = new Date('2026-11-01T12:00:00Z');
let sandbox: KubeSandbox;
let p: KubernetesProvider;

const deploymentId = 'payments/deployment/payments-api';
const key = (type: string, id: string) => ({ provider: 'kubernetes', account: 'prod-eu', region: 'prod-eu', type, id });
const act = (id: string, params: Record<string, string>): ResourceAction => ({
  action: 'set_requests',
  target: key('pod', id),
  params,
});

interface Container {
  name: string;
  requests: { cpu?: string; memory?: string } | null;
  limits: { cpu?: string; memory?: string } | null;
}
const containersOf = (r: Resource | null): Container[] => (r?.attributes.containers ?? []) as Container[];

/** A running pod of payments-api, as the inventory lists it. */
const apiPod = async (): Promise<Resource> => {
  const all = await p.listSource(sourceOf(p, 'prod-eu'));
  const pod = all.find((r) => r.type === 'pod' && r.attributes.ownerDeployment === 'payments-api');
  if (!pod) throw new Error('no payments-api pod');
  return pod;
};

beforeEach(async () => {
  sandbox = await startKubernetesSandbox({ now: () => now });
  p = new KubernetesProvider({ kubeconfig: sandbox.kubeconfig(), sandbox: true, now: () => now });
});
afterEach(async () => {
  p.close();
  await sandbox.stop();
});

describe('set_requests on an over-requested pod', () => {
  it('lowers the deployment requests, rolls out new pods, and the recorded inverse restores them', async () => {
    const pod = await apiPod();
    expect(containersOf(pod)[0]).toMatchObject({ name: 'api', requests: { cpu: '500m', memory: '512Mi' } });
    const params = { deployment: 'payments-api', container: 'api', cpu: '120m', memory: '120Mi' };

    const plan = await planAction({ provider: () => p }, pod, 'set_requests', params);
    expect(plan.action).toBe('set_requests');
    expect(plan.target).toMatchObject({ type: 'pod', id: pod.id });
    expect(plan.costDeltaCents).toBe(0);
    expect(plan.blastRadius).toContain('payments/payments-api rolls out new pods');
    expect(plan.rollback).toEqual({
      action: 'set_requests',
      params: { deployment: 'payments-api', container: 'api', cpu: '500m', memory: '512Mi' },
    });

    const revisionBefore = (await p.describe(key('deployment', deploymentId)))!.attributes.revision as number;
    const steps: string[] = [];
    const result = await p.execute(act(pod.id, plan.params), { progress: (s) => steps.push(s) });
    expect(result.previous).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(result.newState).toBe('available');
    expect(result.summary).toContain('api in payments/deployment/payments-api now requests cpu 500m → 120m');
    expect(steps).toEqual([expect.stringContaining('memory 512Mi → 120Mi')]);

    const deployment = await p.describe(key('deployment', deploymentId));
    expect(containersOf(deployment)[0]).toMatchObject({
      requests: { cpu: '120m', memory: '120Mi' },
      limits: { cpu: '1000m', memory: '512Mi' },
    });
    expect(deployment!.attributes.revision).toBe(revisionBefore + 1);

    // The pod the change was planned on is gone; its replacement carries the new requests.
    const listed = (await p.listSource(sourceOf(p, 'prod-eu'))).filter(
      (r) => r.type === 'pod' && r.attributes.ownerDeployment === 'payments-api',
    );
    expect(listed.map((r) => r.id)).not.toContain(pod.id);
    expect(listed).toHaveLength(2);
    for (const r of listed) expect(containersOf(r)[0]!.requests).toMatchObject({ cpu: '120m', memory: '120Mi' });
    const standIn = await p.describe(key('pod', pod.id));
    expect(standIn?.id).toBe(listed.map((r) => r.id).sort()[0]);
    expect(standIn?.attributes.ownerDeployment).toBe('payments-api');

    const spec = findAction(p.actions, 'pod', 'set_requests')!;
    const inverse = spec.inverse({ params: plan.params, previous: result.previous });
    expect(inverse).toEqual({ action: 'set_requests', params: { ...params, cpu: '500m', memory: '512Mi' } });
    if (!('action' in inverse)) throw new Error('no inverse');
    const back = await p.execute(act(pod.id, inverse.params));
    expect(back.previous).toEqual({ cpu: '120m', memory: '120Mi' });
    const restored = await p.describe(key('deployment', deploymentId));
    expect(containersOf(restored)[0]!.requests).toMatchObject({ cpu: '500m', memory: '512Mi' });
    // The old template comes back as a rollback would: its ReplicaSet moves to the newest revision.
    expect(restored!.attributes.revision).toBe(revisionBefore + 2);
  });

  it('removes a request with none, and its inverse sets it again', async () => {
    const pod = await apiPod();
    const r = await p.execute(act(pod.id, { deployment: 'payments-api', container: 'api', memory: 'none' }));
    expect(r.previous).toEqual({ memory: '512Mi' });
    const after = await p.describe(key('deployment', deploymentId));
    expect(containersOf(after)[0]!.requests).toEqual({ cpu: '500m', cpuMillicores: 500 });
    const inverse = findAction(p.actions, 'pod', 'set_requests')!.inverse({
      params: { deployment: 'payments-api', container: 'api', memory: 'none' },
      previous: r.previous,
    });
    expect(inverse).toEqual({
      action: 'set_requests',
      params: { deployment: 'payments-api', container: 'api', memory: '512Mi' },
    });
  });

  it('refuses bad quantities in the schema, and nothing to set at plan time', async () => {
    const spec = findAction(p.actions, 'pod', 'set_requests')!;
    for (const bad of [{ cpu: '12 cores' }, { cpu: '0m' }, { cpu: '-1' }, { memory: '1GB' }, { memory: 'lots' }])
      expect(spec.params.safeParse({ deployment: 'payments-api', container: 'api', ...bad }).success).toBe(false);
    for (const good of [{ cpu: '120m' }, { cpu: '0.5' }, { cpu: '2' }, { memory: '120Mi' }, { memory: '1.5Gi' }])
      expect(spec.params.safeParse({ deployment: 'payments-api', container: 'api', ...good }).success).toBe(true);

    const pod = await apiPod();
    const err = await rejectedAppError(
      p.execute(act(pod.id, { deployment: 'payments-api', container: 'api', cpu: 'twelve' })),
    );
    expect(err.code).toBe('bad_request');
    expect(err.userMessage).toContain('cpu must be a Kubernetes CPU quantity');
    const none = await rejectedAppError(
      planAction({ provider: () => p }, pod, 'set_requests', { deployment: 'payments-api', container: 'api' }),
    );
    expect(none.code).toBe('bad_request');
    const wrongOwner = await rejectedAppError(
      planAction({ provider: () => p }, pod, 'set_requests', { deployment: 'frontend', container: 'api', cpu: '100m' }),
    );
    expect(wrongOwner.userMessage).toContain('belongs to deployment payments-api, not frontend');
    const same = await rejectedAppError(
      planAction({ provider: () => p }, pod, 'set_requests', {
        deployment: 'payments-api',
        container: 'api',
        cpu: '0.5',
      }),
    );
    expect(same.code).toBe('conflict');
  });

  it('reports a missing deployment or container clearly and changes nothing', async () => {
    const pod = await apiPod();
    const before = sandbox.requests.length;
    const missing = await rejectedAppError(
      p.execute(act(pod.id, { deployment: 'payments-gone', container: 'api', cpu: '100m' })),
    );
    expect(missing.code).toBe('not_found');
    expect(missing.userMessage).toContain('There is no deployment payments-gone in namespace payments');
    const noContainer = await rejectedAppError(
      p.execute(act(pod.id, { deployment: 'payments-api', container: 'sidecar', cpu: '100m' })),
    );
    expect(noContainer.code).toBe('conflict');
    expect(noContainer.userMessage).toContain('has no container sidecar (it has api)');
    expect(sandbox.requests.slice(before).some((r) => r.method === 'PATCH')).toBe(false);
  });

  it('the emulator refuses a request above the limit as the API server does', async () => {
    const pod = await apiPod();
    const err = await rejectedAppError(
      p.execute(act(pod.id, { deployment: 'payments-api', container: 'api', cpu: '2' })),
    );
    expect(err.userMessage).toContain('must be less than or equal to cpu limit of 1000m');
    const deployment = await p.describe(key('deployment', deploymentId));
    expect(containersOf(deployment)[0]!.requests).toMatchObject({ cpu: '500m', memory: '512Mi' });
  });

  it('describes a gone pod with no deployment behind it as gone', async () => {
    expect(await p.describe(key('pod', 'payments/pod/payments-api-0000000000-zzzzz'))).toBeNull();
    expect(await p.describe(key('pod', 'payments/pod/ghost'))).toBeNull();
  });
});
