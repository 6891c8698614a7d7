import { monthlyCents, pricedKeys, priceItem } from '../../cloud/pricing/index.ts';
import type { ProviderName, Resource } from '../../cloud/resource.ts';
import { dateAttr, daysBetween, fail, manual, pass } from '../rule.ts';
import type { DailyMetric, Rule, Threshold } from '../rule.ts';
import { daysText, defaultTimes, offShare } from '../offhours/time.ts';

/**
 * The cost rules of the scan-rules table (issue 15, rows `cost.*`). Savings are integer cents a
 * month, read from the resource's priced monthly cost or the price tables, never above what the
 * resource costs; a saving the tables cannot price is left out rather than guessed. Where the
 * inventory does not collect what a check needs (request counts, connections, NAT traffic,
 * commitments), the rule says `manual` and names what is missing.
 */

const MB = 1_000_000;
/** CloudWatch's daily Average of NetworkIn/Out is bytes per 5-minute sample: 288 samples make the day. */
const awsSamplesPerDay = 288;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A saving as whole cents, never negative and never more than the resource costs. */
const capped = (cents: number, r: Resource): number => Math.max(0, Math.min(Math.round(cents), r.monthlyCostCents));

/** A threshold before its env name is set by `named`. */
type Limit = Omit<Threshold, 'env'>;

const days = (description: string, def: number, min = 1, max = 3650): Limit => ({
  default: def,
  unit: 'days',
  description,
  min,
  max,
});
const percent = (description: string, def: number): Limit => ({
  default: def,
  unit: 'percent',
  description,
  min: 0,
  max: 100,
});
/** Thresholds by name, each with its env variable. */
const named = (entries: Record<string, [string, Limit]>): Record<string, Threshold> =>
  Object.fromEntries(Object.entries(entries).map(([k, [env, t]]) => [k, { ...t, env }]));

/** Age in whole days of a date attribute, or undefined when absent. */
const ageOf = (value: unknown, now: Date): number | undefined => {
  const d = dateAttr(value);
  return d ? daysBetween(d, now) : undefined;
};

const byDay = (list: readonly DailyMetric[]) => new Map(list.map((m) => [m.day, m]));
const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// ---- instances (AWS)

const idleThresholds = named({
  cpuPercent: ['SCAN_IDLE_CPU_PERCENT', percent('Daily average CPU at or under which an EC2 day counts as idle', 10)],
  networkMb: [
    'SCAN_IDLE_NETWORK_MB',
    {
      default: 5,
      unit: 'megabytes',
      description: 'Network in + out (MB, 10^6 bytes) in a day at or under which an EC2 day counts as idle',
      min: 0,
      max: 1_000_000,
    },
  ],
  minDays: ['SCAN_IDLE_MIN_DAYS', days('Idle days within the window that make an EC2 instance idle', 4)],
  windowDays: ['SCAN_IDLE_WINDOW_DAYS', days('Days of EC2 metrics the idle check looks at', 14, 1, 90)],
});

const ec2Idle: Rule = {
  id: 'cost.ec2.idle',
  title: 'EC2 instance is idle',
  category: 'cost',
  provider: 'aws',
  types: ['instance'],
  severity: 'medium',
  remediation: 'Stop the instance (or terminate it once its owner agrees); if it must stay, move it to a smaller size.',
  thresholds: idleThresholds,
  metrics: { names: ['cpu_percent', 'network_in_bytes', 'network_out_bytes'], days: 'windowDays' },
  fix: { action: 'stop', title: 'Stop the instance' },
  evaluate(r, ctx) {
    if (r.state !== 'running') return pass({ state: r.state });
    const cpuMax = ctx.threshold('cpuPercent');
    const netMax = ctx.threshold('networkMb');
    const minDays = ctx.threshold('minDays');
    const windowDays = ctx.threshold('windowDays');
    const cpu = ctx.daily('cpu_percent');
    if (cpu.length === 0)
      return manual({ state: r.state, windowDays }, `No CPU metrics were collected for the last ${windowDays} days.`);
    // An idle day is a quiet-CPU day first: too few of those and the network cannot change the
    // verdict (nor is it read: most instances are busy).
    const cpuQuietDays = cpu.reduce((n, c) => (round(c.avg) <= cpuMax ? n + 1 : n), 0);
    if (cpuQuietDays < minDays)
      return pass({
        instanceType: r.attributes.instanceType ?? null,
        cpuQuietDays,
        daysWithData: cpu.length,
        windowDays,
        cpuPercentMax: cpuMax,
        minDays,
      });
    const netIn = byDay(ctx.daily('network_in_bytes'));
    const netOut = byDay(ctx.daily('network_out_bytes'));
    if (netIn.size === 0 || netOut.size === 0)
      return manual(
        { state: r.state, windowDays, daysWithCpu: cpu.length },
        `No network metrics were collected for the last ${windowDays} days (CPU alone does not make an instance idle).`,
      );
    // A day counts only when its CPU and both network figures are known: a missing figure is not a zero.
    const perDay = cpu.map((c) => {
      const i = netIn.get(c.day);
      const o = netOut.get(c.day);
      const networkMb = i && o ? round(((i.avg + o.avg) * awsSamplesPerDay) / MB) : null;
      return { day: c.day, cpuPercent: round(c.avg), networkMb };
    });
    const idle = perDay.filter((d) => d.cpuPercent <= cpuMax && d.networkMb !== null && d.networkMb <= netMax);
    const evidence = {
      instanceType: r.attributes.instanceType ?? null,
      idleDays: idle.length,
      daysWithData: cpu.length,
      windowDays,
      cpuPercentMax: cpuMax,
      networkMbMax: netMax,
      minDays,
      days: perDay,
    };
    if (idle.length < minDays) return pass(evidence);
    return fail(
      evidence,
      `CPU ≤${cpuMax}% and network ≤${netMax} MB on ${idle.length} of the last ${windowDays} days.`,
      { savingCents: capped(r.monthlyCostCents, r) },
    );
  },
};

/** The size of the same family with half the vCPUs, the dearest such priced one (m5.xlarge → m5.large). */
const smallerSize = (provider: ProviderName, instanceType: string, region: string): string | undefined => {
  const current = priceItem(provider, 'instance', instanceType);
  if (!current?.vcpu) return undefined;
  const family = instanceType.split('.')[0];
  const candidates = pricedKeys(provider, 'instance', region)
    .filter((k) => k.split('.')[0] === family && priceItem(provider, 'instance', k)?.vcpu === current.vcpu! / 2)
    .map((k) => ({ k, cents: monthlyCents(provider, 'instance', k, region) ?? Infinity }))
    .sort((a, b) => b.cents - a.cents);
  return candidates[0]?.k;
};

const ec2Rightsize: Rule = {
  id: 'cost.ec2.rightsize',
  title: 'EC2 instance is larger than its CPU peaks need',
  category: 'cost',
  provider: 'aws',
  types: ['instance'],
  severity: 'low',
  remediation:
    'Resize to the suggested size (half the vCPUs) after checking memory use, which CloudWatch does not report without the agent.',
  thresholds: named({
    cpuPercent: [
      'SCAN_RIGHTSIZE_CPU_PERCENT',
      percent('Highest daily CPU peak at or under which an instance fits in half its vCPUs', 40),
    ],
    minDays: ['SCAN_RIGHTSIZE_MIN_DAYS', days('Days of CPU metrics needed before suggesting a smaller size', 7)],
    windowDays: ['SCAN_RIGHTSIZE_WINDOW_DAYS', days('Days of CPU peaks the rightsizing check looks at', 14, 1, 90)],
  }),
  metrics: { names: ['cpu_percent'], days: 'windowDays' },
  fix: { action: 'resize', title: 'Resize to the smaller size' },
  evaluate(r, ctx) {
    if (r.state !== 'running') return pass({ state: r.state });
    const instanceType = str(r.attributes.instanceType) ?? 'unknown';
    const limit = ctx.threshold('cpuPercent');
    const minDays = ctx.threshold('minDays');
    // Only whole days since the instance last started: a resize stops and starts it (EC2 then sets
    // LaunchTime), and the days before belong to its old size; judging them again would ask to
    // halve it a second time right after the first fix.
    const startedDay = typeof r.attributes.launchTime === 'string' ? r.attributes.launchTime.slice(0, 10) : null;
    const cpu = ctx.daily('cpu_percent').filter((d) => startedDay === null || d.day > startedDay);
    const peak = cpu.length ? round(Math.max(...cpu.map((c) => c.max))) : null;
    const evidence = {
      instanceType,
      peakCpuPercent: peak,
      daysWithData: cpu.length,
      cpuPercentMax: limit,
      minDays,
      startedDay,
    };
    if (cpu.length < minDays)
      return manual(
        evidence,
        `Only ${cpu.length} days of CPU metrics${startedDay ? ` since it last started (${startedDay})` : ''} (${minDays} needed) to judge the size.`,
      );
    if (peak! > limit) return pass(evidence);
    const size = smallerSize('aws', instanceType, r.region);
    if (!size) return pass({ ...evidence, suggestedSize: null });
    const now = monthlyCents('aws', 'instance', instanceType, r.region);
    const then = monthlyCents('aws', 'instance', size, r.region);
    return fail(
      { ...evidence, suggestedSize: size },
      `CPU peaked at ${peak}% over ${cpu.length} days: ${size} (half the vCPUs) would run it under ${Math.min(100, peak! * 2)}%.`,
      {
        ...(now !== undefined && then !== undefined ? { savingCents: capped(now - then, r) } : {}),
        fixParams: { size },
      },
    );
  },
};

const ec2Stopped: Rule = {
  id: 'cost.ec2.stopped',
  title: 'EC2 instance stopped for long',
  category: 'cost',
  provider: 'aws',
  types: ['instance'],
  severity: 'low',
  remediation:
    'Terminate the instance if nobody needs it (snapshot its volumes first): its EBS volumes and Elastic IPs bill while it is stopped.',
  thresholds: named({
    stoppedDays: ['SCAN_STOPPED_DAYS', days('Days stopped after which an EC2 instance is flagged', 30)],
  }),
  evaluate(r, ctx) {
    if (r.state !== 'stopped') return pass({ state: r.state });
    const limit = ctx.threshold('stoppedDays');
    const sinceLaunch = ageOf(r.attributes.launchTime, ctx.now);
    const evidence = {
      state: r.state,
      launchTime: r.attributes.launchTime ?? null,
      daysSinceLaunch: sinceLaunch ?? null,
      stoppedDaysMax: limit,
    };
    // LaunchTime is the last start: an instance started within the limit cannot have been stopped longer.
    if (sinceLaunch !== undefined && sinceLaunch <= limit) return pass(evidence);
    return manual(
      evidence,
      `Stopped, last started ${sinceLaunch ?? 'an unknown number of'} days ago; the inventory does not record when it stopped (EC2 StateTransitionReason), so check whether it has been stopped over ${limit} days.`,
    );
  },
};

/** Previous-generation families and the current family of the same kind (none: no like-for-like suggestion). */
const previousGenerations: Record<string, string | null> = {
  t1: 't3',
  t2: 't3',
  m1: 'm5',
  m2: 'r5',
  m3: 'm5',
  m4: 'm5',
  c1: 'c5',
  c3: 'c5',
  c4: 'c5',
  r3: 'r5',
  r4: 'r5',
  i2: null,
  d2: null,
  g2: null,
  cc2: null,
  cr1: null,
  hs1: null,
};

const ec2PrevGen: Rule = {
  id: 'cost.ec2.prev_gen',
  title: 'EC2 instance on a previous-generation family',
  category: 'cost',
  provider: 'aws',
  types: ['instance'],
  severity: 'low',
  remediation:
    'Move to the current generation of the family (or a Graviton family where the software runs on Arm); check ENA and NVMe drivers before a Nitro move.',
  evaluate(r) {
    const instanceType = str(r.attributes.instanceType) ?? 'unknown';
    const [family, size] = instanceType.split('.');
    if (!family || !(family in previousGenerations)) return pass({ instanceType });
    const next = previousGenerations[family];
    const suggested = next && size ? `${next}.${size}` : null;
    const now = monthlyCents('aws', 'instance', instanceType, r.region);
    const then = suggested ? monthlyCents('aws', 'instance', suggested, r.region) : undefined;
    return fail(
      { instanceType, family, suggestedType: suggested },
      `${instanceType} is a previous-generation type${suggested ? `; ${suggested} is its current equivalent` : ''}.`,
      r.state === 'running' && now !== undefined && then !== undefined ? { savingCents: capped(now - then, r) } : {},
    );
  },
};

const commitCoverage: Rule = {
  id: 'cost.commit.coverage',
  title: 'Long-running on-demand instance: check commitment coverage',
  category: 'cost',
  provider: 'aws',
  types: ['instance'],
  severity: 'info',
  remediation:
    'If no Reserved Instance or Savings Plan covers this steady instance, buy one for its family and region; renew those that expire soon.',
  thresholds: named({
    steadyDays: [
      'SCAN_COMMIT_STEADY_DAYS',
      days('Days running on demand after which commitment coverage is worth checking', 90),
    ],
  }),
  evaluate(r, ctx) {
    if (r.state !== 'running') return pass({ state: r.state });
    const limit = ctx.threshold('steadyDays');
    const running = ageOf(r.attributes.launchTime, ctx.now);
    const evidence = {
      instanceType: r.attributes.instanceType ?? null,
      daysRunning: running ?? null,
      steadyDaysMin: limit,
    };
    if (running === undefined) return manual(evidence, 'The instance has no launch time to tell how long it has run.');
    if (running <= limit) return pass(evidence);
    return manual(
      evidence,
      `Running on demand for ${running} days; the inventory does not collect Reserved Instances or Savings Plans, so check whether one covers it.`,
    );
  },
};

// ---- volumes, snapshots, addresses

/** The monthly cost of a full-size snapshot of a volume (what `snapshot_and_delete` keeps), or 0 when unpriced. */
const snapshotKeys: Record<string, string> = { aws: 'standard', azure: 'Standard_LRS', gcp: 'standard' };
const keptSnapshotCents = (r: Resource): number =>
  monthlyCents(
    r.provider,
    'snapshot',
    snapshotKeys[r.provider] ?? 'standard',
    r.region,
    num(r.attributes.sizeGb) ?? 0,
  ) ?? 0;

interface OrphanVolumeSpec {
  id: string;
  provider: ProviderName;
  env: string;
  created: string;
  unattached(r: Resource): boolean;
}

/**
 * Unattached volumes. No provider's listing says when a disk was detached, so the age judged is
 * the disk's own: a disk younger than the limit passes (it may be about to be attached).
 */
const orphanVolume = (s: OrphanVolumeSpec): Rule => ({
  id: s.id,
  title: 'Volume not attached to any instance',
  category: 'cost',
  provider: s.provider,
  types: ['volume'],
  severity: 'medium',
  remediation: 'Snapshot the volume and delete it if nobody claims it; the snapshot costs a fraction of the disk.',
  thresholds: named({
    unattachedDays: [s.env, days('Age in days after which an unattached volume is flagged', 7)],
  }),
  fix: { action: 'snapshot_and_delete', title: 'Snapshot and delete the volume' },
  evaluate(r, ctx) {
    const limit = ctx.threshold('unattachedDays');
    const age = ageOf(r.attributes[s.created], ctx.now);
    const evidence = {
      attachedTo: r.attributes.attachedTo ?? null,
      state: r.state,
      sizeGb: r.attributes.sizeGb ?? null,
      volumeType: r.attributes.volumeType ?? null,
      ageDays: age ?? null,
      unattachedDaysMin: limit,
    };
    if (!s.unattached(r)) return pass(evidence);
    if (age !== undefined && age < limit) return pass(evidence);
    return fail(
      evidence,
      `Unattached, created ${age ?? 'an unknown number of'} days ago (the detach time is not reported).`,
      { savingCents: capped(r.monthlyCostCents - keptSnapshotCents(r), r) },
    );
  },
});

const ebsUnattached = orphanVolume({
  id: 'cost.ebs.unattached',
  provider: 'aws',
  env: 'SCAN_UNATTACHED_DAYS',
  created: 'createTime',
  unattached: (r) => r.state === 'available' && !r.attributes.attachedTo,
});

const ebsModernize: Rule = {
  id: 'cost.ebs.gp2_io1',
  title: 'EBS volume on an older type (gp2 or io1)',
  category: 'cost',
  provider: 'aws',
  types: ['volume'],
  severity: 'low',
  remediation:
    'Change gp2 to gp3 (20% cheaper per GB, 3,000 IOPS baseline) and io1 to gp3 where its IOPS fit (≤16,000), otherwise to io2; the change is online.',
  fix: { action: 'modify_volume_type', title: 'Change the volume type' },
  evaluate(r) {
    const volumeType = str(r.attributes.volumeType) ?? 'unknown';
    const sizeGb = num(r.attributes.sizeGb) ?? 0;
    const iops = num(r.attributes.iops) ?? null;
    const evidence = { volumeType, sizeGb, iops };
    if (volumeType !== 'gp2' && volumeType !== 'io1') return pass(evidence);
    // gp3 tops out at 16,000 IOPS; a busier io1 moves to io2 instead.
    const target = volumeType === 'gp2' || (iops ?? 0) <= 16_000 ? 'gp3' : 'io2';
    const now = monthlyCents('aws', 'disk', volumeType, r.region, sizeGb);
    const then = monthlyCents('aws', 'disk', target, r.region, sizeGb);
    return fail(
      { ...evidence, suggestedType: target },
      `${volumeType} volume: ${target} costs ${target === 'io2' ? 'the same per GB with cheaper IOPS tiers' : 'less per GB'}${volumeType === 'io1' ? ' (provisioned IOPS prices not counted)' : ''}.`,
      {
        ...(now !== undefined && then !== undefined ? { savingCents: capped(now - then, r) } : {}),
        fixParams: { volumeType: target },
      },
    );
  },
};

interface OldSnapshotSpec {
  id: string;
  provider: ProviderName;
  env: string;
}

const oldSnapshot = (s: OldSnapshotSpec): Rule => ({
  id: s.id,
  title: 'Disk snapshot older than the retention limit',
  category: 'cost',
  provider: s.provider,
  types: ['snapshot'],
  severity: 'low',
  remediation: 'Delete the snapshot unless a retention policy or an image still needs it.',
  thresholds: named({ maxAgeDays: [s.env, days('Age in days after which a disk snapshot is flagged', 90)] }),
  fix: { action: 'delete_snapshot', title: 'Delete the snapshot' },
  evaluate(r, ctx) {
    const limit = ctx.threshold('maxAgeDays');
    const age = ageOf(r.attributes.startTime, ctx.now);
    const evidence = {
      startTime: r.attributes.startTime ?? null,
      ageDays: age ?? null,
      maxAgeDays: limit,
      sizeGb: r.attributes.sizeGb ?? null,
    };
    if (age === undefined) return manual(evidence, 'The snapshot has no creation time.');
    if (age <= limit) return pass(evidence);
    // EC2 refuses to delete a snapshot behind a registered AMI; CreateImage's description names it.
    const image = /\bami-[0-9a-f]+/.exec(str(r.attributes.description) ?? '')?.[0];
    return fail(
      { ...evidence, ...(image ? { image } : {}) },
      `Snapshot is ${age} days old (limit ${limit})${image ? `; it was made for ${image}: deregister the image first if it still exists` : ''}.`,
      {
        savingCents: capped(r.monthlyCostCents, r),
      },
    );
  },
});

const dbSnapshotOrphan: Rule = {
  id: 'cost.snapshot.old.rds',
  title: 'RDS snapshot of a deleted database',
  category: 'cost',
  provider: 'aws',
  types: ['db_snapshot'],
  severity: 'low',
  remediation: 'Delete the snapshot, or export it to S3 if it must be kept: its database is gone.',
  thresholds: named({
    orphanDays: [
      'SCAN_DB_SNAPSHOT_ORPHAN_DAYS',
      days('Age in days after which an RDS snapshot of a deleted database is flagged', 30),
    ],
  }),
  refs: (r) => {
    const instance = str(r.attributes.instance);
    return instance ? [{ provider: r.provider, account: r.account, id: `db/${r.region}/${instance}` }] : [];
  },
  fix: { action: 'delete_snapshot', title: 'Delete the snapshot' },
  evaluate(r, ctx) {
    const limit = ctx.threshold('orphanDays');
    const instance = str(r.attributes.instance);
    const source = instance
      ? ctx.lookup({ provider: r.provider, account: r.account, id: `db/${r.region}/${instance}` })
      : undefined;
    const age = ageOf(r.attributes.snapshotCreateTime, ctx.now);
    const evidence = {
      instance: instance ?? null,
      sourceExists: Boolean(source),
      snapshotCreateTime: r.attributes.snapshotCreateTime ?? null,
      ageDays: age ?? null,
      orphanDaysMin: limit,
    };
    if (source) return pass(evidence);
    if (age === undefined)
      return manual(evidence, 'The source database is gone and the snapshot has no creation time.');
    // The deletion time is not recorded; the snapshot's age is the longest the source can have been gone.
    if (age < limit) return pass(evidence);
    return fail(
      evidence,
      `Its database ${instance ?? '(unnamed)'} is no longer in the inventory and the snapshot is ${age} days old.`,
      r.attributes.priced === false ? {} : { savingCents: capped(r.monthlyCostCents, r) },
    );
  },
};

const eipUnassociated: Rule = {
  id: 'cost.eip.unassociated',
  title: 'Elastic IP not associated with a running instance',
  category: 'cost',
  provider: 'aws',
  types: ['ip_address'],
  severity: 'low',
  remediation: 'Release the address, or associate it with the running instance that needs it.',
  refs: (r) => {
    const to = str(r.attributes.associatedTo);
    return to?.startsWith('i-') ? [{ provider: r.provider, account: r.account, id: to }] : [];
  },
  fix: { action: 'release_address', title: 'Release the address' },
  evaluate(r, ctx) {
    const to = str(r.attributes.associatedTo);
    const evidence = { publicIp: r.attributes.publicIp ?? null, associatedTo: to ?? null };
    if (!to)
      return fail(evidence, 'The address is not associated with anything.', {
        savingCents: capped(r.monthlyCostCents, r),
      });
    // A network interface may belong to a load balancer or NAT: only instances are judged further.
    if (!to.startsWith('i-')) return pass(evidence);
    const instance = ctx.lookup({ provider: r.provider, account: r.account, id: to });
    const withState = { ...evidence, instanceState: instance?.state ?? null };
    if (instance?.state === 'running') return pass(withState);
    return fail(
      withState,
      instance
        ? `Associated with ${to}, which is ${instance.state}.`
        : `Associated with ${to}, which is not in the inventory.`,
      { savingCents: capped(r.monthlyCostCents, r) },
    );
  },
};

// ---- load balancers, databases, NAT gateways (AWS)

const elbIdle: Rule = {
  id: 'cost.elb.idle',
  title: 'Load balancer serves nothing',
  category: 'cost',
  provider: 'aws',
  types: ['load_balancer'],
  severity: 'medium',
  remediation: 'Delete the load balancer if nothing should sit behind it, or register healthy targets.',
  thresholds: named({
    minRequests: [
      'SCAN_ELB_MIN_REQUESTS_PER_DAY',
      {
        default: 100,
        unit: 'requests',
        description: 'Requests a day under which a load balancer day counts as idle',
        min: 0,
        max: 1_000_000_000,
      },
    ],
    idleDays: [
      'SCAN_ELB_IDLE_DAYS',
      days('Consecutive idle days (latest first) that make a load balancer idle', 7, 1, 90),
    ],
  }),
  metrics: { names: ['request_count'], days: 'idleDays' },
  evaluate(r, ctx) {
    const minRequests = ctx.threshold('minRequests');
    const idleDays = ctx.threshold('idleDays');
    const requests = ctx.daily('request_count');
    const evidence = {
      lbType: r.attributes.lbType ?? null,
      targetGroups: Array.isArray(r.attributes.targetGroups) ? r.attributes.targetGroups.length : null,
      healthyTargets: r.attributes.healthyTargets ?? null,
      requestsPerDay: requests.length ? requests.map((d) => ({ day: d.day, requests: d.avg })) : null,
      minRequestsPerDay: minRequests,
      idleDays,
    };
    if (r.state !== 'active') return pass({ ...evidence, state: r.state });
    if (r.attributes.idle === true)
      return fail(evidence, 'No target group has a healthy target: it is billed and serves nothing.', {
        savingCents: capped(r.monthlyCostCents, r),
      });
    // Request counts are judged when the inventory has them for the whole window; it does not collect them today.
    if (requests.length >= idleDays && requests.every((d) => d.avg < minRequests))
      return fail(evidence, `Under ${minRequests} requests a day for the last ${idleDays} days.`, {
        savingCents: capped(r.monthlyCostCents, r),
      });
    return pass(evidence);
  },
};

const rdsIdle: Rule = {
  id: 'cost.rds.idle',
  title: 'RDS database without connections',
  category: 'cost',
  provider: 'aws',
  types: ['database'],
  severity: 'medium',
  remediation: 'Snapshot and delete the database if nobody uses it, or stop it while unused.',
  thresholds: named({
    idleDays: ['SCAN_RDS_IDLE_DAYS', days('Days without a connection that make an RDS database idle', 7, 1, 90)],
  }),
  metrics: { names: ['db_connections'], days: 'idleDays' },
  evaluate(r, ctx) {
    if (r.state !== 'available') return pass({ state: r.state });
    const idleDays = ctx.threshold('idleDays');
    const conns = ctx.daily('db_connections');
    const evidence = {
      class: r.attributes.class ?? null,
      engine: r.attributes.engine ?? null,
      daysWithData: conns.length,
      peakConnections: conns.length ? Math.max(...conns.map((d) => d.max)) : null,
      idleDays,
    };
    if (conns.length < idleDays)
      return manual(
        evidence,
        `The inventory has ${conns.length} of ${idleDays} days of connection counts (CloudWatch DatabaseConnections is not collected): check whether anything connects.`,
      );
    if (conns.some((d) => d.max > 0)) return pass(evidence);
    return fail(evidence, `No connections in the last ${idleDays} days.`, {
      savingCents: capped(r.monthlyCostCents, r),
    });
  },
};

const natUnused: Rule = {
  id: 'cost.nat.unused',
  title: 'NAT gateway without traffic',
  category: 'cost',
  provider: 'aws',
  types: ['nat_gateway'],
  severity: 'medium',
  remediation: 'Delete the NAT gateway if no private subnet routes through it.',
  thresholds: named({
    idleDays: ['SCAN_NAT_IDLE_DAYS', days('Days without traffic that make a NAT gateway unused', 32, 1, 90)],
  }),
  metrics: { names: ['nat_bytes_out'], days: 'idleDays' },
  evaluate(r, ctx) {
    if (r.state !== 'available') return pass({ state: r.state });
    const idleDays = ctx.threshold('idleDays');
    const traffic = ctx.daily('nat_bytes_out');
    const evidence = {
      vpcId: r.attributes.vpcId ?? null,
      daysWithData: traffic.length,
      bytesOut: traffic.reduce((n, d) => n + d.avg, 0),
      idleDays,
    };
    if (traffic.length < idleDays)
      return manual(
        evidence,
        `The inventory has ${traffic.length} of ${idleDays} days of NAT traffic (CloudWatch BytesOutToDestination is not collected) and no route tables: check whether any subnet routes through it.`,
      );
    if (traffic.some((d) => d.max > 0)) return pass(evidence);
    return fail(evidence, `No traffic in the last ${idleDays} days.`, { savingCents: capped(r.monthlyCostCents, r) });
  },
};

// ---- Azure and GCP orphans and idle VMs

const unattachedIp = (id: string, provider: ProviderName, isIdle: (r: Resource) => boolean): Rule => ({
  id,
  title: 'Public IP address not associated with anything',
  category: 'cost',
  provider,
  types: ['ip_address'],
  severity: 'low',
  remediation: 'Release the address if nothing will use it; a reserved address bills whether used or not.',
  fix: { action: 'release_address', title: 'Release the address' },
  evaluate(r) {
    const evidence = {
      address: r.attributes.ipAddress ?? r.attributes.address ?? null,
      associatedTo: r.attributes.associatedTo ?? null,
      status: r.attributes.status ?? r.state,
    };
    if (!isIdle(r)) return pass(evidence);
    return fail(evidence, 'The address is reserved and not associated with anything.', {
      savingCents: capped(r.monthlyCostCents, r),
    });
  },
});

interface IdleVmSpec {
  id: string;
  provider: ProviderName;
  cpuEnv: string;
  cpuDefault: number;
  windowEnv: string;
  windowDefault: number;
  /** The provider's action that stops compute billing. */
  stop: string;
  /** States in which the VM bills compute and is judged. */
  billed: readonly string[];
}

/**
 * Idle VMs by the mean of their daily average CPU over the window: Azure Advisor's rule (CPU 5% or
 * less over 7 days; its network test needs figures Advisor keeps to itself), and for GCP a stand-in
 * for Recommender's idle-VM findings, which the inventory does not read.
 */
const idleVm = (s: IdleVmSpec): Rule => ({
  id: s.id,
  title: 'VM is idle',
  category: 'cost',
  provider: s.provider,
  types: ['instance'],
  severity: 'medium',
  remediation:
    'Stop (deallocate) the VM or delete it once its owner agrees; if it must run, move it to a smaller size.',
  thresholds: named({
    cpuPercent: [s.cpuEnv, percent('Mean daily CPU at or under which a VM is idle', s.cpuDefault)],
    windowDays: [s.windowEnv, days('Days of VM CPU the idle check looks at', s.windowDefault, 1, 90)],
  }),
  metrics: { names: ['cpu_percent'], days: 'windowDays' },
  fix: { action: s.stop, title: 'Stop the VM' },
  evaluate(r, ctx) {
    const size = r.attributes.vmSize ?? r.attributes.machineType ?? null;
    if (!s.billed.includes(r.state)) return pass({ state: r.state, size });
    const limit = ctx.threshold('cpuPercent');
    const windowDays = ctx.threshold('windowDays');
    // Azure bills a VM that is stopped from inside the guest; only a deallocated one stops billing.
    if (r.state === 'stopped')
      return fail({ state: r.state, size }, 'Stopped but still allocated: its compute is billed.', {
        savingCents: capped(r.monthlyCostCents, r),
      });
    const cpu = ctx.daily('cpu_percent');
    if (cpu.length === 0)
      return manual(
        { state: r.state, size, windowDays },
        `No CPU metrics were collected for the last ${windowDays} days.`,
      );
    const avg = round(mean(cpu.map((d) => d.avg)));
    const evidence = {
      state: r.state,
      size,
      meanCpuPercent: avg,
      daysWithData: cpu.length,
      windowDays,
      cpuPercentMax: limit,
    };
    if (avg > limit) return pass(evidence);
    return fail(evidence, `CPU averaged ${avg}% over ${cpu.length} days (${limit}% or less).`, {
      savingCents: capped(r.monthlyCostCents, r),
    });
  },
});

const azDisk = orphanVolume({
  id: 'cost.az.orphans_idle.disk',
  provider: 'azure',
  env: 'SCAN_AZURE_UNATTACHED_DAYS',
  created: 'timeCreated',
  unattached: (r) => r.attributes.diskState === 'Unattached',
});
const azIp = unattachedIp('cost.az.orphans_idle.ip', 'azure', (r) => !r.attributes.associatedTo);
const azVm = idleVm({
  id: 'cost.az.orphans_idle.vm',
  provider: 'azure',
  cpuEnv: 'SCAN_AZURE_IDLE_CPU_PERCENT',
  cpuDefault: 5,
  windowEnv: 'SCAN_AZURE_IDLE_WINDOW_DAYS',
  windowDefault: 7,
  stop: 'deallocate',
  billed: ['running', 'stopped'],
});

const gcpDisk = orphanVolume({
  id: 'cost.gcp.orphans_idle.disk',
  provider: 'gcp',
  env: 'SCAN_GCP_UNATTACHED_DAYS',
  created: 'createTime',
  unattached: (r) => !r.attributes.attachedTo && !(Array.isArray(r.attributes.users) && r.attributes.users.length),
});
// Internal addresses are free; an external one that is RESERVED (not IN_USE) bills the idle rate.
const gcpIp = unattachedIp(
  'cost.gcp.orphans_idle.ip',
  'gcp',
  (r) => r.attributes.status === 'RESERVED' && r.attributes.addressType === 'EXTERNAL',
);
const gcpVm = idleVm({
  id: 'cost.gcp.orphans_idle.vm',
  provider: 'gcp',
  cpuEnv: 'SCAN_GCP_IDLE_CPU_PERCENT',
  cpuDefault: 5,
  windowEnv: 'SCAN_GCP_IDLE_WINDOW_DAYS',
  windowDefault: 14,
  stop: 'stop',
  billed: ['running'],
});

// ---- off-hours schedules (AWS, Azure, GCP)

/** Tag keys that name a resource's environment, in order of preference (case-insensitive). */
export const envTagKeys = ['env', 'environment', 'stage'] as const;

/** The environment tag of a resource: its key as written and its value, or undefined. */
export const envTag = (r: Pick<Resource, 'tags'>): { key: string; value: string } | undefined => {
  for (const want of envTagKeys) {
    const key = Object.keys(r.tags).find((k) => k.toLowerCase() === want);
    const value = key ? str(r.tags[key]) : undefined;
    if (key && value) return { key, value };
  }
  return undefined;
};

const offHoursEnvs = {
  environments: {
    env: 'SCAN_OFF_HOURS_ENVS',
    default: ['dev', 'development', 'test', 'qa', 'staging', 'sandbox'],
    description:
      'Environment tag values (env / environment / stage) whose running instances are offered an off-hours schedule',
  },
} as const;

/**
 * Non-production instances that run around the clock. Metrics are daily aggregates, so nightly
 * idleness cannot be measured: the rule judges by the environment tag alone (a running instance
 * tagged dev, test, … is taken to be used in office hours), and its saving is the monthly cost
 * times the share of the week the default schedule (19:00–08:00 and weekends) keeps it stopped.
 * Instances an active or paused off-hours schedule already covers pass.
 */
const offHoursVm = (id: string, provider: ProviderName): Rule => ({
  id,
  title: 'Non-production instance runs around the clock',
  category: 'cost',
  provider,
  types: ['instance'],
  severity: 'low',
  remediation:
    'Put it on an off-hours schedule (`offhours <finding>` or the digest button): stopped 19:00–08:00 and at weekends, started for office hours, after one approval.',
  lists: offHoursEnvs,
  readsOffHours: true,
  evaluate(r, ctx) {
    const tag = envTag(r);
    const size = r.attributes.instanceType ?? r.attributes.vmSize ?? r.attributes.machineType ?? null;
    const evidence = { state: r.state, size, environmentTag: tag ? `${tag.key}=${tag.value}` : null };
    if (r.state !== 'running') return pass(evidence);
    if (!tag || !ctx.list('environments').includes(tag.value.toLowerCase())) return pass(evidence);
    const covering = ctx.offHours();
    if (covering) return pass({ ...evidence, schedule: covering.id, scheduleStatus: covering.status });
    const share = offShare(defaultTimes);
    const window = `${defaultTimes.start}–${defaultTimes.stop} ${daysText(defaultTimes.days)}`;
    return fail(
      { ...evidence, monthlyCostCents: r.monthlyCostCents, runHours: window, offSharePercent: round(share * 100, 1) },
      `Tagged ${tag.key}=${tag.value} and running around the clock: running only ${window} would stop it ${Math.round(share * 100)}% of the week.`,
      { savingCents: capped(r.monthlyCostCents * share, r) },
    );
  },
});

/** The off-hours rules, by provider. */
export const offHoursRuleIds = ['cost.vm.off_hours.aws', 'cost.vm.off_hours.azure', 'cost.vm.off_hours.gcp'] as const;

// ---- Kubernetes

interface ContainerRequests {
  name?: unknown;
  requests?: { cpuMillicores?: unknown; memoryBytes?: unknown } | null;
}

const sumRequests = (containers: ContainerRequests[], key: 'cpuMillicores' | 'memoryBytes'): number | undefined => {
  const values = containers.map((c) => num(c.requests?.[key]));
  return values.every((v) => v === undefined) ? undefined : values.reduce<number>((a, b) => a + (b ?? 0), 0);
};

const k8sRequests: Rule = {
  id: 'cost.k8s.requests',
  title: 'Pod requests far more than it uses',
  category: 'cost',
  provider: 'kubernetes',
  types: ['pod'],
  severity: 'low',
  remediation:
    "Lower the owning deployment's CPU and memory requests towards the suggested values (peak use plus 20%), so the nodes can pack more pods.",
  thresholds: named({
    ratio: [
      'SCAN_K8S_REQUESTS_RATIO',
      {
        default: 3,
        unit: 'ratio',
        description: 'Requested over peak used at or above which a pod is over-requested',
        min: 1,
        max: 1000,
      },
    ],
    minDays: ['SCAN_K8S_REQUESTS_MIN_DAYS', days('Days of pod usage needed before judging its requests', 3, 1, 90)],
    windowDays: ['SCAN_K8S_REQUESTS_WINDOW_DAYS', days('Days of pod usage the requests check looks at', 14, 1, 90)],
  }),
  metrics: { names: ['cpu_millicores', 'memory_bytes'], days: 'windowDays' },
  fix: { action: 'set_requests', title: 'Lower the requests' },
  evaluate(r, ctx) {
    const phase = r.attributes.phase ?? null;
    if (phase !== 'Running') return pass({ phase });
    const containers = (Array.isArray(r.attributes.containers) ? r.attributes.containers : []) as ContainerRequests[];
    const cpuReq = sumRequests(containers, 'cpuMillicores');
    const memReq = sumRequests(containers, 'memoryBytes');
    if (cpuReq === undefined && memReq === undefined) return pass({ phase, requests: null });
    const ratio = ctx.threshold('ratio');
    const minDays = ctx.threshold('minDays');
    const cpu = ctx.daily('cpu_millicores');
    const mem = ctx.daily('memory_bytes');
    const cpuPeak = cpu.length ? Math.max(...cpu.map((d) => d.max)) : undefined;
    const memPeak = mem.length ? Math.max(...mem.map((d) => d.max)) : undefined;
    const evidence = {
      requestedMillicores: cpuReq ?? null,
      peakMillicores: cpuPeak ?? null,
      idleMillicores: cpuReq !== undefined && cpuPeak !== undefined ? Math.max(0, cpuReq - cpuPeak) : null,
      requestedMemoryBytes: memReq ?? null,
      peakMemoryBytes: memPeak ?? null,
      idleMemoryBytes: memReq !== undefined && memPeak !== undefined ? Math.max(0, memReq - memPeak) : null,
      daysWithData: Math.max(cpu.length, mem.length),
      ratioMin: ratio,
    };
    if (Math.max(cpu.length, mem.length) < minDays)
      return manual(
        evidence,
        `Only ${Math.max(cpu.length, mem.length)} days of usage (${minDays} needed) to judge the requests.`,
      );
    const over = (req: number | undefined, peak: number | undefined) =>
      req !== undefined && peak !== undefined && req > 0 && req >= ratio * peak;
    const cpuOver = over(cpuReq, cpuPeak);
    const memOver = over(memReq, memPeak);
    if (!cpuOver && !memOver) return pass(evidence);
    const cpuTo = cpuOver ? Math.max(1, Math.ceil(cpuPeak! * 1.2)) : undefined;
    const memTo = memOver ? Math.max(1, Math.ceil((memPeak! * 1.2) / 2 ** 20)) : undefined;
    const words = [
      cpuOver ? `CPU ${cpuReq}m requested, ${cpuPeak}m peak` : '',
      memOver ? `memory ${Math.round(memReq! / 2 ** 20)}Mi requested, ${Math.round(memPeak! / 2 ** 20)}Mi peak` : '',
    ].filter(Boolean);
    // The usage is per pod, so a change can be proposed only for a single-container pod of a deployment.
    const deployment = str(r.attributes.ownerDeployment);
    const container = containers.length === 1 ? str(containers[0]!.name) : undefined;
    return fail(
      { ...evidence, suggestedMillicores: cpuTo ?? null, suggestedMemoryMi: memTo ?? null },
      `Requests at least ${ratio}× the peak use: ${words.join('; ')}.`,
      deployment && container
        ? {
            fixParams: {
              deployment,
              container,
              ...(cpuTo !== undefined ? { cpu: `${cpuTo}m` } : {}),
              ...(memTo !== undefined ? { memory: `${memTo}Mi` } : {}),
            },
          }
        : {},
    );
  },
};

/** Every cost rule, in the order of the rule table. */
export const costRules: readonly Rule[] = [
  ec2Idle,
  ec2Rightsize,
  ebsUnattached,
  ebsModernize,
  oldSnapshot({ id: 'cost.snapshot.old', provider: 'aws', env: 'SCAN_SNAPSHOT_MAX_AGE_DAYS' }),
  oldSnapshot({ id: 'cost.snapshot.old.gcp', provider: 'gcp', env: 'SCAN_GCP_SNAPSHOT_MAX_AGE_DAYS' }),
  dbSnapshotOrphan,
  eipUnassociated,
  elbIdle,
  rdsIdle,
  natUnused,
  ec2Stopped,
  ec2PrevGen,
  commitCoverage,
  azDisk,
  azIp,
  azVm,
  gcpDisk,
  gcpIp,
  gcpVm,
  k8sRequests,
  offHoursVm('cost.vm.off_hours.aws', 'aws'),
  offHoursVm('cost.vm.off_hours.azure', 'azure'),
  offHoursVm('cost.vm.off_hours.gcp', 'gcp'),
];
