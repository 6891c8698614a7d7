import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Actor, ConversationRef, Role } from '../../src/chat/actor.ts';
import { computeDrift, recordBaseline } from '../../src/cloud/drift.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { DEFAULT_POLICY } from '../../src/changes/policy.ts';
import { createChangeService, type ChangeService } from '../../src/changes/service.ts';
import { AppError } from '../../src/errors.ts';
import { applySignal } from '../../src/incidents/repository.ts';
import type { IncidentSignal } from '../../src/incidents/model.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { sql } from '../../src/store/orm.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { runScan } from '../../src/scans/engine.ts';
import { Framework } from '../../src/scans/frameworks/index.ts';
import { fail, pass, type Rule } from '../../src/scans/rule.ts';
import { createDashboardData, recordCostSnapshot } from '../../src/analytics/views/dashboard.ts';
import type { DashboardData, Table, View, Viewer } from '../../src/analytics/views/model.ts';
import { countingProvider, recordingListener } from '../fixtures/changes-harness.ts';
import { planFor } from '../fixtures/changes-plans.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';

// The dashboard's views over a real store (PGlite, or PostgreSQL with DATABASE_URL), seeded
// through the capabilities' own repositories and services: inventory syncs, cost snapshots,
// a scan, change requests, incident signals and a drift baseline.

const now = new Date('2026-12-10T12:00:00Z');
let clock = now;
let store: TestStore;
let data: DashboardData;
let changes: ChangeService;

const person = (userId: string, workspaceId = 'T1'): Actor => ({
  surface: 'slack',
  workspaceId,
  userId,
  displayName: userId[0]!.toUpperCase() + userId.slice(1),
});
const conversationIn = (workspaceId: string): ConversationRef => ({ surface: 'slack', workspaceId, channelId: 'C1' });
const viewer = (userId: string, role: Role, workspaceId = 'T1'): Viewer => ({
  actor: person(userId, workspaceId),
  role,
});

const alice = viewer('alice', 'operator');
const bob = viewer('bob', 'approver');
const carol = viewer('carol', 'approver');
const dave = viewer('dave', 'viewer');
const zed = viewer('zed', 'approver', 'T2');

const res = (over: Partial<Resource> & Pick<Resource, 'type' | 'id'>): Resource => ({
  provider: 'aws',
  account: '111111111111',
  region: 'us-east-1',
  name: over.id,
  state: 'running',
  tags: {},
  environment: 'prod',
  monthlyCostCents: 0,
  attributes: {},
  seenAt: clock,
  ...over,
});

const awsEast = [
  res({
    type: 'instance',
    id: 'i-web1',
    name: 'web-1',
    tags: { service: 'web', owner: 'web-team' },
    monthlyCostCents: 10_000,
  }),
  res({
    type: 'instance',
    id: 'i-web2',
    name: 'web-2',
    tags: { service: 'web', owner: 'web-team' },
    monthlyCostCents: 5_000,
  }),
  res({ type: 'database', id: 'db-1', tags: { service: 'db', owner: 'data' }, monthlyCostCents: 20_000 }),
  res({
    type: 'volume',
    id: 'vol-1',
    state: 'available',
    environment: 'dev',
    tags: { owner: 'data' },
    monthlyCostCents: 1_000,
  }),
  res({ type: 'kms_key', id: 'key-1', attributes: { priced: false } }),
  res({ type: 'security_group', id: 'sg-1', attributes: { open: true }, tags: { owner: 'web-team' } }),
];
const awsWest = [
  res({
    type: 'instance',
    id: 'i-batch',
    name: 'batch-1',
    account: '222222222222',
    region: 'eu-west-1',
    environment: 'staging',
    tags: { service: 'batch' },
    monthlyCostCents: 3_000,
  }),
];
const gcp = [
  res({
    provider: 'gcp',
    type: 'instance',
    id: 'vm-g',
    account: 'proj-a',
    region: 'europe-west1',
    tags: { service: 'web' },
    monthlyCostCents: 7_000,
  }),
];

const rules: Rule[] = [
  {
    id: 'test.sg.open',
    title: 'Open to the world',
    category: 'security',
    provider: 'aws',
    types: ['security_group'],
    severity: 'critical',
    remediation: 'Close it.',
    evaluate: (r) => (r.attributes.open ? fail({ open: true }, 'open to 0.0.0.0/0') : pass({})),
  },
  {
    id: 'test.volume.unattached',
    title: 'Unattached volume',
    category: 'cost',
    provider: 'aws',
    types: ['volume'],
    severity: 'medium',
    remediation: 'Delete it.',
    evaluate: (r) => (r.state === 'available' ? fail({}, 'unattached', { savingCents: r.monthlyCostCents }) : pass({})),
  },
  {
    id: 'test.instance.tagged',
    title: 'Instances name their service',
    category: 'security',
    provider: 'aws',
    types: ['instance'],
    severity: 'low',
    remediation: 'Tag it.',
    evaluate: (r) => (r.tags.service ? pass({}) : fail({}, 'no service tag')),
  },
];

const framework = Framework.parse({
  id: 'test-fw',
  name: 'Test framework',
  version: '1.0',
  source: 'written for this test',
  sections: [{ id: '1', title: 'Network and tagging' }],
  requirements: [
    { id: '1.1', section: '1', title: 'No security group open to the world', rules: ['test.sg.open'] },
    { id: '1.2', section: '1', title: 'Instances are tagged', rules: ['test.instance.tagged'] },
  ],
});

const signal = (
  over: Partial<IncidentSignal> & Pick<IncidentSignal, 'eventId' | 'externalId' | 'kind'>,
): IncidentSignal => ({
  source: 'pagerduty',
  occurredAt: clock,
  title: 'API errors',
  service: 'api',
  urgency: 'high',
  labels: {},
  resources: [],
  ...over,
});

const ids = { a: '', b: '', c: '', t2: '' };

beforeAll(async () => {
  store = await createTestStore();
  const repo = resourceRepository(store.db);
  const source = (key: string, provider: Resource['provider'], region: string) => ({ key, provider, region });
  // The inventory as it was in November (no GCP yet): two daily snapshots of it.
  clock = new Date('2026-11-25T08:00:00Z');
  await repo.replaceListing(source('aws:111111111111:us-east-1', 'aws', 'us-east-1'), awsEast, clock);
  await repo.replaceListing(source('aws:222222222222:eu-west-1', 'aws', 'eu-west-1'), awsWest, clock);
  await recordCostSnapshot(store.db, clock);
  clock = new Date('2026-12-01T08:00:00Z');
  await recordCostSnapshot(store.db, clock);
  // The same day's later sync replaces that day's snapshot (still the same totals here).
  await recordCostSnapshot(store.db, new Date('2026-12-01T20:00:00Z'));
  clock = now;
  await repo.replaceListing(source('gcp:proj-a:all', 'gcp', 'europe-west1'), gcp, clock);

  await runScan(
    { db: store.db, rules, thresholds: new Map(), now: () => clock, runner: 'test' },
    { workspaceId: 'T1', category: 'all', startedBy: 'test' },
  );

  changes = createChangeService({
    db: store.db,
    providers: new Map([['aws', countingProvider()]]),
    policy: DEFAULT_POLICY,
    approvalTtlMs: 7 * 86_400_000,
    now: () => clock,
    listener: recordingListener(),
    logger: createLogger('silent'),
    metrics: createMetrics(),
    executor: { id: 'test', leaseMs: 60_000 },
  });
  const target = (r: Resource) => ({
    provider: r.provider,
    account: r.account,
    region: r.region,
    type: r.type,
    id: r.id,
  });
  clock = new Date('2026-12-10T09:00:00Z');
  ids.a = (
    await changes.request(
      planFor({ target: target(awsEast[0]!), resourceName: 'web-1', summary: 'Stop web-1' }),
      alice.actor,
      'operator',
      conversationIn('T1'),
    )
  ).id;
  clock = new Date('2026-12-10T10:00:00Z');
  ids.b = (
    await changes.request(
      planFor({
        target: target(awsEast[2]!),
        resourceName: 'db-1',
        action: 'reboot',
        summary: 'Reboot db-1',
        rollback: null,
      }),
      bob.actor,
      'approver',
      conversationIn('T1'),
    )
  ).id;
  ids.c = (
    await changes.request(
      planFor({
        target: target(awsWest[0]!),
        resourceName: 'batch-1',
        environment: 'staging',
        summary: 'Stop batch-1',
      }),
      alice.actor,
      'operator',
      conversationIn('T1'),
    )
  ).id;
  await changes.approve(ids.c, carol.actor, 'approver');
  ids.t2 = (
    await changes.request(
      planFor({ target: target(awsEast[1]!), resourceName: 'web-2', summary: 'Stop web-2 from T2' }),
      zed.actor,
      'approver',
      conversationIn('T2'),
    )
  ).id;

  const channel = conversationIn('T1');
  await applySignal(
    store.db,
    signal({ eventId: 'e1', externalId: 'P1', kind: 'triggered', occurredAt: new Date('2026-12-10T10:00:00Z') }),
    'T1',
    channel,
    new Date('2026-12-10T10:00:00Z'),
  );
  await applySignal(
    store.db,
    signal({
      eventId: 'e2',
      externalId: 'P1',
      kind: 'acknowledged',
      status: 'acknowledged',
      occurredAt: new Date('2026-12-10T10:05:00Z'),
    }),
    'T1',
    channel,
    new Date('2026-12-10T10:05:00Z'),
  );
  await applySignal(
    store.db,
    signal({
      eventId: 'e3',
      externalId: 'P2',
      kind: 'triggered',
      service: 'db',
      urgency: 'low',
      occurredAt: new Date('2026-12-09T08:00:00Z'),
    }),
    'T1',
    channel,
    new Date('2026-12-09T08:00:00Z'),
  );
  await applySignal(
    store.db,
    signal({
      eventId: 'e4',
      externalId: 'P2',
      kind: 'resolved',
      status: 'resolved',
      service: 'db',
      urgency: 'low',
      occurredAt: new Date('2026-12-09T10:00:00Z'),
    }),
    'T1',
    channel,
    new Date('2026-12-09T10:00:00Z'),
  );
  await applySignal(
    store.db,
    signal({ eventId: 'e5', externalId: 'P9', kind: 'triggered', service: 'other-ws', occurredAt: clock }),
    'T2',
    conversationIn('T2'),
    clock,
  );
  clock = now;
  // Nothing kept between requests here (the memo has its own test below): each view reads what the test just wrote.
  data = createDashboardData({
    db: store.db,
    now: () => clock,
    frameworks: [framework],
    ownerTags: ['owner', 'team'],
    cacheMs: 0,
  });
}, testStoreTimeoutMs);
afterAll(() => store?.dispose());

/** The AppError a promise rejects with. */
const failure = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
};

const table = (v: View, id: string): Table => {
  const t = v.tables.find((x) => x.id === id);
  if (!t) throw new Error(`no table ${id} in ${v.name}: ${v.tables.map((x) => x.id).join(', ')}`);
  return t;
};
const figure = (v: View, id: string) => {
  const f = v.figures.find((x) => x.id === id);
  if (!f) throw new Error(`no figure ${id} in ${v.name}: ${v.figures.map((x) => x.id).join(', ')}`);
  return f;
};
const column = (t: Table, key: string) => t.rows.map((r) => r.cells[key]?.text);

describe('overview', () => {
  test('top figures, each with a link, charts and short tables with "more" links', async () => {
    const v = await data.view(carol, 'overview', {});
    expect(v.name).toBe('overview');
    expect(v.generatedAt).toBe(now.toISOString());
    expect(v.figures.map((f) => [f.id, f.value])).toEqual([
      ['resources', '8'],
      ['monthly-cost', '$460.00'],
      ['open-findings', '2'],
      ['savings', '$10.00/mo'],
      ['compliance', '50 %'],
      ['drift', '–'],
      ['pending-approvals', '2'],
      ['open-incidents', '1'],
    ]);
    for (const f of v.figures) expect(f.link).toBeDefined();
    expect(figure(v, 'monthly-cost').detail).toBe('+17.9 % since 25 Nov · forecast $448.11 by 31 Dec');
    expect(figure(v, 'compliance')).toMatchObject({ link: { view: 'compliance', query: { framework: 'test-fw' } } });
    expect(figure(v, 'drift').detail).toBe('no baseline recorded');
    expect(figure(v, 'open-incidents').link).toEqual({ view: 'incidents', query: { status: 'open' } });
    const byProvider = v.charts.find((c) => c.id === 'cost-by-provider')!;
    expect(byProvider.categories).toEqual(['aws', 'gcp']);
    expect(byProvider.series[0]!.values).toEqual([390, 70]);
    expect(byProvider.links).toEqual([
      { view: 'inventory', query: { provider: 'aws' } },
      { view: 'inventory', query: { provider: 'gcp' } },
    ]);
    const trend = v.charts.find((c) => c.id === 'cost-trend')!;
    expect(trend.categories).toHaveLength(30);
    expect(trend.series[0]!.values.filter((x) => x !== null)).toEqual([390, 390, 460]);
    expect(table(v, 'approvals').more).toEqual({ view: 'approvals' });
    expect(table(v, 'approvals').rows.map((r) => r.id)).toEqual([ids.a, ids.b]);
    expect(column(table(v, 'changes'), 'id')).toEqual([ids.c, ids.b, ids.a]);
    expect(table(v, 'changes').more).toEqual({ view: 'changes' });
    expect(column(table(v, 'incidents'), 'number')).toEqual(['INC-1', 'INC-2']);
  });

  test('another workspace sees its own changes and incidents, and the shared inventory', async () => {
    const v = await data.view(zed, 'overview', {});
    expect(figure(v, 'resources').value).toBe('8');
    expect(figure(v, 'pending-approvals').value).toBe('1');
    expect(figure(v, 'open-findings').value).toBe('0');
    expect(column(table(v, 'changes'), 'id')).toEqual([ids.t2]);
    expect(column(table(v, 'incidents'), 'service')).toEqual(['other-ws']);
  });
});

describe('inventory', () => {
  test('by provider, account, environment and service, with the resources most expensive first', async () => {
    const v = await data.view(dave, 'inventory', {});
    const chart = (id: string) => v.charts.find((c) => c.id === id)!;
    expect(chart('by-provider').categories).toEqual(['aws', 'gcp']);
    expect(chart('by-provider').series[0]!.values).toEqual([7, 1]);
    expect(chart('by-account').categories).toEqual(['aws 111111111111', 'aws 222222222222', 'gcp proj-a']);
    expect(chart('by-account').links![0]).toEqual({
      view: 'inventory',
      query: { provider: 'aws', account: '111111111111' },
    });
    expect(chart('by-environment').categories).toEqual(['prod', 'dev', 'staging']);
    expect(chart('by-service').categories).toEqual(['untagged', 'web', 'batch', 'db']);
    expect(chart('by-service').links![1]).toEqual({ view: 'inventory', query: { service: 'web' } });
    const t = table(v, 'resources');
    expect(t.paging).toEqual({ offset: 0, limit: 50, total: 8 });
    expect(t.sort).toEqual({ key: 'cost', dir: 'desc' });
    expect(column(t, 'name').slice(0, 3)).toEqual(['db-1', 'web-1', 'vm-g']);
    expect(t.rows.find((r) => r.id === 'aws:111111111111:key-1')!.cells.cost!.text).toBe('unpriced');
    expect(t.rows[0]!.cells.name!.link).toEqual({
      view: 'inventory',
      query: { provider: 'aws', account: '111111111111', name: 'db-1' },
    });
    expect(t.filters!.map((f) => f.name)).toEqual([
      'provider',
      'account',
      'region',
      'type',
      'environment',
      'service',
      'state',
      'priced',
      'name',
    ]);
    expect(figure(v, 'unpriced')).toMatchObject({ value: '1', link: { view: 'inventory', query: { priced: 'no' } } });
  });

  test('filters, sorting and paging happen on the server', async () => {
    const v = await data.view(dave, 'inventory', {
      provider: 'aws',
      type: 'instance',
      sort: 'name',
      dir: 'asc',
      limit: '2',
    });
    const t = table(v, 'resources');
    expect(column(t, 'name')).toEqual(['batch-1', 'web-1']);
    expect(t.paging).toEqual({ offset: 0, limit: 2, total: 3 });
    expect(t.filters!.find((f) => f.name === 'provider')!.value).toBe('aws');
    const next = table(
      await data.view(dave, 'inventory', {
        provider: 'aws',
        type: 'instance',
        sort: 'name',
        dir: 'asc',
        limit: '2',
        offset: '2',
      }),
      'resources',
    );
    expect(column(next, 'name')).toEqual(['web-2']);
    expect(
      column(
        table(
          await data.view(dave, 'inventory', { service: 'web', environment: 'prod', sort: 'cost', dir: 'asc' }),
          'resources',
        ),
        'name',
      ),
    ).toEqual(['web-2', 'vm-g', 'web-1']);
    expect(column(table(await data.view(dave, 'inventory', { name: 'WEB' }), 'resources'), 'name')).toEqual([
      'web-1',
      'web-2',
    ]);
    expect(column(table(await data.view(dave, 'inventory', { priced: 'no' }), 'resources'), 'name')).toEqual(['key-1']);
    // An empty value is "any".
    expect(table(await data.view(dave, 'inventory', { provider: '', name: '' }), 'resources').paging!.total).toBe(8);
  });
});

describe('costs', () => {
  test('monthly cost now, its trend, the forecast and the breakdown with unpriced resources named', async () => {
    const v = await data.view(dave, 'costs', {});
    expect(figure(v, 'monthly-cost').value).toBe('$460.00');
    expect(figure(v, 'forecast')).toMatchObject({
      label: 'Forecast for December',
      value: '$448.11',
      detail: '$122.96 accrued so far',
    });
    expect(figure(v, 'unpriced').value).toBe('1');
    const month = v.charts.find((c) => c.id === 'month-forecast')!;
    expect(month.categories).toHaveLength(31);
    expect(month.series.map((s) => s.style)).toEqual(['actual', 'forecast']);
    expect(month.series[1]!.values.at(-1)).toBe(448.11);
    const t = table(v, 'breakdown');
    expect(t.title).toBe('Monthly cost by service');
    expect(column(t, 'name')).toEqual(['web', 'db', 'batch', 'untagged']);
    expect(column(t, 'cost')).toEqual(['$220.00', '$200.00', '$30.00', '$10.00']);
    expect(t.rows[0]!.cells.name!.link).toEqual({ view: 'inventory', query: { service: 'web' } });
    expect(t.rows[3]!.cells.unpriced).toEqual({
      text: '1',
      link: { view: 'inventory', query: { service: 'untagged', priced: 'no' } },
    });
    expect(column(table(v, 'unpriced'), 'name')).toEqual(['key-1']);
    expect(v.notes.join(' ')).toContain('1 resources are unpriced');
    const byAccount = table(await data.view(dave, 'costs', { by: 'account', sort: 'name', dir: 'asc' }), 'breakdown');
    expect(column(byAccount, 'name')).toEqual(['aws 111111111111', 'aws 222222222222', 'gcp proj-a']);
    expect(byAccount.rows[2]!.cells.name!.link).toEqual({
      view: 'inventory',
      query: { provider: 'gcp', account: 'proj-a' },
    });
  });

  test('without history the trend says how it fills in', async () => {
    const empty = createDashboardData({
      db: store.db,
      now: () => new Date('2027-03-01T06:00:00Z'),
      frameworks: [framework],
    });
    const v = await empty.view(dave, 'costs', {});
    expect(figure(v, 'monthly-cost').detail).toMatch(
      /^no history yet: one point a day after each inventory sync · forecast/,
    );
    expect(v.notes.join(' ')).toContain('the trend fills in one point a day');
  });
});

describe('findings and compliance', () => {
  test('open findings with savings, filters, sorting and links to the resources', async () => {
    const v = await data.view(dave, 'findings', {});
    expect(figure(v, 'open-findings')).toMatchObject({ value: '2', detail: '1 critical or high' });
    const t = table(v, 'findings');
    expect(column(t, 'rule')).toEqual(['test.sg.open', 'test.volume.unattached']);
    expect(t.rows[0]!.cells.resource!.link).toEqual({
      view: 'inventory',
      query: { provider: 'aws', account: '111111111111', name: 'sg-1' },
    });
    expect(t.paging!.total).toBe(2);
    const cost = table(
      await data.view(dave, 'findings', { category: 'cost', sort: 'saving', dir: 'desc' }),
      'findings',
    );
    expect(column(cost, 'saving')).toEqual(['$10.00/mo']);
    expect(column(table(await data.view(dave, 'findings', { owner: 'Data' }), 'findings'), 'owner')).toEqual(['data']);
    expect(table(await data.view(dave, 'findings', { severity: 'low' }), 'findings').paging!.total).toBe(0);
    expect(column(table(await data.view(dave, 'findings', { status: 'resolved' }), 'findings'), 'rule')).toEqual([]);
    // Another workspace has no findings.
    expect(figure(await data.view(zed, 'findings', {}), 'open-findings').value).toBe('0');
  });

  test('a score per framework and the failing controls, leading to the findings', async () => {
    const v = await data.view(dave, 'compliance', {});
    expect(figure(v, 'score-test-fw')).toMatchObject({ value: '50 %', detail: '1 failing of 2 judged' });
    expect(v.charts[0]!.series[0]!.values).toEqual([50]);
    const t = table(v, 'controls');
    expect(column(t, 'control')).toEqual(['1.1']);
    expect(t.rows[0]!.cells.failing).toEqual({
      text: '1',
      link: { view: 'findings', query: { rule: 'test.sg.open' } },
    });
  });
});

describe('drift', () => {
  test('"no baseline recorded", then the changes since the baseline', async () => {
    const none = await data.view(dave, 'drift', {});
    expect(none.notes[0]).toMatch(/^No baseline recorded/);
    expect(table(none, 'drift').empty).toBe('No baseline recorded.');
    await recordBaseline(store.db, {}, 'Admin', new Date('2026-12-10T11:00:00Z'));
    const repo = resourceRepository(store.db);
    const extra = res({ type: 'instance', id: 'i-new', name: 'new-1', monthlyCostCents: 0 });
    const key = { provider: 'aws', account: '111111111111', id: 'vol-1' };
    await repo.upsertOne({ ...awsEast[1]!, state: 'stopped', tags: { ...awsEast[1]!.tags, owner: 'ops' } });
    await repo.upsertOne(extra);
    await repo.markGone(key, now);
    try {
      const v = await data.view(dave, 'drift', {});
      expect(v.figures.map((f) => [f.id, f.value])).toEqual([
        ['added', '1'],
        ['removed', '1'],
        ['changed', '1'],
      ]);
      const t = table(v, 'drift');
      expect(t.rows.map((r) => [r.cells.kind!.text, r.cells.name!.text, r.cells.changes!.text])).toEqual([
        ['added', 'new-1', ''],
        ['removed', 'vol-1', ''],
        ['changed', 'web-2', 'state: running → stopped; tag owner: web-team → ops'],
      ]);
      expect(t.rows[1]!.cells.name!.link).toBeUndefined();
      expect(t.rows[2]!.cells.name!.link).toEqual({
        view: 'inventory',
        query: { provider: 'aws', account: '111111111111', name: 'i-web2' },
      });
      // The same answer as the capability's own computation.
      const report = await computeDrift(store.db, {});
      expect([report.added, report.removed, report.changed].map((x) => x.map((i) => i.id))).toEqual([
        ['i-new'],
        ['vol-1'],
        ['i-web2'],
      ]);
      const changed = table(await data.view(dave, 'drift', { kind: 'changed', scope: 'all' }), 'drift');
      expect(changed.paging).toEqual({ offset: 0, limit: 50, total: 1 });
      expect(column(changed, 'name')).toEqual(['web-2']);
      expect(
        column(table(await data.view(dave, 'drift', { sort: 'name', dir: 'desc', limit: '2' }), 'drift'), 'name'),
      ).toEqual(['web-2', 'vol-1']);
      expect(figure(await data.view(dave, 'overview', {}), 'drift')).toMatchObject({
        value: '3',
        link: { view: 'drift', query: { scope: 'all' } },
      });
      const e = await failure(data.view(dave, 'drift', { scope: 'env=prod' }));
      expect(e.userMessage).toBe('The drift view cannot show that: scope: must be one of all (got "env=prod").');
    } finally {
      await repo.upsertOne(awsEast[1]!);
      await repo.upsertOne(awsEast[3]!);
      await repo.markGone({ provider: 'aws', account: '111111111111', id: 'i-new' }, now);
    }
  });
});

describe('approvals and changes', () => {
  test('Approve and Reject only for a viewer who may decide; otherwise why not', async () => {
    const forCarol = table(await data.view(carol, 'approvals', {}), 'approvals');
    expect(forCarol.rows.map((r) => r.actions?.map((a) => `${a.kind} ${a.changeId}`))).toEqual([
      [`approve ${ids.a}`, `reject ${ids.a}`],
      [`approve ${ids.b}`, `reject ${ids.b}`],
    ]);
    const forBob = table(await data.view(bob, 'approvals', {}), 'approvals');
    expect(forBob.rows.map((r) => [r.id, r.actions?.length ?? 0, r.cells.decide!.text])).toEqual([
      [ids.a, 2, 'you may approve or reject'],
      [ids.b, 0, 'your own request: someone else approves it'],
    ]);
    const forAlice = table(await data.view(alice, 'approvals', {}), 'approvals');
    expect(forAlice.rows.map((r) => [r.actions, r.cells.decide!.text])).toEqual([
      [undefined, 'your own request: someone else approves it'],
      [undefined, 'needs the approver role or admin role'],
    ]);
    const forDave = table(await data.view(dave, 'approvals', {}), 'approvals');
    expect(forDave.rows.every((r) => r.actions === undefined)).toBe(true);
    // Another workspace's pending request is not shown, and its own is.
    expect(table(await data.view(zed, 'approvals', {}), 'approvals').rows.map((r) => r.id)).toEqual([ids.t2]);
    // Past its expiry, nobody is offered a decision.
    clock = new Date('2026-12-20T00:00:00Z');
    try {
      const late = table(await data.view(carol, 'approvals', {}), 'approvals');
      expect(late.rows.map((r) => [r.actions, r.cells.decide!.text])[0]).toEqual([
        undefined,
        'its approval window has closed',
      ]);
    } finally {
      clock = now;
    }
  });

  test('changes: filters, sorting, paging, workspace scoping', async () => {
    const v = await data.view(dave, 'changes', {});
    const t = table(v, 'changes');
    expect(column(t, 'id')).toEqual([ids.c, ids.b, ids.a]);
    expect(t.paging).toEqual({ offset: 0, limit: 50, total: 3 });
    expect(figure(v, 'succeeded').value).toBe('1');
    expect(column(table(await data.view(dave, 'changes', { status: 'succeeded' }), 'changes'), 'id')).toEqual([ids.c]);
    expect(column(table(await data.view(dave, 'changes', { requester: 'slack:T1:alice' }), 'changes'), 'id')).toEqual([
      ids.c,
      ids.a,
    ]);
    expect(column(table(await data.view(dave, 'changes', { action: 'reboot' }), 'changes'), 'id')).toEqual([ids.b]);
    expect(column(table(await data.view(dave, 'changes', { environment: 'staging' }), 'changes'), 'id')).toEqual([
      ids.c,
    ]);
    expect(
      column(
        table(await data.view(dave, 'changes', { sort: 'id', dir: 'asc', limit: '2', offset: '1' }), 'changes'),
        'id',
      ),
    ).toEqual([ids.b, ids.c]);
    const requesters = t.filters!.find((f) => f.name === 'requester')!.options;
    expect(requesters).toEqual([
      { value: 'slack:T1:alice', label: 'Alice' },
      { value: 'slack:T1:bob', label: 'Bob' },
    ]);
    expect(column(table(await data.view(zed, 'changes', {}), 'changes'), 'id')).toEqual([ids.t2]);
    expect(table(v, 'workflow-runs').rows).toEqual([]);
  });
});

describe('incidents', () => {
  test('with time to acknowledge and to resolve; filters and sorting', async () => {
    const v = await data.view(dave, 'incidents', {});
    const t = table(v, 'incidents');
    expect(t.rows.map((r) => [r.id, r.cells.status!.text, r.cells.tta!.text, r.cells.ttr!.text])).toEqual([
      ['INC-1', 'acknowledged', '5 min', '–'],
      ['INC-2', 'resolved', '–', '2 h'],
    ]);
    expect(figure(v, 'ttr').value).toBe('2 h');
    expect(figure(v, 'tta').value).toBe('5 min');
    expect(column(table(await data.view(dave, 'incidents', { status: 'open' }), 'incidents'), 'number')).toEqual([
      'INC-1',
    ]);
    expect(column(table(await data.view(dave, 'incidents', { urgency: 'low' }), 'incidents'), 'number')).toEqual([
      'INC-2',
    ]);
    expect(column(table(await data.view(dave, 'incidents', { service: 'db' }), 'incidents'), 'number')).toEqual([
      'INC-2',
    ]);
    expect(
      column(table(await data.view(dave, 'incidents', { sort: 'opened', dir: 'asc' }), 'incidents'), 'number'),
    ).toEqual(['INC-2', 'INC-1']);
  });
});

describe('estate-wide aggregates kept a while', () => {
  test('reused until a sync pass, a baseline or a scan writes, or the time is up; tables are always read', async () => {
    let t = now;
    const kept = createDashboardData({ db: store.db, now: () => t, frameworks: [framework], cacheMs: 30_000 });
    await kept.warm();
    const resources = async () => {
      const v = await kept.view(dave, 'inventory', { provider: 'aws' });
      return [figure(v, 'resources').value, table(v, 'resources').paging!.total];
    };
    const before = await resources();
    const extra = res({ type: 'bucket', id: 'b-kept', monthlyCostCents: 0 });
    await resourceRepository(store.db).upsertOne(extra);
    try {
      const [all, aws] = [Number(before[0]), Number(before[1])];
      // The figure is kept; the filtered table is read.
      expect(await resources()).toEqual([String(all), aws + 1]);
      t = new Date(now.getTime() + 30_000);
      expect(await resources()).toEqual([String(all + 1), aws + 1]);
      await resourceRepository(store.db).markGone({ provider: 'aws', account: '111111111111', id: 'b-kept' }, t);
      expect(await resources()).toEqual([String(all + 1), aws]);
      // A sync pass moves the token: read again at once.
      await store.db.execute(
        sql`insert into inventory_sources (key, provider, account, region, label, last_attempt_at) values ('aws:x:y', 'aws', 'x', 'y', 'x', ${t.toISOString()}::timestamptz)`,
      );
      expect(await resources()).toEqual([String(all), aws]);
    } finally {
      await store.db.execute(sql`delete from inventory_sources where key = 'aws:x:y'`);
    }
  });
});

describe('bad queries get a clear message naming the parameter and what is accepted', () => {
  test.each([
    [
      'inventory',
      { provider: 'ibm' },
      'provider',
      /provider: must be one of aws, azure, gcp, kubernetes \(got "ibm"\)/,
    ],
    ['inventory', { limit: '-3' }, 'limit', /limit: must be a whole number from 1 to 200 \(got "-3"\)/],
    ['inventory', { limit: '500' }, 'limit', /limit: must be a whole number from 1 to 200 \(got "500"\)/],
    ['inventory', { offset: 'x' }, 'offset', /offset: must be a whole number from 0 to 1,000,000 \(got "x"\)/],
    ['inventory', { dir: 'sideways' }, 'dir', /dir: must be one of asc, desc \(got "sideways"\)/],
    [
      'inventory',
      { sort: 'colour' },
      'sort',
      /sort: must be a sort key: cost, name, type, provider, account, region, environment, service, state \(got "colour"\)/,
    ],
    [
      'inventory',
      { account: '999' },
      'account',
      /account: must be one of 111111111111, 222222222222, proj-a \(got "999"\)/,
    ],
    [
      'inventory',
      { provder: 'aws' },
      'provder',
      /The inventory view has no parameter "provder"; it takes provider, account/,
    ],
    ['changes', { status: 'done' }, 'status', /status: must be one of draft, pending/],
    ['changes', { requester: 'slack:T2:zed' }, 'requester', /requester: must be one of slack:T1:alice, slack:T1:bob/],
    ['incidents', { urgency: 'urgent' }, 'urgency', /urgency: must be one of high, low/],
    ['findings', { severity: 'bad' }, 'severity', /severity: must be one of critical, high, medium, low, info/],
    ['findings', { rule: 'nope' }, 'rule', /rule: must be one of test.sg.open, test.volume.unattached/],
    ['compliance', { framework: 'iso' }, 'framework', /framework: must be one of test-fw \(got "iso"\)/],
    ['costs', { by: 'colour' }, 'by', /by: must be one of provider, account, environment, service, region, type/],
    ['inventory', { name: 'web\u0007' }, 'name', /name: must not hold control characters/],
    ['overview', { limit: '5' }, 'limit', /The overview view has no parameter "limit"; it takes none/],
  ] as const)('%s %j', async (name, query, field, message) => {
    const e = await failure(data.view(carol, name, { ...query }));
    expect(e.code).toBe('bad_request');
    expect(e.field).toBe(field);
    expect(e.userMessage).toMatch(message);
  });

  test('analytics without its module is not_found with a message; with it, delegated', async () => {
    const e = await failure(data.view(carol, 'analytics', {}));
    expect(e).toMatchObject({ code: 'not_found', userMessage: 'Team analytics are not available on this server.' });
    const seen: unknown[] = [];
    const wired = createDashboardData({
      db: store.db,
      now: () => now,
      frameworks: [],
      analytics: async (v, q) => {
        seen.push([v.actor.userId, q]);
        return {
          name: 'analytics',
          title: 'Team analytics',
          figures: [],
          charts: [],
          tables: [],
          notes: [],
          generatedAt: now.toISOString(),
        };
      },
    });
    expect((await wired.view(carol, 'analytics', { team: 'web' })).title).toBe('Team analytics');
    expect(seen).toEqual([['carol', { team: 'web' }]]);
  });
});
