import type { Resource, ResourceType } from '../../src/cloud/resource.ts';
import type { DailyMetric, Rule, RuleContext } from '../../src/scans/rule.ts';

/** A fixed clock for rule tests. */
export const scanNow = new Date('2026-12-01T12:00:00Z');

/** A resource for a rule test: the given fields over an unremarkable AWS one. */
export const resourceOf = (over: Partial<Resource> & { type: ResourceType }): Resource => ({
  provider: 'aws',
  account: '111111111111',
  region: 'us-east-1',
  id: `${over.type}-1`,
  name: `${over.type}-1`,
  state: 'running',
  tags: {},
  environment: 'dev',
  monthlyCostCents: 0,
  attributes: {},
  seenAt: scanNow,
  ...over,
});

export interface ContextSetup {
  now?: Date;
  /** Threshold values by name (the rule's defaults otherwise). */
  thresholds?: Record<string, number>;
  /** Daily values by metric name. */
  daily?: Record<string, DailyMetric[]>;
  /** Other resources, found by ctx.lookup (provider, account, id). */
  others?: Resource[];
  /** List settings by name (the rule's defaults otherwise). */
  lists?: Record<string, string[]>;
  /** The off-hours schedule covering the resource. */
  offHours?: { id: string; status: string };
}

/**
 * The context the engine would give `rule` for `resource`: its thresholds (defaults unless set),
 * the given daily metrics, and lookups over `others` (ctx.inAccount filters them by the
 * resource's provider and account, as the engine does).
 */
export const contextFor = (rule: Rule, resource: Resource, setup: ContextSetup = {}): RuleContext => ({
  now: setup.now ?? scanNow,
  threshold: (name) => {
    const t = rule.thresholds?.[name];
    if (!t) throw new Error(`${rule.id} has no threshold "${name}"`);
    return setup.thresholds?.[name] ?? t.default;
  },
  daily: (metric) => {
    if (!rule.metrics?.names.includes(metric)) throw new Error(`${rule.id} did not declare metric "${metric}"`);
    return setup.daily?.[metric] ?? [];
  },
  lookup: (ref) =>
    (setup.others ?? []).find((o) => o.provider === ref.provider && o.account === ref.account && o.id === ref.id),
  inAccount: (type) => {
    if (!rule.accountTypes?.includes(type)) throw new Error(`${rule.id} did not declare account type "${type}"`);
    return (setup.others ?? []).filter(
      (o) => o.type === type && o.provider === resource.provider && o.account === resource.account,
    );
  },
  list: (name) => {
    const l = rule.lists?.[name];
    if (!l) throw new Error(`${rule.id} has no list setting "${name}"`);
    return setup.lists?.[name] ?? l.default;
  },
  offHours: () => {
    if (!rule.readsOffHours) throw new Error(`${rule.id} did not declare readsOffHours`);
    return setup.offHours;
  },
});

/** Evaluates `rule` on `resource` with `contextFor`. */
export const judge = (rule: Rule, resource: Resource, setup: ContextSetup = {}) =>
  rule.evaluate(resource, contextFor(rule, resource, setup));

/** `n` days of one metric ending yesterday, oldest first, from a value per day. */
export const days = (values: Array<{ avg: number; max?: number }>, now: Date = scanNow): DailyMetric[] =>
  values.map((v, i) => ({
    day: new Date(now.getTime() - (values.length - i) * 86_400_000).toISOString().slice(0, 10),
    avg: v.avg,
    max: v.max ?? v.avg,
  }));

/**
 * The first column of the rule table in the scan-rules notes: the rule ids of the first release
 * (a row may ship as sub-rules under its id, e.g. `cost.snapshot.old.gcp`). Hard-coded so tests
 * check the shipped rules and the mapping file against the agreed ids.
 */
export const FIRST_RELEASE_RULE_IDS: readonly string[] = [
  'aws.iam.root_mfa',
  'aws.iam.root_access_key',
  'aws.iam.user_mfa',
  'aws.iam.stale_credentials',
  'aws.iam.admin_policy',
  'aws.iam.password_policy',
  'aws.trail.multi_region',
  'aws.config.all_regions',
  'aws.kms.rotation',
  'aws.vpc.flow_logs',
  'aws.s3.public_block',
  'aws.s3.tls_and_sse',
  'aws.rds.encrypted',
  'aws.rds.not_public',
  'aws.ebs.encrypted',
  'aws.sg.admin_ports',
  'aws.ec2.imdsv2',
  'aws.detect.enabled',
  'aws.rds.backups',
  'aws.logs.retention',
  'az.entra.mfa',
  'az.nsg.admin_ports',
  'az.storage.secure',
  'gcp.fw.admin_ports',
  'gcp.gcs.public',
  'gcp.iam.sa_keys',
  'k8s.pod.privileged',
  'k8s.rbac.wildcards',
  'cost.ec2.idle',
  'cost.ec2.rightsize',
  'cost.ebs.unattached',
  'cost.ebs.gp2_io1',
  'cost.snapshot.old',
  'cost.eip.unassociated',
  'cost.elb.idle',
  'cost.rds.idle',
  'cost.nat.unused',
  'cost.ec2.stopped',
  'cost.ec2.prev_gen',
  'cost.commit.coverage',
  'cost.az.orphans_idle',
  'cost.gcp.orphans_idle',
  'cost.k8s.requests',
  'cost.vm.off_hours',
];
