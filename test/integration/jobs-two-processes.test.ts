import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Two app instances (separate processes, as in production) share one database: every queued run
// and every occurrence of a recurring job must happen exactly once across them.
const worker = fileURLToPath(new URL('../fixtures/jobs-worker.ts', import.meta.url));
const tickIntervalMs = 1000;
const deadlineMs = 40_000;

let store: TestStore;
const children: ChildProcess[] = [];

const startWorker = async (): Promise<ChildProcess> => {
  const child = spawn(process.execPath, [worker, store.connectionString, store.embedded ? 'embedded' : 'server'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (s: string) => {
      out += s;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`jobs worker exited early (${code})`)));
  });
  return child;
};

const stopWorker = async (child: ChildProcess): Promise<number | null> => {
  const exited = once(child, 'exit');
  child.stdin!.end('stop\n');
  const [code] = (await exited) as [number | null];
  return code;
};

const count = async (kind: string): Promise<number> =>
  Number(
    (await store.pool.query<{ c: string }>('SELECT count(*) AS c FROM jobs_probe WHERE kind = $1', [kind])).rows[0]!.c,
  );

/** The scheduler's view, for a timeout message: per job name, how many rows are locked, finished, failed. */
const agendaState = async (): Promise<string> => {
  const state = await store.pool.query(
    'SELECT name, count(*)::int AS jobs, count(locked_at)::int AS locked, count(last_finished_at)::int AS finished, min(fail_reason) AS failure FROM agenda_jobs GROUP BY name',
  );
  return `${await count('burst')} burst and ${await count('tick')} tick runs; jobs ${JSON.stringify(state.rows)}`;
};

beforeAll(async () => {
  store = await createTestStore();
  await store.pool.query(
    'CREATE TABLE jobs_probe (kind text NOT NULL, n int, pid int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())',
  );
}, testStoreTimeoutMs);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill();
  await store?.dispose();
});

it('runs 100 queued jobs and a recurring job exactly once across two processes', async () => {
  const [a, b] = await Promise.all([startWorker(), startWorker()]);

  // A third instance only enqueues (never started), as an HTTP handler would.
  const enqueuer = createScheduler({
    store,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    embedded: store.embedded,
  });
  await Promise.all(Array.from({ length: 100 }, (_, n) => enqueuer.now('probe-burst', { n })));
  await enqueuer.stop();

  // Poll the database (not the clock): the workers record each run there.
  await waitFor(async () => (await count('burst')) >= 100 && (await count('tick')) >= 4, {
    what: 'both workers to run the 100 queued jobs and 4 ticks',
    timeoutMs: deadlineMs,
    intervalMs: 100,
    detail: agendaState,
  });
  expect([await stopWorker(a!), await stopWorker(b!)]).toEqual([0, 0]);

  const burst = await store.pool.query<{ n: number; runs: string }>(
    'SELECT n, count(*) AS runs FROM jobs_probe WHERE kind = $1 GROUP BY n ORDER BY n',
    ['burst'],
  );
  expect(burst.rows.map((r) => r.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
  expect(burst.rows.filter((r) => Number(r.runs) !== 1)).toEqual([]);

  // Runs of one occurrence by both processes would start within a poll of each other (~200 ms);
  // consecutive occurrences are an interval apart, give or take the load's scheduling delay.
  const ticks = (
    await store.pool.query<{ at: Date }>('SELECT at FROM jobs_probe WHERE kind = $1 ORDER BY at', ['tick'])
  ).rows.map((r) => r.at.getTime());
  const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(tickIntervalMs / 2);
}, 90_000);
