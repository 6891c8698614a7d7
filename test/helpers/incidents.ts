import { KubernetesProvider } from '../../src/cloud/kubernetes/provider.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { startKubernetesSandbox, type KubeSandbox } from '../../src/cloud/sandbox/kubernetes/server.ts';
import type { Db } from '../../src/store/db.ts';

/** Shared by the incident diagnosis and remediation tests (test/integration/incidents-*.test.ts). */

/** The Kubernetes sandbox's two clusters listed by the real provider into the inventory. */
export const syncedKubeFleet = async (
  db: Db,
  now: Date,
): Promise<{ sandbox: KubeSandbox; provider: KubernetesProvider; stop(): Promise<void> }> => {
  const sandbox = await startKubernetesSandbox({ now: () => now });
  const provider = new KubernetesProvider({
    kubeconfig: sandbox.kubeconfig(),
    sandbox: true,
    now: () => now,
    requestTimeoutMs: 5_000,
    retry: { maxDelayMs: 10, sleep: async () => undefined },
  });
  const repo = resourceRepository(db);
  for (const source of provider.sources()) await repo.replaceListing(source, await provider.listSource(source), now);
  return {
    sandbox,
    provider,
    stop: async () => {
      provider.close();
      await sandbox.stop();
    },
  };
};

/** An AWS resource as a sync would store it. */
export const awsResource = (over: Partial<Resource> & Pick<Resource, 'type' | 'id' | 'name'>): Resource => ({
  provider: 'aws',
  account: '111111111111',
  region: 'eu-west-1',
  state: 'running',
  tags: {},
  environment: 'prod',
  monthlyCostCents: 0,
  attributes: {},
  seenAt: new Date('2026-11-02T09:00:00Z'),
  ...over,
});
