import { CloudWatchClient, paginateGetMetricData } from '@aws-sdk/client-cloudwatch';
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { Metrics } from '../../observability/metrics.ts';
import type { MetricSample } from '../provider.ts';
import { clientConfig, instrumentAwsClient, type AwsClientSettings } from './clients.ts';
import { translateAwsError } from './errors.ts';

/**
 * Daily EC2 metrics from CloudWatch GetMetricData (`@aws-sdk/client-cloudwatch`, awsJson1_0 in this
 * SDK version): per instance CPU utilisation and network in/out bytes, each day's Average and
 * Maximum of the 5-minute samples, for whole UTC days. Up to 500 queries per call (CloudWatch's
 * limit: 83 instances), every NextToken page; each call's samples can be handed on as it completes.
 */

export const createCloudWatchClient = (settings: AwsClientSettings, metrics: Metrics | undefined): CloudWatchClient =>
  instrumentAwsClient(new CloudWatchClient(clientConfig(settings)), metrics);

/** CloudWatch's limit of queries per GetMetricData call. */
export const maxQueriesPerCall = 500;
const day = 86_400;

const ec2Metrics = [
  { name: 'CPUUtilization', metric: 'cpu_percent', unit: 'percent' },
  { name: 'NetworkIn', metric: 'network_in_bytes', unit: 'bytes' },
  { name: 'NetworkOut', metric: 'network_out_bytes', unit: 'bytes' },
] as const;
const stats = [
  { stat: 'Average', field: 'avg' },
  { stat: 'Maximum', field: 'max' },
] as const;

/** The whole UTC days before `now`'s day: [start, end) in epoch seconds. */
export const wholeDays = (now: Date, days: number): { start: Date; end: Date } => {
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { start: new Date(end - days * day * 1000), end: new Date(end) };
};

interface QueryRef {
  instanceId: string;
  metric: (typeof ec2Metrics)[number];
  field: 'avg' | 'max';
}

export interface MetricsRequest {
  account: string;
  region: string;
  instanceIds: string[];
  days: number;
  now: Date;
  signal?: AbortSignal | undefined;
  /**
   * Receives each call's samples as soon as they are complete (a 50,000-instance region gives
   * 2 million samples; held at once they cost gigabytes). Samples handed to it are not returned.
   */
  onSamples?: ((samples: MetricSample[]) => Promise<void>) | undefined;
}

/** Instances per GetMetricData call: every metric and statistic of one instance in the same call. */
const instancesPerCall = Math.floor(maxQueriesPerCall / (ec2Metrics.length * stats.length));

/** One call's worth of instances: its queries, and the samples filled in from every page. */
const callMetrics = async (
  client: CloudWatchClient,
  req: MetricsRequest,
  instanceIds: string[],
  range: { start: Date; end: Date },
): Promise<MetricSample[]> => {
  const refs = new Map<string, QueryRef>();
  const queries: MetricDataQuery[] = [];
  instanceIds.forEach((instanceId, i) => {
    for (const [m, metric] of ec2Metrics.entries())
      for (const { stat, field } of stats) {
        const id = `q${i}_${m}_${field}`;
        refs.set(id, { instanceId, metric, field });
        queries.push({
          Id: id,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/EC2',
              MetricName: metric.name,
              Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
            },
            Period: day,
            Stat: stat,
          },
          ReturnData: true,
        });
      }
  });
  // instance/metric/day → the sample being filled in
  const samples = new Map<string, MetricSample>();
  const pages = paginateGetMetricData(
    { client },
    { MetricDataQueries: queries, StartTime: range.start, EndTime: range.end, ScanBy: 'TimestampAscending' },
  );
  for await (const page of pages) {
    req.signal?.throwIfAborted();
    for (const r of page.MetricDataResults ?? []) {
      const ref = refs.get(r.Id ?? '');
      if (!ref) continue;
      (r.Timestamps ?? []).forEach((t, n) => {
        const value = r.Values?.[n];
        if (value === undefined) return;
        const dayKey = t.toISOString().slice(0, 10);
        const key = `${ref.instanceId}/${ref.metric.metric}/${dayKey}`;
        let s = samples.get(key);
        if (!s) {
          s = {
            provider: 'aws',
            account: req.account,
            resourceId: ref.instanceId,
            metric: ref.metric.metric,
            day: dayKey,
            avg: Number.NaN,
            max: Number.NaN,
            unit: ref.metric.unit,
          };
          samples.set(key, s);
        }
        s[ref.field] = value;
      });
    }
  }
  // A day with only one of the two statistics is filled from the other rather than dropped.
  return [...samples.values()].map((s) => ({
    ...s,
    avg: Number.isNaN(s.avg) ? s.max : s.avg,
    max: Number.isNaN(s.max) ? s.avg : s.max,
  }));
};

export const instanceMetrics = async (client: CloudWatchClient, req: MetricsRequest): Promise<MetricSample[]> => {
  const range = wholeDays(req.now, req.days);
  const kept: MetricSample[] = [];
  for (let i = 0; i < req.instanceIds.length; i += instancesPerCall) {
    const batch = await callMetrics(client, req, req.instanceIds.slice(i, i + instancesPerCall), range).catch(
      (e: unknown) => {
        throw translateAwsError(e, `reading CloudWatch metrics in ${req.region}`);
      },
    );
    // The receiver's own failure (the store) is not a CloudWatch error.
    if (req.onSamples) await req.onSamples(batch);
    else kept.push(...batch);
  }
  return kept;
};
