import { performance } from 'node:perf_hooks';
import { isUserFacing } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db } from '../store/db.ts';
import type { ResourceKey } from '../tools/change-plan.ts';
import type { CloudProvider } from './provider.ts';
import type { ProviderName } from './resource.ts';
import { resourceRepository } from './repository.ts';

/**
 * One inventory pass: list every provider (in parallel, outside any transaction), then write each
 * listing in its own short transaction. A provider that fails keeps its previous rows: an outage
 * or a revoked key must never read as "everything was deleted".
 */

export interface SyncOutcome {
  provider: ProviderName;
  /** Resources listed and stored; 0 when the provider failed. */
  count: number;
  /** Rows this pass marked gone. */
  gone: number;
  durationMs: number;
  /** User-facing reason when the provider failed; its rows were left as they were. */
  error?: string;
}

export interface SyncOptions {
  logger?: Logger;
  /** Records each provider's successful pass (devops_agent_inventory_last_success_timestamp_seconds). */
  metrics?: Pick<Metrics, 'inventorySyncedAt'>;
}

export const syncInventory = async (
  db: Db,
  providers: CloudProvider[],
  now: Date,
  opts: SyncOptions = {},
): Promise<SyncOutcome[]> => {
  const repo = resourceRepository(db);
  return Promise.all(
    providers.map(async (provider): Promise<SyncOutcome> => {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      try {
        const listing = await provider.listResources();
        const { upserted, gone } = await repo.replaceListing(provider.name, listing, now);
        opts.metrics?.inventorySyncedAt.set({ provider: provider.name }, now.getTime() / 1000);
        opts.logger?.info(
          { provider: provider.name, count: upserted, gone, durationMs: elapsed() },
          'inventory synced',
        );
        return { provider: provider.name, count: upserted, gone, durationMs: elapsed() };
      } catch (e) {
        const error = isUserFacing(e) ? e.userMessage : `The ${provider.name} inventory sync failed unexpectedly.`;
        opts.logger?.warn(
          { provider: provider.name, err: e, durationMs: elapsed() },
          'inventory sync failed; previous rows kept',
        );
        return { provider: provider.name, count: 0, gone: 0, durationMs: elapsed(), error };
      }
    }),
  );
};

/**
 * After a change: re-reads its one target from the cloud and stores it, so `show`/`list` tell the
 * truth at once. False when the provider cannot describe (the caller then queues a full sync).
 * Failures are logged, never thrown: the change's result stands either way.
 */
export const refreshResource = async (
  db: Db,
  provider: CloudProvider,
  key: ResourceKey,
  now: Date,
  opts: SyncOptions = {},
): Promise<boolean> => {
  if (!provider.describe) return false;
  try {
    const found = await provider.describe(key);
    const repo = resourceRepository(db);
    if (found) await repo.upsertOne(found);
    else await repo.markGone(key, now);
    return true;
  } catch (e) {
    opts.logger?.warn(
      { provider: provider.name, id: key.id, err: e },
      'could not refresh a changed resource; a full sync will',
    );
    return false;
  }
};
