import { afterEach, describe, expect, it } from '@jest/globals';
import { AzureProvider } from '../../src/cloud/azure/provider.ts';
import type { MetricSample } from '../../src/cloud/provider.ts';
import { devSubscriptionId, generatedAzureFleet, prodSubscriptionId } from '../../src/cloud/sandbox/azure/fleet.ts';
import { azureSandboxProviderOptions, startAzureSandbox } from '../../src/cloud/sandbox/azure/server.ts';
import type { AzureSandbox, AzureSandboxOptions } from '../../src/cloud/sandbox/azure/server.ts';
import { AppError } from '../../src/errors.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { rejectedAppError, sourceOf } from '../helpers/cloud.ts';

/**
 * AzureProvider.metrics through the real @azure/identity, @azure/arm-compute and @azure/arm-monitor
 * against the loopback TLS emulator's Azure Monitor: daily rows for whole UTC days, idle dev VMs
 * under 5 % CPU and busy prod ones well above, nothing for VMs that did not run, Azure's own
 * AuthorizationFailed text.
 */

const now = new Date('2026-11-01T12:00:00Z');
let sandbox: AzureSandbox;

const start = async (opts: AzureSandboxOptions = {}) => {
  sandbox = await startAzureSandbox({ now: () => now, ...opts });
};

const provider = (opts: { metrics?: Metrics; now?: Date } = {}): AzureProvider =>
  new AzureProvider({
    ...azureSandboxProviderOptions(sandbox),
    now: () => opts.now ?? now,
    maxRetries: 0,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });

const vmId = (name: string): string => {
  const vm = sandbox.state.fleet.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`no VM ${name}`);
  return `/subscriptions/${vm.subscriptionId}/resourceGroups/${vm.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm.name}`;
};

const rowsOf = (samples: MetricSample[], name: string, metric: string) =>
  samples.filter((s) => s.resourceId === vmId(name) && s.metric === metric).sort((a, b) => a.day.localeCompare(b.day));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const metricsRequests = () => sandbox.requests.filter((r) => r.path.endsWith('/providers/Microsoft.Insights/metrics'));

/** The 14 whole UTC days before 2026-11-01: 2026-10-18 … 2026-10-31. */
const fourteenDays = Array.from({ length: 14 }, (_, i) =>
  new Date(Date.UTC(2026, 9, 18 + i)).toISOString().slice(0, 10),
);

afterEach(async () => {
  await sandbox?.stop();
});

describe('Azure VM metrics', () => {
  it('gives idle dev VMs under 5 % CPU and busy prod VMs far more, one row per whole day and metric', async () => {
    await start();
    const p = provider();
    const dev = await p.metrics(sourceOf(p, devSubscriptionId), { days: 14, now });
    const prod = await p.metrics(sourceOf(p, prodSubscriptionId), { days: 14, now });

    for (const s of [...dev, ...prod]) {
      expect(s.provider).toBe('azure');
      expect(fourteenDays).toContain(s.day);
      expect(s.max).toBeGreaterThanOrEqual(s.avg);
      expect(s.unit).toBe(s.metric === 'cpu_percent' ? 'percent' : 'bytes');
    }
    expect(new Set(dev.map((s) => s.account))).toEqual(new Set([devSubscriptionId]));
    expect(new Set(prod.map((s) => s.account))).toEqual(new Set([prodSubscriptionId]));

    for (const idle of ['web-dev-1', 'api-dev-1', 'ml-dev-1']) {
      const cpu = rowsOf(dev, idle, 'cpu_percent');
      expect(cpu.map((s) => s.day)).toEqual(fourteenDays);
      expect(mean(cpu.map((s) => s.avg))).toBeLessThan(5);
      expect(mean(cpu.map((s) => s.avg))).toBeGreaterThan(0);
    }
    for (const busy of ['web-prod-1', 'api-prod-1', 'db-prod-1']) {
      const cpu = rowsOf(prod, busy, 'cpu_percent');
      expect(cpu.map((s) => s.day)).toEqual(fourteenDays);
      expect(mean(cpu.map((s) => s.avg))).toBeGreaterThan(20);
      expect(Math.max(...cpu.map((s) => s.max))).toBeLessThanOrEqual(100);
    }
    // Network rows carry the day's total bytes as both avg and max; a busy VM moves far more.
    const webIn = rowsOf(prod, 'web-prod-1', 'network_in_bytes');
    const webOut = rowsOf(prod, 'web-prod-1', 'network_out_bytes');
    expect(webIn.map((s) => s.day)).toEqual(fourteenDays);
    expect(webOut).toHaveLength(14);
    for (const s of [...webIn, ...webOut]) expect(s.max).toBe(s.avg);
    expect(mean(webIn.map((s) => s.avg))).toBeGreaterThan(
      10 * mean(rowsOf(dev, 'web-dev-1', 'network_in_bytes').map((s) => s.avg)),
    );
    // Per VM: 3 metrics × 14 days; only the running VMs have any.
    expect(dev).toHaveLength(3 * 3 * 14);
    expect(prod).toHaveLength(6 * 3 * 14);

    // One Azure Monitor request per VM of the subscription (4 dev, 7 prod), for the same whole days.
    expect(metricsRequests()).toHaveLength(11);
    expect(metricsRequests().every((r) => r.status === 200)).toBe(true);
  });

  it('gives no rows for VMs without data: deallocated, stopped, or created after the range', async () => {
    await start();
    const web = sandbox.state.fleet.vms.find((v) => v.name === 'web-dev-1')!;
    // Created at 18:00 on Oct 28: that day has 6 hours of samples, then three full days.
    web.timeCreated = new Date('2026-10-28T18:00:00Z');
    const p = provider();
    const dev = await p.metrics(sourceOf(p, devSubscriptionId), { days: 14, now });
    const prod = await p.metrics(sourceOf(p, prodSubscriptionId), { days: 14, now });
    expect(prod.filter((s) => s.resourceId === vmId('batch-prod-old'))).toEqual([]);
    expect(dev.filter((s) => s.resourceId === vmId('win-dev-1'))).toEqual([]);
    expect(rowsOf(dev, 'web-dev-1', 'cpu_percent').map((s) => s.day)).toEqual([
      '2026-10-28',
      '2026-10-29',
      '2026-10-30',
      '2026-10-31',
    ]);
    const inbound = rowsOf(dev, 'web-dev-1', 'network_in_bytes');
    // The partial first day moved fewer bytes than a full one.
    expect(inbound[0]!.avg).toBeLessThan(inbound[1]!.avg / 2);
  });

  it('always asks for whole UTC days before now’s day, whatever the time of day', async () => {
    await start();
    const early = provider({ now: new Date('2026-11-01T00:00:30Z') });
    const late = provider({ now: new Date('2026-11-01T23:59:00Z') });
    const a = await early.metrics(sourceOf(early, devSubscriptionId), {
      days: 3,
      now: new Date('2026-11-01T00:00:30Z'),
    });
    const b = await late.metrics(sourceOf(late, devSubscriptionId), { days: 3, now: new Date('2026-11-01T23:59:00Z') });
    expect(a).toEqual(b);
    expect(new Set(a.map((s) => s.day))).toEqual(new Set(['2026-10-29', '2026-10-30', '2026-10-31']));
    // Same fleet, same answers: the emulator's series are deterministic.
    expect(
      await early.metrics(sourceOf(early, devSubscriptionId), { days: 3, now: new Date('2026-11-01T06:00:00Z') }),
    ).toEqual(a);
  });

  it('counts the Monitor calls as metrics.list with provider="azure"', async () => {
    await start();
    const metrics = createMetrics();
    const p = provider({ metrics });
    await p.metrics(sourceOf(p, devSubscriptionId), { days: 2, now });
    const calls = await metrics.registry.getSingleMetricAsString('devops_agent_cloud_calls_total');
    expect(calls).toContain('provider="azure",operation="metrics.list",outcome="ok"} 4');
    expect(calls).toContain('provider="azure",operation="virtualMachines.list",outcome="ok"} 1');
  });

  it('reads every VM of a large subscription (listed over several pages)', async () => {
    const fleet = generatedAzureFleet(now, 40);
    for (const vm of fleet.vms) vm.timeCreated = new Date('2026-09-01T00:00:00Z');
    await start({ fleet, pageSize: 15 });
    const p = provider();
    const rows = await p.metrics(sourceOf(p, prodSubscriptionId), { days: 2, now });
    expect(metricsRequests()).toHaveLength(40);
    expect(new Set(rows.map((s) => s.resourceId)).size).toBe(40);
    expect(rows).toHaveLength(40 * 3 * 2);
  });

  it('fails with Azure’s AuthorizationFailed text when the principal may not read metrics', async () => {
    await start();
    sandbox.state.denied.add('Microsoft.Insights/metrics/read');
    const p = provider();
    const err = await rejectedAppError(p.metrics(sourceOf(p, devSubscriptionId), { days: 14, now }));
    expect(err.code).toBe('auth_failed');
    expect(err.userMessage).toContain(`dev (${devSubscriptionId})`);
    expect(err.userMessage).toContain('AuthorizationFailed');
    expect(err.userMessage).toContain(
      "does not have authorization to perform action 'Microsoft.Insights/metrics/read'",
    );
    expect(err.userMessage).toMatch(/reading the metrics of (web|api|ml|win)-dev-1/);
    // The listing itself is still allowed.
    expect((await p.listSource(sourceOf(p, devSubscriptionId))).length).toBeGreaterThan(5);
  });

  it('skips a VM deleted between the listing and its metrics read', async () => {
    await start();
    sandbox.failNext('/virtualMachines/api-dev-1/providers/Microsoft.Insights/metrics', {
      status: 404,
      code: 'ResourceNotFound',
      message:
        "The Resource 'Microsoft.Compute/virtualMachines/api-dev-1' under resource group 'rg-api-dev-eus' was not found.",
    });
    const p = provider();
    const dev = await p.metrics(sourceOf(p, devSubscriptionId), { days: 2, now });
    expect(dev.filter((s) => s.resourceId === vmId('api-dev-1'))).toEqual([]);
    expect(new Set(dev.map((s) => s.resourceId))).toEqual(new Set([vmId('web-dev-1'), vmId('ml-dev-1')]));
  });

  it('a throttled Monitor read fails the call with rate_limited and Azure’s text', async () => {
    await start();
    sandbox.failNext('/providers/Microsoft.Insights/metrics', {
      status: 429,
      code: 'TooManyRequests',
      message: 'Too many requests. Please retry.',
      retryAfter: 1,
    });
    const p = provider();
    const err = await rejectedAppError(p.metrics(sourceOf(p, devSubscriptionId), { days: 2, now }));
    expect(err.code).toBe('rate_limited');
    expect(err.userMessage).toContain('Too many requests. Please retry.');
  });

  it('stops when the sync gives up on the source', async () => {
    await start();
    const p = provider();
    const controller = new AbortController();
    controller.abort();
    await expect(
      p.metrics(sourceOf(p, devSubscriptionId), { days: 2, now }, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(AppError);
    expect(metricsRequests()).toEqual([]);
  });

  it('refuses a bad range before any call', async () => {
    await start();
    const p = provider();
    const err = await rejectedAppError(p.metrics(sourceOf(p, devSubscriptionId), { days: 0, now }));
    expect(err.code).toBe('bad_request');
    expect(
      await rejectedAppError(p.metrics(sourceOf(p, devSubscriptionId), { days: 3, now: new Date('nope') })),
    ).toBeInstanceOf(AppError);
    expect(sandbox.requests).toEqual([]);
  });
});
