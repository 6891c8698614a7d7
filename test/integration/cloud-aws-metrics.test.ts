import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AwsProvider } from '../../src/cloud/aws/provider.ts';
import type { AwsProviderOptions } from '../../src/cloud/aws/provider.ts';
import type { MetricSample } from '../../src/cloud/provider.ts';
import { sandboxAwsAccounts, sandboxId, sandboxSecondAccount, seedFleet } from '../../src/cloud/sandbox/fleet.ts';
import type { SandboxInstance } from '../../src/cloud/sandbox/model.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox, SandboxOptions } from '../../src/cloud/sandbox/server.ts';
import { AppError } from '../../src/errors.ts';
import { collectMetrics, syncInventory } from '../../src/cloud/inventory.ts';
import { inventorySources, resourceMetricSeries, resourceMetrics } from '../../src/cloud/schema.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { eq } from '../../src/store/orm.ts';

/**
 * CloudWatch metrics through the real @aws-sdk/client-cloudwatch (awsJson1_0) against the
 * sandbox's GetMetricData: daily average and max of CPU and network for whole UTC days, batched
 * at CloudWatch's 500 queries per call and paged with NextToken.
 */

const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
const providers: AwsProvider[] = [];

const start = async (opts: SandboxOptions = {}) => {
  sandbox = await startSandbox({ now: () => now, ...opts });
};

const provider = (opts: Partial<AwsProviderOptions> = {}): AwsProvider => {
  const p = new AwsProvider({
    accounts: sandboxAwsAccounts,
    endpoint: sandbox.url,
    sandbox: true,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
    now: () => now,
    maxAttempts: 1,
    ...opts,
  } as AwsProviderOptions);
  providers.push(p);
  return p;
};

const metricsOf = async (p: AwsProvider, key: string, days = 14): Promise<MetricSample[]> => {
  const source = p.sources().find((s) => s.key === key)!;
  return p.metrics(source, { days, now });
};

afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy();
  await sandbox.stop();
});

describe('AwsProvider.metrics', () => {
  beforeEach(() => start());

  it('answers daily CPU and network average and max per running instance, for whole UTC days', async () => {
    const samples = await metricsOf(provider(), 'aws:sandbox:eu-west-1');
    const running = sandbox.fleet.instances.filter((i) => i.region === 'eu-west-1' && i.state === 'running');
    expect(running).toHaveLength(7);
    expect(samples).toHaveLength(7 * 3 * 14);
    const days = [...new Set(samples.map((s) => s.day))].sort();
    expect(days[0]).toBe('2026-10-18');
    expect(days.at(-1)).toBe('2026-10-31');
    expect(days).toHaveLength(14);
    expect(new Set(samples.map((s) => s.metric))).toEqual(
      new Set(['cpu_percent', 'network_in_bytes', 'network_out_bytes']),
    );
    for (const s of samples) {
      expect(s).toMatchObject({ provider: 'aws', account: '123456789012' });
      expect(s.max).toBeGreaterThanOrEqual(s.avg);
      expect(s.unit).toBe(s.metric === 'cpu_percent' ? 'percent' : 'bytes');
    }
    const stopped = sandbox.fleet.instances.find((i) => i.tags.Name === 'worker-dev-1')!;
    expect(samples.some((s) => s.resourceId === stopped.id)).toBe(false);
    // One call: 7 instances × 3 metrics × 2 statistics = 42 queries, daily period, the range of whole days.
    const calls = sandbox.requests.filter((r) => r.action === 'GetMetricData');
    expect(calls).toHaveLength(1);
  });

  it('shows idle dev instances under 5 % CPU every day and busy production ones well above', async () => {
    const samples = await metricsOf(provider(), 'aws:sandbox:eu-west-1');
    const cpu = (name: string) => {
      const id = sandbox.fleet.instances.find((i) => i.tags.Name === name)!.id;
      return samples.filter((s) => s.resourceId === id && s.metric === 'cpu_percent');
    };
    for (const idle of ['web-dev-1', 'api-dev-1', 'ml-dev-1']) {
      expect(cpu(idle)).toHaveLength(14);
      expect(cpu(idle).every((s) => s.avg < 5)).toBe(true);
    }
    const busy = cpu('web-prod-eu-1');
    expect(busy.every((s) => s.avg > 30)).toBe(true);
    const id = sandbox.fleet.instances.find((i) => i.tags.Name === 'web-prod-eu-1')!.id;
    const netIn = samples.filter((s) => s.resourceId === id && s.metric === 'network_in_bytes');
    const netOut = samples.filter((s) => s.resourceId === id && s.metric === 'network_out_bytes');
    expect(netIn[0]!.avg).toBeGreaterThan(netOut[0]!.avg);
  });

  it("reads the second account's metrics through its role, and nothing for a global source", async () => {
    const p = provider();
    const samples = await metricsOf(p, 'aws:sandbox-shared:us-east-1', 7);
    expect(samples).toHaveLength(4 * 3 * 7);
    expect(new Set(samples.map((s) => s.account))).toEqual(new Set([sandboxSecondAccount]));
    expect(await metricsOf(p, 'aws:sandbox:global')).toEqual([]);
  });

  it('translates a CloudWatch refusal', async () => {
    sandbox.failNext('GetMetricData', {
      code: 'AccessDenied',
      message: 'User is not authorized to perform: cloudwatch:GetMetricData',
      status: 403,
    });
    const err = await metricsOf(provider(), 'aws:sandbox:eu-west-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'auth_failed' });
    expect((err as AppError).userMessage).toContain('reading CloudWatch metrics in eu-west-1');
  });
});

describe('AwsProvider.metrics at scale', () => {
  const manyInstances = (n: number): SandboxInstance[] => {
    const template = seedFleet(now).instances.find((i) => i.tags.Name === 'web-prod-1')!;
    return Array.from({ length: n }, (_, k) => ({
      ...template,
      id: sandboxId('i', `many/${k}`),
      usage: { cpuPercent: k % 10 },
      tags: { Name: `many-${k}`, env: 'prod' },
    }));
  };

  it('batches up to 500 queries per call, an instance never split, and follows NextToken pages', async () => {
    const fleet = seedFleet(now);
    fleet.instances = manyInstances(100);
    await start({ fleet, metricDatapointsPerPage: 1000 });
    const samples = await metricsOf(
      provider({ accounts: [{ name: 'main', regions: ['us-east-1'] }] }),
      'aws:main:us-east-1',
    );
    expect(samples).toHaveLength(100 * 3 * 14);
    const calls = sandbox.requests.filter((r) => r.action === 'GetMetricData');
    // 83 instances (498 queries) + 17 (102); their 6972 and 1428 datapoints in pages of 1000: 7 + 2 calls.
    expect(calls).toHaveLength(9);
    const k7 = samples.filter((s) => s.resourceId === sandboxId('i', 'many/7') && s.metric === 'cpu_percent');
    expect(k7).toHaveLength(14);
    expect(k7.every((s) => s.avg > 5 && s.avg < 9)).toBe(true);
  });

  it("writes each call's samples as it completes and, collected again, asks only for the days since", async () => {
    const store: TestStore = await createTestStore();
    try {
      const fleet = seedFleet(now);
      fleet.instances = manyInstances(200);
      await start({ fleet });
      const p = provider({ accounts: [{ name: 'main', regions: ['us-east-1'] }] });
      await syncInventory(store.db, [p], now, { only: (s) => s.region === 'us-east-1' });
      const source = p.sources().find((s) => s.key === 'aws:main:us-east-1')!;
      // Straight from the provider: 200 instances in three calls (83 + 83 + 34), handed on one by one.
      const batches: number[] = [];
      const rest = await p.metrics(source, { days: 2, now }, { onSamples: async (b) => void batches.push(b.length) });
      expect(rest).toEqual([]);
      expect(batches).toEqual([83 * 3 * 2, 83 * 3 * 2, 34 * 3 * 2]);

      const only = [p];
      const first = (await collectMetrics(store.db, only, now)).find((o) => o.source === source.key)!;
      expect(first).toMatchObject({ samples: 200 * 3 * 14, days: 14 });
      expect(await store.db.$count(resourceMetrics)).toBe(200 * 3 * 14);
      const [status] = await store.db.select().from(inventorySources).where(eq(inventorySources.key, source.key));
      expect(status?.metricsAt).toEqual(now);

      sandbox.requests.length = 0;
      const sameDay = (await collectMetrics(store.db, only, new Date('2026-11-01T18:00:00Z'))).find(
        (o) => o.source === source.key,
      )!;
      expect(sameDay).toMatchObject({ samples: 200 * 3, days: 1 });
      // The instances come from the stored listing, not from EC2 again.
      expect(sandbox.requests.filter((r) => r.action === 'DescribeInstances')).toEqual([]);
      expect(sandbox.requests.filter((r) => r.action === 'GetMetricData').length).toBeGreaterThan(0);
      const threeDaysOn = (await collectMetrics(store.db, only, new Date('2026-11-04T01:00:00Z'))).find(
        (o) => o.source === source.key,
      )!;
      expect(threeDaysOn).toMatchObject({ samples: 200 * 3 * 4, days: 4 });
      // 2026-10-18 … 2026-11-03: nothing asked twice is stored twice.
      expect(await store.db.$count(resourceMetrics)).toBe(200 * 3 * 17);
      // Each instance's three metrics as one series a scan reads, all 17 days in day order.
      expect(await store.db.$count(resourceMetricSeries)).toBe(200 * 3);
      const [one] = await store.db.select().from(resourceMetricSeries).limit(1);
      const seriesDays = one!.days.split(' ').filter((_, i) => i % 3 === 0);
      expect(seriesDays).toHaveLength(17);
      expect(seriesDays[0]).toBe('2026-10-18');
      expect(seriesDays.at(-1)).toBe('2026-11-03');
      expect([...seriesDays].sort()).toEqual(seriesDays);
    } finally {
      await store.dispose();
    }
  });
});
