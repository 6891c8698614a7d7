import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  metricSeriesSince,
  refreshMetricSeries,
  storeMetricSamples,
  type MetricDay,
} from '../../src/cloud/metric-series.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import { metricSeriesDays } from '../../src/cloud/schema.ts';
import { runScan } from '../../src/scans/engine.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { pass, type DailyMetric, type Rule } from '../../src/scans/rule.ts';
import { loadThresholds } from '../../src/scans/settings.ts';
import { migrationsFolder } from '../../src/store/migrate.ts';
import { sql } from '../../src/store/orm.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { resourceOf } from '../helpers/scan-rule.ts';

// resource_metric_series, the rollup of resource_metrics that scans read: kept by the writes,
// filled by its migration, and read by the scan engine into the same days as the daily rows.

let store: TestStore;
const now = new Date('2026-12-01T06:00:00Z');
const dayMs = 86_400_000;
const dayAgo = (d: number, from: Date = now) => new Date(from.getTime() - d * dayMs).toISOString().slice(0, 10);
const acct = '111111111111';

const sample = (over: Partial<MetricDay> & { day: string; avg: number }): MetricDay => ({
  provider: 'aws',
  account: acct,
  resourceId: 'i-1',
  metric: 'cpu_percent',
  max: over.avg * 2,
  unit: 'percent',
  ...over,
});

const series = async (resourceId = 'i-1', metric = 'cpu_percent', account = acct) =>
  (
    await store.db.execute<{ days: string }>(
      sql`select days from resource_metric_series
          where provider = 'aws' and account = ${account} and resource_id = ${resourceId} and metric = ${metric}`,
    )
  ).rows[0]?.days;

const allSeries = async () =>
  (
    await store.db.execute<{ k: string; days: string }>(
      sql`select provider || ' ' || account || ' ' || resource_id || ' ' || metric as k, days
          from resource_metric_series order by 1`,
    )
  ).rows;

beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(async () => store.dispose());
beforeEach(async () => {
  await store.db
    .execute(sql`truncate resources, resource_metrics, resource_metric_series, scans, scan_results, findings,
    finding_events`);
});

describe('storeMetricSamples', () => {
  it('keeps one series per resource and metric: its last 92 days in day order, overwrites included', async () => {
    expect(metricSeriesDays).toBe(92);
    expect(metricSeriesSince(now)).toBe(dayAgo(92));
    // Out of order, one day older than the series keeps, one exactly at its edge, a figure that
    // prints long, and a NaN (which JSON would have turned into null).
    await storeMetricSamples(
      store.db,
      [
        sample({ day: dayAgo(2), avg: 0.1 + 0.2, max: 1e-7 }),
        sample({ day: dayAgo(93), avg: 50 }),
        sample({ day: dayAgo(92), avg: 7 }),
        sample({ day: dayAgo(1), avg: 3, max: Number.NaN }),
        sample({ day: dayAgo(3), avg: 4 }),
        sample({ metric: 'network_in_bytes', day: dayAgo(1), avg: 123_456_789_012, unit: 'bytes' }),
        sample({ resourceId: 'i-2', day: dayAgo(100), avg: 1 }),
      ],
      now,
    );
    expect(await series()).toBe(
      `${dayAgo(92)} 7 14 ${dayAgo(3)} 4 8 ${dayAgo(2)} 0.30000000000000004 1e-07 ${dayAgo(1)} 3 NaN`,
    );
    expect(await series('i-1', 'network_in_bytes')).toBe(`${dayAgo(1)} 123456789012 246913578024`);
    // i-2 has only a day older than the series keeps: no series, though the daily row is stored.
    expect(await series('i-2')).toBeUndefined();
    expect((await store.db.execute<{ c: string }>(sql`select count(*) as c from resource_metrics`)).rows[0]!.c).toBe(
      '7',
    );

    // A later collection overwrites day 2 (the fuller figure), adds today, and in one batch
    // gives day 3 twice: the later figure wins.
    await storeMetricSamples(
      store.db,
      [
        sample({ day: dayAgo(2), avg: 9, max: 11 }),
        sample({ day: dayAgo(0), avg: 5 }),
        sample({ day: dayAgo(3), avg: 1 }),
        sample({ day: dayAgo(3), avg: 6 }),
      ],
      now,
    );
    expect(await series()).toBe(
      `${dayAgo(92)} 7 14 ${dayAgo(3)} 6 12 ${dayAgo(2)} 9 11 ${dayAgo(1)} 3 NaN ${dayAgo(0)} 5 10`,
    );
    // Untouched keys keep their series.
    expect(await series('i-1', 'network_in_bytes')).toBe(`${dayAgo(1)} 123456789012 246913578024`);
  });

  it('drops days as they age past 92 and deletes a series with none left', async () => {
    await storeMetricSamples(store.db, [sample({ day: dayAgo(10), avg: 1 }), sample({ day: dayAgo(50), avg: 2 })], now);
    const keys = [{ provider: 'aws', account: acct, resourceId: 'i-1', metric: 'cpu_percent' }];
    await refreshMetricSeries(store.db, keys, new Date(now.getTime() + 60 * dayMs));
    expect(await series()).toBe(`${dayAgo(10)} 1 2`);
    await refreshMetricSeries(store.db, [...keys, ...keys], new Date(now.getTime() + 90 * dayMs));
    expect(await series()).toBeUndefined();
    // A key with no daily rows at all: nothing to keep, nothing fails.
    await refreshMetricSeries(store.db, [{ ...keys[0]!, resourceId: 'i-none' }], now);
    expect(await allSeries()).toEqual([]);
  });
});

describe('metricSeriesDays', () => {
  it('covers the longest metric window any shipped rule allows', () => {
    const windows = builtInRules.flatMap((r) => {
      if (!r.metrics) return [];
      const d = r.metrics.days;
      if (typeof d === 'number') return [d];
      const max = r.thresholds?.[d]?.max;
      expect(max).toBeDefined();
      return [max!];
    });
    expect(windows.length).toBeGreaterThan(5);
    expect(Math.max(...windows)).toBeLessThanOrEqual(metricSeriesDays);
  });
});

describe('the migration', () => {
  it('fills the series from the daily rows already stored, as the writes would', async () => {
    // The backfill reads the database's clock: samples around today's real date.
    const today = new Date();
    const rows = [
      sample({ day: dayAgo(1, today), avg: 2.5 }),
      sample({ day: dayAgo(40, today), avg: 3 }),
      sample({ day: dayAgo(95, today), avg: 4 }),
      sample({ metric: 'network_out_bytes', day: dayAgo(2, today), avg: 10, unit: 'bytes' }),
      sample({ resourceId: 'i-old', day: dayAgo(200, today), avg: 1 }),
      sample({ provider: 'gcp', account: 'proj', resourceId: 'vm-1', day: dayAgo(3, today), avg: 0.5 }),
    ];
    await storeMetricSamples(store.db, rows, today);
    const written = await allSeries();
    expect(written).toHaveLength(3);
    await store.db.execute(sql`truncate resource_metric_series`);
    const statements = fs
      .readdirSync(migrationsFolder)
      .filter((f) => f.endsWith('.sql'))
      .flatMap((f) => fs.readFileSync(`${migrationsFolder}/${f}`, 'utf8').split('--> statement-breakpoint'));
    const backfill = statements.find((s) => /INSERT INTO "resource_metric_series"/.test(s));
    await store.db.execute(sql.raw(backfill!));
    expect(await allSeries()).toEqual(written);
  });
});

describe('a scan', () => {
  it('hands a rule the same days the daily rows hold within its window, oldest first', async () => {
    const seen = new Map<string, readonly DailyMetric[]>();
    const rule: Rule = {
      id: 'test.instance.cpu',
      title: 'Reads CPU',
      category: 'cost',
      provider: 'aws',
      types: ['instance'],
      severity: 'low',
      remediation: '-',
      thresholds: {
        window: { env: 'SCAN_TEST_SERIES_DAYS', default: 90, unit: 'days', description: 'window', min: 1, max: 90 },
      },
      metrics: { names: ['cpu_percent'], days: 'window' },
      evaluate: (r, ctx) => {
        seen.set(`${r.account} ${r.id}`, ctx.daily('cpu_percent'));
        return pass({});
      },
    };
    const ids = ['i-a', 'i-b', 'i-c', 'i-d', 'i-e'];
    for (const account of [acct, '222222222222'])
      for (const id of ids)
        await resourceRepository(store.db).upsertOne(resourceOf({ type: 'instance', id, account, seenAt: now }));
    // i-a: 95 days, some outside the 90-day window (91, 92 are in the series, 93–95 not);
    // i-b: one day, rewritten; i-c: none; i-d: another metric only; i-e: only days too old.
    const samples: MetricDay[] = [];
    for (const account of [acct, '222222222222']) {
      for (let d = 0; d < 95; d++)
        samples.push(
          sample({
            account,
            resourceId: 'i-a',
            day: dayAgo(d),
            avg: (d * 37) % 11,
            max: d + 0.25 + Number(account[0]),
          }),
        );
      samples.push(sample({ account, resourceId: 'i-b', day: dayAgo(4), avg: 1 }));
      samples.push(
        sample({ account, resourceId: 'i-d', metric: 'memory_bytes', day: dayAgo(4), avg: 1, unit: 'bytes' }),
      );
      samples.push(sample({ account, resourceId: 'i-e', day: dayAgo(120), avg: 1 }));
    }
    await storeMetricSamples(store.db, samples.slice(0, 150), now);
    await storeMetricSamples(store.db, samples.slice(150), now);
    await storeMetricSamples(store.db, [sample({ account: acct, resourceId: 'i-b', day: dayAgo(4), avg: 8 })], now);

    const rules = [rule];
    await runScan(
      { db: store.db, rules, thresholds: loadThresholds(rules, {}), now: () => now, runner: 'test', batchSize: 3 },
      { workspaceId: 'T1', category: 'all', startedBy: 'alice' },
    );
    // What the rule should see: the daily rows since its window's start, read straight from resource_metrics.
    const since = dayAgo(90);
    const { rows } = await store.db.execute<{ account: string; id: string; day: string; avg: number; max: number }>(
      sql`select account, resource_id as id, day, avg, max from resource_metrics
          where metric = 'cpu_percent' and day >= ${since} order by account, resource_id, day`,
    );
    const expected = new Map<string, DailyMetric[]>();
    for (const account of [acct, '222222222222']) for (const id of ids) expected.set(`${account} ${id}`, []);
    for (const r of rows) expected.get(`${r.account} ${r.id}`)!.push({ day: r.day, avg: r.avg, max: r.max });
    expect(seen).toEqual(expected);
    expect(seen.get(`${acct} i-a`)).toHaveLength(91);
    expect(seen.get(`${acct} i-a`)![0]!.day).toBe(since);
    expect(seen.get(`${acct} i-b`)).toEqual([{ day: dayAgo(4), avg: 8, max: 16 }]);
    expect(seen.get(`222222222222 i-b`)).toEqual([{ day: dayAgo(4), avg: 1, max: 2 }]);
  });
});
