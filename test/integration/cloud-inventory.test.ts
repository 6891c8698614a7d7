import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { eq } from '../../src/store/orm.ts';
import { AwsProvider } from '../../src/cloud/aws/provider.ts';
import { listAll, syncInventory } from '../../src/cloud/inventory.ts';
import { inventorySources } from '../../src/cloud/schema.ts';
import type { CloudProvider } from '../../src/cloud/provider.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';
import { resources } from '../../src/cloud/schema.ts';
import { createTestStore } from '../helpers/db.ts';
import type { TestStore } from '../helpers/db.ts';

// Inventory sync of the sandbox fleet into a real store (PGlite, or PostgreSQL with DATABASE_URL).
const t0 = new Date('2026-11-01T12:00:00Z');
const t1 = new Date('2026-11-01T13:00:00Z');
let store: TestStore;
let sandbox: Sandbox;
let aws: AwsProvider;

const cluster = (listing: Resource[] | Error): CloudProvider => ({
  name: 'kubernetes',
  sandbox: true,
  sources: () => [
    {
      key: 'kubernetes:kind-dev:local',
      provider: 'kubernetes',
      account: 'kind-dev',
      region: 'local',
      label: 'Kubernetes kind-dev',
    },
  ],
  listSource: async () => {
    if (listing instanceof Error) throw listing;
    return listing;
  },
  actions: {},
  sizesFor: async () => [],
  execute: async () => {
    throw new Error('read-only');
  },
});

const deployment = (id: string, name: string, seenAt: Date): Resource => ({
  provider: 'kubernetes',
  account: 'kind-dev',
  region: 'local',
  type: 'deployment',
  id,
  name,
  state: 'available',
  tags: { env: 'dev', service: 'web' },
  environment: 'dev',
  monthlyCostCents: 0,
  attributes: { replicas: 2 },
  seenAt,
});

const fleetId = (name: string): string => sandbox.fleet.instances.find((i) => i.tags.Name === name)?.id ?? '';

beforeAll(async () => {
  store = await createTestStore();
}, 60_000);
afterAll(async () => {
  await store.dispose();
});
beforeEach(async () => {
  await store.db.delete(resources);
  await store.db.delete(inventorySources);
  sandbox = await startSandbox({ now: () => t0 });
  aws = new AwsProvider({
    regions: ['us-east-1', 'eu-west-1'],
    endpoint: sandbox.url,
    sandbox: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
    now: () => t0,
  });
});
afterEach(async () => {
  aws.destroy();
  await sandbox.stop();
});

describe('syncInventory', () => {
  it('stores the whole fleet and answers totals and costs that add up to the listing', async () => {
    const outcomes = await syncInventory(store.db, [aws], t0);
    expect(outcomes).toMatchObject([
      { provider: 'aws', source: 'aws:default:us-east-1', gone: 0 },
      { provider: 'aws', source: 'aws:default:eu-west-1', gone: 0 },
    ]);
    expect(outcomes.reduce((n, o) => n + o.count, 0)).toBe(38);
    expect(outcomes.filter((o) => o.error)).toEqual([]);
    const listing = await listAll(aws);
    const sum = (rs: Resource[]) => rs.reduce((n, r) => n + r.monthlyCostCents, 0);
    const repo = resourceRepository(store.db);
    expect(await repo.totals()).toEqual({
      count: 38,
      monthlyCostCents: sum(listing),
      byType: { instance: 19, security_group: 8, snapshot: 5, volume: 6 },
      lastSeenAt: t0,
    });
    const byEnv = await repo.costs('environment');
    expect(byEnv.map((l) => l.key)).toEqual(['prod', 'dev', 'staging', 'unknown']);
    for (const line of byEnv)
      expect(line.monthlyCostCents).toBe(sum(listing.filter((r) => r.environment === line.key)));
    const byService = await repo.costs('service');
    expect(byService.find((l) => l.key === 'db')).toEqual({
      key: 'db',
      monthlyCostCents: sum(listing.filter((r) => r.tags.service === 'db')),
      count: 12,
    });
    expect(byService.find((l) => l.key === 'untagged')).toEqual({ key: 'untagged', monthlyCostCents: 0, count: 8 });
    expect(await repo.costs('provider')).toEqual([{ key: 'aws', monthlyCostCents: sum(listing), count: 38 }]);
    expect((await repo.costs('type')).map((l) => l.key)).toEqual(['instance', 'volume', 'snapshot', 'security_group']);
  });

  it('lists with filters and stable paging', async () => {
    await syncInventory(store.db, [aws], t0);
    const repo = resourceRepository(store.db);
    const dev = await repo.list({ type: 'instance', environment: 'DEV' });
    expect(dev.map((r) => r.name)).toEqual([
      'api-dev-1',
      'bastion-dev',
      'db-dev-1',
      'ml-dev-1',
      'web-dev-1',
      'worker-dev-1',
    ]);
    expect(dev[0]).toMatchObject({
      provider: 'aws',
      account: '123456789012',
      region: 'eu-west-1',
      seenAt: t0,
      attributes: { instanceType: 't3.large', cpuAvg7d: 0.8 },
    });
    expect(await repo.count({ type: 'instance', environment: 'dev' })).toBe(6);
    const pages = [
      await repo.list({ limit: 15 }),
      await repo.list({ limit: 15, offset: 15 }),
      await repo.list({ limit: 15, offset: 30 }),
    ];
    expect(pages.map((p) => p.length)).toEqual([15, 15, 8]);
    expect(new Set(pages.flat().map((r) => r.id)).size).toBe(38);
    expect(await repo.list({ provider: 'azure' })).toEqual([]);
  });

  it('finds by exact id, exact name, then any-case name, and returns every match of an ambiguous name', async () => {
    await syncInventory(store.db, [aws], t0);
    const repo = resourceRepository(store.db);
    const id = fleetId('web-prod-1');
    expect((await repo.findByIdOrName(id)).map((r) => r.name)).toEqual(['web-prod-1']);
    expect((await repo.findByIdOrName('web-prod-1')).map((r) => r.id)).toEqual([id]);
    expect((await repo.findByIdOrName(' WEB-Prod-1 ')).map((r) => r.id)).toEqual([id]);
    const defaults = await repo.findByIdOrName('default');
    expect(defaults.map((r) => `${r.type}/${r.region}`).sort()).toEqual([
      'security_group/eu-west-1',
      'security_group/us-east-1',
    ]);
    expect(await repo.findByIdOrName('no-such-thing')).toEqual([]);
  });

  it('updates changed rows, keeps first_seen_at, marks vanished rows gone and revives them', async () => {
    await syncInventory(store.db, [aws], t0);
    const repo = resourceRepository(store.db);
    await aws.execute({
      action: 'stop',
      target: {
        provider: 'aws',
        account: '123456789012',
        region: 'us-east-1',
        type: 'instance',
        id: fleetId('web-prod-2'),
      },
      params: {},
    });
    const worker = sandbox.fleet.instances.find((i) => i.tags.Name === 'worker-prod-1');
    if (worker) worker.state = 'terminated';
    const second = await syncInventory(store.db, [aws], t1);
    expect(second.reduce((n, o) => n + o.count, 0)).toBe(37);
    expect(second.reduce((n, o) => n + o.gone, 0)).toBe(1);
    expect(await repo.findByIdOrName('web-prod-2')).toMatchObject([{ state: 'stopped', monthlyCostCents: 0 }]);
    expect(await repo.findByIdOrName('worker-prod-1')).toEqual([]);
    const [row] = await store.db.select().from(resources).where(eq(resources.name, 'worker-prod-1'));
    expect(row?.goneAt).toEqual(t1);
    if (worker) worker.state = 'running';
    const third = await syncInventory(store.db, [aws], t1);
    expect(third.map((o) => o.count).reduce((a, b) => a + b)).toBe(38);
    expect(third.map((o) => o.gone)).toEqual([0, 0]);
    const [revived] = await store.db.select().from(resources).where(eq(resources.name, 'worker-prod-1'));
    expect(revived?.goneAt).toBeNull();
    expect(revived?.firstSeenAt.getTime()).toBe(row?.firstSeenAt.getTime());
  });

  it("keeps a failing provider's rows, reports why, and still syncs the others", async () => {
    await syncInventory(store.db, [aws, cluster([deployment('web', 'web', t0), deployment('api', 'api', t0)])], t0);
    sandbox.failNext(
      '*',
      { code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials', status: 401 },
      100,
    );
    const outcomes = await syncInventory(store.db, [aws, cluster([deployment('web', 'web', t1)])], t1);
    expect(outcomes).toMatchObject([
      {
        source: 'aws:default:us-east-1',
        count: 0,
        gone: 0,
        error: expect.stringContaining('AWS refused the credentials'),
      },
      {
        source: 'aws:default:eu-west-1',
        count: 0,
        gone: 0,
        error: expect.stringContaining('AWS refused the credentials'),
      },
      { provider: 'kubernetes', count: 1, gone: 1 },
    ]);
    const repo = resourceRepository(store.db);
    expect(await repo.count({ provider: 'aws' })).toBe(38);
    expect((await repo.list({ provider: 'kubernetes' })).map((r) => r.name)).toEqual(['web']);
    const crashed = await syncInventory(store.db, [cluster(new Error('socket hang up'))], t1);
    expect(crashed).toMatchObject([
      { provider: 'kubernetes', count: 0, error: 'The Kubernetes kind-dev inventory sync failed unexpectedly.' },
    ]);
    expect(await repo.count({ provider: 'kubernetes' })).toBe(1);
  });

  it('refuses a listing that mixes providers, writing nothing', async () => {
    const repo = resourceRepository(store.db);
    const stray = { ...deployment('web', 'web', t0), provider: 'aws' as const };
    const source = { key: 'kubernetes:kind-dev:local', provider: 'kubernetes' as const, region: 'local' };
    await expect(repo.replaceListing(source, [deployment('api', 'api', t0), stray], t0)).rejects.toMatchObject({
      code: 'bad_request',
    });
    expect((await repo.totals()).count).toBe(0);
    expect((await repo.totals()).lastSeenAt).toBeNull();
  });

  it('keeps the rows of one failing region, syncs the other, and records every source in inventory status', async () => {
    await syncInventory(store.db, [aws], t0);
    const repo = resourceRepository(store.db);
    const euBefore = await repo.count({ provider: 'aws' });
    // Every call signed for eu-west-1 fails; us-east-1 keeps working.
    sandbox.fleet.instances.find((i) => i.tags.Name === 'web-prod-2')!.state = 'terminated';
    const failing = aws.sources().find((s) => s.region === 'eu-west-1')!;
    const original = aws.listSource.bind(aws);
    aws.listSource = async (source) => {
      if (source.key === failing.key) {
        const { AppError } = await import('../../src/errors.ts');
        throw new AppError('auth_failed', 'AWS refused the credentials for eu-west-1.');
      }
      return original(source);
    };
    const outcomes = await syncInventory(store.db, [aws], t1);
    expect(outcomes.find((o) => o.source === failing.key)).toMatchObject({
      count: 0,
      error: 'AWS refused the credentials for eu-west-1.',
    });
    expect(outcomes.find((o) => o.source === 'aws:default:us-east-1')?.error).toBeUndefined();
    expect(await repo.count({ provider: 'aws' })).toBe(euBefore - 1);
    const status = await store.db.select().from(inventorySources).orderBy(inventorySources.key);
    expect(status).toMatchObject([
      {
        key: 'aws:default:eu-west-1',
        lastSuccessAt: t0,
        lastAttemptAt: t1,
        error: 'AWS refused the credentials for eu-west-1.',
        consecutiveFailures: 1,
      },
      { key: 'aws:default:us-east-1', lastSuccessAt: t1, error: null, consecutiveFailures: 0 },
    ]);
  });

  it('retries a throttled source with backoff before reporting it', async () => {
    const { AppError } = await import('../../src/errors.ts');
    let calls = 0;
    const throttled = cluster([deployment('web', 'web', t0)]);
    const list = throttled.listSource.bind(throttled);
    throttled.listSource = async (source) => {
      calls++;
      if (calls <= 2) throw new AppError('rate_limited', 'Rate exceeded.');
      return list(source);
    };
    const [ok] = await syncInventory(store.db, [throttled], t0, { backoffMs: 1 });
    expect(ok).toMatchObject({ count: 1 });
    expect(calls).toBe(3);
    calls = -10;
    const [failed] = await syncInventory(store.db, [throttled], t1, { backoffMs: 1, throttleRetries: 1 });
    expect(failed).toMatchObject({ count: 0, error: 'Rate exceeded.' });
  });
});
