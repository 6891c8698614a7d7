import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pruneExpired } from '../src/engine/retention.ts';
import { createLogger } from '../src/observability/logger.ts';
import { openStore, type Store } from '../src/store/open.ts';
import { ms, summarize } from './stats.ts';

/**
 * `node bench/retention.ts`: a backlog of BENCH_RETENTION_ROWS (default 100,000) old messages and
 * as many old processed event ids, pruned by `pruneExpired` in its bounded batches, while another
 * connection asks `SELECT 1` every 5 ms (what a chat request waits for). Then the same backlog
 * deleted in ONE batch, for contrast. Embedded PGlite unless DATABASE_URL is set (then in that
 * database: use a scratch one).
 */
const rows = Number(process.env.BENCH_RETENTION_ROWS ?? 100_000);
const target = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite';
const day = 86_400_000;
const now = new Date();
const old = new Date(now.getTime() - 100 * day).toISOString();

const fill = async (store: Store): Promise<void> => {
  await store.pool.query(
    `INSERT INTO conversations (id, surface, workspace_id, ref) VALUES ('bench', 'console', 'console', '{}') ON CONFLICT DO NOTHING`,
  );
  for (let done = 0; done < rows; done += 10_000) {
    const n = Math.min(10_000, rows - done);
    await store.pool.query(
      `INSERT INTO messages (conversation_id, author, text, created_at, updated_at)
       SELECT 'bench', 'bot', 'message ' || g, $1, $1 FROM generate_series(1, $2) g`,
      [old, n],
    );
    await store.pool.query(
      `INSERT INTO processed_events (id, received_at) SELECT 'bench-' || $3::int || '-' || g, $1 FROM generate_series(1, $2) g`,
      [old, n, done],
    );
  }
};

/** Runs `work` while probing the database every 5 ms; returns its duration and the probes' latencies. */
const probed = async (store: Store, work: () => Promise<unknown>) => {
  const probes: number[] = [];
  let running = true;
  const probe = (async () => {
    while (running) {
      const t0 = performance.now();
      await store.pool.query('SELECT 1');
      probes.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const t0 = performance.now();
  const result = await work();
  const took = performance.now() - t0;
  running = false;
  await probe;
  return { took, result, probe: summarize(probes) };
};

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-retention-'));
const store = await openStore({
  databaseUrl: process.env.DATABASE_URL,
  dataDir,
  poolMax: 4,
  logger: createLogger('silent'),
});
try {
  console.log(
    `retention: ${rows} old messages + ${rows} old processed event ids, ${target}, ${os.cpus().length} cores\n`,
  );
  const periods = { processedEventsMs: 7 * day, messagesMs: 90 * day };
  for (const [label, limits] of [
    ['bounded batches (1,000 rows, the default)', { maxBatches: Number.MAX_SAFE_INTEGER }],
    ['one batch per table (for contrast)', { batchSize: rows + 1 }],
  ] as const) {
    await fill(store);
    const { took, result, probe } = await probed(store, () => pruneExpired(store.db, now, periods, limits));
    const deleted = (result as Array<{ deleted: number; batches: number }>).map((o) => `${o.deleted} in ${o.batches}`);
    console.log(
      `${label}: ${(took / 1000).toFixed(2)} s, ${Math.round((2 * rows) / (took / 1000))} rows/s (${deleted.join(', ')})`,
    );
    console.log(
      `   SELECT 1 meanwhile: p50 ${ms(probe.p50)}  p99 ${ms(probe.p99)}  max ${ms(probe.max)} (${probe.n} probes)\n`,
    );
  }
} finally {
  await store.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
