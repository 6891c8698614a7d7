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
    expect(outcomes.map((o) => o.source)).toEqual([
      'aws:default:us-east-1',
      'aws:default:eu-west-1',
      'aws:default:global',
    ]);
    expect(outcomes.filter((o) => o.error)).toEqual([]);
    const listing = await listAll(aws);
    const total = listing.length;
    expect(outcomes.reduce((n, o) => n + o.count, 0)).toBe(total);
    const sum = (rs: Resource[]) => rs.reduce((n, r) => n + r.monthlyCostCents, 0);
    const repo = resourceRepository(store.db);
    const byType: Record<string, number> = {};
    for (const r of listing) byType[r.type] = (byType[r.type] ?? 0) + 1;
    expect(await repo.totals()).toEqual({ count: total, monthlyCostCents: sum(listing), byType, lastSeenAt: t0 });
    expect(byType).toMatchObject({ instance: 19, volume: 6, snapshot: 5, security_group: 8 });
    const byEnv = await repo.costs('environment');
    expect(byEnv.map((l) => l.key)).toEqual(expect.arrayContaining(['prod', 'dev', 'staging', 'unknown']));
    for (const line of byEnv)
      expect(line.monthlyCostCents).toBe(sum(listing.filter((r) => r.environment === line.key)));
    const byService = await repo.costs('service');
    expect(byService.find((l) => l.key === 'db')).toEqual({
      key: 'db',
      monthlyCostCents: sum(listing.filter((r) => r.tags.service === 'db')),
      count: listing.filter((r) => r.tags.service === 'db').length,
    });
    expect(await repo.costs('provider')).toEqual([{ key: 'aws', monthlyCostCents: sum(listing), count: total }]);
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
      attributes: { instanceType: 't3.large' },
    });
    expect(await repo.count({ type: 'instance', environment: 'dev' })).toBe(6);
    const total = await repo.count();
    const pages = [];
    for (let offset = 0; offset < total; offset += 15) pages.push(await repo.list({ limit: 15, offset }));
    expect(pages.slice(0, -1).every((p) => p.length === 15)).toBe(true);
    expect(pages.flat()).toHaveLength(total);
    expect(new Set(pages.flat().map((r) => `${r.account}/${r.id}`)).size).toBe(total);
    expect(await repo.list({ provider: 'azure' })).toEqual([]);
  });

  it('finds by exact id, exact name, then any-case name, and returns every match of an ambiguous name', async () => {
    await syncInventory(store.db, [aws], t0);
    const repo = resourceRepository(store.db);
    const id = fleetId('web-prod-1');
    expect((await repo.findByIdOrName(id)).map((r) => r.name)).toEqual(['web-prod-1']);
    expect((await repo.findByIdOrName('web-prod-1')).map((r) => r.id)).toEqual([id]);
    expect((await repo.findByIdOrName(' WEB-Prod-1 ')).map((r) => r.id)).toEqual([id]);
    const defaults = (await repo.findByIdOrName('default')).filter((r) => r.type === 'security_group');
    expect(defaults.map((r) => `${r.type}/${r.region}`).sort()).toEqual([
      'security_group/eu-west-1',
      'security_group/us-east-1',
    ]);
    expect(await repo.findByIdOrName('no-such-thing')).toEqual([]);
  });

  it('updates changed rows, keeps first_seen_at, marks vanished rows gone and revives them', async () => {
    const first = await syncInventory(store.db, [aws], t0);
    const total = first.reduce((n, o) => n + o.count, 0);
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
    expect(second.reduce((n, o) => n + o.count, 0)).toBe(total - 1);
    expect(second.reduce((n, o) => n + o.gone, 0)).toBe(1);
    expect(await repo.findByIdOrName('web-prod-2')).toMatchObject([{ state: 'stopped', monthlyCostCents: 0 }]);
    expect(await repo.findByIdOrName('worker-prod-1')).toEqual([]);
    const [row] = await store.db.select().from(resources).where(eq(resources.name, 'worker-prod-1'));
    expect(row?.goneAt).toEqual(t1);
    if (worker) worker.state = 'running';
    const third = await syncInventory(store.db, [aws], t1);
    expect(third.map((o) => o.count).reduce((a, b) => a + b)).toBe(total);
    expect(third.map((o) => o.gone)).toEqual([0, 0, 0]);
    const [revived] = await store.db.select().from(resources).where(eq(resources.name, 'worker-prod-1'));
    expect(revived?.goneAt).toBeNull();
    expect(revived?.firstSeenAt.getTime()).toBe(row?.firstSeenAt.getTime());
  });

  it("keeps a failing provider's rows, reports why, and still syncs the others", async () => {
    await syncInventory(store.db, [aws, cluster([deployment('web', 'web', t0), deployment('api', 'api', t0)])], t0);
    const stored = await resourceRepository(store.db).count({ provider: 'aws' });
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
      // EC2 refuses the key; the account services (IAM, S3) of the global source still answer.
      { source: 'aws:default:global', gone: 0 },
      { provider: 'kubernetes', count: 1, gone: 1 },
    ]);
    const repo = resourceRepository(store.db);
    expect(await repo.count({ provider: 'aws' })).toBe(stored);
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
      { key: 'aws:default:global', error: null, consecutiveFailures: 0 },
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

  it('writes a large region page by page, and a listing that fails half-way refreshes what it stored and marks nothing gone', async () => {
    const paged = new AwsProvider({
      regions: ['us-east-1'],
      endpoint: sandbox.url,
      sandbox: true,
      maxAttempts: 1,
      pageSize: 5,
      credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
      now: () => t1,
    });
    try {
      const source = paged.sources().find((s) => s.region === 'us-east-1')!;
      const batches: Resource[][] = [];
      const rest = await paged.listSource(source, { onBatch: async (b) => void batches.push(b) });
      const region = await paged.listSource(source);
      const streamed = batches.flat();
      // Instances, volumes and snapshots arrive a page (≤ 5) at a time; the small types come back at the end.
      expect(batches.length).toBeGreaterThan(3);
      expect(batches.every((b) => b.length <= 5)).toBe(true);
      expect(new Set(streamed.map((r) => r.type))).toEqual(new Set(['instance', 'volume', 'snapshot']));
      expect(rest.some((r) => r.type === 'instance')).toBe(false);
      expect([...streamed, ...rest].map((r) => r.id).sort()).toEqual(region.map((r) => r.id).sort());

      await syncInventory(store.db, [aws], t0);
      const repo = resourceRepository(store.db);
      const before = await repo.count({ provider: 'aws' });
      const gone = sandbox.fleet.instances.find((i) => i.tags.Name === 'web-prod-1')!;
      gone.state = 'terminated';
      // Every page is listed and handed on, then the listing fails (a last part refused).
      const { AppError } = await import('../../src/errors.ts');
      const failsLate: CloudProvider = {
        name: 'aws',
        sandbox: true,
        sources: () => paged.sources(),
        actions: paged.actions,
        sizesFor: async () => [],
        execute: async () => {
          throw new Error('read-only');
        },
        listSource: async (s, o) => {
          await paged.listSource(s, o);
          throw new AppError('cloud_error', 'AWS could not list the snapshots: internal error.');
        },
      };
      const [failed] = await syncInventory(store.db, [failsLate], t1, { only: (s) => s.key === source.key });
      expect(failed).toMatchObject({ count: 0, gone: 0, error: expect.stringMatching(/internal error/i) });
      const rows = await repo.list({ provider: 'aws', type: 'instance', limit: 1000 });
      expect(rows.find((r) => r.id === gone.id)).toBeDefined();
      expect(
        rows
          .filter((r) => r.region === 'us-east-1' && r.id !== gone.id)
          .every((r) => r.seenAt.getTime() === t1.getTime()),
      ).toBe(true);
      expect(await repo.count({ provider: 'aws' })).toBe(before);
      // The next pass that succeeds marks it gone.
      const [ok] = await syncInventory(store.db, [paged], t1, { only: (s) => s.key === source.key });
      expect(ok).toMatchObject({ gone: 1 });
    } finally {
      paged.destroy();
    }
  });

  it('stores every character of names, tags and attributes as listed', async () => {
    const odd = {
      ...deployment('odd', 'quote " back\\slash \u00e9t\u00e9 \ud83d\ude80', t0),
      tags: { env: 'dev', note: 'a "b" \\c\\ \n new line', 'k\u00f8y': '\u65e5\u672c' },
      attributes: { nested: { list: [1, 'two', null, { three: true }] }, empty: '', big: 2 ** 40 },
    };
    await syncInventory(store.db, [cluster([odd])], t0);
    const [back] = await resourceRepository(store.db).list({ provider: 'kubernetes' });
    expect(back).toEqual({ ...odd, seenAt: t0 });
  });

  it('lists one source in one replica at a time: a second pass leaves it to the first, a stale claim expires', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let listings = 0;
    const slow = cluster([deployment('web', 'web', t0)]);
    const list = slow.listSource.bind(slow);
    slow.listSource = async (source) => {
      listings++;
      await gate;
      return list(source);
    };
    const first = syncInventory(store.db, [slow], t0);
    while (listings === 0) await new Promise((r) => setImmediate(r));
    const [second] = await syncInventory(store.db, [slow], t0);
    expect(second).toMatchObject({ count: 0, skipped: true });
    expect(second?.error).toBeUndefined();
    release();
    expect(await first).toMatchObject([{ count: 1, gone: 0 }]);
    expect(listings).toBe(1);
    // Released: the next pass lists.
    expect(await syncInventory(store.db, [slow], t1)).toMatchObject([{ count: 1 }]);
    // A replica that died mid-listing holds its claim until it expires.
    await store.db
      .update(inventorySources)
      .set({ listingId: 'dead-replica', listingUntil: new Date(t1.getTime() + 60_000) })
      .where(eq(inventorySources.key, 'kubernetes:kind-dev:local'));
    expect(await syncInventory(store.db, [slow], t1)).toMatchObject([{ skipped: true }]);
    expect(await syncInventory(store.db, [slow], new Date(t1.getTime() + 60_000))).toMatchObject([{ count: 1 }]);

    // A long listing renews its claim as batches arrive (here a claim of 30 ms, renewed after 10).
    const untils: Array<Date | null> = [];
    const readUntil = async () =>
      untils.push(
        (await store.db.select().from(inventorySources).where(eq(inventorySources.key, 'kubernetes:kind-dev:local')))[0]
          ?.listingUntil ?? null,
      );
    const long = cluster([]);
    long.listSource = async (_source, o) => {
      for (const id of ['a', 'b', 'c']) {
        await o?.onBatch?.([deployment(id, id, t1)]);
        await readUntil();
        await new Promise((r) => setTimeout(r, 15));
      }
      return [];
    };
    expect(await syncInventory(store.db, [long], t1, { claimMs: 30 })).toMatchObject([{ count: 3 }]);
    expect(untils[1]!.getTime()).toBeGreaterThan(untils[0]!.getTime());
    expect(untils[2]!.getTime()).toBeGreaterThan(untils[1]!.getTime());
  });

  it('vacuums the rewritten inventory where PostgreSQL has no autovacuum (embedded), by its default rule', async () => {
    const { sql } = await import('../../src/store/orm.ts');
    const { flushStats, vacuumIfNeeded } = await import('../../src/store/maintenance.ts');
    const dead = async () => {
      await flushStats(store.db);
      const { rows } = await store.db.execute<{ dead: string }>(
        sql`select n_dead_tup as dead from pg_stat_user_tables where relname = 'resources'`,
      );
      return Number(rows[0]?.dead);
    };
    await syncInventory(store.db, [aws], t0);
    if (process.env.DATABASE_URL) {
      // A server's own autovacuum does this there; the rule still holds on a table without dead rows.
      await store.db.execute(sql`vacuum resources`);
      expect(await vacuumIfNeeded(store.db, ['resources'])).toEqual([]);
      return;
    }
    // Every listed row rewritten: well over 50 + 20 % dead, then none once the pass vacuumed.
    await syncInventory(store.db, [aws], t1);
    expect(await dead()).toBeGreaterThan(30);
    await syncInventory(store.db, [aws], t1, { vacuum: true });
    expect(await dead()).toBe(0);
    // Below the threshold nothing is vacuumed.
    expect(await vacuumIfNeeded(store.db, ['resources'])).toEqual([]);
  });
});
