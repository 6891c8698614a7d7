import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { recordCostSnapshot } from '../src/analytics/views/cost-history.ts';
import { createDashboardData } from '../src/analytics/views/dashboard.ts';
import type { DashboardData, ViewName, Viewer } from '../src/analytics/views/model.ts';
import type { Actor } from '../src/chat/actor.ts';
import { DEFAULT_POLICY, evaluatePolicy } from '../src/changes/policy.ts';
import { recordBaseline } from '../src/cloud/drift.ts';
import { resourceRepository } from '../src/cloud/repository.ts';
import type { Resource } from '../src/cloud/resource.ts';
import { applySignal } from '../src/incidents/repository.ts';
import type { IncidentSignal } from '../src/incidents/model.ts';
import { createLogger } from '../src/observability/logger.ts';
import { runScan } from '../src/scans/engine.ts';
import { builtInFrameworks, type Framework } from '../src/scans/frameworks/index.ts';
import { builtInRules } from '../src/scans/rules/index.ts';
import type { Db } from '../src/store/db.ts';
import { vacuumIfNeeded } from '../src/store/maintenance.ts';
import { sql } from '../src/store/orm.ts';
import { openStore } from '../src/store/open.ts';
import type { ChangePlan } from '../src/tools/change-plan.ts';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.ts';
import { createHttpServer } from '../src/http/server.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { createWebAuth } from '../src/surfaces/dashboard/auth/web-auth.ts';
import { createDashboard } from '../src/surfaces/dashboard/dashboard.ts';
import { createDashboardAuthStore } from '../src/surfaces/dashboard/store/sessions.ts';
import { measureDashboardPaint, paintReport } from './dashboard-paint.ts';
import { benchDatabase } from './inventory.ts';
import { ms, summarize } from './stats.ts';

/**
 * Issue 18's API figures: `DashboardData.view()` of every view over 100,000 resources, 10,000
 * change requests, a scan's findings, incidents, a drift baseline and a month of cost snapshots,
 * on embedded PGlite and (with DATABASE_URL) PostgreSQL in a fresh database. `seedDashboard` is
 * exported for the page's first-paint measurement over the same data.
 */

export const benchNow = new Date('2026-12-10T12:00:00Z');
const DAY_MS = 86_400_000;

/** The workspace the seeded changes, findings and incidents belong to, and people in it. */
export const benchWorkspace = 'TBENCH';
const person = (userId: string, workspaceId = benchWorkspace): Actor => ({
  surface: 'slack',
  workspaceId,
  userId,
  displayName: `${userId[0]!.toUpperCase()}${userId.slice(1)}`,
});
/** An approver of the bench workspace (sees Approve and Reject on others' requests). */
export const benchApprover: Viewer = { actor: person('approver1'), role: 'approver' };

const providers = ['aws', 'aws', 'aws', 'azure', 'gcp'] as const;
const envs = ['prod', 'dev', 'staging', 'test'] as const;

/** `count` resources across three clouds, ten accounts each, four environments and 50 services. */
export const benchResources = (count: number, now = benchNow): Resource[] =>
  Array.from({ length: count }, (_, k) => {
    const provider = providers[k % providers.length]!;
    const type = (
      [
        'instance',
        'instance',
        'volume',
        'volume',
        'volume',
        'snapshot',
        'security_group',
        'bucket',
        'database',
        'ip_address',
      ] as const
    )[Math.floor(k / 5) % 10]!;
    const env = envs[Math.floor(k / 7) % envs.length]!;
    const attributes: Record<string, unknown> =
      type === 'volume'
        ? {
            sizeGb: 100,
            volumeType: 'gp3',
            encrypted: k % 13 !== 0,
            createTime: new Date(now.getTime() - 90 * DAY_MS).toISOString(),
            ...(k % 17 ? { attachedTo: `i-${k}` } : {}),
          }
        : type === 'security_group'
          ? { ingress: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: k % 11 ? ['10.0.0.0/8'] : ['0.0.0.0/0'] }] }
          : type === 'instance'
            ? { instanceType: 't3.large', httpTokens: k % 9 ? 'required' : 'optional' }
            : {};
    if (k % 97 === 0) attributes.priced = false;
    return {
      provider,
      account: `${provider}-acct-${k % 10}`,
      region:
        provider === 'aws' ? (k % 3 ? 'us-east-1' : 'eu-west-1') : provider === 'azure' ? 'westeurope' : 'europe-west1',
      type,
      id: `${type.slice(0, 3)}-${k.toString(16).padStart(10, '0')}`,
      name: `${type}-${k}`,
      state:
        type === 'volume'
          ? k % 17
            ? 'in-use'
            : 'available'
          : type === 'instance' && k % 7 === 0
            ? 'stopped'
            : 'running',
      tags: { env, service: `svc-${k % 50}`, owner: `team-${k % 12}`, Name: `${type}-${k}` },
      environment: env,
      monthlyCostCents: k % 97 === 0 ? 0 : (k % 100) * 37 + 100,
      attributes,
      seenAt: now,
    };
  });

/** The rules the bench scan runs: real ones over the types seeded (a few thousand findings). */
const benchRuleIds = new Set(['aws.ebs.encrypted', 'aws.sg.admin_ports', 'aws.ec2.imdsv2', 'cost.ebs.unattached']);

/** The frameworks the views score (the shipped ones, as config.frameworks gives them). */
export const benchFrameworks = (): readonly Framework[] => builtInFrameworks(new Set(builtInRules.map((r) => r.id)));

/**
 * `count` change requests in the workspace (and a tenth as many in another), 2 % pending, the
 * rest ended, stored in bulk as the change service stores them (its policy evaluation, its
 * columns; no audit events, which the dashboard does not read).
 */
const seedChanges = async (db: Db, resources: readonly Resource[], count: number, now: Date): Promise<void> => {
  const statuses = ['succeeded', 'succeeded', 'succeeded', 'failed', 'rejected', 'expired', 'succeeded', 'rolled_back'];
  const rows = Array.from({ length: Math.round(count * 1.1) }, (_, k) => {
    const r = resources[(k * 7919) % resources.length]!;
    const workspaceId = k < count ? benchWorkspace : 'TOTHER';
    const requester = person(`user${k % 20}`, workspaceId);
    const action = (['stop', 'start', 'reboot', 'resize'] as const)[k % 4]!;
    const plan: ChangePlan = {
      action,
      target: { provider: r.provider, account: r.account, region: r.region, type: r.type, id: r.id },
      resourceName: r.name,
      environment: r.environment,
      params: action === 'resize' ? { size: 't3.xlarge' } : {},
      summary: `${action} ${r.name}`,
      blastRadius: `${r.name} is briefly unavailable`,
      costDeltaCents: action === 'resize' ? 3000 : 0,
      rollback: null,
    };
    const decision = evaluatePolicy(DEFAULT_POLICY, plan, 'operator');
    if (!decision.allowed) throw new Error(decision.reason);
    const { allowed: _allowed, ...policy } = decision;
    const createdAt = new Date(now.getTime() - (count - (k % count)) * 60_000);
    const status = k % 50 === 0 ? 'pending' : statuses[k % statuses.length]!;
    return {
      workspace_id: workspaceId,
      status,
      action,
      target: plan.target,
      resource_name: plan.resourceName,
      environment: plan.environment,
      params: plan.params,
      summary: plan.summary,
      blast_radius: plan.blastRadius,
      cost_delta_cents: plan.costDeltaCents,
      requester,
      requester_key: `slack:${workspaceId}:${requester.userId}`,
      conversation: { surface: 'slack', workspaceId, channelId: 'CBENCH' },
      policy,
      approvals_required: policy.approvals,
      expires_at: new Date(createdAt.getTime() + 30 * DAY_MS).toISOString(),
      created_at: createdAt.toISOString(),
      finished_at: status === 'pending' ? null : new Date(createdAt.getTime() + 120_000).toISOString(),
    };
  });
  for (let i = 0; i < rows.length; i += 2000)
    await db.execute(sql`
      insert into change_requests (workspace_id, status, action, target, resource_name, environment, params, summary,
        blast_radius, cost_delta_cents, requester, requester_key, conversation, policy, approvals_required, expires_at,
        created_at, updated_at, finished_at)
      select workspace_id, status, action, target, resource_name, environment, params, summary, blast_radius,
        cost_delta_cents, requester, requester_key, conversation, policy, approvals_required, expires_at, created_at,
        coalesce(finished_at, created_at), finished_at
      from json_to_recordset(${JSON.stringify(rows.slice(i, i + 2000))}::json) as x(workspace_id text, status text,
        action text, target jsonb, resource_name text, environment text, params jsonb, summary text, blast_radius text,
        cost_delta_cents integer, requester jsonb, requester_key text, conversation jsonb, policy jsonb,
        approvals_required integer, expires_at timestamptz, created_at timestamptz, finished_at timestamptz)`);
  // One approval for each request that was approved.
  await db.execute(sql`
    insert into approvals (change_id, approver_key, approver, decision, created_at)
    select id, 'slack:' || workspace_id || ':approver2',
      jsonb_build_object('surface', 'slack', 'workspaceId', workspace_id, 'userId', 'approver2', 'displayName', 'Approver2'),
      case when status = 'rejected' then 'rejected' else 'approved' end, created_at + interval '1 minute'
    from change_requests where status in ('succeeded', 'failed', 'rejected', 'rolled_back')`);
};

/** `count` incidents of the workspace over the last 30 days, through the incident repository. */
const seedIncidents = async (db: Db, count: number, now: Date): Promise<void> => {
  const channel = { surface: 'slack' as const, workspaceId: benchWorkspace, channelId: 'CINC' };
  for (let k = 0; k < count; k++) {
    const opened = new Date(now.getTime() - ((k * 37) % 30) * DAY_MS - (k % 24) * 3_600_000);
    const base: IncidentSignal = {
      source: 'pagerduty',
      eventId: `bench-${k}-t`,
      kind: 'triggered',
      occurredAt: opened,
      externalId: `PBENCH${k}`,
      title: `Errors on svc-${k % 50}`,
      service: `svc-${k % 15}`,
      urgency: k % 3 ? 'low' : 'high',
      labels: {},
      resources: [],
    };
    await applySignal(db, base, benchWorkspace, channel, opened);
    if (k % 10 === 0) continue;
    const ack = new Date(opened.getTime() + ((k % 30) + 1) * 60_000);
    await applySignal(
      db,
      { ...base, eventId: `bench-${k}-a`, kind: 'acknowledged', status: 'acknowledged', occurredAt: ack },
      benchWorkspace,
      channel,
      ack,
    );
    if (k % 5 === 0) continue;
    const resolved = new Date(ack.getTime() + ((k % 12) + 1) * 600_000);
    await applySignal(
      db,
      { ...base, eventId: `bench-${k}-r`, kind: 'resolved', status: 'resolved', occurredAt: resolved },
      benchWorkspace,
      channel,
      resolved,
    );
  }
};

export interface DashboardSeedOptions {
  resources: number;
  changes: number;
  incidents: number;
  now?: Date;
  /** The store is embedded PGlite: vacuum what was written, as the app's jobs do there. */
  embedded: boolean;
  log?: (line: string) => void;
}

/**
 * Seeds a migrated, empty database for the dashboard: the inventory (three clouds), 30 daily
 * cost snapshots, a scan of real rules (findings), a drift baseline with 1 % of the estate
 * changed since, change requests and incidents in `benchWorkspace`.
 */
export const seedDashboard = async (db: Db, o: DashboardSeedOptions): Promise<void> => {
  const now = o.now ?? benchNow;
  const log = o.log ?? (() => {});
  let t = performance.now();
  const step = (what: string) => {
    log(`   seeded ${what} in ${ms(performance.now() - t)}`);
    t = performance.now();
  };
  const resources = benchResources(o.resources, new Date(now.getTime() - DAY_MS));
  const repo = resourceRepository(db);
  for (const provider of ['aws', 'azure', 'gcp'] as const)
    await repo.replaceListing(
      { key: `${provider}:bench:all`, provider, region: 'all' },
      resources.filter((r) => r.provider === provider),
      new Date(now.getTime() - DAY_MS),
    );
  step(`${o.resources.toLocaleString('en-US')} resources`);
  await recordBaseline(db, {}, 'bench', new Date(now.getTime() - DAY_MS));
  // 1 % of the estate drifts after the baseline: stopped, or retagged.
  for (const r of resources.filter((_, k) => k % 100 === 1))
    await repo.upsertOne({
      ...r,
      state: r.state === 'running' ? 'stopped' : r.state,
      tags: { ...r.tags, service: 'moved' },
      seenAt: now,
    });
  step('a drift baseline and 1 % drift');
  for (let d = 30; d >= 1; d--) await recordCostSnapshot(db, new Date(now.getTime() - d * DAY_MS));
  step('30 daily cost snapshots');
  const scan = await runScan(
    {
      db,
      rules: builtInRules.filter((r) => benchRuleIds.has(r.id)),
      thresholds: new Map(),
      now: () => now,
      runner: 'bench',
    },
    { workspaceId: benchWorkspace, category: 'all', startedBy: 'bench' },
  );
  step(`a scan (${scan.openFindings.toLocaleString('en-US')} open findings)`);
  await seedChanges(db, resources, o.changes, now);
  step(`${o.changes.toLocaleString('en-US')} change requests (+10 % in another workspace)`);
  await seedIncidents(db, o.incidents, now);
  step(`${o.incidents} incidents`);
  if (o.embedded)
    await vacuumIfNeeded(db, [
      'resources',
      'findings',
      'change_requests',
      'approvals',
      'incidents',
      'baseline_resources',
    ]);
};

/** Each view's default query and one filtered, sorted page. */
export const benchQueries: [ViewName, Record<string, string>][] = [
  ['overview', {}],
  ['inventory', {}],
  ['inventory', { provider: 'aws', environment: 'prod', sort: 'name', dir: 'asc', offset: '1000', limit: '50' }],
  ['costs', {}],
  ['costs', { by: 'account', sort: 'name', dir: 'asc' }],
  ['findings', {}],
  ['findings', { category: 'security', severity: 'critical', sort: 'resource', dir: 'desc', offset: '50' }],
  ['compliance', {}],
  ['compliance', { framework: 'cis-aws', sort: 'control', dir: 'asc' }],
  ['drift', {}],
  ['drift', { kind: 'changed', sort: 'name', dir: 'asc', offset: '100' }],
  ['approvals', {}],
  ['approvals', { environment: 'prod', sort: 'expires', dir: 'desc' }],
  ['changes', {}],
  ['changes', { status: 'succeeded', environment: 'prod', sort: 'requester', dir: 'asc', offset: '500' }],
  ['incidents', {}],
  ['incidents', { status: 'resolved', sort: 'ttr', dir: 'desc', limit: '100' }],
];

const measure = async (data: DashboardData, runs: number): Promise<void> => {
  for (const [name, query] of benchQueries) {
    for (let i = 0; i < 3; i++) await data.view(benchApprover, name, query); // warm-up
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await data.view(benchApprover, name, query);
      times.push(performance.now() - t0);
    }
    const s = summarize(times);
    const q = new URLSearchParams(query).toString();
    console.log(
      `   ${`${name}${q ? `?${q}` : ''}`.padEnd(96)} p50 ${ms(s.p50).padStart(9)}  p90 ${ms(s.p90).padStart(9)}  p99 ${ms(s.p99).padStart(9)}`,
    );
  }
};

/**
 * First meaningful paint of the dashboard in Chromium over the seeded data: the app's own HTTP
 * server, sign-in and dashboard routes over the same data, a session of the bench's approver
 * (written straight into the session table), each page loaded cold `runs` times.
 */
const measurePaint = async (db: Db, data: DashboardData, runs: number): Promise<void> => {
  const logger = createLogger('silent');
  const store = createDashboardAuthStore(db);
  const auth = createWebAuth({ store, roleOf: async () => benchApprover.role, clock: () => benchNow, logger });
  const dashboard = createDashboard({
    data,
    auth,
    engine: { handleInteraction: async () => [] },
  });
  const http = createHttpServer({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', CONSOLE_ENABLED: 'false' }),
    logger,
    metrics: createMetrics(),
    ready: async () => undefined,
    routes: [...auth.routes, ...dashboard.routes],
  });
  const { port } = await http.listen();
  const id = randomBytes(32).toString('base64url');
  const a = benchApprover.actor;
  await store.createSession(id, {
    surface: a.surface,
    workspaceId: a.workspaceId,
    userId: a.userId,
    displayName: a.displayName,
    via: 'slack',
    csrfToken: randomBytes(32).toString('base64url'),
    createdAt: benchNow,
    expiresAt: new Date(benchNow.getTime() + 86_400_000),
    lastSeenAt: benchNow,
  });
  try {
    for (const page of ['/dashboard', '/dashboard/inventory', '/dashboard/changes', '/dashboard/approvals']) {
      const s = await measureDashboardPaint({
        baseUrl: `http://127.0.0.1:${port}`,
        cookie: `devops_agent_session=${id}`,
        path: page,
        runs,
      });
      const wrong = s.samples.find((x) => x.status !== 200 || x.finalPath !== page);
      if (wrong) throw new TypeError(`${page} answered ${wrong.status} at ${wrong.finalPath}`);
      console.log(`   first paint of ${page} in Chromium, ${runs} cold loads:`);
      for (const line of paintReport(s)) console.log(`     ${line}`);
    }
  } finally {
    await http.close();
  }
};

export const benchDashboard = async (opts: {
  resources: number;
  changes: number;
  incidents: number;
  runs: number;
  paintRuns: number;
}) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-dash-'));
  const database = await benchDatabase();
  const store = await openStore({ databaseUrl: database.url, dataDir, poolMax: 10, logger: createLogger('silent') });
  try {
    await seedDashboard(store.db, { ...opts, embedded: store.embedded, log: console.log });
    const data = createDashboardData({ db: store.db, now: () => benchNow, frameworks: benchFrameworks() });
    console.log(`   view() one at a time, ${opts.runs} runs each after 3 warm-ups:`);
    await measure(data, opts.runs);
    if (opts.paintRuns > 0) await measurePaint(store.db, data, opts.paintRuns);
  } finally {
    await store.close();
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
};

if (import.meta.main) {
  console.log(
    `Dashboard data benchmarks — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores, database: ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}`,
  );
  await benchDashboard({
    resources: Number(process.env.BENCH_DASHBOARD_RESOURCES ?? 100_000),
    changes: Number(process.env.BENCH_DASHBOARD_CHANGES ?? 10_000),
    incidents: Number(process.env.BENCH_DASHBOARD_INCIDENTS ?? 300),
    runs: Number(process.env.BENCH_DASHBOARD_RUNS ?? 50),
    paintRuns: Number(process.env.BENCH_DASHBOARD_PAINT_RUNS ?? 20),
  });
}
