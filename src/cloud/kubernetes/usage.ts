import { AppError } from '../../errors.ts';
import { z } from 'zod';
import type { MetricSample } from '../provider.ts';
import { idOf } from './normalize.ts';
import { bytes, cpuMillicores } from './quantity.ts';

/**
 * metrics.k8s.io answers → MetricSample rows. metrics-server keeps only the latest reading (a
 * ~15 s window), no history: each sync stores today's reading as that day's avg and max, and the
 * daily series builds up from one sync to the next. Pods sum their containers.
 */

const Usage = z.looseObject({ cpu: z.string(), memory: z.string() });
const NodeMetricsList = z.looseObject({
  items: z.array(z.looseObject({ metadata: z.looseObject({ name: z.string() }), usage: Usage })),
});
const PodMetricsList = z.looseObject({
  items: z.array(
    z.looseObject({
      metadata: z.looseObject({ name: z.string(), namespace: z.string() }),
      containers: z.array(z.looseObject({ name: z.string(), usage: Usage })),
    }),
  ),
});

export const usageSamples = (
  lists: { nodes: unknown; pods: unknown },
  o: { context: string; day: string },
): MetricSample[] => {
  const nodes = NodeMetricsList.safeParse(lists.nodes);
  const pods = PodMetricsList.safeParse(lists.pods);
  if (!nodes.success || !pods.success)
    throw new AppError(
      'cloud_error',
      `metrics.k8s.io answered an unexpected shape: ${(nodes.error ?? pods.error)!.issues[0]?.message}`,
    );
  const rows: MetricSample[] = [];
  const push = (resourceId: string, cpu: number | undefined, memory: number | undefined) => {
    const base = { provider: 'kubernetes' as const, account: o.context, resourceId, day: o.day };
    if (cpu !== undefined) rows.push({ ...base, metric: 'cpu_millicores', avg: cpu, max: cpu, unit: 'millicores' });
    if (memory !== undefined) rows.push({ ...base, metric: 'memory_bytes', avg: memory, max: memory, unit: 'bytes' });
  };
  for (const n of nodes.data.items)
    push(idOf({ kind: 'node', name: n.metadata.name }), cpuMillicores(n.usage.cpu), bytes(n.usage.memory));
  for (const p of pods.data.items) {
    const cpu = p.containers.map((c) => cpuMillicores(c.usage.cpu));
    const memory = p.containers.map((c) => bytes(c.usage.memory));
    const sum = (xs: (number | undefined)[]) =>
      xs.some((x) => x === undefined) ? undefined : xs.reduce<number>((a, b) => a + b!, 0);
    push(idOf({ kind: 'pod', namespace: p.metadata.namespace, name: p.metadata.name }), sum(cpu), sum(memory));
  }
  return rows;
};
