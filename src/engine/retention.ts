import type { Scheduler } from '../jobs/scheduler.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../store/db.ts';
import { deleteMessagesBefore, deleteProcessedEventsBefore } from './conversations.ts';

/**
 * Retention of the tables that grow with use (docs/architecture.md#retention): handled surface
 * event ids (`processed_events`, RETENTION_PROCESSED_EVENTS) and conversation messages
 * (`messages`, RETENTION_MESSAGES). The audit log and change requests are never pruned.
 *
 * Deletes run in batches of `batchSize` rows, each its own short statement (messages: with their
 * card-copy rows, in the same statement), so a large backlog never holds one long transaction:
 * on embedded PGlite every connection shares one session and waits for it. A run stops after
 * `maxBatches` per table and the next run goes on.
 */
export const retentionJob = 'retention.prune';
/** How often the job runs. */
export const retentionIntervalMs = 3_600_000;

export interface RetentionPeriods {
  /** 0 keeps them forever. */
  processedEventsMs: number;
  /** 0 keeps them forever. */
  messagesMs: number;
}

export interface RetentionLimits {
  /** Rows per statement. Default 1000. */
  batchSize?: number;
  /** Statements per table per run. Default 100. */
  maxBatches?: number;
}

export interface PruneOutcome {
  table: 'processed_events' | 'messages';
  /** Rows older than this were due. */
  before: Date;
  deleted: number;
  batches: number;
  /** The run stopped at maxBatches with rows still due: the next run continues. */
  more: boolean;
}

const defaultBatchSize = 1_000;
const defaultMaxBatches = 100;

const inBatches = async (
  table: PruneOutcome['table'],
  before: Date,
  batch: (limit: number) => Promise<number>,
  limits: RetentionLimits,
): Promise<PruneOutcome> => {
  const size = limits.batchSize ?? defaultBatchSize;
  const max = limits.maxBatches ?? defaultMaxBatches;
  let deleted = 0;
  let batches = 0;
  for (;;) {
    const n = await batch(size);
    batches++;
    deleted += n;
    if (n < size) return { table, before, deleted, batches, more: false };
    if (batches >= max) return { table, before, deleted, batches, more: true };
  }
};

/** Deletes what is due at `now`; tables whose period is 0 are left alone. */
export const pruneExpired = async (
  db: Db,
  now: Date,
  periods: RetentionPeriods,
  limits: RetentionLimits = {},
): Promise<PruneOutcome[]> => {
  const outcomes: PruneOutcome[] = [];
  if (periods.processedEventsMs > 0) {
    const before = new Date(now.getTime() - periods.processedEventsMs);
    outcomes.push(
      await inBatches('processed_events', before, (n) => deleteProcessedEventsBefore(db, before, n), limits),
    );
  }
  if (periods.messagesMs > 0) {
    const before = new Date(now.getTime() - periods.messagesMs);
    outcomes.push(await inBatches('messages', before, (n) => deleteMessagesBefore(db, before, n), limits));
  }
  return outcomes;
};

export const registerRetentionJobs = async (
  scheduler: Scheduler,
  d: RetentionPeriods & RetentionLimits & { db: Db; now: () => Date; logger: Logger },
): Promise<void> => {
  scheduler.define(retentionJob, async () => {
    const outcomes = await pruneExpired(d.db, d.now(), d, d);
    for (const o of outcomes)
      if (o.deleted > 0)
        d.logger.info(
          { table: o.table, deleted: o.deleted, before: o.before, batches: o.batches, more: o.more },
          'retention: old rows deleted',
        );
  });
  await scheduler.every(retentionIntervalMs, retentionJob);
};
