import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { OAuth2Client } from 'google-auth-library';
import { GcpProvider } from '../../src/cloud/gcp/provider.ts';
import { collectMetrics, syncInventory } from '../../src/cloud/inventory.ts';
import { metricKey, metricSummaries } from '../../src/cloud/metrics-repository.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import { startGcpSandbox } from '../../src/cloud/sandbox/gcp/server.ts';
import type { GcpSandbox } from '../../src/cloud/sandbox/gcp/server.ts';
import { inventorySources, resourceMetricSeries, resourceMetrics, resources } from '../../src/cloud/schema.ts';
import { createTestStore } from '../helpers/db.ts';
import type { TestStore } from '../helpers/db.ts';

/**
 * The GCP provider inside the app's own inventory sync and metric collection (real SDKs ↔ the
 * GCP emulator ↔ a real store): one project refused keeps its last rows while the other syncs.
 */

const t0 = new Date('2026-11-20T12:00:00Z');
const t1 = new Date('2026-11-20T13:00:00Z');
let store: TestStore;
let sandbox: GcpSandbox;
const providers: GcpProvider[] = [];

const gcp = (token: string): GcpProvider => {
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  const p = new GcpProvider({
    projects: [{ id: 'acme-prod' }, { id: 'acme-dev' }],
    endpoint: { host: sandbox.host, port: sandbox.port, protocol: 'http' },
    authClient,
    sandbox: true,
    now: () => t0,
    retry: { maxRetries: 0 },
  });
  providers.push(p);
  return p;
};

beforeAll(async () => {
  store = await createTestStore();
}, 60_000);
afterAll(async () => {
  await store.dispose();
});
beforeEach(async () => {
  await store.db.delete(resources);
  await store.db.delete(inventorySources);
  await store.db.delete(resourceMetrics);
  await store.db.delete(resourceMetricSeries);
  sandbox = await startGcpSandbox({ now: () => t0, tokens: { all: ['acme-prod', 'acme-dev'], prod: ['acme-prod'] } });
});
afterEach(async () => {
  for (const p of providers.splice(0)) await p.closeAsync();
  await sandbox.stop();
});

describe('GCP in the inventory', () => {
  it('syncs both projects, then keeps the rows of a project whose access was revoked while the other syncs', async () => {
    const first = await syncInventory(store.db, [gcp('all')], t0);
    expect(first.map((o) => [o.source, o.count, o.error])).toEqual([
      ['gcp:acme-prod:all', 31, undefined],
      ['gcp:acme-dev:all', 18, undefined],
    ]);
    const repo = resourceRepository(store.db);
    const before = await repo.totals();
    expect(before.count).toBe(49);

    const second = await syncInventory(store.db, [gcp('prod')], t1);
    expect(second.find((o) => o.source === 'gcp:acme-prod:all')).toMatchObject({ count: 31, gone: 0 });
    const dev = second.find((o) => o.source === 'gcp:acme-dev:all')!;
    expect(dev.count).toBe(0);
    expect(dev.error).toMatch(
      /project acme-dev \(HTTP 403\): Permission '[\w.]+' denied on resource 'projects\/acme-dev'/,
    );
    const after = await repo.totals();
    expect(after.count).toBe(49);
    expect(after.monthlyCostCents).toBe(before.monthlyCostCents);
  });

  it('collects daily CPU so the idle dev instances read as idle', async () => {
    const p = gcp('all');
    await syncInventory(store.db, [p], t0);
    const outcomes = await collectMetrics(store.db, [p], t0);
    expect(outcomes.map((o) => [o.source, o.samples, o.error])).toEqual([
      ['gcp:acme-prod:all', 7 * 14, undefined],
      ['gcp:acme-dev:all', 4 * 14, undefined],
    ]);
    const devInstances = await resourceRepository(store.db).list({
      provider: 'gcp',
      type: 'instance',
      environment: 'dev',
    });
    const cpu = await metricSummaries(store.db, 'cpu_percent', devInstances, { days: 14, now: t0 });
    const idle = devInstances.filter((r) => (cpu.get(metricKey(r))?.avg ?? 100) < 5).map((r) => r.name);
    expect(idle.sort()).toEqual(['api-dev-1', 'ml-dev-1', 'web-dev-1']);
  });
});
