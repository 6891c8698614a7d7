import { MonitorClient } from '@azure/arm-monitor';
import type { MetricValue, Response as MetricsResponse } from '@azure/arm-monitor';
import type { MetricSample } from '../provider.ts';
import { armPolicy, ListStepError } from './arm.ts';
import type { ClientSettings, SubscriptionClients } from './arm.ts';

/**
 * Daily VM metrics from Azure Monitor (`@azure/arm-monitor` 8, `metrics.list` on each VM's ARM id),
 * loaded with the provider's first metrics call. One request per VM (a few in parallel) asks for
 * whole UTC days at a one-day grain:
 * - `Percentage CPU` → `cpu_percent`: the day's Average and Maximum of Azure's one-minute samples.
 * - `Network In Total` / `Network Out Total` → `network_in_bytes` / `network_out_bytes`: the day's
 *   Total (bytes moved that day) as both `avg` and `max`, so over a range the stored average is
 *   bytes per day and the maximum the busiest day. (Azure's per-sample Average and Maximum of
 *   these metrics are per-minute figures, which say little about a day.)
 * Azure answers every requested day; a day without samples (a deallocated or stopped VM) carries
 * only its timestamp and gives no row.
 */

const metricNames = [
  { azure: 'Percentage CPU', metric: 'cpu_percent', unit: 'percent', daily: 'average' },
  { azure: 'Network In Total', metric: 'network_in_bytes', unit: 'bytes', daily: 'total' },
  { azure: 'Network Out Total', metric: 'network_out_bytes', unit: 'bytes', daily: 'total' },
] as const;

const dayMs = 86_400_000;

/** `days` whole UTC days ending at the start of `now`'s day (today is not over yet): [start, end). */
export const wholeUtcDays = (now: Date, days: number): { start: Date; end: Date } => {
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { start: new Date(end - days * dayMs), end: new Date(end) };
};

export const createMonitorClient = (subscriptionId: string, s: ClientSettings): MonitorClient => {
  const client = new MonitorClient(s.credential, subscriptionId, {
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.ca ? { tlsOptions: { ca: s.ca } } : {}),
    ...(s.maxRetries !== undefined ? { retryOptions: { maxRetries: s.maxRetries } } : {}),
  });
  // Same placement as the ARM clients (arm.ts): ahead of the bearer policy, so token failures count.
  client.pipeline.addPolicy(armPolicy(s.metrics), { beforePolicies: ['bearerTokenAuthenticationPolicy'] });
  return client;
};

/** One VM's answer → rows: days with no value are left out; a day with only one statistic fills the other. */
export const samplesOf = (
  response: MetricsResponse,
  vm: { id: string; subscriptionId: string },
  range: { start: Date; end: Date },
): MetricSample[] => {
  const out: MetricSample[] = [];
  for (const m of response.value) {
    const spec = metricNames.find((n) => n.azure.toLowerCase() === m.name.value.toLowerCase());
    if (!spec) continue;
    for (const point of (m.timeseries ?? []).flatMap((t) => t.data ?? [])) {
      const at = point.timeStamp.getTime();
      if (!(at >= range.start.getTime() && at < range.end.getTime())) continue;
      const values = valuesOf(point, spec.daily);
      if (!values) continue;
      out.push({
        provider: 'azure',
        account: vm.subscriptionId,
        resourceId: vm.id,
        metric: spec.metric,
        day: point.timeStamp.toISOString().slice(0, 10),
        ...values,
        unit: spec.unit,
      });
    }
  }
  return out;
};

const valuesOf = (p: MetricValue, daily: 'average' | 'total'): { avg: number; max: number } | undefined => {
  if (daily === 'total') return typeof p.total === 'number' ? { avg: p.total, max: p.total } : undefined;
  const avg = typeof p.average === 'number' ? p.average : undefined;
  const max = typeof p.maximum === 'number' ? p.maximum : undefined;
  if (avg === undefined && max === undefined) return undefined;
  return { avg: avg ?? max!, max: max ?? avg! };
};

export interface VmMetricsRequest {
  subscriptionId: string;
  days: number;
  now: Date;
  /** Requests in flight at once (default 8: well inside ARM's read limits). */
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Daily samples of every VM of the subscription. Any failure (other than a VM deleted since the
 * listing) fails the whole call, as a listing does: the sync keeps what it stored before.
 */
export const vmDailyMetrics = async (
  clients: SubscriptionClients,
  monitor: MonitorClient,
  req: VmMetricsRequest,
): Promise<MetricSample[]> => {
  const o = req.signal ? { abortSignal: req.signal } : {};
  const vms: Array<{ id: string; name: string }> = [];
  try {
    for await (const vm of clients.compute.virtualMachines.listAll(o))
      if (vm.id) vms.push({ id: vm.id, name: vm.name ?? vm.id });
  } catch (e) {
    throw new ListStepError('listing VMs for metrics', e);
  }
  const range = wholeUtcDays(req.now, req.days);
  const timespan = `${range.start.toISOString()}/${range.end.toISOString()}`;
  const out: MetricSample[] = [];
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < vms.length) {
      const vm = vms[next++]!;
      try {
        req.signal?.throwIfAborted();
        // The SDK's path template adds its own leading slash to the resource URI.
        const response = await monitor.metrics.list(vm.id.replace(/^\/+/, ''), {
          ...o,
          timespan,
          interval: 'P1D',
          metricnames: metricNames.map((n) => n.azure).join(','),
          aggregation: 'Average,Maximum,Total',
          metricnamespace: 'Microsoft.Compute/virtualMachines',
        });
        out.push(...samplesOf(response, { id: vm.id, subscriptionId: req.subscriptionId }, range));
      } catch (e) {
        if ((e as { statusCode?: unknown }).statusCode === 404) continue;
        failed = true;
        throw new ListStepError(`reading the metrics of ${vm.name}`, e);
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(req.concurrency ?? 8, vms.length)) }, worker);
  const results = await Promise.allSettled(workers);
  const rejected = results.find((r) => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return out;
};
