import { describe, expect, it } from '@jest/globals';
import { monthlyCents } from '../../src/cloud/pricing/index.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { RuleIdPattern, ThresholdEnvPattern } from '../../src/scans/rule.ts';
import type { Evaluation, Rule } from '../../src/scans/rule.ts';
import { costRules } from '../../src/scans/rules/cost.ts';
import { days, judge, resourceOf, scanNow, FIRST_RELEASE_RULE_IDS } from '../helpers/scan-rule.ts';

const rule = (id: string): Rule => {
  const r = costRules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};
const ago = (n: number) => new Date(scanNow.getTime() - n * 86_400_000).toISOString();
const cents = (...args: Parameters<typeof monthlyCents>) => {
  const c = monthlyCents(...args);
  if (c === undefined) throw new Error(`unpriced ${args.join(' ')}`);
  return c;
};

/** A failing evaluation with a saving: whole cents, within what the resource costs. */
const failedWith = (e: Evaluation, r: Resource, saving: number | undefined) => {
  expect(e.verdict).toBe('fail');
  expect(e.detail).toBeTruthy();
  expect(e.savingCents).toBe(saving);
  if (saving !== undefined) {
    expect(Number.isInteger(saving)).toBe(true);
    expect(saving).toBeGreaterThanOrEqual(0);
    expect(saving).toBeLessThanOrEqual(r.monthlyCostCents);
  }
};

describe('the cost rules as a set', () => {
  it('have unique well-formed ids, all in the cost category and named after a table row', () => {
    const ids = costRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const rows = FIRST_RELEASE_RULE_IDS.filter((id) => id.startsWith('cost.'));
    for (const r of costRules) {
      expect(r.id).toMatch(RuleIdPattern);
      expect(r.category).toBe('cost');
      expect(r.types.length).toBeGreaterThan(0);
      expect(rows.some((row) => r.id === row || r.id.startsWith(`${row}.`))).toBe(true);
    }
    for (const row of rows) expect(ids.some((id) => id === row || id.startsWith(`${row}.`))).toBe(true);
  });

  it('have unique threshold envs with defaults within their bounds, and metric windows that name a threshold', () => {
    const envs = costRules.flatMap((r) => Object.values(r.thresholds ?? {}).map((t) => t.env));
    expect(new Set(envs).size).toBe(envs.length);
    for (const r of costRules) {
      for (const t of Object.values(r.thresholds ?? {})) {
        expect(t.env).toMatch(ThresholdEnvPattern);
        expect(t.env).not.toMatch(/CREDENTIAL|ACCESS_KEY|PASSWORD|RDS_BACKUP|LOG_RETENTION/);
        expect(t.description.length).toBeGreaterThan(10);
        expect(t.default).toBeGreaterThanOrEqual(t.min ?? -Infinity);
        expect(t.default).toBeLessThanOrEqual(t.max ?? Infinity);
      }
      if (typeof r.metrics?.days === 'string') expect(Object.keys(r.thresholds ?? {})).toContain(r.metrics.days);
    }
    expect(envs).toEqual(
      expect.arrayContaining([
        'SCAN_IDLE_CPU_PERCENT',
        'SCAN_IDLE_NETWORK_MB',
        'SCAN_IDLE_MIN_DAYS',
        'SCAN_IDLE_WINDOW_DAYS',
        'SCAN_UNATTACHED_DAYS',
        'SCAN_SNAPSHOT_MAX_AGE_DAYS',
        'SCAN_DB_SNAPSHOT_ORPHAN_DAYS',
        'SCAN_STOPPED_DAYS',
        'SCAN_ELB_MIN_REQUESTS_PER_DAY',
        'SCAN_ELB_IDLE_DAYS',
        'SCAN_RDS_IDLE_DAYS',
        'SCAN_NAT_IDLE_DAYS',
        'SCAN_AZURE_IDLE_CPU_PERCENT',
        'SCAN_COMMIT_STEADY_DAYS',
      ]),
    );
  });

  it('keep the documented defaults', () => {
    const defaults = Object.fromEntries(
      costRules.flatMap((r) => Object.values(r.thresholds ?? {}).map((t) => [t.env, t.default])),
    );
    expect(defaults).toMatchObject({
      SCAN_IDLE_CPU_PERCENT: 10,
      SCAN_IDLE_NETWORK_MB: 5,
      SCAN_IDLE_MIN_DAYS: 4,
      SCAN_IDLE_WINDOW_DAYS: 14,
      SCAN_UNATTACHED_DAYS: 7,
      SCAN_SNAPSHOT_MAX_AGE_DAYS: 90,
      SCAN_DB_SNAPSHOT_ORPHAN_DAYS: 30,
      SCAN_STOPPED_DAYS: 30,
      SCAN_ELB_MIN_REQUESTS_PER_DAY: 100,
      SCAN_ELB_IDLE_DAYS: 7,
      SCAN_RDS_IDLE_DAYS: 7,
      SCAN_NAT_IDLE_DAYS: 32,
      SCAN_AZURE_IDLE_CPU_PERCENT: 5,
      SCAN_COMMIT_STEADY_DAYS: 90,
    });
  });
});

describe('cost.ec2.idle', () => {
  const idle = rule('cost.ec2.idle');
  const price = cents('aws', 'instance', 'm5.large', 'us-east-1');
  const instance = resourceOf({ type: 'instance', monthlyCostCents: price, attributes: { instanceType: 'm5.large' } });
  // Bytes per 5-minute sample: 5,000 in + 5,000 out is 2.88 MB a day; 20,000 each is 11.52 MB.
  const quiet = { cpu: 2, net: 5_000 };
  const busy = { cpu: 40, net: 20_000 };
  const series = (pattern: Array<{ cpu: number; net: number } | null>) => ({
    cpu_percent: days(pattern.map((d) => ({ avg: d?.cpu ?? 0 }))).filter((_, i) => pattern[i]),
    network_in_bytes: days(pattern.map((d) => ({ avg: d?.net ?? 0 }))).filter((_, i) => pattern[i]),
    network_out_bytes: days(pattern.map((d) => ({ avg: d?.net ?? 0 }))).filter((_, i) => pattern[i]),
  });
  const fortnight = (quietDays: number) => [
    ...Array<typeof quiet>(quietDays).fill(quiet),
    ...Array<typeof busy>(14 - quietDays).fill(busy),
  ];

  it('fails on 4 quiet days of 14, with the on-demand cost as the saving and the stop fix', () => {
    const e = judge(idle, instance, { daily: series(fortnight(4)) });
    failedWith(e, instance, price);
    expect(e.evidence).toMatchObject({ idleDays: 4, daysWithData: 14, windowDays: 14, cpuPercentMax: 10 });
    expect((e.evidence.days as Array<{ networkMb: number }>)[0]).toMatchObject({ cpuPercent: 2, networkMb: 2.88 });
    expect(idle.fix).toEqual({ action: 'stop', title: expect.any(String) });
  });

  it('passes on 3 quiet days, and fails on them when SCAN_IDLE_MIN_DAYS is 3', () => {
    const e = judge(idle, instance, { daily: series(fortnight(3)) });
    expect(e.verdict).toBe('pass');
    // Too few quiet-CPU days: judged on CPU alone.
    expect(e.evidence).toMatchObject({ cpuQuietDays: 3, daysWithData: 14, minDays: 4 });
    expect(judge(idle, instance, { daily: series(fortnight(3)), thresholds: { minDays: 3 } }).verdict).toBe('fail');
  });

  it('counts only days with CPU and both network figures: missing days are not quiet days', () => {
    // 4 quiet CPU days, but one of them has no network figures: 3 known quiet days.
    const daily = series(fortnight(4));
    daily.network_out_bytes = daily.network_out_bytes.slice(1);
    expect(judge(idle, instance, { daily }).evidence.idleDays).toBe(3);
    expect(judge(idle, instance, { daily }).verdict).toBe('pass');
    // 4 quiet days among gaps (no data at all on 6 days) still count as 4.
    const gappy = [quiet, null, quiet, null, quiet, null, quiet, null, busy, null, busy, null, busy, busy];
    const e = judge(idle, instance, { daily: series(gappy) });
    expect(e.evidence).toMatchObject({ idleDays: 4, daysWithData: 8 });
    expect(e.verdict).toBe('fail');
  });

  it('honours the CPU and network thresholds', () => {
    const warm = Array<{ cpu: number; net: number }>(14).fill({ cpu: 12, net: 5_000 });
    expect(judge(idle, instance, { daily: series(warm) }).verdict).toBe('pass');
    expect(judge(idle, instance, { daily: series(warm), thresholds: { cpuPercent: 15 } }).verdict).toBe('fail');
    const chatty = Array<{ cpu: number; net: number }>(14).fill({ cpu: 1, net: 10_000 }); // 5.76 MB a day
    expect(judge(idle, instance, { daily: series(chatty) }).verdict).toBe('pass');
    expect(judge(idle, instance, { daily: series(chatty), thresholds: { networkMb: 6 } }).verdict).toBe('fail');
  });

  it('passes on busy CPU alone, even without network metrics (which it then does not read)', () => {
    const cpuOnly = { cpu_percent: series(fortnight(3)).cpu_percent };
    expect(judge(idle, instance, { daily: cpuOnly })).toMatchObject({ verdict: 'pass', evidence: { cpuQuietDays: 3 } });
  });

  it('is manual without CPU metrics and passes an instance that is not running', () => {
    const e = judge(idle, instance);
    expect(e.verdict).toBe('manual');
    expect(e.detail).toMatch(/No CPU metrics/);
    const cpuOnly = { cpu_percent: series(fortnight(14)).cpu_percent };
    expect(judge(idle, instance, { daily: cpuOnly }).verdict).toBe('manual');
    expect(judge(idle, instance, { daily: cpuOnly }).detail).toMatch(/No network metrics/);
    expect(judge(idle, { ...instance, state: 'stopped' }).verdict).toBe('pass');
  });
});

describe('cost.ec2.rightsize', () => {
  const rightsize = rule('cost.ec2.rightsize');
  const price = cents('aws', 'instance', 'm5.xlarge', 'us-east-1');
  const instance = resourceOf({ type: 'instance', monthlyCostCents: price, attributes: { instanceType: 'm5.xlarge' } });
  const peaks = (max: number, n = 14) => ({ cpu_percent: days(Array.from({ length: n }, () => ({ avg: 5, max }))) });

  it('suggests half the vCPUs when CPU peaks at or under 40%, saving the price difference', () => {
    const e = judge(rightsize, instance, { daily: peaks(30) });
    failedWith(e, instance, price - cents('aws', 'instance', 'm5.large', 'us-east-1'));
    expect(e.savingCents).toBe(7008);
    expect(e.fixParams).toEqual({ size: 'm5.large' });
    expect(e.evidence).toMatchObject({ peakCpuPercent: 30, suggestedSize: 'm5.large', daysWithData: 14 });
    expect(rightsize.fix?.action).toBe('resize');
  });

  it('passes busier peaks unless the threshold is raised', () => {
    expect(judge(rightsize, instance, { daily: peaks(55) }).verdict).toBe('pass');
    expect(judge(rightsize, instance, { daily: peaks(55), thresholds: { cpuPercent: 60 } }).verdict).toBe('fail');
  });

  it('is manual with too few days, and passes when the family has no smaller size', () => {
    expect(judge(rightsize, instance, { daily: peaks(10, 3) }).verdict).toBe('manual');
    expect(judge(rightsize, instance, { daily: peaks(10, 3), thresholds: { minDays: 3 } }).verdict).toBe('fail');
    const t3 = resourceOf({ type: 'instance', monthlyCostCents: 6074, attributes: { instanceType: 't3.large' } });
    const e = judge(rightsize, t3, { daily: peaks(10) });
    expect(e.verdict).toBe('pass');
    expect(e.evidence.suggestedSize).toBeNull();
  });

  it('judges only the days since the instance last started: a resize restarts it, its old days do not count', () => {
    const started = (daysAgo: number) =>
      resourceOf({
        type: 'instance',
        monthlyCostCents: price,
        attributes: {
          instanceType: 'm5.xlarge',
          launchTime: new Date(scanNow.getTime() - daysAgo * 86_400_000 - 3_600_000).toISOString(),
        },
      });
    // Resized (restarted) 3 days ago: 2 whole days since, 7 needed.
    const e = judge(rightsize, started(3), { daily: peaks(10) });
    expect(e.verdict).toBe('manual');
    expect(e.evidence).toMatchObject({ daysWithData: 2, startedDay: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
    expect(e.detail).toMatch(/^Only 2 days of CPU metrics since it last started \(\d{4}-\d\d-\d\d\) \(7 needed\)/);
    // Running for a month: the whole window counts.
    expect(judge(rightsize, started(30), { daily: peaks(10) })).toMatchObject({
      verdict: 'fail',
      evidence: { daysWithData: 14 },
    });
  });
});

describe('cost.ec2.stopped', () => {
  const stopped = rule('cost.ec2.stopped');
  const instance = (launched: number) =>
    resourceOf({
      type: 'instance',
      state: 'stopped',
      attributes: { instanceType: 'm5.large', launchTime: ago(launched) },
    });

  it('passes an instance started within the limit and asks a person about older ones', () => {
    expect(judge(stopped, instance(10)).verdict).toBe('pass');
    const e = judge(stopped, instance(100));
    expect(e.verdict).toBe('manual');
    expect(e.detail).toMatch(/StateTransitionReason/);
    expect(e.evidence).toMatchObject({ daysSinceLaunch: 100, stoppedDaysMax: 30 });
    expect(judge(stopped, instance(100), { thresholds: { stoppedDays: 120 } }).verdict).toBe('pass');
    expect(judge(stopped, { ...instance(100), state: 'running' }).verdict).toBe('pass');
  });
});

describe('cost.ec2.prev_gen', () => {
  const prevGen = rule('cost.ec2.prev_gen');

  it('fails previous-generation types with their current equivalent, and passes current ones', () => {
    const m4 = resourceOf({ type: 'instance', attributes: { instanceType: 'm4.large', priced: false } });
    const e = judge(prevGen, m4);
    // m4 is not in the price table: no saving is claimed.
    failedWith(e, m4, undefined);
    expect(e.evidence).toMatchObject({ instanceType: 'm4.large', family: 'm4', suggestedType: 'm5.large' });
    expect(
      judge(prevGen, resourceOf({ type: 'instance', attributes: { instanceType: 'i2.xlarge' } })).evidence,
    ).toMatchObject({
      suggestedType: null,
    });
    expect(judge(prevGen, resourceOf({ type: 'instance', attributes: { instanceType: 'm5.large' } })).verdict).toBe(
      'pass',
    );
  });
});

describe('cost.commit.coverage', () => {
  const commit = rule('cost.commit.coverage');
  const instance = (launched?: number) =>
    resourceOf({
      type: 'instance',
      attributes: { instanceType: 'm5.large', ...(launched === undefined ? {} : { launchTime: ago(launched) }) },
    });

  it('asks about steady on-demand instances, since commitments are not collected', () => {
    const e = judge(commit, instance(120));
    expect(e.verdict).toBe('manual');
    expect(e.detail).toMatch(/Reserved Instances or Savings Plans/);
    expect(e.evidence).toMatchObject({ daysRunning: 120, steadyDaysMin: 90 });
    expect(judge(commit, instance(60)).verdict).toBe('pass');
    expect(judge(commit, instance(120), { thresholds: { steadyDays: 150 } }).verdict).toBe('pass');
    expect(judge(commit, instance()).verdict).toBe('manual');
    expect(judge(commit, { ...instance(120), state: 'stopped' }).verdict).toBe('pass');
  });
});

describe('cost.ebs.unattached', () => {
  const unattached = rule('cost.ebs.unattached');
  const cost = cents('aws', 'disk', 'gp2', 'us-east-1', 100);
  const volume = (created: number, attachedTo: string | null = null) =>
    resourceOf({
      type: 'volume',
      state: attachedTo ? 'in-use' : 'available',
      monthlyCostCents: cost,
      attributes: { sizeGb: 100, volumeType: 'gp2', attachedTo, createTime: ago(created) },
    });

  it('fails an old unattached volume, saving its cost less the snapshot the fix keeps', () => {
    const e = judge(unattached, volume(30));
    failedWith(e, volume(30), cost - cents('aws', 'snapshot', 'standard', 'us-east-1', 100));
    expect(e.savingCents).toBe(500);
    expect(e.evidence).toMatchObject({ attachedTo: null, ageDays: 30, unattachedDaysMin: 7 });
    expect(unattached.fix?.action).toBe('snapshot_and_delete');
  });

  it('passes attached and young volumes; the age threshold is honoured', () => {
    expect(judge(unattached, volume(30, 'i-1')).verdict).toBe('pass');
    expect(judge(unattached, volume(3)).verdict).toBe('pass');
    expect(judge(unattached, volume(3), { thresholds: { unattachedDays: 2 } }).verdict).toBe('fail');
  });
});

describe('cost.ebs.gp2_io1', () => {
  const modernize = rule('cost.ebs.gp2_io1');
  const volume = (volumeType: string, iops: number | null = null) =>
    resourceOf({
      type: 'volume',
      monthlyCostCents: cents('aws', 'disk', volumeType, 'us-east-1', 100),
      attributes: { sizeGb: 100, volumeType, iops },
    });

  it('moves gp2 to gp3, saving the price difference', () => {
    const e = judge(modernize, volume('gp2'));
    failedWith(e, volume('gp2'), 1000 - 800);
    expect(e.fixParams).toEqual({ volumeType: 'gp3' });
    expect(e.evidence).toMatchObject({ volumeType: 'gp2', sizeGb: 100, suggestedType: 'gp3' });
  });

  it('moves io1 to gp3 when its IOPS fit, to io2 otherwise; passes the current types', () => {
    const low = judge(modernize, volume('io1', 5_000));
    failedWith(low, volume('io1', 5_000), 1250 - 800);
    expect(low.fixParams).toEqual({ volumeType: 'gp3' });
    const high = judge(modernize, volume('io1', 20_000));
    failedWith(high, volume('io1', 20_000), 0);
    expect(high.fixParams).toEqual({ volumeType: 'io2' });
    expect(judge(modernize, volume('gp3')).verdict).toBe('pass');
  });
});

describe('cost.snapshot.old and cost.snapshot.old.gcp', () => {
  const aws = rule('cost.snapshot.old');
  const gcp = rule('cost.snapshot.old.gcp');
  const snapshot = (age: number | null, provider: Resource['provider'] = 'aws') =>
    resourceOf({
      type: 'snapshot',
      provider,
      monthlyCostCents: 250,
      attributes: { sizeGb: 50, ...(age === null ? {} : { startTime: ago(age) }) },
    });

  it('fails snapshots older than 90 days, saving what they cost, and deletes them', () => {
    const e = judge(aws, snapshot(100));
    failedWith(e, snapshot(100), 250);
    expect(e.evidence).toMatchObject({ ageDays: 100, maxAgeDays: 90 });
    expect(aws.fix?.action).toBe('delete_snapshot');
    expect(judge(aws, snapshot(30)).verdict).toBe('pass');
    expect(judge(aws, snapshot(100), { thresholds: { maxAgeDays: 120 } }).verdict).toBe('pass');
    expect(judge(aws, snapshot(null)).verdict).toBe('manual');
  });

  it('names the image a CreateImage snapshot was made for', () => {
    const s = snapshot(100);
    s.attributes.description = 'Created by CreateImage(i-0abc) for ami-0123456789abcdef0';
    const e = judge(aws, s);
    expect(e.evidence.image).toBe('ami-0123456789abcdef0');
    expect(e.detail).toMatch(/deregister the image first/);
  });

  it('judges GCP snapshots the same way, under their own setting', () => {
    expect(gcp.provider).toBe('gcp');
    expect(judge(gcp, snapshot(100, 'gcp')).verdict).toBe('fail');
    expect(judge(gcp, snapshot(100, 'gcp'), { thresholds: { maxAgeDays: 365 } }).verdict).toBe('pass');
  });
});

describe('cost.snapshot.old.rds', () => {
  const orphan = rule('cost.snapshot.old.rds');
  const snapshot = (age: number) =>
    resourceOf({
      type: 'db_snapshot',
      id: 'db-snapshot/us-east-1/before-upgrade',
      attributes: { instance: 'orders', snapshotCreateTime: ago(age), snapshotType: 'manual', priced: false },
    });
  const source = resourceOf({ type: 'database', id: 'db/us-east-1/orders', state: 'available' });

  it('reads its source database through refs', () => {
    expect(orphan.refs?.(snapshot(40))).toEqual([
      { provider: 'aws', account: '111111111111', id: 'db/us-east-1/orders' },
    ]);
  });

  it('fails a snapshot of a deleted database older than 30 days, claiming no saving as backups are unpriced', () => {
    const e = judge(orphan, snapshot(40));
    failedWith(e, snapshot(40), undefined);
    expect(e.evidence).toMatchObject({ instance: 'orders', sourceExists: false, ageDays: 40, orphanDaysMin: 30 });
    expect(judge(orphan, snapshot(40), { others: [source] }).verdict).toBe('pass');
    expect(judge(orphan, snapshot(10)).verdict).toBe('pass');
    expect(judge(orphan, snapshot(10), { thresholds: { orphanDays: 5 } }).verdict).toBe('fail');
  });
});

describe('cost.eip.unassociated', () => {
  const eip = rule('cost.eip.unassociated');
  const address = (associatedTo: string | null) =>
    resourceOf({ type: 'ip_address', monthlyCostCents: 365, attributes: { publicIp: '203.0.113.7', associatedTo } });
  const instance = (state: string) => resourceOf({ type: 'instance', id: 'i-0abc', state });

  it('fails an address with no association or on a stopped instance, and releases it', () => {
    failedWith(judge(eip, address(null)), address(null), 365);
    const e = judge(eip, address('i-0abc'), { others: [instance('stopped')] });
    failedWith(e, address('i-0abc'), 365);
    expect(e.evidence).toMatchObject({ associatedTo: 'i-0abc', instanceState: 'stopped' });
    expect(eip.fix?.action).toBe('release_address');
  });

  it('passes an address on a running instance or a network interface', () => {
    expect(judge(eip, address('i-0abc'), { others: [instance('running')] }).verdict).toBe('pass');
    expect(judge(eip, address('eni-0abc')).verdict).toBe('pass');
    expect(eip.refs?.(address('eni-0abc'))).toEqual([]);
  });
});

describe('cost.elb.idle', () => {
  const elb = rule('cost.elb.idle');
  const lb = (healthy: number) =>
    resourceOf({
      type: 'load_balancer',
      state: 'active',
      monthlyCostCents: 1643,
      attributes: {
        lbType: 'application',
        targetGroups: [{ name: 'web', healthy }],
        healthyTargets: healthy,
        idle: healthy === 0,
      },
    });
  const requests = (n: number, count = 7) => ({
    request_count: days(Array.from({ length: count }, () => ({ avg: n }))),
  });

  it('fails a load balancer without a healthy target, saving what it costs', () => {
    const e = judge(elb, lb(0));
    failedWith(e, lb(0), 1643);
    expect(e.evidence).toMatchObject({ healthyTargets: 0, targetGroups: 1, requestsPerDay: null });
  });

  it('judges request counts when the inventory has a whole window of them', () => {
    expect(judge(elb, lb(2)).verdict).toBe('pass');
    failedWith(judge(elb, lb(2), { daily: requests(40) }), lb(2), 1643);
    expect(judge(elb, lb(2), { daily: requests(40, 6) }).verdict).toBe('pass');
    expect(judge(elb, lb(2), { daily: requests(40), thresholds: { minRequests: 10 } }).verdict).toBe('pass');
    expect(judge(elb, { ...lb(0), state: 'provisioning' }).verdict).toBe('pass');
  });
});

describe('cost.rds.idle and cost.nat.unused', () => {
  const rds = rule('cost.rds.idle');
  const nat = rule('cost.nat.unused');
  const db = resourceOf({
    type: 'database',
    state: 'available',
    monthlyCostCents: 5256,
    attributes: { class: 'db.t3.medium' },
  });
  const gateway = resourceOf({
    type: 'nat_gateway',
    state: 'available',
    monthlyCostCents: 3285,
    attributes: { vpcId: 'vpc-1' },
  });
  const flat = (name: string, value: number, count: number) => ({
    [name]: days(Array.from({ length: count }, () => ({ avg: value }))),
  });

  it('are manual while the inventory lacks the metric, naming it', () => {
    const e = judge(rds, db);
    expect(e.verdict).toBe('manual');
    expect(e.detail).toMatch(/DatabaseConnections/);
    const n = judge(nat, gateway);
    expect(n.verdict).toBe('manual');
    expect(n.detail).toMatch(/BytesOutToDestination/);
  });

  it('fail on a whole window of zeros and pass on any use; the windows are settings', () => {
    failedWith(judge(rds, db, { daily: flat('db_connections', 0, 7) }), db, 5256);
    expect(judge(rds, db, { daily: flat('db_connections', 3, 7) }).verdict).toBe('pass');
    expect(judge(rds, db, { daily: flat('db_connections', 0, 3) }).verdict).toBe('manual');
    expect(judge(rds, db, { daily: flat('db_connections', 0, 3), thresholds: { idleDays: 3 } }).verdict).toBe('fail');
    failedWith(judge(nat, gateway, { daily: flat('nat_bytes_out', 0, 32) }), gateway, 3285);
    expect(judge(nat, gateway, { daily: flat('nat_bytes_out', 1_000, 32) }).verdict).toBe('pass');
    expect(judge(nat, gateway, { daily: flat('nat_bytes_out', 0, 10), thresholds: { idleDays: 10 } }).verdict).toBe(
      'fail',
    );
    expect(judge(rds, { ...db, state: 'stopped' }).verdict).toBe('pass');
  });
});

describe('cost.az.orphans_idle', () => {
  const disk = rule('cost.az.orphans_idle.disk');
  const ip = rule('cost.az.orphans_idle.ip');
  const vm = rule('cost.az.orphans_idle.vm');
  const base = { provider: 'azure' as const, account: 'sub-1', region: 'eastus' };
  const p10 = cents('azure', 'disk', 'Premium_LRS/P10', 'eastus');
  const managedDisk = (diskState: string) =>
    resourceOf({
      ...base,
      type: 'volume',
      monthlyCostCents: p10,
      attributes: { sizeGb: 128, volumeType: 'Premium_LRS', diskState, timeCreated: ago(30) },
    });
  const vmPrice = cents('azure', 'instance', 'Standard_D2s_v3', 'eastus');
  const machine = (state: string) =>
    resourceOf({
      ...base,
      type: 'instance',
      state,
      monthlyCostCents: vmPrice,
      attributes: { vmSize: 'Standard_D2s_v3' },
    });
  const cpu = (avg: number) => ({ cpu_percent: days(Array.from({ length: 7 }, () => ({ avg }))) });

  it('fails unattached managed disks, saving the disk less a Standard_LRS snapshot', () => {
    const e = judge(disk, managedDisk('Unattached'));
    failedWith(e, managedDisk('Unattached'), p10 - cents('azure', 'snapshot', 'Standard_LRS', 'eastus', 128));
    expect(judge(disk, managedDisk('Attached')).verdict).toBe('pass');
    expect(judge(disk, managedDisk('Reserved')).verdict).toBe('pass');
    expect(judge(disk, managedDisk('Unattached'), { thresholds: { unattachedDays: 60 } }).verdict).toBe('pass');
  });

  it('fails unassociated public IPs', () => {
    const free = resourceOf({ ...base, type: 'ip_address', monthlyCostCents: 365, attributes: { associatedTo: null } });
    failedWith(judge(ip, free), free, 365);
    expect(judge(ip, { ...free, attributes: { associatedTo: '/subscriptions/…/ipConfigurations/x' } }).verdict).toBe(
      'pass',
    );
  });

  it('fails a VM averaging 5% CPU or less, and one stopped but still allocated; deallocates', () => {
    const e = judge(vm, machine('running'), { daily: cpu(3) });
    failedWith(e, machine('running'), vmPrice);
    expect(e.evidence).toMatchObject({ meanCpuPercent: 3, daysWithData: 7, windowDays: 7, cpuPercentMax: 5 });
    expect(judge(vm, machine('running'), { daily: cpu(20) }).verdict).toBe('pass');
    expect(judge(vm, machine('running'), { daily: cpu(3), thresholds: { cpuPercent: 2 } }).verdict).toBe('pass');
    expect(judge(vm, machine('running')).verdict).toBe('manual');
    failedWith(judge(vm, machine('stopped')), machine('stopped'), vmPrice);
    expect(judge(vm, { ...machine('deallocated'), monthlyCostCents: 0 }).verdict).toBe('pass');
    expect(vm.fix?.action).toBe('deallocate');
  });
});

describe('cost.gcp.orphans_idle', () => {
  const disk = rule('cost.gcp.orphans_idle.disk');
  const ip = rule('cost.gcp.orphans_idle.ip');
  const vm = rule('cost.gcp.orphans_idle.vm');
  const base = { provider: 'gcp' as const, account: 'proj', region: 'us-central1' };

  it('fails unattached persistent disks', () => {
    const pd = resourceOf({
      ...base,
      type: 'volume',
      state: 'available',
      monthlyCostCents: 1000,
      attributes: { sizeGb: 100, volumeType: 'pd-balanced', attachedTo: null, users: [], createTime: ago(20) },
    });
    failedWith(judge(disk, pd), pd, 1000 - 500);
    const used = {
      ...pd,
      attributes: { ...pd.attributes, attachedTo: 'zones/us-central1-a/instances/web', users: ['x'] },
    };
    expect(judge(disk, used).verdict).toBe('pass');
  });

  it('fails reserved external addresses only', () => {
    const address = (status: string, addressType = 'EXTERNAL') =>
      resourceOf({ ...base, type: 'ip_address', monthlyCostCents: 730, attributes: { status, addressType } });
    failedWith(judge(ip, address('RESERVED')), address('RESERVED'), 730);
    expect(judge(ip, address('IN_USE')).verdict).toBe('pass');
    expect(judge(ip, address('RESERVED', 'INTERNAL')).verdict).toBe('pass');
  });

  it('fails an idle running VM and stops it', () => {
    const machine = resourceOf({
      ...base,
      type: 'instance',
      monthlyCostCents: 4891,
      attributes: { machineType: 'e2-standard-2' },
    });
    const cpu = (avg: number) => ({ cpu_percent: days(Array.from({ length: 14 }, () => ({ avg }))) });
    failedWith(judge(vm, machine, { daily: cpu(1) }), machine, 4891);
    expect(judge(vm, machine, { daily: cpu(30) }).verdict).toBe('pass');
    expect(judge(vm, machine, { daily: cpu(30), thresholds: { cpuPercent: 40 } }).verdict).toBe('fail');
    expect(judge(vm, { ...machine, state: 'stopped', monthlyCostCents: 0 }).verdict).toBe('pass');
    expect(vm.fix?.action).toBe('stop');
  });
});

describe('cost.k8s.requests', () => {
  const requests = rule('cost.k8s.requests');
  const container = (name: string, cpuMillicores: number, memoryBytes: number) => ({
    name,
    requests: { cpu: `${cpuMillicores}m`, memory: `${memoryBytes}`, cpuMillicores, memoryBytes },
  });
  const pod = (containers: unknown[], phase = 'Running') =>
    resourceOf({
      provider: 'kubernetes',
      account: 'prod',
      region: 'prod-cluster',
      type: 'pod',
      id: 'web/pod/frontend-7d9f-abcde',
      attributes: { phase, ownerDeployment: 'frontend', containers },
    });
  const mi = 2 ** 20;
  const usage = (cpu: number, memory: number, count = 5) => ({
    cpu_millicores: days(Array.from({ length: count }, (_, i) => ({ avg: cpu / 2, max: i === 0 ? cpu : cpu / 2 }))),
    memory_bytes: days(Array.from({ length: count }, () => ({ avg: memory }))),
  });

  it('fails a pod requesting 3× its peak, with idle = requested − used and suggested requests', () => {
    const p = pod([container('app', 1000, 512 * mi)]);
    const e = judge(requests, p, { daily: usage(100, 400 * mi) });
    expect(e.verdict).toBe('fail');
    expect(e.evidence).toMatchObject({
      requestedMillicores: 1000,
      peakMillicores: 100,
      idleMillicores: 900,
      idleMemoryBytes: 112 * mi,
      suggestedMillicores: 120,
      suggestedMemoryMi: null,
    });
    expect(e.fixParams).toEqual({ deployment: 'frontend', container: 'app', cpu: '120m' });
    expect(requests.fix?.action).toBe('set_requests');
  });

  it('passes requests near use unless the ratio is lowered; memory is judged too', () => {
    const p = pod([container('app', 250, 512 * mi)]);
    expect(judge(requests, p, { daily: usage(100, 400 * mi) }).verdict).toBe('pass');
    expect(judge(requests, p, { daily: usage(100, 400 * mi), thresholds: { ratio: 2 } }).verdict).toBe('fail');
    const fat = judge(requests, pod([container('app', 250, 2048 * mi)]), { daily: usage(100, 100 * mi) });
    expect(fat.verdict).toBe('fail');
    expect(fat.fixParams).toEqual({ deployment: 'frontend', container: 'app', memory: '120Mi' });
  });

  it('is manual with too little usage, proposes no change for multi-container pods, passes pods not running', () => {
    const p = pod([container('app', 1000, 512 * mi)]);
    expect(judge(requests, p, { daily: usage(100, 100 * mi, 2) }).verdict).toBe('manual');
    expect(judge(requests, p).verdict).toBe('manual');
    const two = judge(requests, pod([container('app', 1000, 512 * mi), container('proxy', 100, 64 * mi)]), {
      daily: usage(100, 100 * mi),
    });
    expect(two.verdict).toBe('fail');
    expect(two.fixParams).toBeUndefined();
    expect(judge(requests, pod([container('app', 1000, 512 * mi)], 'Pending')).verdict).toBe('pass');
    expect(judge(requests, pod([{ name: 'app', requests: null }]), { daily: usage(100, 100 * mi) }).verdict).toBe(
      'pass',
    );
  });
});

describe('cost.vm.off_hours.* (non-production instances running around the clock)', () => {
  const aws = rule('cost.vm.off_hours.aws');
  const vm = (over: Partial<Resource> = {}) =>
    resourceOf({
      type: 'instance',
      state: 'running',
      tags: { Name: 'web-dev-1', env: 'dev', team: 'web' },
      monthlyCostCents: 30_368,
      attributes: { instanceType: 't3.medium' },
      ...over,
    });

  it('fails for a running dev instance, saving the share of the week 08:00–19:00 weekdays stops it', () => {
    const r = vm();
    const e = judge(aws, r);
    // 113 of 168 hours stopped.
    failedWith(e, r, Math.round((30_368 * 113) / 168));
    expect(e.detail).toBe(
      'Tagged env=dev and running around the clock: running only 08:00–19:00 Mon–Fri would stop it 67% of the week.',
    );
    expect(e.evidence).toMatchObject({
      environmentTag: 'env=dev',
      runHours: '08:00–19:00 Mon–Fri',
      offSharePercent: 67.3,
    });
  });

  it('reads the environment from env, environment or stage, in any case', () => {
    expect(judge(aws, vm({ tags: { Environment: 'QA' } })).verdict).toBe('fail');
    expect(judge(aws, vm({ tags: { STAGE: 'staging' } })).verdict).toBe('fail');
    expect(judge(aws, vm({ tags: { owner: 'web' } })).verdict).toBe('pass');
  });

  it('passes production, stopped instances, and those an off-hours schedule covers', () => {
    expect(judge(aws, vm({ tags: { env: 'prod' } })).verdict).toBe('pass');
    expect(judge(aws, vm({ state: 'stopped' })).verdict).toBe('pass');
    const covered = judge(aws, vm(), { offHours: { id: 'OH-3FA2C1', status: 'active' } });
    expect(covered).toMatchObject({ verdict: 'pass', evidence: { schedule: 'OH-3FA2C1', scheduleStatus: 'active' } });
  });

  it('takes its environments from SCAN_OFF_HOURS_ENVS', () => {
    expect(judge(aws, vm({ tags: { env: 'perf' } })).verdict).toBe('pass');
    expect(judge(aws, vm({ tags: { env: 'perf' } }), { lists: { environments: ['perf'] } }).verdict).toBe('fail');
    expect(judge(aws, vm(), { lists: { environments: ['perf'] } }).verdict).toBe('pass');
  });

  it('judges Azure VMs and GCE instances alike', () => {
    for (const [id, provider] of [
      ['cost.vm.off_hours.azure', 'azure'],
      ['cost.vm.off_hours.gcp', 'gcp'],
    ] as const) {
      const r = vm({ provider, attributes: { vmSize: 'Standard_B2s' } });
      failedWith(judge(rule(id), r), r, Math.round((30_368 * 113) / 168));
      expect(judge(rule(id), vm({ provider, state: 'deallocated' })).verdict).toBe('pass');
    }
  });
});
