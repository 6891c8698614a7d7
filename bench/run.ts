import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { benchClaude } from './claude.ts';
import { benchColdStart } from './cold-start.ts';
import { benchFootprint } from './footprint.ts';
import { benchInventory } from './inventory.ts';
import { benchScans, scanSizes } from './scans.ts';
import { benchSlackAck, printSlackAck } from './slack-ack.ts';
import { ms, runPool, summarize } from './stats.ts';
import { benchTeamsAck, printTeamsAck } from './teams-ack.ts';

/**
 * `npm run bench`: cold start to ready, console turn latency, and change request → approve →
 * execute cycles per second, all through the real HTTP server on the sandbox cloud. Uses embedded
 * PGlite unless DATABASE_URL is set. Figures go to BENCHMARKS.md.
 */
const target = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite';
const turns = Number(process.env.BENCH_TURNS ?? 1000);
const cycles = Number(process.env.BENCH_CYCLES ?? 1000);

const post = async (url: string, body: unknown): Promise<{ replies: Array<{ text: string; changeId?: string }> }> => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as { replies: Array<{ text: string; changeId?: string }> };
};

console.log(
  `DevOps Agent benchmarks — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores, database: ${target}\n`,
);

console.log('1. cold start (spawn `node src/main.ts` → first 200 from /readyz; sandbox on)');
if (process.env.DATABASE_URL)
  console.log('   (DATABASE_URL set: the data dir is unused, both runs connect to the server)');
const start = await benchColdStart();
console.log(`   fresh data dir:    ${ms(start.freshDataDirMs!)}`);
console.log(`   existing data dir: ${ms(start.existingDataDirMs!)}\n`);

console.log('1b. start time and memory of `node src/main.ts` (the RSS of each process, from /proc)');
await benchFootprint({
  turns: Number(process.env.BENCH_FOOTPRINT_TURNS ?? 15_000),
  starts: Number(process.env.BENCH_STARTS ?? 5),
});
console.log('');

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-'));
const config = loadConfig({
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  SANDBOX: 'on',
});
const app = await startApp(config, { logger: createLogger('silent'), jobs: false });
try {
  const turnUrl = `${app.url}/console/api/turn`;
  const clickUrl = `${app.url}/console/api/interaction`;
  for (let i = 0; i < 50; i++) await post(turnUrl, { user: 'dave', text: 'list instances' }); // warm-up

  console.log(`2. console turn latency: ${turns} × "list instances" over HTTP, one at a time`);
  const t = summarize(
    await runPool(turns, 1, async () => void (await post(turnUrl, { user: 'dave', text: 'list instances' }))),
  );
  console.log(`   p50 ${ms(t.p50)}  p90 ${ms(t.p90)}  p99 ${ms(t.p99)}  max ${ms(t.max)}\n`);

  console.log(
    `3. change cycles: ${cycles} × (alice "reboot web-prod-1" → card → bob clicks Approve → executed on the sandbox), 4 concurrent`,
  );
  const t0 = performance.now();
  const per = summarize(
    await runPool(cycles, 4, async () => {
      const { replies } = await post(turnUrl, { user: 'alice', text: 'reboot web-prod-1' });
      const id = replies[0]?.changeId;
      if (!id) throw new Error(`no change request: ${replies[0]?.text}`);
      const ack = await post(clickUrl, { user: 'bob', actionId: 'change.approve', value: id });
      if (!ack.replies[0]?.text.startsWith(`You approved ${id}`))
        throw new Error(`approve ${id}: ${ack.replies[0]?.text}`);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const reboots = app.sandbox!.requests.filter((r) => r.action === 'RebootInstances').length;
  console.log(
    `   ${(cycles / seconds).toFixed(1)} cycles/s (${seconds.toFixed(1)} s total); per cycle p50 ${ms(per.p50)}  p99 ${ms(per.p99)}`,
  );
  console.log(`   executions seen by the sandbox: ${reboots} (expected ${cycles})\n`);
} finally {
  await app.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}

console.log(
  `4. Slack ack latency: signed block_actions posts at concurrency 50, ours vs a bare Bolt app that only acks`,
);
printSlackAck(await benchSlackAck({ total: Number(process.env.BENCH_SLACK_CLICKS ?? 5000), concurrency: 50 }));

console.log(
  `\n4b. Teams ack latency: "list instances" message activities with a Bot Framework JWT at concurrency 50, ours vs a bare Agents SDK app that only acks`,
);
printTeamsAck(await benchTeamsAck({ total: Number(process.env.BENCH_TEAMS_ACTIVITIES ?? 5000), concurrency: 50 }));

console.log(`\n5. Claude planner against the loopback Messages API fake (token counts are the fake's: characters / 4)`);
await benchClaude({ turns: Number(process.env.BENCH_CLAUDE_TURNS ?? 300) });

console.log(
  `\n6. Inventory at scale: sync from the EC2 emulator, a list over 100,000 stored resources, memory after a 100,000-resource sync`,
);
await benchInventory({
  syncRuns: Number(process.env.BENCH_SYNC_RUNS ?? 3),
  listTurns: Number(process.env.BENCH_LIST_TURNS ?? 500),
});

console.log(
  `\n7. Scans at scale: synthetic estates of ${scanSizes()
    .map((n) => n.toLocaleString('en-US'))
    .join(', ')} resources, loaded apart, then a full scan and a steady-state one`,
);
await benchScans({ sizes: scanSizes() });
