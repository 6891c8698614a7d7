import type { ConversationRef } from '../chat/actor.ts';
import { reply } from '../chat/reply.ts';
import { AppError } from '../errors.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db } from '../store/db.ts';
import type { LiveBus } from '../util/live.ts';
import { baselineScopes, computeDrift, parseScopeText } from './drift.ts';
import { driftBlocks } from './estate-tools.ts';
import { collectMetrics, syncInventory } from './inventory.ts';
import type { CloudProvider } from './provider.ts';

/**
 * The inventory's scheduled jobs (one run at a time across instances): a full sync of every
 * source on an interval, metric aggregates on their own interval, and a drift check after each
 * day's first sync that posts a non-empty report to the configured conversation.
 */
export const inventorySyncJob = 'inventory.sync';
export const inventoryMetricsJob = 'inventory.metrics';
export const inventoryDriftJob = 'inventory.drift';

export interface InventoryJobDeps {
  db: Db;
  providers: CloudProvider[];
  logger: Logger;
  metrics?: Pick<Metrics, 'inventorySyncedAt'>;
  now: () => Date;
  intervalMs: number;
  /** Sources listed at once. */
  concurrency?: number;
  metricsIntervalMs?: number;
  /** Embedded PostgreSQL: passes vacuum what they rewrote (it has no autovacuum). */
  vacuum?: boolean;
  /** Where each source's stored listing is announced to live pages. */
  live?: Pick<LiveBus, 'publish'>;
  /** Where a non-empty drift report is posted (none: drift is only answered when asked). */
  drift?: {
    conversation: ConversationRef;
    post: (c: ConversationRef, r: ReturnType<typeof reply>) => Promise<unknown>;
  };
}

/** Checks every scope with a baseline and posts each non-empty drift report; returns how many were posted. */
export const postDrift = async (d: InventoryJobDeps): Promise<number> => {
  if (!d.drift) return 0;
  let posted = 0;
  for (const scope of await baselineScopes(d.db)) {
    const report = await computeDrift(d.db, parseScopeText(scope));
    if (report.added.length + report.removed.length + report.changed.length === 0) continue;
    const blocks = driftBlocks(report);
    await d.drift.post(
      d.drift.conversation,
      reply(blocks, { text: blocks[0]?.type === 'header' ? blocks[0].text : 'Drift' }),
    );
    posted++;
  }
  return posted;
};

export const registerInventoryJobs = async (scheduler: Scheduler, d: InventoryJobDeps): Promise<void> => {
  scheduler.define(inventorySyncJob, async () => {
    const outcomes = await syncInventory(d.db, d.providers, d.now(), {
      logger: d.logger,
      ...(d.metrics ? { metrics: d.metrics } : {}),
      ...(d.concurrency ? { concurrency: d.concurrency } : {}),
      ...(d.vacuum ? { vacuum: true } : {}),
      ...(d.live ? { live: d.live } : {}),
    });
    const failed = outcomes.filter((o) => o.error);
    if (failed.length)
      throw new AppError(
        'cloud_error',
        `inventory sync failed for ${failed.map((o) => `${o.label}: ${o.error}`).join('; ')}`,
      );
  });
  // The app lists (and collects metrics) as it starts: the schedules' first runs are an interval away.
  await scheduler.every(d.intervalMs, inventorySyncJob, undefined, { skipImmediate: true });
  if (d.providers.some((p) => p.metrics)) {
    scheduler.define(inventoryMetricsJob, async () => {
      const outcomes = await collectMetrics(d.db, d.providers, d.now(), {
        logger: d.logger,
        ...(d.vacuum ? { vacuum: true } : {}),
      });
      const failed = outcomes.filter((o) => o.error);
      if (failed.length)
        throw new AppError(
          'cloud_error',
          `metrics collection failed for ${failed.map((o) => `${o.source}: ${o.error}`).join('; ')}`,
        );
    });
    await scheduler.every(d.metricsIntervalMs ?? 21_600_000, inventoryMetricsJob, undefined, { skipImmediate: true });
  }
  if (d.drift) {
    scheduler.define(inventoryDriftJob, async () => {
      const n = await postDrift(d);
      d.logger.info({ posted: n }, 'drift checked');
    });
    await scheduler.every(86_400_000, inventoryDriftJob);
  }
};
