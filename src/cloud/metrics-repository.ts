import { sql } from '../store/orm.ts';
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
  // One primary-key range read per resource (provider, account, id, metric, days since), whatever
  // the table's statistics say: with IN lists for each column, PostgreSQL right after a bulk
  // load (no ANALYZE yet) matched on provider, metric and day alone and filtered 325,000 rows
  // (78 ms for 20 instances); the lateral lookup reads only each resource's own days.
  const wanted = JSON.stringify(keys.map((k) => ({ provider: k.provider, account: k.account, id: k.id })));
  const { rows } = await db.execute<{
    provider: string;
    account: string;
    id: string;
    avg: number;
    max: number;
    days: number;
  }>(sql`
    select k.provider, k.account, k.id, s.avg, s.max, s.days
    from json_to_recordset(${wanted}::json) as k(provider text, account text, id text)
    cross join lateral (
      select avg(m.avg)::float8 as avg, max(m.max)::float8 as max, count(*)::int as days
      from ${resourceMetrics} m
      where m.provider = k.provider and m.account = k.account and m.resource_id = k.id
        and m.metric = ${metric} and m.day >= ${since}
    ) s
    where s.days > 0`);
  for (const r of rows)
    out.set(`${r.provider}\u0000${r.account}\u0000${r.id}`, { avg: r.avg, max: r.max, days: r.days });
  return out;
};

export const metricKey = (r: { provider: string; account: string; id: string }): string =>
  `${r.provider}\u0000${r.account}\u0000${r.id}`;
