import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, isUserFacing } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db } from '../store/db.ts';
import { analyzeIfNeeded, vacuumIfNeeded } from '../store/maintenance.ts';
import { and, eq, inArray, isNull, sql } from '../store/orm.ts';
import type { ResourceKey } from '../tools/change-plan.ts';
import type { CloudProvider, MetricSample, SyncSource } from './provider.ts';
import type { ProviderName, Resource } from './resource.ts';
import { resourceRepository } from './repository.ts';
import { storeMetricSamples } from './metric-series.ts';
import { inventorySources, resources } from './schema.ts';
import type { LiveBus } from '../util/live.ts';

/**
 * One inventory pass over every source (provider × account × region): each listed outside any
 * transaction, at most `concurrency` at a time, then written in its own short transaction. A
 * source that fails keeps its previous rows (an outage or a revoked key must never read as
 * "everything was deleted") and is reported with the provider's own message; the others sync.
 * Throttling is retried by the SDKs; a source still throttled after them is retried here with
 * backoff before it is reported.
 */

export interface SyncOutcome {
  provider: ProviderName;
  /** The source's key and words (`aws:prod:us-east-1`, "AWS prod us-east-1"). */
  source: string;
  label: string;
  /** Resources listed and stored; 0 when the source failed. */
  count: number;
  /** Rows this pass marked gone. */
  gone: number;
  durationMs: number;
  /** User-facing reason when the source failed; its rows were left as they were. */
  error?: string;
  /** True when another replica was listing the source: this pass left it to that one. */
  skipped?: boolean;
}

export interface SyncOptions {
  logger?: Logger;
  /** Records each provider's successful pass (devops_agent_inventory_last_success_timestamp_seconds). */
  metrics?: Pick<Metrics, 'inventorySyncedAt'>;
  /** Sources listed at once (default 4): a cloud's rate limits are per account, and the listing's memory is held until written. */
  concurrency?: number;
  /** Retries of a source the provider reports throttled (`rate_limited`), after the SDK's own (default 2). */
  throttleRetries?: number;
  /** Backoff before the first such retry, doubled each time (default 1000 ms). */
  backoffMs?: number;
  /** Only these source keys (default: all). */
  only?: (source: SyncSource) => boolean;
  /** How long a claim on a source holds unless renewed (default listingClaimMs). */
  claimMs?: number;
  /** Embedded PostgreSQL (no autovacuum): vacuum what the pass rewrote when it needs it (store/maintenance.ts). */
  vacuum?: boolean;
  /** Where each source's stored listing is announced to live pages (src/util/live.ts). */
  live?: Pick<LiveBus, 'publish'>;
}

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
export const mapBounded = async <T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> => {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, worker));
  return out;
};

/** Every source of every provider, in provider order. */
export const allSources = (providers: CloudProvider[]): { provider: CloudProvider; source: SyncSource }[] =>
  providers.flatMap((provider) => provider.sources().map((source) => ({ provider, source })));

/** Lists a source, retrying a throttled one with backoff; batches handed on are written as they come. */
const listWithBackoff = async (
  provider: CloudProvider,
  source: SyncSource,
  retries: number,
  backoffMs: number,
  onBatch: (batch: Resource[]) => Promise<void>,
): Promise<Resource[]> => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await provider.listSource(source, { onBatch });
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'rate_limited') || attempt >= retries) throw e;
      await sleep(backoffMs * 2 ** attempt);
    }
  }
};

/** A source's own columns of its inventory_sources row, as of an attempt at `now`. */
const sourceRow = (source: SyncSource, now: Date) => ({
  key: source.key,
  provider: source.provider,
  account: source.account,
  region: source.region,
  label: source.label,
  lastAttemptAt: now,
});

/** How long a claim on a source holds unless released: a replica that died mid-listing loses it then. */
export const listingClaimMs = 15 * 60_000;

/**
 * Claims a source for one listing. A listing writes its batches as they arrive and marks gone
 * what it did not stamp, so two listings of one source at once (two replicas starting together)
 * could each mark the other's rows gone: the second replica leaves the source to the first.
 */
const claimSource = async (
  db: Db,
  source: SyncSource,
  now: Date,
  listingId: string,
  claimMs: number,
): Promise<boolean> => {
  const until = new Date(now.getTime() + claimMs);
  const claimed = await db
    .insert(inventorySources)
    .values({ ...sourceRow(source, now), listingId, listingUntil: until })
    .onConflictDoUpdate({
      target: inventorySources.key,
      set: { listingId, listingUntil: until },
      setWhere: sql`${inventorySources.listingUntil} is null or ${inventorySources.listingUntil} <= ${now}`,
    })
    .returning({ key: inventorySources.key });
  return claimed.length > 0;
};

const renewClaim = async (db: Db, source: SyncSource, listingId: string, until: Date): Promise<void> => {
  await db
    .update(inventorySources)
    .set({ listingUntil: until })
    .where(and(eq(inventorySources.key, source.key), eq(inventorySources.listingId, listingId)));
};

const releaseSource = async (db: Db, source: SyncSource, listingId: string): Promise<void> => {
  await db
    .update(inventorySources)
    .set({ listingId: null, listingUntil: null })
    .where(and(eq(inventorySources.key, source.key), eq(inventorySources.listingId, listingId)));
};

const recordStatus = async (db: Db, source: SyncSource, now: Date, outcome: SyncOutcome): Promise<void> => {
  const ok = outcome.error === undefined;
  await db
    .insert(inventorySources)
    .values({
      ...sourceRow(source, now),
      lastSuccessAt: ok ? now : null,
      count: outcome.count,
      durationMs: outcome.durationMs,
      error: outcome.error ?? null,
      consecutiveFailures: ok ? 0 : 1,
    })
    .onConflictDoUpdate({
      target: inventorySources.key,
      set: {
        provider: source.provider,
        account: source.account,
        region: source.region,
        label: source.label,
        lastAttemptAt: now,
        durationMs: outcome.durationMs,
        ...(ok
          ? { lastSuccessAt: now, count: outcome.count, error: null, consecutiveFailures: 0 }
          : {
              error: outcome.error ?? null,
              consecutiveFailures: sql`${inventorySources.consecutiveFailures} + 1`,
            }),
      },
    });
};

export const syncInventory = async (
  db: Db,
  providers: CloudProvider[],
  now: Date,
  opts: SyncOptions = {},
): Promise<SyncOutcome[]> => {
  const repo = resourceRepository(db);
  const claimMs = opts.claimMs ?? listingClaimMs;
  const units = allSources(providers).filter((u) => !opts.only || opts.only(u.source));
  const outcomes = await mapBounded(units, opts.concurrency ?? 4, async ({ provider, source }) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const base = { provider: provider.name, source: source.key, label: source.label };
    let outcome: SyncOutcome;
    const listingId = randomUUID();
    let claimed = false;
    try {
      claimed = await claimSource(db, source, now, listingId, claimMs);
      if (!claimed) {
        opts.logger?.info({ source: source.key }, 'inventory source is being listed by another replica; left to it');
        return { ...base, count: 0, gone: 0, durationMs: elapsed(), skipped: true };
      }
      // Batches a provider hands on are stored as they arrive (a 100,000-resource region is
      // never held whole); what it returns is the rest.
      const writer = repo.beginListing(source);
      // A listing longer than a third of the claim renews it as its batches arrive.
      let renewed = performance.now();
      const rest = await listWithBackoff(
        provider,
        source,
        opts.throttleRetries ?? 2,
        opts.backoffMs ?? 1000,
        async (batch) => {
          await writer.write(batch);
          if (performance.now() - renewed > claimMs / 3) {
            renewed = performance.now();
            await renewClaim(db, source, listingId, new Date(now.getTime() + elapsed() + claimMs));
          }
        },
      );
      await writer.write(rest);
      const { upserted, gone } = await writer.finish(now);
      outcome = { ...base, count: upserted, gone, durationMs: elapsed() };
      opts.logger?.info(
        { source: source.key, count: upserted, gone, durationMs: outcome.durationMs },
        'inventory synced',
      );
    } catch (e) {
      const error = isUserFacing(e) ? e.userMessage : `The ${source.label} inventory sync failed unexpectedly.`;
      opts.logger?.warn(
        { source: source.key, err: e, durationMs: elapsed() },
        'inventory sync of a source failed; its previous rows kept',
      );
      outcome = { ...base, count: 0, gone: 0, durationMs: elapsed(), error };
    }
    try {
      await recordStatus(db, source, now, outcome);
      if (claimed) await releaseSource(db, source, listingId);
      if (claimed && outcome.error === undefined)
        opts.live?.publish({ kind: 'inventory', workspaceId: '*', source: source.key });
    } catch (e) {
      opts.logger?.warn({ source: source.key, err: e }, 'could not record the sync status of a source');
    }
    return outcome;
  });
  // Embedded: vacuum (no autovacuum there); external: analyze now rather than on autovacuum's next round.
  if (outcomes.some((o) => o.count > 0 || o.gone > 0))
    await (opts.vacuum ? vacuumIfNeeded : analyzeIfNeeded)(db, ['resources', 'inventory_sources'], opts.logger).catch(
      (e: unknown) => opts.logger?.warn({ err: e }, 'could not vacuum the inventory tables'),
    );
  for (const provider of providers) {
    const mine = outcomes.filter((o) => o.provider === provider.name);
    if (mine.length > 0 && mine.every((o) => !o.error))
      opts.metrics?.inventorySyncedAt.set({ provider: provider.name }, now.getTime() / 1000);
  }
  return outcomes;
};

export interface MetricsOutcome {
  source: string;
  samples: number;
  /** Whole days asked for: only those since the source's last collection (at most `days`). */
  days: number;
  error?: string;
}

const dayMs = 86_400_000;
const utcDay = (d: Date): number => Math.floor(d.getTime() / dayMs);

/**
 * The whole days a source still needs, given when its metrics were last collected: days before
 * `now`'s are final once collected, so only the ones since (and the last one again, which a
 * collection just after midnight may have read before its late samples arrived), at most `max`.
 */
export const missingDays = (lastCollected: Date | null | undefined, now: Date, max: number): number =>
  lastCollected ? Math.min(max, Math.max(1, utcDay(now) - utcDay(lastCollected) + 1)) : max;

/** Stores samples a thousand at a time, each batch's series refreshed with it (the scans read those). */
const writeSamples = async (db: Db, samples: MetricSample[], now: Date): Promise<void> => {
  for (let i = 0; i < samples.length; i += 1000) await storeMetricSamples(db, samples.slice(i, i + 1000), now);
};

/**
 * Collects daily metric aggregates of every source whose provider has metrics, on their own
 * schedule (not in the listing): upserted by (resource, metric, day), so re-collecting a day
 * overwrites it with the fuller figure. A source asks only for the days since its last
 * collection, and its samples are written batch by batch as the provider hands them on, so a
 * region of 50,000 instances never holds its 2 million samples at once.
 */
export const collectMetrics = async (
  db: Db,
  providers: CloudProvider[],
  now: Date,
  opts: { days?: number; concurrency?: number; logger?: Logger; vacuum?: boolean } = {},
): Promise<MetricsOutcome[]> => {
  const units = allSources(providers).filter((u) => u.provider.metrics);
  if (units.length === 0) return [];
  const max = opts.days ?? 14;
  const last = new Map(
    (
      await db
        .select({ key: inventorySources.key, metricsAt: inventorySources.metricsAt })
        .from(inventorySources)
        .where(
          inArray(
            inventorySources.key,
            units.map((u) => u.source.key),
          ),
        )
    ).map((r) => [r.key, r.metricsAt]),
  );
  const outcomes = await mapBounded(
    units,
    opts.concurrency ?? 2,
    async ({ provider, source }): Promise<MetricsOutcome> => {
      const days = missingDays(last.get(source.key), now, max);
      let written = 0;
      try {
        // The instances the last listing stored: the provider need not list them again to ask.
        const listed = await db
          .select({ id: resources.id })
          .from(resources)
          .where(and(eq(resources.source, source.key), eq(resources.type, 'instance'), isNull(resources.goneAt)));
        const rest = await provider.metrics!(
          source,
          { days, now },
          {
            ...(listed.length > 0 ? { instanceIds: listed.map((r) => r.id) } : {}),
            onSamples: async (batch) => {
              await writeSamples(db, batch, now);
              written += batch.length;
            },
          },
        );
        await writeSamples(db, rest, now);
        written += rest.length;
        await db
          .update(inventorySources)
          .set({ metricsAt: now, metricsError: null })
          .where(sql`${inventorySources.key} = ${source.key}`);
        return { source: source.key, samples: written, days };
      } catch (e) {
        const error = isUserFacing(e) ? e.userMessage : `Collecting metrics of ${source.label} failed unexpectedly.`;
        opts.logger?.warn({ source: source.key, err: e }, 'metrics collection of a source failed');
        await db
          .update(inventorySources)
          .set({ metricsError: error })
          .where(sql`${inventorySources.key} = ${source.key}`)
          .catch(() => undefined);
        return { source: source.key, samples: written, days, error };
      }
    },
  );
  if (outcomes.some((o) => o.samples > 0))
    await (opts.vacuum ? vacuumIfNeeded : analyzeIfNeeded)(
      db,
      ['resource_metrics', 'resource_metric_series'],
      opts.logger,
    ).catch((e: unknown) => opts.logger?.warn({ err: e }, 'could not vacuum the metrics table'));
  return outcomes;
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

/** Every resource of every source of a provider (tests, benches): what a full sync would store. */
export const listAll = async (provider: CloudProvider): Promise<Resource[]> =>
  (await Promise.all(provider.sources().map((s) => provider.listSource(s)))).flat();
