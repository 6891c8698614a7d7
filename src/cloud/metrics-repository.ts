import { and, eq, gte, inArray, sql } from '../store/orm.ts';
import type { Db } from '../store/db.ts';
import { resourceMetrics } from './schema.ts';

/**
 * Reads of the daily metric aggregates (resource_metrics): the average and peak of one metric over
 * the last N days, for the resources a list or a scan is looking at.
 */

export interface MetricSummary {
  /** Mean of the daily averages. */
  avg: number;
  /** Highest daily maximum. */
  max: number;
  /** Days with data. */
  days: number;
}

const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

/** `${provider}\u0000${account}\u0000${id}` → summary, for the given resources. */
export const metricSummaries = async (
  db: Db,
  metric: string,
  keys: { provider: string; account: string; id: string }[],
  range: { days: number; now: Date },
): Promise<Map<string, MetricSummary>> => {
  const out = new Map<string, MetricSummary>();
  if (keys.length === 0) return out;
  const since = dayOf(new Date(range.now.getTime() - range.days * 86_400_000));
  const rows = await db
    .select({
      provider: resourceMetrics.provider,
      account: resourceMetrics.account,
      id: resourceMetrics.resourceId,
      avg: sql<number>`avg(${resourceMetrics.avg})::float8`,
      max: sql<number>`max(${resourceMetrics.max})::float8`,
      days: sql<number>`count(*)::int`,
    })
    .from(resourceMetrics)
    .where(
      and(
        // The key's leading columns too, so the primary key finds the rows (2 million in a large estate).
        inArray(resourceMetrics.provider, [...new Set(keys.map((k) => k.provider))]),
        inArray(resourceMetrics.account, [...new Set(keys.map((k) => k.account))]),
        eq(resourceMetrics.metric, metric),
        gte(resourceMetrics.day, since),
        inArray(
          resourceMetrics.resourceId,
          keys.map((k) => k.id),
        ),
      ),
    )
    .groupBy(resourceMetrics.provider, resourceMetrics.account, resourceMetrics.resourceId);
  for (const r of rows)
    out.set(`${r.provider}\u0000${r.account}\u0000${r.id}`, { avg: r.avg, max: r.max, days: r.days });
  return out;
};

export const metricKey = (r: { provider: string; account: string; id: string }): string =>
  `${r.provider}\u0000${r.account}\u0000${r.id}`;
