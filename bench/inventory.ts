import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startApp } from '../src/app.ts';
import { AwsProvider } from '../src/cloud/aws/provider.ts';
import { syncInventory } from '../src/cloud/inventory.ts';
import { storeMetricSamples } from '../src/cloud/metric-series.ts';
import { resourceRepository } from '../src/cloud/repository.ts';
import { vacuumIfNeeded } from '../src/store/maintenance.ts';
import type { Resource } from '../src/cloud/resource.ts';
import { sandboxId, seedFleet } from '../src/cloud/sandbox/fleet.ts';
import type { SandboxFleet } from '../src/cloud/sandbox/model.ts';
import { startSandbox } from '../src/cloud/sandbox/server.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { openStore } from '../src/store/open.ts';
import { freePort } from './cold-start.ts';
import { startOptions } from './footprint.ts';
import { ms, runPool, summarize } from './stats.ts';

/**
 * Issue 14's inventory figures: (a) a sync of 10,000 instances + 10,000 volumes from the EC2
 * emulator into the store, through the real SDK; (b) `list instances env=prod` over the console
 * HTTP API with 100,000 resources stored; (c) the RSS of the app (`node src/main.ts`, spawned)
 * after its first sync of 100,000 resources from the emulator in this process.
 */

const now = new Date('2026-12-01T12:00:00Z');

/** The seeded fleet with `n` instances and `n` volumes in us-east-1 (half prod, half dev). */
const bigFleet = (n: number): SandboxFleet => {
  const fleet = seedFleet(now);
  const template = fleet.instances.find((i) => i.tags.Name === 'web-prod-1')!;
  fleet.instances = Array.from({ length: n }, (_, k) => ({
    ...template,
    id: sandboxId('i', `bench/${k}`),
    state: k % 5 === 0 ? ('stopped' as const) : ('running' as const),
    tags: { Name: `node-${k}`, env: k % 2 ? 'prod' : 'dev', service: `svc-${k % 40}` },
  }));
  const volume = fleet.volumes[0]!;
  fleet.volumes = Array.from({ length: n }, (_, k) => ({
    ...volume,
    id: sandboxId('vol', `bench/${k}`),
    attachment: { instanceId: fleet.instances[k]!.id, device: '/dev/sdf', attachTime: now },
    tags: { Name: `data-${k}` },
  }));
  return fleet;
};

const credentials = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' };

/** Runs one statement on the server's maintenance connection (CREATE/DROP DATABASE). */
const onServer = async (url: string, sql: string): Promise<void> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};

/**
 * With DATABASE_URL: a fresh database on that server for one part (dropped by `drop`), so a part
 * never reads rows an earlier run left. Without: undefined (embedded PGlite in the data dir).
 */
export const benchDatabase = async (): Promise<{ url: string | undefined; drop(): Promise<void> }> => {
  const server = process.env.DATABASE_URL;
  if (!server) return { url: undefined, drop: async () => {} };
  const name = `da_bench_${randomBytes(6).toString('hex')}`;
  await onServer(server, `CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
};

export const benchSync = async (runs: number): Promise<void> => {
  const sandbox = await startSandbox({ now: () => now, fleet: bigFleet(10_000), otherFleets: [] });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-inv-'));
  const database = await benchDatabase();
  const store = await openStore({
    databaseUrl: database.url,
    dataDir,
    poolMax: 10,
    logger: createLogger('silent'),
  });
  const provider = new AwsProvider({
    accounts: [{ name: 'bench', accountId: '123456789012', regions: ['us-east-1'] }],
    endpoint: sandbox.url,
    sandbox: true,
    credentials,
    now: () => now,
    pageSize: 1000,
  });
  try {
    const only = (s: { region: string }) => s.region === 'us-east-1';
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      // As the app syncs: on the embedded store a pass vacuums what it rewrote (no autovacuum there).
      const [o] = await syncInventory(store.db, [provider], now, { only, vacuum: store.embedded });
      if (o?.error || (o?.count ?? 0) < 20_000) throw new Error(`sync: ${o?.error ?? o?.count}`);
      if (i > 0) times.push(performance.now() - t0); // the first pass loads the SDK and fills the table
    }
    const s = summarize(times);
    console.log(
      `   sync of 10,000 instances + 10,000 volumes (+ the region's other types), ${runs} passes after a first: median ${ms(s.p50)}, max ${ms(s.max)} (goal ≤ 5 s)`,
    );
  } finally {
    provider.destroy();
    await sandbox.stop();
    await store.close();
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
};

/** `count` synthetic resources of several types across two providers' worth of accounts. */
const synthetic = (count: number): Resource[] =>
  Array.from({ length: count }, (_, k) => {
    const type = (['instance', 'volume', 'snapshot', 'security_group'] as const)[k % 4]!;
    const env = ['prod', 'dev', 'staging', 'test'][Math.floor(k / 4) % 4]!;
    return {
      provider: 'aws',
      account: `1000000000${String(k % 10).padStart(2, '0')}`,
      region: k % 3 ? 'us-east-1' : 'eu-west-1',
      type,
      id: `${type.slice(0, 3)}-${k.toString(16).padStart(12, '0')}`,
      name: `${type}-${k}`,
      state: type === 'instance' ? (k % 7 ? 'running' : 'stopped') : 'available',
      tags: { env, service: `svc-${k % 50}`, Name: `${type}-${k}` },
      environment: env,
      monthlyCostCents: (k % 100) * 37,
      attributes: type === 'instance' ? { instanceType: 't3.large' } : { sizeGb: 100 },
      seenAt: now,
    };
  });

export const benchList = async (turns: number): Promise<void> => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-list-'));
  const database = await benchDatabase();
  const config = loadConfig({
    ...process.env,
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SANDBOX: 'on',
    SANDBOX_CLOUDS: 'aws',
  });
  const app = await startApp(config, { logger: createLogger('silent'), jobs: false });
  try {
    const rows = synthetic(100_000);
    const t0 = performance.now();
    await resourceRepository(app.store.db).replaceListing(
      { key: 'aws:bench:bulk', provider: 'aws', region: 'us-east-1' },
      rows,
      now,
    );
    // What the sync pass that stored them does next on the embedded store (no autovacuum there).
    if (app.store.embedded) await vacuumIfNeeded(app.store.db, ['resources']);
    const stored = await resourceRepository(app.store.db).count();
    console.log(`   stored ${stored.toLocaleString('en-US')} resources in ${ms(performance.now() - t0)}`);
    // 14 days of CPU for every instance, as the metrics job stores them (the list's CPU column reads them).
    const t1 = performance.now();
    const samples = rows
      .filter((r) => r.type === 'instance')
      .flatMap((r) =>
        Array.from({ length: 14 }, (_, d) => ({
          provider: r.provider,
          account: r.account,
          resourceId: r.id,
          metric: 'cpu_percent',
          day: new Date(now.getTime() - (d + 1) * 86_400_000).toISOString().slice(0, 10),
          avg: 3 + (d % 5),
          max: 20,
          unit: 'percent',
        })),
      );
    for (let i = 0; i < samples.length; i += 2000)
      await storeMetricSamples(app.store.db, samples.slice(i, i + 2000), now);
    if (app.store.embedded) await vacuumIfNeeded(app.store.db, ['resource_metrics', 'resource_metric_series']);
    console.log(
      `   stored ${samples.length.toLocaleString('en-US')} daily CPU samples in ${ms(performance.now() - t1)}`,
    );
    const turn = (text: string, expect: RegExp) => async () => {
      const res = await fetch(`${app.url}/console/api/turn`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'dave', text }),
      });
      const body = (await res.json()) as { replies: Array<{ text: string }> };
      if (!expect.test(body.replies[0]?.text ?? '')) throw new Error(body.replies[0]?.text);
    };
    const list = turn('list instances env=prod', /^Instances env=prod: \d+/);
    // The same turn's fixed cost (conversation, planner, reply stored) without the inventory.
    const help = turn('help', /./);
    for (let i = 0; i < 30; i++) await list(); // warm-up
    for (let i = 0; i < 30; i++) await help();
    const listTimes: number[] = [];
    const helpTimes: number[] = [];
    // Taking turns, so both see the same noise.
    for (let i = 0; i < turns; i++) {
      listTimes.push(...(await runPool(1, 1, list)));
      helpTimes.push(...(await runPool(1, 1, help)));
    }
    const t = summarize(listTimes);
    const h = summarize(helpTimes);
    console.log(
      `   "list instances env=prod" over HTTP, ${turns} turns one at a time: p50 ${ms(t.p50)}  p90 ${ms(t.p90)}  p99 ${ms(t.p99)}  max ${ms(t.max)} (goal p99 ≤ 50 ms)`,
    );
    console.log(
      `   "help" in the same minutes (a turn's fixed cost): p50 ${ms(h.p50)}  p90 ${ms(h.p90)}  p99 ${ms(h.p99)}  max ${ms(h.max)}`,
    );
  } finally {
    await app.close();
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
};

const statusKb = async (pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> => {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
};

export const benchMemory = async (): Promise<void> => {
  // 50,000 instances + 50,000 volumes (+ the seeded rest) from the emulator in this process.
  const sandbox = await startSandbox({ now: () => now, fleet: bigFleet(50_000), otherFleets: [] });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-mem-'));
  const database = await benchDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_APP_FLAGS?.split(' ') ?? (await startOptions())), 'bin/devops-agent.mjs'],
    {
      env: {
        ...process.env,
        ...(database.url ? { DATABASE_URL: database.url } : {}),
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        SANDBOX: 'off',
        AWS_ENDPOINT_URL: sandbox.url,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGIONS: 'us-east-1',
        METRICS_INTERVAL: '24h',
      },
      // BENCH_APP_STDOUT=<file> keeps the app's stdout (with BENCH_APP_FLAGS=--trace-gc, say).
      stdio: [
        'ignore',
        process.env.BENCH_APP_STDOUT ? openSync(process.env.BENCH_APP_STDOUT, 'w') : 'ignore',
        'inherit',
      ],
    },
  );
  try {
    // The first start lists every never-synced source before it is ready.
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
      const ok = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
      if (performance.now() - t0 > 300_000) throw new Error('not ready within 300 s');
    }
    const readyS = (performance.now() - t0) / 1000;
    // The metric aggregates are collected after ready (600 GetMetricData calls here): wait for them.
    for (;;) {
      const text = await fetch(`${url}/metrics`).then((r) => r.text());
      const calls = text
        .split('\n')
        .filter((l) => l.startsWith('devops_agent_cloud_calls_total') && l.includes('GetMetricData'))
        .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
      if (calls >= Math.ceil(50_000 / 83)) break;
      await new Promise((r) => setTimeout(r, 500));
      if (performance.now() - t0 > 600_000) throw new Error('metrics not collected within 600 s');
    }
    const metricsS = (performance.now() - t0) / 1000 - readyS;
    // Idle for 10 s, as an app between two syncs is: V8 shrinks its heap once allocation stops.
    await new Promise((r) => setTimeout(r, 10_000));
    const rss = await statusKb(child.pid!, 'VmRSS');
    const heap = Number(
      /^nodejs_heap_size_used_bytes (\d+)/m.exec(await fetch(`${url}/metrics`).then((r) => r.text()))?.[1] ?? NaN,
    );
    const peak = await statusKb(child.pid!, 'VmHWM');
    const res = await fetch(`${url}/console/api/turn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'dave', text: 'inventory' }),
    });
    const body = (await res.json()) as { replies: Array<{ text: string }> };
    console.log(
      `   app after its first sync (${body.replies[0]?.text}; ready in ${readyS.toFixed(1)} s, metrics of 50,000 instances × 14 days ${metricsS.toFixed(1)} s later): RSS ${(rss / 2 ** 20).toFixed(0)} MB, peak ${(peak / 2 ** 20).toFixed(0)} MB, V8 heap used ${(heap / 2 ** 20).toFixed(0)} MB (goal ≤ 400 MB RSS)`,
    );
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await sandbox.stop();
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
};

export const benchInventory = async (opts: { syncRuns: number; listTurns: number }): Promise<void> => {
  // BENCH_INVENTORY_PARTS=sync,list leaves out the memory part (minutes of emulator listing).
  const parts = (process.env.BENCH_INVENTORY_PARTS ?? 'sync,list,memory').split(',');
  if (parts.includes('sync')) await benchSync(opts.syncRuns);
  if (parts.includes('list')) await benchList(opts.listTurns);
  if (parts.includes('memory')) await benchMemory();
};

if (import.meta.main) {
  console.log(
    `Inventory benchmarks — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores, database: ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}`,
  );
  await benchInventory({
    syncRuns: Number(process.env.BENCH_SYNC_RUNS ?? 3),
    listTurns: Number(process.env.BENCH_LIST_TURNS ?? 500),
  });
}
