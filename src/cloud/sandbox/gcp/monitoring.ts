import { createHash } from 'node:crypto';
import type { RestCall, RestHandler } from './storage.ts';
import { GcpApiError, page } from './wire.ts';

/**
 * Cloud Monitoring `projects.timeSeries.list` for one metric, compute's CPU utilization (a 0–1
 * fraction), aligned per day (ALIGN_MEAN or ALIGN_MAX over 86400 s). Running instances with the
 * sandbox CPU label get one point per whole day of the interval, newest first as Monitoring
 * sends them, varying a little from day to day around the label's average (same day, same value).
 */

export const cpuMetricType = 'compute.googleapis.com/instance/cpu/utilization';
const day = 86_400_000;

const wobble = (seed: string): number => 0.85 + (0.3 * createHash('sha256').update(seed).digest()[0]!) / 255;

const requireTime = (q: Record<string, string>, name: string): number => {
  const t = Date.parse(q[name] ?? '');
  if (Number.isNaN(t))
    throw new GcpApiError(400, 'badRequest', `Field ${name} is required and must be an RFC 3339 time.`);
  return t;
};

const timeSeriesList: RestHandler = (call: RestCall) => {
  const q = call.query;
  const type = /metric\.type\s*=\s*"([^"]+)"/.exec(q.filter ?? '')?.[1];
  if (!type) throw new GcpApiError(400, 'badRequest', 'Field filter had an invalid value: a metric.type is required.');
  const start = requireTime(q, 'interval.startTime');
  const end = requireTime(q, 'interval.endTime');
  const aligner = q['aggregation.perSeriesAligner'] ?? 'ALIGN_NONE';
  if (q['aggregation.alignmentPeriod'] !== '86400s' || !['ALIGN_MEAN', 'ALIGN_MAX'].includes(aligner))
    throw new GcpApiError(
      400,
      'badRequest',
      'The sandbox serves daily aggregates only: aggregation.alignmentPeriod=86400s with ALIGN_MEAN or ALIGN_MAX.',
    );
  if (type !== cpuMetricType) return {};
  const days: number[] = [];
  for (let t = Math.ceil(start / day) * day + day; t <= end; t += day) days.unshift(t);
  const series = call.fleet.instances
    .filter((i) => i.project === call.project && i.status === 'RUNNING' && i.cpuPercent !== undefined)
    .map((i) => {
      const avg = i.cpuPercent! / 100;
      return {
        metric: { type, labels: { instance_name: i.name } },
        resource: { type: 'gce_instance', labels: { project_id: i.project, instance_id: i.id, zone: i.zone } },
        metricKind: 'GAUGE',
        valueType: 'DOUBLE',
        points: days.map((t) => {
          const mean = avg * wobble(`${i.id}/${t}`);
          const value = aligner === 'ALIGN_MAX' ? Math.min(1, mean * 2.5 + 0.02) : mean;
          const at = new Date(t).toISOString();
          return { interval: { startTime: at, endTime: at }, value: { doubleValue: Math.round(value * 1e6) / 1e6 } };
        }),
      };
    });
  const p = page(series, q, { defaultSize: 1000, max: 100_000, sizeParam: 'pageSize' });
  return { timeSeries: p.items, ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}) };
};

export const monitoringHandlers: Record<string, RestHandler> = { 'monitoring.timeSeries.list': timeSeriesList };
