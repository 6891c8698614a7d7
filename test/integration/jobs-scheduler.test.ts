import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { createScheduler, processEveryMs, type Scheduler } from '../../src/jobs/scheduler.ts';
import { sql } from '../../src/store/orm.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { waitFor } from '../helpers/wait-for.ts';

const logger = createLogger('silent');
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(async () => {
  await store?.dispose();
});

const runs = async (metrics: Metrics, job: string, outcome: 'success' | 'failure'): Promise<number> =>
  (await metrics.jobRuns.get()).values.find((v) => v.labels.job === job && v.labels.outcome === outcome)?.value ?? 0;

/** Both outcome counters of a job: what its runs were counted as. */
const counted = async (metrics: Metrics, job: string) => ({
  success: await runs(metrics, job, 'success'),
  failure: await runs(metrics, job, 'failure'),
});

interface JobRow {
  locked: boolean;
  finished: boolean;
  due: boolean;
  failReason: string | null;
  failCount: number | null;
}

/** Agenda's rows for `name` (one per queued run), as the scheduler left them. */
const jobRows = async (name: string): Promise<JobRow[]> =>
  (
    await store.pool.query<JobRow>(
      `SELECT locked_at IS NOT NULL AS locked, last_finished_at IS NOT NULL AS finished, next_run_at IS NOT NULL AS due, fail_reason AS "failReason", fail_count AS "failCount"
         FROM agenda_jobs WHERE name = $1 ORDER BY created_at`,
      [name],
    )
  ).rows;

/**
 * Waits until `expected` runs of `name` were queued and every one is over: finished (or failed),
 * unlocked and not due again. A one-off run then cannot happen a second time, so what the handler
 * and the counters saw is final and the test can assert it exactly.
 */
const settled = (name: string, expected = 1): Promise<JobRow[]> =>
  waitFor(
    async () => {
      const rows = await jobRows(name);
      return rows.length === expected && rows.every((r) => r.finished && !r.locked && !r.due) && rows;
    },
    { what: `${expected} run(s) of ${name} to finish`, timeoutMs: 15_000, detail: () => jobRows(name) },
  );

describe('processEveryMs', () => {
  it.each([
    [250, 250],
    ['500 ms', 500],
    ['200 milliseconds', 200],
    ['1 second', 1000],
    ['2 seconds', 2000],
    ['1s', 1000],
    ['2 minutes', 120_000],
  ] as const)('%j → %d ms', (input, ms) => {
    expect(processEveryMs(input)).toBe(ms);
  });
  it('rejects what it cannot read instead of silently polling every 5 s', () => {
    expect(() => processEveryMs('soon')).toThrow('processEvery: expected a duration');
  });
});

describe('a scheduler on one instance', () => {
  let scheduler: Scheduler;
  let metrics: Metrics;
  // What each handler was called with, per job: every test uses its own job names.
  const calls = { echo: [] as unknown[], fails: [] as unknown[], after: [] as unknown[], strict: [] as unknown[] };

  beforeAll(async () => {
    metrics = createMetrics();
    scheduler = createScheduler({
      store,
      logger,
      metrics,
      embedded: store.embedded,
      processEvery: 100,
      lockLifetimeMs: 1_000,
    });
    scheduler.define('t-echo', async (data) => void calls.echo.push(data), z.object({ who: z.string() }));
    scheduler.define('t-fails', async (data) => {
      calls.fails.push(data);
      throw new Error('boom');
    });
    scheduler.define('t-after-failure', async (data) => void calls.after.push(data));
    scheduler.define('t-strict', async (data) => void calls.strict.push(data), z.object({ who: z.string() }));
    await scheduler.start();
  });
  afterAll(async () => {
    await scheduler?.stop();
  });

  it('runs a queued job once, with its validated data, and counts it as a success', async () => {
    await scheduler.now('t-echo', { who: 'alice' });
    const [row] = await settled('t-echo');
    expect(row).toEqual({ locked: false, finished: true, due: false, failReason: null, failCount: null });
    expect(calls.echo).toEqual([{ who: 'alice' }]);
    expect(await counted(metrics, 't-echo')).toEqual({ success: 1, failure: 0 });
  });

  it('counts a failing run as a failure, does not retry it, and keeps running other jobs', async () => {
    await scheduler.now('t-fails', { attempt: 1 });
    const [failed] = await settled('t-fails');
    expect(failed).toEqual({ locked: false, finished: true, due: false, failReason: 'boom', failCount: 1 });
    expect(calls.fails).toEqual([{ attempt: 1 }]);
    expect(await counted(metrics, 't-fails')).toEqual({ success: 0, failure: 1 });

    await scheduler.now('t-after-failure', { n: 2 });
    await settled('t-after-failure');
    expect(calls.after).toEqual([{ n: 2 }]);
    expect(await counted(metrics, 't-after-failure')).toEqual({ success: 1, failure: 0 });
  });

  it('keeps one cron schedule per key value, updated in place, and refuses a bad expression', async () => {
    scheduler.define('t-cron', async () => {});
    await scheduler.cron('0 7 * * *', 't-cron', { workspaceId: 'T1' }, { key: 'workspaceId' });
    await scheduler.cron(
      '30 6 * * 1-5',
      't-cron',
      { workspaceId: 'T1' },
      { key: 'workspaceId', timezone: 'Europe/Berlin' },
    );
    await scheduler.cron('0 7 * * *', 't-cron', { workspaceId: 'T2' }, { key: 'workspaceId' });
    const { rows } = await store.db.execute<{
      ws: string;
      repeat_interval: string;
      repeat_timezone: string;
      next: Date;
    }>(
      sql`select data->>'workspaceId' as ws, repeat_interval, repeat_timezone, next_run_at as next
          from agenda_jobs where name = 't-cron' order by 1`,
    );
    expect(rows.map((r) => [r.ws, r.repeat_interval, r.repeat_timezone])).toEqual([
      ['T1', '30 6 * * 1-5', 'Europe/Berlin'],
      ['T2', '0 7 * * *', 'UTC'],
    ]);
    // The next run is in the future (not at once), at 07:00 UTC for T2.
    expect(new Date(rows[1]!.next).getUTCHours()).toBe(7);
    expect(new Date(rows[1]!.next).getTime()).toBeGreaterThan(Date.now());
    await expect(scheduler.cron('61 7 * * *', 't-cron', { workspaceId: 'T3' }, { key: 'workspaceId' })).rejects.toThrow(
      /cron "61 7 \* \* \*"/,
    );
  });

  it('fails a run whose data does not match the schema without calling the handler', async () => {
    await scheduler.now('t-strict', { who: 42 });
    const [row] = await settled('t-strict');
    expect(row).toMatchObject({ finished: true, due: false, failCount: 1 });
    expect(row!.failReason).toMatch(/who/);
    expect(calls.strict).toEqual([]);
    expect(await counted(metrics, 't-strict')).toEqual({ success: 0, failure: 1 });
  });
});

it('starts once the database is reachable when it was down at creation, without crashing', async () => {
  const target = new URL(store.connectionString);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  proxy.cut('reset');
  const refused = proxy.nextRefusal();
  const late: unknown[] = [];
  const metrics = createMetrics();
  const scheduler = createScheduler({
    store: { ...store, connectionString: proxy.url(store.connectionString) },
    logger,
    metrics,
    embedded: store.embedded,
    processEvery: 100,
    lockLifetimeMs: 1_000,
  });
  try {
    scheduler.define('t-late', async (data) => void late.push(data));
    const starting = scheduler.start();
    await refused;
    proxy.restore();
    await starting;
    await scheduler.now('t-late', { queued: 'after the outage' });
    await settled('t-late');
    expect(late).toEqual([{ queued: 'after the outage' }]);
    expect(await counted(metrics, 't-late')).toEqual({ success: 1, failure: 0 });
  } finally {
    await scheduler.stop();
    await proxy.close();
  }
}, 20_000);

it("a job's own lock lifetime lets a live instance take over the lock a dead one left", async () => {
  const metrics = createMetrics();
  // The scheduler's default lifetime is long (a dead holder's lock would stall its job that long).
  const scheduler = createScheduler({
    store,
    logger,
    metrics,
    embedded: store.embedded,
    processEvery: 100,
    lockLifetimeMs: 60_000,
  });
  const ran: string[] = [];
  try {
    scheduler.define('t-short-lock', async () => void ran.push('t-short-lock'), undefined, { lockLifetimeMs: 1_000 });
    scheduler.define('t-default-lock', async () => void ran.push('t-default-lock'));
    await scheduler.now('t-short-lock');
    await scheduler.now('t-default-lock');
    // Both are due and locked by an instance that was killed (a lock is a timestamp: nobody releases it).
    await store.pool.query(
      "UPDATE agenda_jobs SET locked_at = now(), last_modified_by = 'dead-host:1' WHERE name IN ('t-short-lock', 't-default-lock')",
    );
    await scheduler.start();
    await settled('t-short-lock');
    expect(ran).toEqual(['t-short-lock']);
    // The other keeps the dead instance's lock for the whole default lifetime.
    expect(await jobRows('t-default-lock')).toMatchObject([{ locked: true, finished: false }]);
  } finally {
    await scheduler.stop();
  }
}, 20_000);
