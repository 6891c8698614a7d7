import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findAction } from '../src/cloud/actions.ts';
import { AwsProvider } from '../src/cloud/aws/provider.ts';
import { sandboxId, seedFleet } from '../src/cloud/sandbox/fleet.ts';
import type { SandboxFleet } from '../src/cloud/sandbox/model.ts';
import { startSandbox } from '../src/cloud/sandbox/server.ts';
import { listAuditEvents } from '../src/changes/audit.ts';
import { DEFAULT_POLICY } from '../src/changes/policy.ts';
import { createChangeService } from '../src/changes/service.ts';
import { silentListener } from '../src/changes/listener.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { openStore } from '../src/store/open.ts';
import { createWorkflowExecutor } from '../src/workflows/executor.ts';
import { planWorkflow, workflowChangePlan, type PlanDeps } from '../src/workflows/plan.ts';
import { listSteps } from '../src/workflows/repository.ts';
import { checkTemplate } from '../src/workflows/template.ts';
import { ms, summarize } from './stats.ts';

/**
 * `npm run bench:workflows`: BENCH_WORKFLOW_RUNS (default 100) runs of a four-step template (stop
 * an instance, wait until it is stopped, start it, wait until it is running), each on its own
 * instance of the sandbox's EC2 through the real SDK, filed as change requests and approved all at
 * once — by two approvers each, concurrently, so that exactly-once is put to the test: every run
 * must execute once (one `change.executing`, four step records, two cloud actions).
 *
 * Step overhead is what a step costs beyond the emulator's own time: from the end of the step
 * before (the first: the start of the run, with the plan's re-check) to its own end, minus the time
 * spent in provider calls and in the wait steps' poll sleeps (attributed to the run by
 * AsyncLocalStorage). Step times are the database's millisecond timestamps. Embedded PGlite unless DATABASE_URL is set (use a scratch database).
 */
const runs = Number(process.env.BENCH_WORKFLOW_RUNS ?? 100);
/** Runs one at a time first: the engine's own cost per step, without 100 runs sharing two cores. */
const sequential = Number(process.env.BENCH_WORKFLOW_SEQUENTIAL ?? 20);
const target = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite';
const pollMs = 10;

const yaml = `
name: bounce
version: 1
category: other
description: Stop an instance, wait until it is stopped, start it again, wait until it runs.
provider: aws
inputs:
  instance: { type: resource, description: The instance, resource: { type: instance } }
steps:
  - { id: stop, title: Stop, action: stop, target: { type: instance, id: "\${inputs.instance}" } }
  - { id: stopped, title: Stopped, wait: { target: { type: instance, id: "\${inputs.instance}" }, until: stopped } }
  - { id: start, title: Start, action: start, target: { type: instance, id: "\${inputs.instance}" } }
  - { id: running, title: Running, wait: { target: { type: instance, id: "\${inputs.instance}" }, until: running } }
`;

const now = () => new Date();

/** `n` running dev instances in us-east-1. */
const fleetOf = (n: number): SandboxFleet => {
  const fleet = seedFleet(now());
  const model = fleet.instances.find((i) => i.tags.Name === 'web-dev-1')!;
  fleet.instances = Array.from({ length: n }, (_, k) => ({
    ...model,
    id: sandboxId('i', `bench-wf/${k}`),
    region: 'us-east-1',
    state: 'running' as const,
    tags: { Name: `run-${k}`, env: 'dev', service: 'bench' },
  }));
  fleet.volumes = [];
  return fleet;
};

console.log(
  `Workflow runs — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores, database: ${target}\n`,
);
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-wf-'));
const store = await openStore({
  databaseUrl: process.env.DATABASE_URL,
  dataDir,
  poolMax: 10,
  logger: createLogger('silent'),
});
// Describes settle a transition after 2 reads: each wait polls at least once.
const sandbox = await startSandbox({ now, fleet: fleetOf(sequential + runs), otherFleets: [], transitionDescribes: 2 });
const aws = new AwsProvider({
  regions: ['us-east-1'],
  account: '123456789012',
  endpoint: sandbox.url,
  sandbox: true,
  credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
  now,
  maxAttempts: 1,
});

// Time spent outside our code, per run: provider calls and poll sleeps, as [start, end] in epoch ms.
const run = new AsyncLocalStorage<string>();
const outside = new Map<string, Array<[number, number]>>();
const clock = () => performance.timeOrigin + performance.now();
const timed = async <T>(work: () => Promise<T>): Promise<T> => {
  const id = run.getStore();
  const t0 = clock();
  try {
    return await work();
  } finally {
    if (id) outside.set(id, [...(outside.get(id) ?? []), [t0, clock()]]);
  }
};
let actions = 0;
const runner = {
  actions: aws.actions,
  execute: (...args: Parameters<AwsProvider['execute']>) => {
    actions += 1;
    return timed(() => aws.execute(...args));
  },
  describe: (t: Parameters<NonNullable<AwsProvider['describe']>>[0]) => timed(() => aws.describe(t)),
};

try {
  const check = checkTemplate(yaml, 'bench.yaml', (p, t, a) =>
    p === 'aws' ? findAction(aws.actions, t, a) : undefined,
  );
  if (!check.ok) throw new Error(JSON.stringify(check.problems));
  const template = check.template;
  const listing = (await Promise.all(aws.sources().map((s) => aws.listSource(s)))).flat();
  const deps: PlanDeps = {
    provider: (name) => (name === 'aws' ? aws : undefined),
    resource: async (_p, type, ref) => listing.find((r) => r.type === type && (r.id === ref || r.name === ref))!,
  };
  const service = createChangeService({
    db: store.db,
    providers: (name) => (name === 'aws' ? runner : undefined),
    policy: DEFAULT_POLICY,
    approvalTtlMs: 3_600_000,
    now,
    listener: silentListener,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    executor: { id: 'bench', leaseMs: 60_000 },
    workflows: createWorkflowExecutor({
      ...deps,
      provider: (name) => (name === 'aws' ? (runner as unknown as AwsProvider) : undefined),
      db: store.db,
      now,
      template: () => template,
      waitPollMs: pollMs,
      // Poll sleeps are the emulator's time (the transition it waits for); a step's timeout timer is not.
      sleep: (waitMs) =>
        waitMs === pollMs
          ? timed(() => new Promise((r) => setTimeout(r, waitMs)))
          : new Promise((r) => setTimeout(r, waitMs).unref()),
    }),
  });
  const person = (userId: string) => ({
    surface: 'console' as const,
    workspaceId: 'bench',
    userId,
    displayName: userId,
  });
  const conversation = { surface: 'console' as const, workspaceId: 'bench', channelId: 'bench' };

  /** Files `n` runs on instances from `first`, then approves them `concurrency` at a time (two approvers each, at once). */
  const batch = async (label: string, first: number, n: number, concurrency: number) => {
    actions = 0;
    const t0 = performance.now();
    const filed = [];
    for (let k = first; k < first + n; k++) {
      const plan = workflowChangePlan(template, await planWorkflow(deps, template, { instance: `run-${k}` }));
      filed.push(await service.request(plan, person('alice'), 'operator', conversation));
    }
    const planned = performance.now() - t0;
    const t1 = performance.now();
    const decided: string[] = [];
    for (let i = 0; i < filed.length; i += concurrency)
      decided.push(
        ...(await Promise.all(
          filed.slice(i, i + concurrency).flatMap((c) =>
            ['bob', 'carol'].map((who) =>
              run.run(c.id, () =>
                service.approve(c.id, person(who), 'approver').then(
                  (r) => r.status,
                  () => 'refused',
                ),
              ),
            ),
          ),
        )),
      );
    const wall = performance.now() - t1;

    // Exactly once: one execution per run, four steps each, two cloud actions each.
    const problems: string[] = [];
    const actionOverhead: number[] = [];
    const waitOverhead: number[] = [];
    for (const c of filed) {
      const done = await service.get(c.id);
      if (done?.status !== 'succeeded') problems.push(`${c.id} ${done?.status}: ${done?.error}`);
      const executing = (await listAuditEvents(store.db, { subject: c.id })).filter(
        (e) => e.type === 'change.executing',
      );
      if (executing.length !== 1) problems.push(`${c.id} executed ${executing.length} times`);
      const steps = await listSteps(store.db, c.id);
      if (steps.length !== 4) problems.push(`${c.id} recorded ${steps.length} steps`);
      const spans = outside.get(c.id) ?? [];
      // A step's window runs from the end of the one before (for the first: the start of the run, so
      // the re-check of the plan counts) to its own end: recording a step, asking for a cancel and
      // starting the next one are the runner's overhead too.
      let from = (done?.startedAt ?? steps[0]!.startedAt).getTime();
      for (const st of steps) {
        const to = st.finishedAt.getTime();
        const spent = spans.filter(([a, b]) => a >= from - 1 && b <= to + 1).reduce((sum, [a, b]) => sum + (b - a), 0);
        (st.id === 'stop' || st.id === 'start' ? actionOverhead : waitOverhead).push(Math.max(0, to - from - spent));
        from = to;
      }
    }
    if (actions !== n * 2) problems.push(`${actions} cloud actions for ${n} runs (expected ${n * 2})`);
    const refused = decided.filter((x) => x === 'refused').length;
    console.log(`${label}`);
    console.log(`  filed one by one: ${ms(planned)} (${ms(planned / n)} each, planned against the inventory)`);
    console.log(
      `  approved by two approvers at once each (${n * 2} approvals, ${refused} found it already decided); all ran in ${ms(wall)}`,
    );
    console.log(
      `  exactly once: ${problems.length === 0 ? `yes (${n} executions, ${n * 4} step records, ${actions} cloud actions)` : `NO\n    ${problems.slice(0, 10).join('\n    ')}`}`,
    );
    const all = summarize([...actionOverhead, ...waitOverhead]);
    const a = summarize(actionOverhead);
    const w = summarize(waitOverhead);
    console.log(`  step overhead beyond the emulator (database ms timestamps):`);
    console.log(
      `    all ${all.n} steps: p50 ${ms(all.p50)}  p90 ${ms(all.p90)}  p99 ${ms(all.p99)}  max ${ms(all.max)}`,
    );
    console.log(`    ${a.n} actions:     p50 ${ms(a.p50)}  p90 ${ms(a.p90)}  p99 ${ms(a.p99)}  max ${ms(a.max)}`);
    console.log(`    ${w.n} waits:       p50 ${ms(w.p50)}  p90 ${ms(w.p90)}  p99 ${ms(w.p99)}  max ${ms(w.max)}\n`);
    if (problems.length) process.exitCode = 1;
  };

  await batch(`${sequential} runs one at a time (the engine's own cost per step)`, 0, sequential, 1);
  await batch(`${runs} runs at once (every approval clicked together)`, sequential, runs, runs);
} finally {
  aws.destroy();
  await sandbox.stop();
  await store.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
