import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { resourceRepository } from '../../src/cloud/repository.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { storeMetricSamples } from '../../src/cloud/metric-series.ts';
import { failStale, findingId, openTotals, runScan, scanStaleMs, type ScanDeps } from '../../src/scans/engine.ts';
import { fail, manual, pass, type Rule } from '../../src/scans/rule.ts';
import { loadThresholds } from '../../src/scans/settings.ts';
import { sql } from '../../src/store/orm.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { resourceOf } from '../helpers/scan-rule.ts';

// The scan engine over a real store (PGlite, or PostgreSQL with DATABASE_URL), with small rules
// of its own so that it is tested apart from the shipped rules.

let store: TestStore;
let clock: Date;
const day = 86_400_000;
const ws = 'T1';

const openRule: Rule = {
  id: 'test.sg.open',
  title: 'Security group open to the world',
  category: 'security',
  provider: 'aws',
  types: ['security_group'],
  severity: 'high',
  remediation: 'Close it.',
  evaluate: (r) =>
    r.attributes.open === true
      ? fail({ open: true }, `${r.name} is open to the world`)
      : pass({ open: r.attributes.open }),
};

const unattached: Rule = {
  id: 'test.volume.unattached',
  title: 'Unattached volume',
  category: 'cost',
  provider: 'aws',
  types: ['volume'],
  severity: 'medium',
  remediation: 'Delete it.',
  fix: { action: 'snapshot_and_delete', title: 'Snapshot and delete' },
  evaluate: (r) =>
    r.state === 'available'
      ? fail({ state: r.state }, 'unattached', { savingCents: r.monthlyCostCents, fixParams: { snapshot: 'yes' } })
      : pass({ state: r.state }),
};

const gp2: Rule = {
  id: 'test.volume.gp2',
  title: 'gp2 volume',
  category: 'cost',
  provider: 'aws',
  types: ['volume'],
  severity: 'low',
  remediation: 'Move to gp3.',
  evaluate: (r) =>
    r.attributes.volumeType === 'gp2'
      ? fail({ volumeType: 'gp2' }, 'gp2', { savingCents: Math.round(r.monthlyCostCents * 0.2) })
      : pass({ volumeType: r.attributes.volumeType }),
};

const idle: Rule = {
  id: 'test.instance.idle',
  title: 'Idle instance',
  category: 'cost',
  provider: 'aws',
  types: ['instance'],
  severity: 'medium',
  remediation: 'Stop it.',
  thresholds: {
    cpu: { env: 'SCAN_TEST_IDLE_CPU', default: 10, unit: 'percent', description: 'idle below', min: 0, max: 100 },
    window: { env: 'SCAN_TEST_IDLE_DAYS', default: 3, unit: 'days', description: 'window', min: 1, max: 90 },
  },
  metrics: { names: ['cpu_percent'], days: 'window' },
  evaluate: (r, ctx) => {
    const days = ctx.daily('cpu_percent');
    if (days.length === 0) return manual({ days: 0 }, 'no CPU collected');
    const low = days.filter((d) => d.avg <= ctx.threshold('cpu'));
    return low.length === days.length
      ? fail({ days: days.map((d) => d.day) }, 'idle', { savingCents: r.monthlyCostCents })
      : pass({ days: days.map((d) => d.day) });
  },
};

const addressRule: Rule = {
  id: 'test.ip.unassociated',
  title: 'IP not on a running instance',
  category: 'cost',
  provider: 'aws',
  types: ['ip_address'],
  severity: 'low',
  remediation: 'Release it.',
  refs: (r) =>
    typeof r.attributes.instanceId === 'string'
      ? [{ provider: r.provider, account: r.account, id: r.attributes.instanceId }]
      : [],
  evaluate: (r, ctx) => {
    const id = r.attributes.instanceId;
    const instance = typeof id === 'string' ? ctx.lookup({ provider: 'aws', account: r.account, id }) : undefined;
    return instance?.state === 'running'
      ? pass({ instance: instance.id })
      : fail({ instance: id ?? null, state: instance?.state ?? null }, 'not on a running instance', {
          savingCents: 365,
        });
  },
};

const trailRule: Rule = {
  id: 'test.account.trail',
  title: 'A trail is logging',
  category: 'security',
  provider: 'aws',
  types: ['account_settings'],
  severity: 'high',
  remediation: 'Create a trail.',
  accountTypes: ['trail'],
  evaluate: (_r, ctx) => {
    const logging = ctx.inAccount('trail').filter((t) => t.attributes.logging === true);
    return logging.length > 0 ? pass({ trails: logging.map((t) => t.id) }) : fail({ trails: [] }, 'no trail logging');
  },
};

const throwing: Rule = {
  id: 'test.sg.throws',
  title: 'A rule with a bug',
  category: 'security',
  provider: 'aws',
  types: ['security_group'],
  severity: 'low',
  remediation: '-',
  evaluate: (r) => {
    if (r.name === 'sg-bad') throw new Error('cannot read ingress of undefined');
    return pass({});
  },
};

const rules = [openRule, unattached, gp2, idle, addressRule, trailRule, throwing];

const deps = (over: Partial<ScanDeps> = {}): ScanDeps => ({
  db: store.db,
  rules,
  thresholds: loadThresholds(rules, {}),
  now: () => clock,
  runner: 'test-runner',
  batchSize: 3,
  // Each database its own path: one transaction on PostgreSQL, staging on the embedded store.
  direct: !store.embedded,
  ...over,
});

const put = (r: Partial<Resource> & { type: Resource['type'] }) =>
  resourceRepository(store.db).upsertOne(resourceOf({ seenAt: clock, ...r }));

const events = async (scanId: number) =>
  (
    await store.db.execute<{ finding_id: string; kind: string }>(
      sql`select finding_id, kind from finding_history where scan_id = ${scanId} order by kind, finding_id`,
    )
  ).rows;

const finding = async (id: string) =>
  (
    await store.db.execute<{ status: string; suppression_id: number | null; verdict: string; detail: string }>(
      sql`select status, suppression_id, verdict, detail from findings where workspace_id = ${ws} and id = ${id}`,
    )
  ).rows[0];

const fid = (ruleId: string, resourceId: string, account = '111111111111', region = 'us-east-1') =>
  findingId({ ruleId, provider: 'aws', account, region, resourceId });

beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(async () => store.dispose());

beforeEach(async () => {
  clock = new Date('2026-12-01T06:00:00Z');
  await store.db.execute(
    sql`truncate resources, resource_metrics, resource_metric_series, scans, scan_results, findings, finding_events, suppressions`,
  );
  await put({ type: 'security_group', id: 'sg-1', name: 'sg-open', attributes: { open: true } });
  await put({ type: 'security_group', id: 'sg-2', name: 'sg-closed', attributes: { open: false } });
  await put({ type: 'security_group', id: 'sg-3', name: 'sg-bad', attributes: {} });
  await put({
    type: 'volume',
    id: 'vol-1',
    state: 'available',
    monthlyCostCents: 1000,
    attributes: { volumeType: 'gp2' },
    tags: { team: 'data' },
  });
  await put({ type: 'volume', id: 'vol-2', state: 'in-use', monthlyCostCents: 800, attributes: { volumeType: 'gp3' } });
  await put({ type: 'instance', id: 'i-1', state: 'running', monthlyCostCents: 6000 });
  await put({ type: 'instance', id: 'i-2', state: 'stopped', monthlyCostCents: 3000 });
  await put({ type: 'ip_address', id: 'eip-1', attributes: { instanceId: 'i-1' } });
  await put({ type: 'ip_address', id: 'eip-2', attributes: { instanceId: 'i-2' } });
  await put({ type: 'account_settings', id: 'acct', name: 'account 111111111111' });
  await put({ type: 'trail', id: 'trail-1', attributes: { logging: false } });
  // Three days of low CPU for i-1 inside the window, one high day outside it.
  await storeMetricSamples(
    store.db,
    [1, 2, 3, 5].map((d) => ({
      provider: 'aws',
      account: '111111111111',
      resourceId: 'i-1',
      metric: 'cpu_percent',
      day: new Date(clock.getTime() - d * day).toISOString().slice(0, 10),
      avg: d === 5 ? 80 : 2,
      max: d === 5 ? 95 : 5,
      unit: 'percent',
    })),
    clock,
  );
});

describe('a scan', () => {
  it('judges every resource by its rules, stages nothing it keeps, and records new findings with their totals', async () => {
    const s = await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'alice' });
    expect(s.resources).toBe(11 - 1); // everything but the trail (no rule judges trails)
    expect(s.evaluated).toBe(10);
    expect(s.tally['test.sg.open']).toEqual({ pass: 2, fail: 1, manual: 0, error: 0 });
    expect(s.tally['test.sg.throws']).toEqual({ pass: 2, fail: 0, manual: 0, error: 1 });
    expect(s.tally['test.instance.idle']).toEqual({ pass: 0, fail: 1, manual: 1, error: 0 });
    expect(s.tally['test.ip.unassociated']).toEqual({ pass: 1, fail: 1, manual: 0, error: 0 });
    expect(s.tally['test.account.trail']).toEqual({ pass: 0, fail: 1, manual: 0, error: 0 });
    // open sg-1, throws sg-3, unattached vol-1, gp2 vol-1, idle i-1 (fail) + i-2 (manual), eip-2, account trail
    expect(s.newFindings).toBe(8);
    expect(s.openFindings).toBe(8);
    expect(s.errorFindings).toBe(1);
    // vol-1's two savings count once (the larger, 1000), + i-1 6000 + eip-2 365.
    expect(s.openSavingCents).toBe(1000 + 6000 + 365);
    expect((await store.db.execute(sql`select 1 from scan_results`)).rows).toHaveLength(0);
    const vol = await store.db.execute<{ fix_params: unknown; saving_cents: number; tags: unknown }>(
      sql`select fix_params, saving_cents, tags from findings where id = ${fid('test.volume.unattached', 'vol-1')}`,
    );
    expect(vol.rows[0]).toEqual({ fix_params: { snapshot: 'yes' }, saving_cents: 1000, tags: { team: 'data' } });
    expect(await finding(fid('test.sg.throws', 'sg-3'))).toMatchObject({
      verdict: 'error',
      detail: expect.stringContaining('cannot read ingress of undefined'),
    });
    // The idle rule saw only the days of its window (3 days), oldest first.
    const idleEvidence = await store.db.execute<{ evidence: { days: string[] } }>(
      sql`select evidence from findings where id = ${fid('test.instance.idle', 'i-1')}`,
    );
    expect(idleEvidence.rows[0]!.evidence.days).toEqual(['2026-11-28', '2026-11-29', '2026-11-30']);
    const scan = await store.db.execute<{ status: string; new_findings: number; started_by: string }>(
      sql`select status, new_findings, started_by from scans where id = ${s.scanId}`,
    );
    expect(scan.rows[0]).toEqual({ status: 'succeeded', new_findings: 8, started_by: 'alice' });
  });

  it('resolves what was fixed, keeps what is still open, and reopens what came back, with the history', async () => {
    const first = await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'schedule' });
    clock = new Date(clock.getTime() + day);
    await put({ type: 'security_group', id: 'sg-1', name: 'sg-open', attributes: { open: false } });
    await put({
      type: 'volume',
      id: 'vol-1',
      state: 'in-use',
      monthlyCostCents: 1000,
      attributes: { volumeType: 'gp2' },
    });
    const second = await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'schedule' });
    expect(second.newFindings).toBe(0);
    expect(second.resolvedFindings).toBe(2);
    expect(second.openFindings).toBe(6);
    expect(await events(second.scanId)).toEqual([
      { finding_id: [fid('test.sg.open', 'sg-1'), fid('test.volume.unattached', 'vol-1')].sort()[0], kind: 'resolved' },
      { finding_id: [fid('test.sg.open', 'sg-1'), fid('test.volume.unattached', 'vol-1')].sort()[1], kind: 'resolved' },
    ]);
    expect(await finding(fid('test.sg.open', 'sg-1'))).toMatchObject({ status: 'resolved' });
    clock = new Date(clock.getTime() + day);
    await put({ type: 'security_group', id: 'sg-1', name: 'sg-open', attributes: { open: true } });
    const third = await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'schedule' });
    expect(third.newFindings).toBe(1);
    expect(await events(third.scanId)).toEqual([{ finding_id: fid('test.sg.open', 'sg-1'), kind: 'reopened' }]);
    const row = await store.db.execute<{ first_seen_at: Date; resolved_at: Date | null }>(
      sql`select first_seen_at, resolved_at from findings where id = ${fid('test.sg.open', 'sg-1')}`,
    );
    expect(new Date(row.rows[0]!.first_seen_at).getTime()).toBe(new Date('2026-12-01T06:00:00Z').getTime());
    expect(row.rows[0]!.resolved_at).toBeNull();
    expect(first.scanId).toBeLessThan(third.scanId);
  });

  it('stamps a finding judged as before without rewriting it, and rewrites one whose judgement changed', async () => {
    const first = await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'schedule' });
    const row = async (id: string) =>
      (
        await store.db.execute<{ last_seen_at: Date; last_scan_id: number; saving_cents: number; xmin: string }>(
          sql`select last_seen_at, last_scan_id, saving_cents, xmin::text as xmin from findings where id = ${id}`,
        )
      ).rows[0]!;
    const sg = await row(fid('test.sg.open', 'sg-1'));
    clock = new Date(clock.getTime() + day);
    // vol-1 costs more now: its gp2 finding's saving changes; sg-1's open rule says the same again.
    await put({
      type: 'volume',
      id: 'vol-1',
      state: 'available',
      monthlyCostCents: 2000,
      tags: { team: 'data' },
      attributes: { volumeType: 'gp2' },
    });
    const second = await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'schedule' });
    expect(second).toMatchObject({ newFindings: 0, resolvedFindings: 0, openFindings: 8 });
    const sgAfter = await row(fid('test.sg.open', 'sg-1'));
    expect(new Date(sgAfter.last_seen_at).getTime()).toBe(clock.getTime());
    expect(sgAfter.last_scan_id).toBe(second.scanId);
    expect(sgAfter.last_scan_id).not.toBe(first.scanId);
    expect(sgAfter.xmin).not.toBe(sg.xmin); // stamped in the merge's transaction
    expect((await row(fid('test.volume.gp2', 'vol-1'))).saving_cents).toBe(400);
    expect(second.openSavingCents).toBe(2000 + 6000 + 365);
  });

  // Both write paths, on either store: lines streamed with COPY (direct, PostgreSQL only: the
  // embedded store's socket takes no COPY FROM STDIN) and lines staged through one text parameter.
  for (const direct of process.env.DATABASE_URL ? [true, false] : [false])
    it(`keeps text with tabs, newlines, backslashes, quotes and non-ASCII exactly as judged (${direct ? 'direct' : 'staged'})`, async () => {
      const odd = 'sg\tweird\nname\r \\N \\011 "q" ≤ é 😀 \\';
      await put({
        type: 'security_group',
        id: 'sg-odd',
        name: odd,
        tags: { owner: 'a\\b\tc', 'k\n"': '≤' },
        attributes: { open: true },
      });
      const echo: Rule = {
        ...openRule,
        id: 'test.sg.echo',
        evaluate: (r) => fail({ name: r.name, path: 'C:\\temp\\new', tab: '\t' }, `${r.name} said \\N`),
      };
      const s = await runScan(deps({ rules: [echo], direct }), { workspaceId: ws, category: 'all', startedBy: 'x' });
      expect(s.newFindings).toBe(4);
      const row = (
        await store.db.execute<Record<string, unknown>>(
          sql`select resource_name, tags, evidence, detail, fix_params from findings where id = ${fid('test.sg.echo', 'sg-odd')}`,
        )
      ).rows[0];
      expect(row).toEqual({
        resource_name: odd,
        tags: { owner: 'a\\b\tc', 'k\n"': '≤' },
        evidence: { name: odd, path: 'C:\\temp\\new', tab: '\t' },
        detail: `${odd} said \\N`,
        fix_params: null,
      });
      // Judged the same again: the digest of the same line, so stamped, not rewritten.
      const again = await runScan(deps({ rules: [echo], direct }), {
        workspaceId: ws,
        category: 'all',
        startedBy: 'x',
      });
      expect(again).toMatchObject({ newFindings: 0, resolvedFindings: 0, openFindings: 4 });
    });

  it('resolves the findings of a resource that is gone', async () => {
    await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'schedule' });
    await resourceRepository(store.db).markGone({ provider: 'aws', account: '111111111111', id: 'vol-1' }, clock);
    const s = await runScan(deps(), { workspaceId: ws, category: 'cost', startedBy: 'schedule' });
    expect(s.resolvedFindings).toBe(2);
    expect(await finding(fid('test.volume.gp2', 'vol-1'))).toMatchObject({ status: 'resolved' });
  });

  it('leaves findings outside its category and scope alone', async () => {
    await put({
      type: 'security_group',
      id: 'sg-9',
      account: '222222222222',
      name: 'other',
      attributes: { open: true },
    });
    await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'schedule' });
    // Fixed everywhere, but a cost scan and a scan of the other account must not resolve sg-1's finding.
    await put({ type: 'security_group', id: 'sg-1', name: 'sg-open', attributes: { open: false } });
    expect((await runScan(deps(), { workspaceId: ws, category: 'cost', startedBy: 'x' })).resolvedFindings).toBe(0);
    const other = await runScan(deps(), {
      workspaceId: ws,
      category: 'security',
      scope: { account: '222222222222' },
      startedBy: 'x',
    });
    expect(other.resources).toBe(1);
    expect(other.resolvedFindings).toBe(0);
    expect(await finding(fid('test.sg.open', 'sg-1'))).toMatchObject({ status: 'open' });
    // Another workspace's scan has findings of its own.
    const t2 = await runScan(deps(), { workspaceId: 'T2', category: 'security', startedBy: 'x' });
    expect(t2.newFindings).toBe(3); // sg-3 error, sg-9 open, the account's trail
  });
});

describe('suppressions', () => {
  const suppress = (over: Record<string, unknown>) =>
    store.db.execute(sql`
      insert into suppressions (workspace_id, scope, finding_id, rule_id, tag_key, tag_value, provider, account,
        owner, reason, expires_at, created_by, created_at)
      values (${ws}, ${over.scope as string}, ${(over.findingId as string) ?? null}, ${(over.ruleId as string) ?? null},
        ${(over.tagKey as string) ?? null}, ${(over.tagValue as string) ?? null}, ${(over.provider as string) ?? null},
        ${(over.account as string) ?? null}, 'alice', 'known', ${over.expiresAt as Date}, 'alice', ${clock})`);

  it('take covered findings out of the totals until they expire', async () => {
    const until = new Date(clock.getTime() + 2 * day);
    await suppress({ scope: 'finding', findingId: fid('test.sg.open', 'sg-1'), expiresAt: until });
    await suppress({ scope: 'rule', ruleId: 'test.volume.gp2', tagKey: 'team', tagValue: 'data', expiresAt: until });
    await suppress({
      scope: 'rule',
      ruleId: 'test.volume.unattached',
      tagKey: 'team',
      tagValue: 'web',
      expiresAt: until,
    });
    await suppress({
      scope: 'account',
      provider: 'aws',
      account: '111111111111',
      ruleId: 'test.ip.unassociated',
      expiresAt: until,
    });
    const s = await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'schedule' });
    expect(s.newFindings).toBe(8);
    expect(s.openFindings).toBe(8 - 3);
    expect(s.openSavingCents).toBe(1000 + 6000); // eip-2 suppressed; vol-1 unattached (team=data ≠ web) still counts
    expect((await finding(fid('test.sg.open', 'sg-1')))!.suppression_id).not.toBeNull();
    expect((await finding(fid('test.volume.unattached', 'vol-1')))!.suppression_id).toBeNull();
    // Two days later the suppressions have expired: the next scan brings the findings back.
    clock = new Date(until.getTime() + 1000);
    const later = await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'schedule' });
    expect(later.openFindings).toBe(8);
    expect((await finding(fid('test.sg.open', 'sg-1')))!.suppression_id).toBeNull();
    expect(await openTotals(store.db, ws)).toEqual({ open: 8, errors: 1, savingCents: 7365 });
  });

  it('a removed suppression no longer covers anything', async () => {
    await suppress({
      scope: 'account',
      provider: 'aws',
      account: '111111111111',
      expiresAt: new Date(clock.getTime() + day),
    });
    expect((await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'x' })).openFindings).toBe(0);
    await store.db.execute(sql`update suppressions set removed_at = ${clock}, removed_by = 'bob'`);
    expect((await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'x' })).openFindings).toBe(8);
  });
});

describe('one scan at a time, and scans that stop half way', () => {
  const runningScan = (heartbeat: Date) =>
    store.db.execute<{ id: number }>(sql`
      insert into scans (workspace_id, category, status, started_by, runner, heartbeat_at, started_at, resources, evaluated)
      values (${ws}, 'all', 'running', 'bob', 'other-replica', ${heartbeat}, ${heartbeat}, 10, 4) returning id`);

  it('refuses a second scan of a workspace while one runs, and takes over one whose runner went silent', async () => {
    const { rows } = await runningScan(clock);
    await expect(runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'alice' })).rejects.toMatchObject({
      code: 'conflict',
      message: `a scan is already running (scan ${rows[0]!.id}, started by bob, 4 of 10 resources done)`,
    });
    // Another workspace is not blocked.
    await expect(runScan(deps(), { workspaceId: 'T2', category: 'all', startedBy: 'alice' })).resolves.toBeDefined();
    clock = new Date(clock.getTime() + scanStaleMs + 1000);
    const s = await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'alice' });
    expect(s.newFindings).toBe(8);
    const old = await store.db.execute<{ status: string; error: string }>(
      sql`select status, error from scans where id = ${rows[0]!.id}`,
    );
    expect(old.rows[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('interrupted') });
  });

  it('a scan cancelled half way changes no finding and leaves nothing staged', async () => {
    await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'x' });
    await put({ type: 'security_group', id: 'sg-1', name: 'sg-open', attributes: { open: false } });
    await put({ type: 'security_group', id: 'sg-4', name: 'sg-new', attributes: { open: true } });
    const before = (await store.db.execute(sql`select * from findings order by id`)).rows;
    const abort = new AbortController();
    let batches = 0;
    await expect(
      runScan(deps({ signal: abort.signal, onProgress: () => void (++batches === 1 && abort.abort()) }), {
        workspaceId: ws,
        category: 'all',
        startedBy: 'x',
      }),
    ).rejects.toThrow();
    expect(batches).toBe(1);
    expect((await store.db.execute(sql`select * from findings order by id`)).rows).toEqual(before);
    expect((await store.db.execute(sql`select 1 from scan_results`)).rows).toHaveLength(0);
    const last = await store.db.execute<{ status: string; error: string; evaluated: number }>(
      sql`select status, error, evaluated from scans order by id desc limit 1`,
    );
    expect(last.rows[0]).toEqual({ status: 'failed', error: expect.stringContaining('cancelled'), evaluated: 3 });
    // The next scan runs normally.
    expect((await runScan(deps(), { workspaceId: ws, category: 'all', startedBy: 'x' })).resolvedFindings).toBe(1);
  });

  it('a scan left running by a process that died is marked failed and its staging deleted; findings untouched', async () => {
    const { rows } = await runningScan(clock);
    const id = rows[0]!.id;
    await store.db.execute(sql`
      insert into scan_results (scan_id, workspace_id, id, rule_id, category, severity, provider, account, region,
        resource_type, resource_id, resource_name, environment, tags, verdict, detail, evidence)
      values (${id}, ${ws}, 'abc', 'test.sg.open', 'security', 'high', 'aws', '111111111111', 'us-east-1',
        'security_group', 'sg-1', 'sg-open', 'dev', '{}', 'fail', 'x', '{}')`);
    expect(await failStale(store.db, new Date(clock.getTime() + 60_000))).toEqual([]);
    expect(await failStale(store.db, new Date(clock.getTime() + scanStaleMs + 1))).toEqual([Number(id)]);
    expect((await store.db.execute(sql`select 1 from scan_results`)).rows).toHaveLength(0);
    expect((await store.db.execute(sql`select 1 from findings`)).rows).toHaveLength(0);
  });
});

describe('thresholds', () => {
  it('are read from their settings, and a bad one names itself', () => {
    expect(loadThresholds(rules, { SCAN_TEST_IDLE_CPU: '1.5' }).get('SCAN_TEST_IDLE_CPU')).toBe(1.5);
    expect(() => loadThresholds(rules, { SCAN_TEST_IDLE_CPU: 'ten' })).toThrow(
      'SCAN_TEST_IDLE_CPU="ten" is not a number (idle below; default 10 percent)',
    );
    expect(() => loadThresholds(rules, { SCAN_TEST_IDLE_DAYS: '0' })).toThrow(
      'SCAN_TEST_IDLE_DAYS=0 is outside 1…90 days (window; default 3)',
    );
  });

  it('change what a rule judges', async () => {
    // At 1 % CPU, i-1's 2 % days are not idle.
    const s = await runScan(deps({ thresholds: loadThresholds(rules, { SCAN_TEST_IDLE_CPU: '1' }) }), {
      workspaceId: ws,
      category: 'cost',
      startedBy: 'x',
    });
    expect(s.tally['test.instance.idle']).toEqual({ pass: 1, fail: 0, manual: 1, error: 0 });
  });
});
