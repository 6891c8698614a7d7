import type { Db } from '../store/db.ts';
import { sql } from '../store/orm.ts';
import { metricSeriesDays } from './schema.ts';

/**
 * The writes of daily metric aggregates (resource_metrics) and of their rollup
 * (resource_metric_series): every writer of the first goes through here, so the second, which
 * scans read instead of aggregating the daily rows, always tells the same days.
 */

/** One series: a resource's metric. */
export interface MetricSeriesKey {
  provider: string;
  account: string;
  resourceId: string;
  metric: string;
}

/** One day of one series, as resource_metrics stores it (a MetricSample, or a bench's row). */
export interface MetricDay extends MetricSeriesKey {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  avg: number;
  max: number;
  unit: string;
}

/** The root handle or a transaction's: all these writes need is `execute`. */
type Executor = Pick<Db, 'execute'>;

/** The first day a series keeps, `YYYY-MM-DD`, on `now`. */
export const metricSeriesSince = (now: Date): string =>
  new Date(now.getTime() - metricSeriesDays * 86_400_000).toISOString().slice(0, 10);

/** JSON for json_to_recordset: non-finite numbers as the text float8 reads ("NaN", "Infinity"), not null. */
const recordsJson = (rows: readonly object[]): string =>
  JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

/**
 * Recomputes the series of the given keys from resource_metrics in one statement: their days since
 * `metricSeriesSince(now)` as "YYYY-MM-DD avg max …" in day order, upserted; a key with no such
 * day left has its series row deleted.
 */
export const refreshMetricSeries = async (db: Executor, keys: readonly MetricSeriesKey[], now: Date): Promise<void> => {
  if (keys.length === 0) return;
  const unique = new Map<string, MetricSeriesKey>();
  for (const k of keys) {
    const id = `${k.provider}\u0000${k.account}\u0000${k.resourceId}\u0000${k.metric}`;
    if (!unique.has(id))
      unique.set(id, { provider: k.provider, account: k.account, resourceId: k.resourceId, metric: k.metric });
  }
  const since = metricSeriesSince(now);
  // The delete and the upsert touch disjoint rows (keys without days, keys with), so one statement
  // holds both; each probes resource_metrics' primary key once per key. Float text is
  // PostgreSQL's shortest exact form, which Number reads back.
  await db.execute(sql`
    with k as (
      select provider, account, "resourceId" as resource_id, metric
      from json_to_recordset(${recordsJson([...unique.values()])}::json)
        as x(provider text, account text, "resourceId" text, metric text)
    ), s as (
      select m.provider, m.account, m.resource_id, m.metric,
        string_agg(m.day || ' ' || m.avg || ' ' || m.max, ' ' order by m.day) as days
      from k join resource_metrics m
        on m.provider = k.provider and m.account = k.account and m.resource_id = k.resource_id and m.metric = k.metric
      where m.day >= ${since}
      group by m.provider, m.account, m.resource_id, m.metric
    ), gone as (
      delete from resource_metric_series t using k
      where t.provider = k.provider and t.account = k.account and t.resource_id = k.resource_id
        and t.metric = k.metric
        and not exists (
          select 1 from resource_metrics m
          where m.provider = k.provider and m.account = k.account and m.resource_id = k.resource_id
            and m.metric = k.metric and m.day >= ${since})
    )
    insert into resource_metric_series (provider, account, resource_id, metric, days)
    select provider, account, resource_id, metric, days from s
    on conflict (provider, account, resource_id, metric) do update set days = excluded.days`);
};

/**
 * Upserts daily aggregates by (resource, metric, day), a later figure for a day overwriting the
 * earlier (in the batch too), then refreshes the series of the keys they touched, in one
 * transaction: one statement each, whatever the number of samples (callers pass a batch of a few
 * thousand at most).
 */
export const storeMetricSamples = async (db: Db, samples: readonly MetricDay[], now: Date): Promise<void> => {
  if (samples.length === 0) return;
  // One row per (key, day): an upsert cannot touch a row twice in one statement.
  const byDay = new Map<string, MetricDay>();
  for (const m of samples)
    byDay.set(`${m.provider}\u0000${m.account}\u0000${m.resourceId}\u0000${m.metric}\u0000${m.day}`, m);
  const rows = byDay.size === samples.length ? samples : [...byDay.values()];
  await db.transaction(async (tx) => {
    await tx.execute(sql`
    insert into resource_metrics (provider, account, resource_id, metric, day, avg, max, unit)
    select provider, account, "resourceId", metric, day, avg, max, unit
    from json_to_recordset(${recordsJson(rows)}::json) as x(provider text, account text, "resourceId" text,
      metric text, day text, avg double precision, max double precision, unit text)
    on conflict (provider, account, resource_id, metric, day)
    do update set avg = excluded.avg, max = excluded.max, unit = excluded.unit`);
    await refreshMetricSeries(tx, rows, now);
  });
};
