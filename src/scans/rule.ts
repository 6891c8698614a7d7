import { z } from 'zod';
import type { ProviderName, Resource, ResourceType } from '../cloud/resource.ts';

/**
 * The contract of a scan rule. A rule is code (a pure `evaluate`) plus data (id, severity,
 * thresholds, remediation, fix). The scan engine (`engine.ts`) streams the synced inventory
 * from PostgreSQL in batches, prefetches what the rules of a batch declared they read (metrics,
 * referenced resources, account-wide types), and calls `evaluate` once per rule and resource.
 * A rule never calls a cloud, the database or the clock: everything it judges is in the
 * resource and the context, so a scan of 100,000 resources takes seconds and a test needs
 * nothing but objects.
 */

export const Severity = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof Severity>;
/** Severity order, most severe first (for sorting digests and findings). */
export const severityRank: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export const RuleCategory = z.enum(['cost', 'security']);
export type RuleCategory = z.infer<typeof RuleCategory>;

/**
 * `pass`: the resource meets the rule. `fail`: it does not (a finding). `manual`: the inventory
 * cannot tell (no metrics collected, an attribute the provider did not report); a person must
 * check: also a finding, never counted as passed or failed in a compliance score.
 */
export type Verdict = 'pass' | 'fail' | 'manual';

export interface Evaluation {
  verdict: Verdict;
  /** The attribute values the rule judged, as they were (shown with the finding, exported in reports). */
  evidence: Record<string, unknown>;
  /** One sentence: what is wrong (fail) or what to check (manual). */
  detail?: string;
  /** Cost rules: the estimated saving in cents per month if the finding is fixed (integer, ≥ 0). */
  savingCents?: number;
  /** Parameters for the rule's fix action on this resource (strings, as change parameters are). */
  fixParams?: Record<string, string>;
}

/** One UTC day of a metric for one resource (from resource_metrics). */
export interface DailyMetric {
  /** YYYY-MM-DD */
  day: string;
  avg: number;
  max: number;
}

/** A key of another resource a rule reads (the instance an address is attached to, say). */
export interface ResourceRef {
  provider: ProviderName;
  account: string;
  id: string;
}

/** A threshold a rule judges by: a documented setting with its default, read from `env`. */
export interface Threshold {
  /** The environment variable that sets it: `SCAN_` + upper snake (`SCAN_IDLE_CPU_PERCENT`). */
  env: string;
  default: number;
  /** `percent`, `days`, `bytes`, `requests`, `characters`, `count`, `ratio`. */
  unit: string;
  /** One line for the README's settings table. */
  description: string;
  min?: number;
  max?: number;
}

/** A list setting a rule judges by (environment names, say): comma-separated in its env variable. */
export interface ListSetting {
  /** `SCAN_` + upper snake, like thresholds. */
  env: string;
  default: readonly string[];
  /** One line for the README's settings table. */
  description: string;
}

/** The off-hours schedule of the scan's workspace that covers a resource (src/scans/offhours/). */
export interface CoveringSchedule {
  id: string;
  /** `active` or `paused`. */
  status: string;
}

export interface RuleContext {
  /** The scan's clock (fixed in tests). */
  now: Date;
  /** A threshold the rule declared, as configured (its default unless set). */
  threshold(name: string): number;
  /**
   * The daily values of a metric the rule declared, for this resource, over the rule's window,
   * oldest first. Empty when none were collected for it.
   */
  daily(metric: string): readonly DailyMetric[];
  /** Another resource the rule declared through `refs` (undefined: not in the inventory, or gone). */
  lookup(ref: ResourceRef): Resource | undefined;
  /** The live resources of an account-wide type the rule declared in `accountTypes`, in this resource's provider and account. */
  inAccount(type: ResourceType): Resource[];
  /** A list setting the rule declared in `lists`, as configured (lower case; its default unless set). */
  list(name: string): readonly string[];
  /** The active or paused off-hours schedule covering this resource (rules that declared `readsOffHours`). */
  offHours(): CoveringSchedule | undefined;
}

export interface Rule {
  /** Stable id used by mappings, suppressions and finding ids: `aws.iam.root_mfa`, `cost.ebs.unattached`. */
  id: string;
  title: string;
  category: RuleCategory;
  provider: ProviderName;
  /** The resource types it evaluates; a resource of another type is never passed to it. */
  types: readonly ResourceType[];
  severity: Severity;
  /** What to do about a failing resource, in one or two sentences. */
  remediation: string;
  /** Thresholds by name (read in `evaluate` through `ctx.threshold(name)`). */
  thresholds?: Readonly<Record<string, Threshold>>;
  /** List settings by name (read in `evaluate` through `ctx.list(name)`). */
  lists?: Readonly<Record<string, ListSetting>>;
  /** It reads which off-hours schedules cover a resource (`ctx.offHours()`). */
  readsOffHours?: boolean;
  /** Metrics it reads and the window in days (a number, or the name of one of its thresholds). */
  metrics?: { names: readonly string[]; days: number | string };
  /** Other resources it reads for one resource (prefetched per batch, served by `ctx.lookup`). */
  refs?(resource: Resource): ResourceRef[];
  /** Small account-wide types it reads whole (trails, config recorders, account settings…). */
  accountTypes?: readonly ResourceType[];
  /**
   * A change action of the provider that fixes a failing resource (an ActionSpec name of the
   * provider's catalog for the resource's type, e.g. `stop`); `evaluate` supplies its parameters.
   */
  fix?: { action: string; title: string };
  evaluate(resource: Resource, ctx: RuleContext): Evaluation;
}

/** Rule ids: lower-case dotted words, at least two parts. */
export const RuleIdPattern = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;
/** Threshold environment variables. */
export const ThresholdEnvPattern = /^SCAN_[A-Z0-9_]+$/;

/** Shorthands for rule authors. */
export const pass = (evidence: Record<string, unknown>): Evaluation => ({ verdict: 'pass', evidence });
export const fail = (
  evidence: Record<string, unknown>,
  detail: string,
  extra: Partial<Evaluation> = {},
): Evaluation => ({
  verdict: 'fail',
  evidence,
  detail,
  ...extra,
});
export const manual = (evidence: Record<string, unknown>, detail: string): Evaluation => ({
  verdict: 'manual',
  evidence,
  detail,
});

/** Whole days between two instants (floor), for age thresholds. */
export const daysBetween = (from: Date, to: Date): number => Math.floor((to.getTime() - from.getTime()) / 86_400_000);

/** An ISO date attribute as a Date, or undefined when absent or unparsable. */
export const dateAttr = (value: unknown): Date | undefined => {
  if (typeof value !== 'string' && !(value instanceof Date)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};
