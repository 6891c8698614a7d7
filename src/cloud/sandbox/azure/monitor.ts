import { createHash } from 'node:crypto';
import { ArmError } from './arm-error.ts';
import type { AzureVm } from './fleet.ts';

/**
 * The emulator's Azure Monitor metrics API for VMs: `GET {vmId}/providers/Microsoft.Insights/metrics`
 * with `timespan`, `interval` (PT1H or P1D), `metricnames` and `aggregation`, answered in Azure's
 * response shape (`cost`, `timespan`, `interval`, `value[]` of metrics with `timeseries[].data[]`,
 * `namespace`, `resourceregion`). Values are derived from the VM's seeded `cpuPercent`, varied per
 * interval by a hash of the VM id and the time: the same fleet always answers the same numbers.
 * Like Azure, every interval of the timespan gets a point; an interval with no samples (the VM not
 * running now, not yet created, or in the future) carries only its `timeStamp`.
 */

interface MetricDef {
  name: string;
  unit: string;
  description: string;
  /** The interval's average, maximum and total from the VM's profile and a variation in [0, 1). */
  values: (cpu: number, u: number, minutes: number) => { average: number; maximum: number; total: number };
}

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Bytes a VM moves per minute per CPU percent point (a web VM at 35 % moves ~25 GB a day). */
const bytesPerMinutePerCpu = 500_000;

const defs: MetricDef[] = [
  {
    name: 'Percentage CPU',
    unit: 'Percent',
    description: 'The percentage of allocated compute units that are currently in use by the Virtual Machine(s)',
    values: (cpu, u, minutes) => {
      const average = round(cpu * (0.8 + 0.4 * u));
      return { average, maximum: round(Math.min(100, average * (1.6 + u))), total: round(average * minutes) };
    },
  },
  {
    name: 'Network In Total',
    unit: 'Bytes',
    description: 'The number of bytes received on all network interfaces by the Virtual Machine(s) (Incoming Traffic)',
    values: (cpu, u, minutes) => {
      const average = Math.round(cpu * bytesPerMinutePerCpu * (0.7 + 0.6 * u));
      return { average, maximum: Math.round(average * (2 + u)), total: average * minutes };
    },
  },
  {
    name: 'Network Out Total',
    unit: 'Bytes',
    description: 'The number of bytes out on all network interfaces by the Virtual Machine(s) (Outgoing Traffic)',
    values: (cpu, u, minutes) => {
      const average = Math.round(cpu * bytesPerMinutePerCpu * 0.6 * (0.7 + 0.6 * u));
      return { average, maximum: Math.round(average * (2 + u)), total: average * minutes };
    },
  },
];

const aggregations = ['average', 'maximum', 'minimum', 'total', 'count'] as const;
type Aggregation = (typeof aggregations)[number];

const grains: Record<string, number> = { PT1H: 3_600_000, P1D: 86_400_000 };

/** A stable number in [0, 1) from the seed. */
const unit = (seed: string): number => createHash('sha256').update(seed).digest().readUInt32BE(0) / 2 ** 32;

/** Running VMs have samples; stopped (OS shut down) and deallocated ones do not. */
const sampling = (vm: AzureVm): boolean => ['running', 'starting', 'stopping'].includes(vm.power);

const parseTimespan = (raw: string | null, now: Date): { start: Date; end: Date } => {
  if (!raw) return { start: new Date(now.getTime() - 3_600_000), end: now };
  const [a, b] = raw.split('/');
  const start = new Date(a ?? '');
  const end = new Date(b ?? '');
  if (!a || !b || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start)
    throw new ArmError(
      400,
      'BadRequest',
      `Invalid timespan '${raw}'. The timespan must be 'startDateTime_ISO/endDateTime_ISO' with the start before the end.`,
    );
  return { start, end };
};

export const vmMetricsJson = (vm: AzureVm, armId: string, url: URL, now: Date): unknown => {
  const q = url.searchParams;
  const { start, end } = parseTimespan(q.get('timespan'), now);
  const interval = (q.get('interval') ?? 'PT1H').toUpperCase();
  const grain = grains[interval];
  if (!grain)
    throw new ArmError(
      400,
      'BadRequest',
      `Invalid interval '${q.get('interval')}'. This emulator serves PT1H and P1D for Microsoft.Compute/virtualMachines.`,
    );
  if ((end.getTime() - start.getTime()) / grain > 10_000)
    throw new ArmError(400, 'BadRequest', 'The number of data points requested exceeds the limit.');
  const namespace = q.get('metricnamespace');
  if (namespace && namespace.toLowerCase() !== 'microsoft.compute/virtualmachines')
    throw new ArmError(
      400,
      'BadRequest',
      `Metric namespace '${namespace}' is not valid for resource type Microsoft.Compute/virtualMachines.`,
    );
  const names = (q.get('metricnames') ?? 'Percentage CPU').split(',').map((n) => n.trim());
  const wanted = names.map((n) => {
    const def = defs.find((d) => d.name.toLowerCase() === n.toLowerCase());
    if (!def)
      throw new ArmError(
        400,
        'BadRequest',
        `Failed to find metric configuration for provider: Microsoft.Compute, resource Type: virtualMachines, metric: ${n}, Valid metrics: ${defs.map((d) => d.name).join(',')}`,
      );
    return def;
  });
  const aggs = (q.get('aggregation') ?? 'average')
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .map((a) => {
      if (!(aggregations as readonly string[]).includes(a))
        throw new ArmError(400, 'BadRequest', `Invalid aggregation '${a}'.`);
      return a as Aggregation;
    });
  // Points start on grain boundaries at or after the start, as Azure aligns them.
  const first = Math.ceil(start.getTime() / grain) * grain;
  const points: number[] = [];
  for (let t = first; t < end.getTime(); t += grain) points.push(t);
  const from = Math.max(vm.timeCreated.getTime(), 0);
  const value = wanted.map((def) => ({
    id: `${armId}/providers/Microsoft.Insights/metrics/${def.name}`,
    type: 'Microsoft.Insights/metrics',
    name: { value: def.name, localizedValue: def.name },
    displayDescription: def.description,
    unit: def.unit,
    timeseries: [
      {
        metadatavalues: [],
        data: points.map((t) => {
          const timeStamp = new Date(t).toISOString().replace('.000Z', 'Z');
          // Samples exist for the part of the interval the VM ran and that is already past.
          const minutes = Math.floor((Math.min(t + grain, now.getTime()) - Math.max(t, from)) / 60_000);
          if (!sampling(vm) || minutes <= 0) return { timeStamp };
          const v = def.values(vm.cpuPercent, unit(`${vm.vmId}/${def.name}/${t}`), minutes);
          const all = { ...v, minimum: def.unit === 'Percent' ? round(v.average * 0.2) : 0, count: minutes };
          return { timeStamp, ...Object.fromEntries(aggs.map((a) => [a, all[a]])) };
        }),
      },
    ],
    errorCode: 'Success',
  }));
  const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
  return {
    cost: points.length * wanted.length,
    timespan: `${iso(start)}/${iso(end)}`,
    interval,
    value,
    namespace: 'Microsoft.Compute/virtualMachines',
    resourceregion: vm.location,
  };
};
