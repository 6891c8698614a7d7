import { z } from 'zod';
import { ActionName, ResourceKey } from '../tools/change-plan.ts';
import type { ProviderName, Resource, ResourceType } from './resource.ts';

export const ResourceAction = z.object({
  action: ActionName,
  target: ResourceKey,
  /** e.g. `{ size: 't3.large' }` for resize. */
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
}

export interface ExecuteOptions {
  /** Called at each step of a long action ("waiting for it to stop, check 2 of 40"); must not throw. */
  progress?: (step: string) => void;
}

/**
 * The port each cloud implements. Only a provider talks to its SDK; the rest of the app sees
 * normalized Resources and ResourceActions.
 */
export interface CloudProvider {
  readonly name: ProviderName;
  /** True when this provider points at the local sandbox emulator: replies say so. */
  readonly sandbox: boolean;
  /** Lists every resource the provider can see, normalized (one full inventory pass). */
  listResources(): Promise<Resource[]>;
  /** Actions this provider can take on a resource type (empty when read-only). */
  actionsFor(type: ResourceType): ActionName[];
  /** Valid sizes for `resize` on a resource type (e.g. EC2 instance types), for validation and pickers. */
  sizesFor(type: ResourceType): string[];
  /** Estimated monthly cost in cents of a resource type at a size, when the provider prices it (for cost deltas). */
  monthlyCostFor?(type: ResourceType, size: string): number | undefined;
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
   * show what a change did at once, without a full listing. Optional: without it a full sync runs.
   */
  describe?(key: ResourceKey): Promise<Resource | null>;
  /** Carries out one action; throws AppError('cloud_error' | 'not_found' | …) on failure. */
  execute(action: ResourceAction, opts?: ExecuteOptions): Promise<ActionResult>;
}
