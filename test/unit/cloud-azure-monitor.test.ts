import { describe, expect, it } from '@jest/globals';
import type { Response as MetricsResponse } from '@azure/arm-monitor';
import { samplesOf, wholeUtcDays } from '../../src/cloud/azure/monitor.ts';

/** Azure Monitor answers → daily rows: which points count, and how each metric maps. */

const vm = {
  id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-1',
  subscriptionId: 's',
};
const range = wholeUtcDays(new Date('2026-11-03T09:30:00Z'), 2);

const metric = (name: string, data: MetricsResponse['value'][number]['timeseries'][number]['data']) => ({
  id: `${vm.id}/providers/Microsoft.Insights/metrics/${name}`,
  type: 'Microsoft.Insights/metrics',
  name: { value: name, localizedValue: name },
  unit: name === 'Percentage CPU' ? ('Percent' as const) : ('Bytes' as const),
  timeseries: [{ metadatavalues: [], data }],
});

describe('Azure Monitor samples', () => {
  it('takes the whole UTC days before now’s day', () => {
    expect(range).toEqual({ start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-03T00:00:00Z') });
  });

  it('maps CPU to average/maximum and network to the day’s total; empty and out-of-range days give nothing', () => {
    const response: MetricsResponse = {
      timespan: '2026-11-01T00:00:00Z/2026-11-03T00:00:00Z',
      interval: 'P1D',
      value: [
        metric('Percentage CPU', [
          { timeStamp: new Date('2026-11-01T00:00:00Z'), average: 3.5, maximum: 20 },
          { timeStamp: new Date('2026-11-02T00:00:00Z') },
          { timeStamp: new Date('2026-11-03T00:00:00Z'), average: 9, maximum: 9 },
        ]),
        metric('Network In Total', [
          { timeStamp: new Date('2026-11-01T00:00:00Z'), average: 1000, maximum: 5000, total: 1_440_000 },
          { timeStamp: new Date('2026-11-02T00:00:00Z'), average: 0, maximum: 0, total: 0 },
        ]),
        metric('Network Out Total', [{ timeStamp: new Date('2026-11-02T00:00:00Z'), maximum: 7 }]),
        metric('Disk Read Bytes', [{ timeStamp: new Date('2026-11-01T00:00:00Z'), total: 5 }]),
      ],
    };
    const base = { provider: 'azure', account: 's', resourceId: vm.id };
    expect(samplesOf(response, vm, range)).toEqual([
      { ...base, metric: 'cpu_percent', day: '2026-11-01', avg: 3.5, max: 20, unit: 'percent' },
      { ...base, metric: 'network_in_bytes', day: '2026-11-01', avg: 1_440_000, max: 1_440_000, unit: 'bytes' },
      // A real zero is a value, not a gap.
      { ...base, metric: 'network_in_bytes', day: '2026-11-02', avg: 0, max: 0, unit: 'bytes' },
    ]);
  });

  it('fills a CPU day that has only one statistic from the other', () => {
    const response: MetricsResponse = {
      timespan: 'x',
      value: [metric('Percentage CPU', [{ timeStamp: new Date('2026-11-02T00:00:00Z'), maximum: 12 }])],
    };
    expect(samplesOf(response, vm, range)).toMatchObject([{ day: '2026-11-02', avg: 12, max: 12 }]);
  });
});
