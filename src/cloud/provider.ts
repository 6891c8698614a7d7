import { z } from 'zod';
import { ActionName, ResourceKey } from '../tools/change-plan.ts';
import type { ActionCatalog } from './actions.ts';
import type { ProviderName, Resource, ResourceType } from './resource.ts';

export const ResourceAction = z.object({
  action: ActionName,
  target: ResourceKey,
  /** e.g. `{ size: 't3.large' }` for resize, `{ replicas: '3' }` for scale. */
  params: z.record(z.string(), z.string()),
});
export type ResourceAction = z.infer<typeof ResourceAction>;

export interface ActionResult {
  /** Human summary, e.g. "i-0abc stopped (was running)". */
  summary: string;
  /** State after the action as the provider reports it. */
  newState: string;
  /** What it was before: the rollback data (`{ state: 'running' }`, `{ size: 't3.small' }`). */
  previous: Record<string, string>;
  /** What it made that a workflow's later steps may read (`${steps.<id>.<name>}`): a new resource's id, an ARN. */
  outputs?: Record<string, string>;
}

export interface ExecuteOptions {
  /** Called at each step of a long action ("waiting for it to stop, check 2 of 40"); must not throw. */
  progress?: (step: string) => void;
  /**
   * Names this one execution, the same on every retry of it: a change's id (`CR-12`), or a
   * workflow run's step (`CR-12/health`). Where the cloud API takes an idempotency token (Route 53's
   * CallerReference), the provider derives it from this, so a call retried after a timeout or a
   * crash finds what the first one made instead of making a second.
   */
  idempotencyKey?: string;
}

/**
 * One unit of inventory: a provider × account (AWS account, Azure subscription, GCP project,
 * Kubernetes context) × region (or `global` for account-wide services, the cluster for Kubernetes).
 * A sync lists each source on its own; the rows a source listed are replaced as one set, and a
 * source that fails keeps its last rows.
 */
export interface SyncSource {
  /** Stable and unique: `aws:prod:us-east-1`, `azure:<subscription>:all`, `kubernetes:kind-dev:cluster`. */
  key: string;
  provider: ProviderName;
  /** What people call the account (its alias, or the id). */
  account: string;
  region: string;
  /** For `inventory status`: "AWS prod (123456789012) us-east-1". */
  label: string;
}

/** One day's aggregate of one metric of one resource (stored in `resource_metrics`). */
export interface MetricSample {
  provider: ProviderName;
  account: string;
  resourceId: string;
  /** `cpu_percent`, `network_in_bytes`, `network_out_bytes`, `cpu_millicores`, `memory_bytes`, … */
  metric: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  avg: number;
  max: number;
  unit: string;
}

export interface ListOptions {
  /** Aborted when the sync gives up on the source (shutdown, its time budget). */
  signal?: AbortSignal;
  /**
   * Where a provider may hand resources as pages arrive instead of returning them all at once
   * (a region can hold 100,000). Resources given to it are not in the returned array. If the
   * listing then fails, what was handed on stays stored as listed and nothing is marked gone.
   */
  onBatch?: (resources: Resource[]) => Promise<void>;
}

export interface MetricsOptions {
  signal?: AbortSignal;
  /**
   * The source's live instances as the inventory last stored them: a provider that would list
   * them again to know what to ask for (EC2 for CloudWatch) uses these instead.
   */
  instanceIds?: string[];
  /**
   * Where a provider may hand samples as they arrive, batch by batch, instead of returning them
   * all at once (a large region has millions). Samples given to it are not in the returned array.
   */
  onSamples?: (samples: MetricSample[]) => Promise<void>;
}

/**
 * The port each cloud implements. Only a provider talks to its SDK; the rest of the app sees
 * normalized Resources, SyncSources, MetricSamples and ResourceActions.
 */
export interface CloudProvider {
  readonly name: ProviderName;
  /** True when this provider points at the local sandbox emulator: replies say so. */
  readonly sandbox: boolean;
  /** The units a sync lists, from configuration (no cloud call). */
  sources(): SyncSource[];
  /**
   * Every resource of one source, normalized, all pages. Throws AppError (the provider's own
   * message) when the source cannot be listed; partial listings are never returned.
   */
  listSource(source: SyncSource, opts?: ListOptions): Promise<Resource[]>;
  /** Daily aggregates for `days` whole UTC days up to `now`, for the source's resources that have metrics. */
  metrics?(source: SyncSource, range: { days: number; now: Date }, opts?: MetricsOptions): Promise<MetricSample[]>;
  /** What this provider can do, per resource type (src/cloud/actions.ts). Static: no SDK needed. */
  readonly actions: ActionCatalog;
  /** Valid sizes for resize-like actions on a type in a region, as the cloud lists them (cached by the provider). */
  sizesFor(type: ResourceType, region: string, account: string): Promise<string[]>;
  /** Estimated monthly cost in cents of a type at a size in a region, from the price tables (undefined: unpriced). */
  monthlyCostFor?(type: ResourceType, size: string, region: string): number | undefined;
  /**
   * Loads the provider's SDK ahead of its first call (the app does this while the database
   * starts). A provider that imports its SDK lazily implements it; the promise never rejects on a
   * load failure: the first call reports it.
   */
  load?(): Promise<void>;
  /** Releases SDK clients and sockets at shutdown. */
  close?(): void;
  /**
   * One resource as the cloud sees it now (null when it no longer exists): lets the inventory
   * show what a change did at once, and lets the executor check a plan still holds.
   */
  describe?(key: ResourceKey): Promise<Resource | null>;
  /** Carries out one action; throws AppError('cloud_error' | 'not_found' | 'conflict' | …) on failure. */
  execute(action: ResourceAction, opts?: ExecuteOptions): Promise<ActionResult>;
}
