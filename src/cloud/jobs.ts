import { AppError } from '../errors.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db } from '../store/db.ts';
import { syncInventory } from './inventory.ts';
import type { CloudProvider } from './provider.ts';

/** The inventory's scheduled job: a full sync of every provider on an interval (one run at a time across instances). */
export const inventorySyncJob = 'inventory.sync';

export const registerInventoryJobs = async (
  scheduler: Scheduler,
  d: {
    db: Db;
    providers: CloudProvider[];
    logger: Logger;
    metrics?: Pick<Metrics, 'inventorySyncedAt'>;
    now: () => Date;
    intervalMs: number;
  },
): Promise<void> => {
  scheduler.define(inventorySyncJob, async () => {
    const outcomes = await syncInventory(d.db, d.providers, d.now(), {
      logger: d.logger,
      ...(d.metrics ? { metrics: d.metrics } : {}),
    });
    const failed = outcomes.filter((o) => o.error);
    if (failed.length)
      throw new AppError(
        'cloud_error',
        `inventory sync failed for ${failed.map((o) => `${o.label}: ${o.error}`).join('; ')}`,
      );
  });
  await scheduler.every(d.intervalMs, inventorySyncJob);
};
