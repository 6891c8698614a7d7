import { createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { sql } from '../src/store/orm.ts';
import { ms, summarize } from './stats.ts';

/**
 * `npm run bench:incidents`: PagerDuty V3 webhooks at a fixed rate (BENCH_INCIDENT_RATE per second,
 * default 1,000, for BENCH_INCIDENT_SECONDS, default 5) against the whole app on
 * /webhooks/pagerduty, signed like PagerDuty. Each incident gets a triggered, an acknowledged and an
 * annotated event, and one in five a redelivery of its trigger. The load is open (requests leave on
 * schedule whether or not earlier ones were answered) and latency is counted from the scheduled
 * send time, so a stall shows up in the percentiles instead of slowing the sender.
 *
 * Then it waits for the inbox to drain and checks that every incident has exactly one thread (one
 * posted first message in the console's channel, updated in place) and that no event was lost.
 * Embedded PGlite unless DATABASE_URL is set (use a scratch database).
 */
const rate = Number(process.env.BENCH_INCIDENT_RATE ?? 1000);
const seconds = Number(process.env.BENCH_INCIDENT_SECONDS ?? 5);
const target = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite';
const SECRET = 'bench-pagerduty-secret';

const noteEvent = (n: number, eventId: string, at: Date) => ({
  event: {
    id: eventId,
    event_type: 'incident.annotated',
    resource_type: 'incident',
    occurred_at: at.toISOString(),
    agent: { id: 'PUSER01', type: 'user_reference', summary: 'Ana Bench' },
    client: null,
    data: {
      id: `PNOTE${n}`,
      type: 'incident_note',
      content: 'Looking at the load balancer.',
      trimmed: false,
      incident: {
        id: `QBENCH${n}`,
        type: 'incident_reference',
        html_url: `https://example.pagerduty.com/incidents/QBENCH${n}`,
      },
    },
  },
});

const incidentEvent = (n: number, type: string, eventId: string, at: Date) => ({
  event: {
    id: eventId,
    event_type: type,
    resource_type: 'incident',
    occurred_at: at.toISOString(),
    agent: type === 'incident.triggered' ? null : { id: 'PUSER01', type: 'user_reference', summary: 'Ana Bench' },
    client: null,
    data: {
      id: `QBENCH${n}`,
      type: 'incident',
      self: `https://api.pagerduty.com/incidents/QBENCH${n}`,
      html_url: `https://example.pagerduty.com/incidents/QBENCH${n}`,
      number: n,
      status: type === 'incident.acknowledged' ? 'acknowledged' : 'triggered',
      incident_key: `bench-${n}`,
      created_at: at.toISOString(),
      title: `High error rate on checkout-api-${n % 50}`,
      service: {
        id: 'PSVC001',
        type: 'service_reference',
        summary: 'checkout-api',
        html_url: 'https://example.pagerduty.com/services/PSVC001',
      },
      assignees: [{ id: 'PUSER01', type: 'user_reference', summary: 'Ana Bench' }],
      escalation_policy: { id: 'PEP01', type: 'escalation_policy_reference', summary: 'Checkout' },
      teams: [],
      priority: null,
      urgency: 'high',
      conference_bridge: null,
      resolve_reason: null,
    },
  },
});

const main = async () => {
  const total = Math.round(rate * seconds);
  // Per incident: triggered, acknowledged, annotated (+ a redelivery for one in five).
  const incidents = Math.max(1, Math.floor(total / 3.2));
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-incidents-'));
  const config = loadConfig({
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    SANDBOX: 'on',
    PAGERDUTY_WEBHOOK_SECRETS: SECRET,
    LOG_LEVEL: 'silent',
  });
  const app = await startApp(config, { logger: createLogger('silent'), jobs: false, refreshDelayMs: 0 });
  await app.synced;
  const url = new URL(`${app.url}/webhooks/pagerduty`);

  // The schedule: event i of incident n; a trigger first, its follow-ups later in the run.
  const base = Date.now();
  const bodies: Buffer[] = [];
  for (let n = 1; n <= incidents && bodies.length < total; n++) {
    const at = new Date(base + n);
    const trigger = Buffer.from(JSON.stringify(incidentEvent(n, 'incident.triggered', `ev-t-${n}`, at)));
    bodies.push(trigger);
    if (n % 5 === 0) bodies.push(trigger);
  }
  for (let n = 1; n <= incidents && bodies.length < total; n++)
    bodies.push(
      Buffer.from(JSON.stringify(incidentEvent(n, 'incident.acknowledged', `ev-a-${n}`, new Date(base + 10_000 + n)))),
    );
  for (let n = 1; n <= incidents && bodies.length < total; n++)
    bodies.push(Buffer.from(JSON.stringify(noteEvent(n, `ev-n-${n}-${randomUUID()}`, new Date(base + 20_000 + n)))));

  console.log(
    `incident webhooks — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores, database: ${target}`,
  );
  console.log(`${bodies.length} PagerDuty V3 deliveries at ${rate}/s (${incidents} incidents), open loop\n`);
  // The floor, in the same run: a bare node:http server in this process that reads the body,
  // checks the signature and answers 202, at the same rate with the same bodies.
  const floorServer = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts);
      const ok =
        req.headers['x-pagerduty-signature'] === `v1=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
      JSON.parse(raw.toString('utf8'));
      res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => floorServer.listen(0, '127.0.0.1', resolve));
  const floorUrl = `http://127.0.0.1:${(floorServer.address() as AddressInfo).port}/webhooks/pagerduty`;
  const floor = summarize((await runSender(floorUrl, bodies)).latencies);
  await new Promise<void>((resolve) => floorServer.close(() => resolve()));
  console.log(
    `floor (bare node:http, HMAC check, 202): p50 ${ms(floor.p50)}  p90 ${ms(floor.p90)}  p99 ${ms(floor.p99)}  max ${ms(floor.max)}`,
  );

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const result = await runSender(url.href, bodies);
  const { latencies, refused } = result;
  const statuses = new Map(result.statuses);
  const sent = result.elapsedMs;
  const acked = summarize(latencies);
  console.log(
    `acked: ${[...statuses].map(([s, n]) => `${n}× ${s}`).join(', ')} in ${(sent / 1000).toFixed(2)} s (${Math.round((bodies.length * 1000) / sent)}/s)`,
  );
  loop.disable();
  for (const r of refused) console.log(`refused: ${r.slice(0, 300)}`);
  console.log(
    `the app's event loop while acking: delay p99 ${ms(loop.percentile(99) / 1e6)}, max ${ms(loop.max / 1e6)}`,
  );
  console.log(
    `ack latency from the scheduled send: p50 ${ms(acked.p50)}  p90 ${ms(acked.p90)}  p99 ${ms(acked.p99)}  max ${ms(acked.max)}`,
  );

  const t0 = performance.now();
  const { db } = app.store;
  for (;;) {
    const { rows } = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from incident_inbox where processed_at is null and attempts < 5`,
    );
    if (Number(rows[0]!.n) === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const drained = performance.now() - t0;
  const { rows: counts } = await db.execute<{ incidents: number; threads: number; events: number; failed: number }>(sql`
    select (select count(*)::int from incidents) as incidents,
           (select count(distinct thread->>'messageId')::int from incidents where thread is not null) as threads,
           (select count(*)::int from incident_events where origin = 'pagerduty') as events,
           (select count(*)::int from incident_inbox where processed_at is null) as failed`);
  const { rows: cards } = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from messages where author = 'bot' and text ~ '^(🔴|🟠|✅) INC-[0-9]+ '`);
  const c = counts[0]!;
  console.log(
    `processed after the last ack in ${(drained / 1000).toFixed(2)} s (${Math.round(((bodies.length - incidents / 5) * 1000) / (sent + drained))} events/s end to end)`,
  );
  console.log(
    `incidents ${c.incidents}, threads ${c.threads}, first messages posted ${cards[0]!.n}, timeline events ${c.events}, unprocessed ${c.failed}`,
  );
  const ok =
    c.incidents === incidents && c.threads === incidents && Number(cards[0]!.n) === incidents && c.failed === 0;
  console.log(ok ? 'every incident has exactly one thread' : 'MISMATCH: see the counts above');
  await app.close();
  await fs.rm(dataDir, { recursive: true, force: true });
  if (!ok) process.exitCode = 1;
};

/** Runs the sender in a worker thread: signing and the client's side of HTTP are not the app's work. */
const runSender = async (
  url: string,
  bodies: Buffer[],
): Promise<{ latencies: number[]; statuses: Array<[number, number]>; refused: string[]; elapsedMs: number }> => {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'sender', url, rate, bodies } });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
};

/** The worker: sends every body on its schedule and reports each one's latency from that schedule. */
const sender = async (d: { url: string; rate: number; bodies: Uint8Array[] }) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(d.url);
  const send = (body: Buffer): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const sig = `v1=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      const req = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'x-pagerduty-signature': sig, 'content-length': body.length },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const refused: string[] = [];
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < d.bodies.length; i++) {
    const due = start + (i * 1000) / d.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      send(Buffer.from(d.bodies[i]!)).then(({ status, text }) => {
        latencies.push(performance.now() - due);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 300 && refused.length < 3) refused.push(`${status} ${text}`);
      }),
    );
  }
  await Promise.all(inflight);
  const elapsedMs = performance.now() - start;
  agent.destroy();
  parentPort!.postMessage({ latencies, statuses: [...statuses], refused, elapsedMs });
};

if (isMainThread) await main();
else await sender(workerData as { url: string; rate: number; bodies: Uint8Array[] });
