import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ServiceRequest, ServiceResponse, ServiceRouter } from './aws-query.ts';
import type { SandboxInstance } from './model.ts';

/**
 * The sandbox's CloudWatch GetMetricData, in the awsJson1_0 protocol this SDK version speaks
 * (`x-amz-target: GraniteServiceVersion20100801.GetMetricData`, epoch-second timestamps). It serves
 * AWS/EC2 CPUUtilization, NetworkIn and NetworkOut for the fleet's instances, made up from each
 * instance's `usage` with a fixed day-to-day wobble: the same fleet always answers the same
 * numbers, idle dev boxes stay under 5 % CPU. Paging by datapoints with NextToken, as CloudWatch does.
 */

const targetPrefix = 'GraniteServiceVersion20100801.';
const metricNames = ['CPUUtilization', 'NetworkIn', 'NetworkOut'] as const;
const stats = ['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount'] as const;
/** CloudWatch's limits per GetMetricData call. */
export const maxQueriesPerCall = 500;
export const defaultDatapointsPerPage = 100_800;

const Dimension = z.object({ Name: z.string().min(1), Value: z.string().min(1) });
const Query = z.object({
  Id: z
    .string()
    .regex(/^[a-z][a-zA-Z0-9_]*$/, 'must start with a lowercase letter and hold only letters, digits and _'),
  MetricStat: z
    .object({
      Metric: z.object({
        Namespace: z.string(),
        MetricName: z.string(),
        Dimensions: z.array(Dimension).optional(),
      }),
      Period: z.number().int().positive(),
      Stat: z.string(),
      Unit: z.string().optional(),
    })
    .optional(),
  Expression: z.string().optional(),
  Label: z.string().optional(),
  ReturnData: z.boolean().optional(),
});
const Body = z.object({
  MetricDataQueries: z.array(Query).min(1),
  StartTime: z.number(),
  EndTime: z.number(),
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
  MaxDatapoints: z.number().int().positive().optional(),
});
type Query = z.infer<typeof Query>;

class CloudWatchError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const wobble = (seed: string): number => {
  const h = createHash('sha256').update(seed).digest();
  return 0.85 + (h.readUInt32BE(0) / 0xffffffff) * 0.3;
};

/** One period's statistic of one metric of one instance, or undefined when it sent no data then. */
export const sampleValue = (
  i: SandboxInstance,
  metric: string,
  stat: string,
  periodStartSec: number,
  periodSec: number,
): number | undefined => {
  if (i.state !== 'running' && i.state !== 'stopping') return undefined;
  if (i.launchTime.getTime() / 1000 >= periodStartSec + periodSec) return undefined;
  const cpu = i.usage?.cpuPercent ?? 0;
  // Seeded by the period's distance from the start of the instance's launch day (the fleet is
  // seeded relative to its clock): the same fleet answers the same figures on any date, so a
  // transcript read on Tuesday reads the same on Wednesday.
  const launchDaySec = Math.floor(i.launchTime.getTime() / 86_400_000) * 86_400;
  const f = wobble(`${i.id}:${metric}:${periodStartSec - launchDaySec}`);
  const samples = Math.max(1, Math.floor(periodSec / 300));
  // Bytes per 5-minute sample, roughly following load.
  const avg =
    metric === 'CPUUtilization'
      ? Math.min(100, cpu * f)
      : (cpu + 0.5) * 2_000_000 * f * (metric === 'NetworkOut' ? 0.6 : 1);
  const max = metric === 'CPUUtilization' ? Math.min(100, avg * 1.6 + 2) : avg * 2.2;
  const min = avg * 0.4;
  switch (stat) {
    case 'Average':
      return avg;
    case 'Maximum':
      return max;
    case 'Minimum':
      return min;
    case 'Sum':
      return avg * samples;
    case 'SampleCount':
      return samples;
    default:
      return undefined;
  }
};

interface Point {
  id: string;
  t: number;
  v: number;
}

/** Instances by id, rebuilt when the fleet's list grows or is replaced (a call asks for up to 500). */
const indexes = new WeakMap<SandboxInstance[], { size: number; byId: Map<string, SandboxInstance> }>();
const instanceById = (list: SandboxInstance[], id: string | undefined): SandboxInstance | undefined => {
  if (id === undefined) return undefined;
  let index = indexes.get(list);
  if (!index || index.size !== list.length) {
    index = { size: list.length, byId: new Map(list.map((i) => [i.id, i])) };
    indexes.set(list, index);
  }
  return index.byId.get(id);
};

const pointsOf = (req: ServiceRequest, q: Query, start: number, end: number): Point[] => {
  const ms = q.MetricStat;
  if (!ms)
    throw new CloudWatchError(
      'InvalidParameterValue',
      `The sandbox serves MetricStat queries only; ${q.Id} has an expression.`,
    );
  if (ms.Period % 60 !== 0)
    throw new CloudWatchError('InvalidParameterValue', `The parameter Period must be a multiple of 60.`);
  if (!(stats as readonly string[]).includes(ms.Stat))
    throw new CloudWatchError('InvalidParameterValue', `The parameter Stat '${ms.Stat}' is not a valid statistic.`);
  const instanceId = ms.Metric.Dimensions?.find((d) => d.Name === 'InstanceId')?.Value;
  const found =
    ms.Metric.Namespace === 'AWS/EC2' && (metricNames as readonly string[]).includes(ms.Metric.MetricName)
      ? instanceById(req.fleet.instances, instanceId)
      : undefined;
  const instance = found?.region === req.region ? found : undefined;
  if (!instance) return [];
  const points: Point[] = [];
  const first = Math.ceil(start / ms.Period) * ms.Period;
  for (let t = first; t + ms.Period <= end; t += ms.Period) {
    const v = sampleValue(instance, ms.Metric.MetricName, ms.Stat, t, ms.Period);
    if (v !== undefined) points.push({ id: q.Id, t, v: Math.round(v * 1000) / 1000 });
  }
  return points;
};

const json = (status: number, action: string, body: unknown, errorCode?: string): ServiceResponse => ({
  status,
  contentType: 'application/x-amz-json-1.0',
  action,
  body: JSON.stringify(body),
  ...(errorCode
    ? { errorCode, headers: { 'x-amzn-query-error': `${errorCode};${status >= 500 ? 'Receiver' : 'Sender'}` } }
    : {}),
});

const fail = (action: string, code: string, message: string, status = 400) =>
  json(status, action, { __type: `com.amazonaws.cloudwatch#${code}`, message }, code);

export const cloudWatchRouter =
  (datapointsPerPage = defaultDatapointsPerPage): ServiceRouter =>
  (req) => {
    const action = req.target?.startsWith(targetPrefix) ? req.target.slice(targetPrefix.length) : '';
    if (action !== 'GetMetricData')
      return fail(
        action,
        'UnknownOperationException',
        `The sandbox's CloudWatch serves GetMetricData only, not ${action || req.target || 'this request'}.`,
      );
    const fault = req.fault(action);
    if (fault) return fail(action, fault.code, fault.message ?? `Injected ${fault.code}`, fault.status ?? 400);
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body || '{}');
    } catch {
      return fail(action, 'SerializationException', 'The request body is not valid JSON.');
    }
    const body = Body.safeParse(parsed);
    if (!body.success)
      return fail(
        action,
        'InvalidParameterValue',
        body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    const { MetricDataQueries: queries, StartTime, EndTime, NextToken, ScanBy } = body.data;
    if (queries.length > maxQueriesPerCall)
      return fail(
        action,
        'InvalidParameterValue',
        `The collection MetricDataQueries must not have a size greater than ${maxQueriesPerCall}.`,
      );
    if (new Set(queries.map((q) => q.Id)).size !== queries.length)
      return fail(action, 'InvalidParameterValue', 'The values for parameter id in MetricDataQueries must be unique.');
    if (EndTime <= StartTime)
      return fail(action, 'InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.');
    let all: Point[];
    try {
      all = queries.flatMap((q) => {
        const pts = pointsOf(req, q, StartTime, EndTime);
        return ScanBy === 'TimestampAscending' ? pts : pts.reverse();
      });
    } catch (e) {
      if (e instanceof CloudWatchError) return fail(action, e.code, e.message);
      throw e;
    }
    let offset = 0;
    if (NextToken) {
      const m = /^cw:(\d+)$/.exec(Buffer.from(NextToken, 'base64url').toString('utf8'));
      if (!m) return fail(action, 'InvalidNextToken', 'The service found NextToken to be invalid.');
      offset = Number(m[1]);
    }
    const pagePoints = all.slice(offset, offset + datapointsPerPage);
    const more = offset + datapointsPerPage < all.length;
    const rest = new Set(all.slice(offset + datapointsPerPage).map((p) => p.id));
    const byId = new Map<string, Point[]>();
    for (const p of pagePoints) {
      const list = byId.get(p.id);
      if (list) list.push(p);
      else byId.set(p.id, [p]);
    }
    return json(200, action, {
      MetricDataResults: queries.map((q) => {
        const mine = byId.get(q.Id) ?? [];
        return {
          Id: q.Id,
          Label: q.Label ?? q.MetricStat?.Metric.MetricName ?? q.Id,
          Timestamps: mine.map((p) => p.t),
          Values: mine.map((p) => p.v),
          StatusCode: rest.has(q.Id) ? 'PartialData' : 'Complete',
        };
      }),
      ...(more ? { NextToken: Buffer.from(`cw:${offset + datapointsPerPage}`).toString('base64url') } : {}),
      Messages: [],
    });
  };
