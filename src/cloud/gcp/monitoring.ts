import { z } from 'zod';
import { AppError, formatZodIssues } from '../../errors.ts';
import type { MetricSample } from '../provider.ts';
import { translateGcpError } from './errors.ts';
import { instanceId } from './normalize.ts';
import type { GcpClients } from './types.ts';

/**
 * Daily CPU of a project's instances from Cloud Monitoring (`projects.timeSeries.list` on the
 * v3 REST API, through the authenticated google-auth-library client: no Monitoring client is
 * installed). Two aligned queries, the daily mean and the daily max of
 * compute.googleapis.com/instance/cpu/utilization (a 0–1 fraction), become `cpu_percent`
 * samples keyed by our instance id `zones/<zone>/instances/<name>`.
 */

export const cpuMetricType = 'compute.googleapis.com/instance/cpu/utilization';
const dayMs = 86_400_000;

const TimeSeriesList = z.object({
  timeSeries: z
    .array(
      z.object({
        metric: z.object({ labels: z.record(z.string(), z.string()).optional() }),
        resource: z.object({ labels: z.record(z.string(), z.string()).optional() }),
        points: z
          .array(
            z.object({
              interval: z.object({ endTime: z.string() }),
              value: z.object({ doubleValue: z.number().optional() }),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  nextPageToken: z.string().optional(),
});

/** `resourceId → day → value` of one aligned query, all pages. */
const aligned = async (
  c: GcpClients,
  project: string,
  aligner: 'ALIGN_MEAN' | 'ALIGN_MAX',
  interval: { start: Date; end: Date },
): Promise<Map<string, Map<string, number>>> => {
  const out = new Map<string, Map<string, number>>();
  let pageToken: string | undefined;
  do {
    const raw = await c.timed('monitoring.timeSeries.list', () =>
      c.monitoringGet(`/v3/projects/${encodeURIComponent(project)}/timeSeries`, {
        filter: `metric.type = "${cpuMetricType}" AND resource.type = "gce_instance"`,
        'interval.startTime': interval.start.toISOString(),
        'interval.endTime': interval.end.toISOString(),
        'aggregation.alignmentPeriod': '86400s',
        'aggregation.perSeriesAligner': aligner,
        view: 'FULL',
        ...(pageToken ? { pageToken } : {}),
      }),
    );
    const r = TimeSeriesList.safeParse(raw);
    if (!r.success)
      throw new AppError(
        'cloud_error',
        `Cloud Monitoring answered in an unexpected shape: ${formatZodIssues(r.error)}`,
      );
    for (const s of r.data.timeSeries ?? []) {
      const zone = s.resource.labels?.zone;
      const name = s.metric.labels?.instance_name;
      if (!zone || !name) continue;
      const id = instanceId(zone, name);
      const days = out.get(id) ?? new Map<string, number>();
      for (const p of s.points ?? []) {
        const end = Date.parse(p.interval.endTime);
        if (Number.isNaN(end) || p.value.doubleValue === undefined) continue;
        // A point aligned over 86400 s ends at the close of the day it summarises.
        days.set(new Date(end - 1).toISOString().slice(0, 10), p.value.doubleValue);
      }
      out.set(id, days);
    }
    pageToken = r.data.nextPageToken || undefined;
  } while (pageToken);
  return out;
};

/** `days` whole UTC days before `now`'s midnight; instances without data (stopped, new) have no samples. */
export const instanceCpuSamples = async (
  c: GcpClients,
  project: string,
  range: { days: number; now: Date },
): Promise<MetricSample[]> => {
  const end = new Date(Math.floor(range.now.getTime() / dayMs) * dayMs);
  const interval = { start: new Date(end.getTime() - range.days * dayMs), end };
  try {
    const [mean, max] = await Promise.all([
      aligned(c, project, 'ALIGN_MEAN', interval),
      aligned(c, project, 'ALIGN_MAX', interval),
    ]);
    const samples: MetricSample[] = [];
    for (const [resourceId, days] of mean)
      for (const [day, avg] of days) {
        const top = max.get(resourceId)?.get(day) ?? avg;
        samples.push({
          provider: 'gcp',
          account: project,
          resourceId,
          metric: 'cpu_percent',
          day,
          avg: Math.round(avg * 100_000) / 1000,
          max: Math.round(Math.max(top, avg) * 100_000) / 1000,
          unit: 'percent',
        });
      }
    return samples;
  } catch (e) {
    throw translateGcpError(e, 'reading instance CPU from Cloud Monitoring', project);
  }
};
