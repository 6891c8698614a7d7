import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { createScheduler, processEveryMs, type Scheduler } from '../../src/jobs/scheduler.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';

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

/** A promise and its resolver, so a test awaits a handler call instead of sleeping. */
const signal = <T>(): { promise: Promise<T>; resolve: (v: T) => void } => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

describe('processEveryMs', () => {
  it.each([
    [250, 250], ['500 ms', 500], ['200 milliseconds', 200], ['1 second', 1000], ['2 seconds', 2000], ['1s', 1000], ['2 minutes', 120_000],
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
  const seen: unknown[] = [];
  const done = { ok: signal<void>(), failed: signal<void>() };

  beforeAll(async () => {
    metrics = createMetrics();
    scheduler = createScheduler({ store, logger, metrics, embedded: store.embedded, processEvery: 100, lockLifetimeMs: 1_000 });
    scheduler.define('t-echo', async (data) => {
      seen.push(data);
      done.ok.resolve();
    }, z.object({ who: z.string() }));
    scheduler.define('t-fails', async () => {
      done.failed.resolve();
      throw new Error('boom');
    });
    await scheduler.start();
  });
  afterAll(async () => {
    await scheduler?.stop();
  });

  it('runs a queued job with its validated data and counts it', async () => {
    await scheduler.now('t-echo', { who: 'alice' });
    await done.ok.promise;
    expect(seen).toEqual([{ who: 'alice' }]);
    // The counter is incremented right after the handler resolves, in the same tick chain.
    await new Promise((r) => setImmediate(r));
    expect(await runs(metrics, 't-echo', 'success')).toBe(1);
  });

  it('counts a failing run as a failure and keeps going', async () => {
    await scheduler.now('t-fails');
    await done.failed.promise;
    await new Promise((r) => setImmediate(r));
    expect(await runs(metrics, 't-fails', 'failure')).toBe(1);
  });
});

it('starts once the database is reachable when it was down at creation, without crashing', async () => {
  const target = new URL(store.connectionString);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  proxy.cut('reset');
  const refused = proxy.nextRefusal();
  const ran = signal<void>();
  const scheduler = createScheduler({ store: { ...store, connectionString: proxy.url(store.connectionString) }, logger, metrics: createMetrics(), embedded: store.embedded, processEvery: 100, lockLifetimeMs: 1_000 });
  try {
    scheduler.define('t-late', async () => ran.resolve());
    const starting = scheduler.start();
    await refused;
    proxy.restore();
    await starting;
    await scheduler.now('t-late');
    await ran.promise;
  } finally {
    await scheduler.stop();
    await proxy.close();
  }
}, 20_000);
