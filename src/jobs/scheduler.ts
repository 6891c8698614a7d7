import os from 'node:os';
import { Agenda } from 'agenda';
import { PostgresBackend, PostgresNotificationChannel } from '@agendajs/postgres-backend';
import type { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/open.ts';
import { schedulerPoolMax } from '../store/open.ts';
import { createPool } from '../store/pool.ts';
import { patientBackend } from './patient-backend.ts';

/**
 * Background jobs on Agenda 6 over our PostgreSQL (or embedded PGlite). Each capability registers
 * its own jobs (inventory sync, approval expiry, …) through `define` + `every`/`now`; every
 * instance sharing the database takes part, and Agenda's row locks make each run happen once.
 * Handlers must finish within the lock lifetime, else another instance may take the job over.
 */
export interface Scheduler {
  /** Registers a handler. With a schema, data is validated first; a mismatch fails the run. */
  define<T = unknown>(
    name: string,
    handler: (data: T) => Promise<void>,
    schema?: z.ZodType<T>,
    options?: DefineOptions,
  ): void;
  /**
   * Runs `name` every `intervalMs`: one schedule per name, shared by all instances (upserted).
   * `skipImmediate`: the first run is one interval from now, not at once (for work the app
   * already does as it starts).
   */
  every(
    intervalMs: number,
    name: string,
    data?: Record<string, unknown>,
    opts?: { skipImmediate?: boolean },
  ): Promise<void>;
  /**
   * Runs `name` on a cron schedule (`0 7 * * *`, in `timezone`, UTC by default), one schedule per
   * value of `data[key]` (a workspace's scan, say): calling it again with the same key value
   * updates that schedule instead of adding one. An invalid expression throws.
   */
  cron(
    expression: string,
    name: string,
    data: Record<string, string>,
    opts: { key: string; timezone?: string | undefined },
  ): Promise<void>;
  /** Queues one run of `name` as soon as an instance is free. */
  now(name: string, data?: Record<string, unknown>): Promise<void>;
  /** Starts processing jobs in this instance. */
  start(): Promise<void>;
  /** Waits (bounded) for running jobs, stops processing, closes the scheduler's pool. Idempotent. */
  stop(): Promise<void>;
}

export interface DefineOptions {
  /**
   * A shorter lock lifetime for this job (capped by the scheduler's): how soon another instance
   * may take over the job's lock when the instance holding it died. Instances lock a due run up to
   * `processEvery` ahead, so a killed instance usually holds the lock of a frequent job, which then
   * stalls everywhere for the whole lifetime. The handler must finish well within it.
   */
  lockLifetimeMs?: number;
}

export interface SchedulerOptions {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** Embedded PGlite misroutes LISTEN/NOTIFY: poll instead. */
  embedded: boolean;
  /** How often to look for due jobs; must not exceed the shortest `every` interval. Default 1 s. */
  processEvery?: string | number;
  /** A locked job not finished within this is considered dead and may run elsewhere. Default 10 min. */
  lockLifetimeMs?: number;
  /** How long stop() waits for running jobs. Default 30 s. */
  drainTimeoutMs?: number;
}

const defaultLockLifetimeMs = 10 * 60_000;
const defaultDrainTimeoutMs = 30_000;

const units: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
};

/**
 * processEvery in ms. We parse it ourselves: Agenda's parser reads "200 milliseconds" as 200 000
 * ms and "500 ms" as nothing (then silently uses 5 s).
 */
export const processEveryMs = (p: string | number): number => {
  if (typeof p === 'number') return p;
  const m = /^(\d+)\s*([a-z]+)$/.exec(p.trim().toLowerCase());
  const unit = m && (units[m[2]!] ?? units[m[2]!.replace(/s$/, '')]);
  if (!m || !unit)
    throw new AppError('internal', `processEvery: expected a duration like 500 ms, 1 second or 2 minutes, got "${p}"`);
  return Number(m[1]) * unit;
};

/** First delay before the LISTEN connection is re-opened, and the longest. */
const listenRetryMs = { first: 1_000, max: 30_000 };

/**
 * Agenda's LISTEN/NOTIFY channel (real PostgreSQL only), made by us rather than by
 * PostgresBackend, so that:
 * - its 'error' events have a listener. The channel re-emits every error of its dedicated LISTEN
 *   connection (server stopped, failover, pg_terminate_backend, network cut) and of each attempt
 *   to reconnect; with no listener Node turns the first one into an uncaught exception and the
 *   process exits. Here the loss is logged once, the channel reconnects by itself (LISTEN on a new
 *   connection of the scheduler's pool), and its return is logged. Meanwhile jobs still run:
 *   every instance polls every `processEvery` whatever the channel does; NOTIFY only makes
 *   `now()` jobs start sooner.
 * - it retries once a second rather than every 100 ms (the library restarts its backoff on each
 *   attempt, so the first delay is the only one), and forever rather than giving up.
 */
const notificationChannel = (pool: ReturnType<typeof createPool>, logger: Logger): PostgresNotificationChannel => {
  const channel = new PostgresNotificationChannel({
    pool,
    reconnect: {
      enabled: true,
      initialDelayMs: listenRetryMs.first,
      maxDelayMs: listenRetryMs.max,
      maxAttempts: Number.POSITIVE_INFINITY,
    },
  });
  let lost = false;
  channel.on('error', (err: Error) => {
    if (lost) {
      logger.debug({ err: err.message }, 'scheduler notifications: reconnect attempt failed');
      return;
    }
    lost = true;
    logger.warn({ err: err.message, retryInMs: listenRetryMs.first }, 'scheduler notifications lost; reconnecting');
  });
  channel.on('stateChange', (state: string) => {
    if (state !== 'connected' || !lost) return;
    lost = false;
    logger.info('scheduler notifications reconnected');
  });
  return channel;
};

export const createScheduler = (opts: SchedulerOptions): Scheduler => {
  const { logger, metrics } = opts;
  const pollMs = processEveryMs(opts.processEvery ?? 1000);
  const defaultLockLifetime = opts.lockLifetimeMs ?? defaultLockLifetimeMs;
  // Its own pool: a long LISTEN connection and job bookkeeping never starve the app's queries.
  const pool = createPool({
    connectionString: opts.store.connectionString,
    max: schedulerPoolMax,
    logger,
    name: 'scheduler',
  });
  const channel = opts.embedded ? undefined : notificationChannel(pool, logger);
  const backend = patientBackend(
    new PostgresBackend({ pool, ensureSchema: false, disableNotifications: true }),
    logger,
  );
  const agenda = new Agenda({
    name: `${os.hostname()}:${process.pid}`,
    backend,
    ...(channel ? { notificationChannel: channel } : {}),
    processEvery: pollMs,
    defaultLockLifetime,
  });
  // Without a listener an 'error' event (a failed job, a lost database) would crash the process.
  agenda.on('error', (err: Error) => logger.warn({ err: err.message }, 'scheduler error'));

  let started = false;
  let stopping: Promise<void> | undefined;

  const define = <T>(
    name: string,
    handler: (data: T) => Promise<void>,
    schema?: z.ZodType<T>,
    options: DefineOptions = {},
  ): void => {
    const lockLifetime = Math.min(options.lockLifetimeMs ?? defaultLockLifetime, defaultLockLifetime);
    agenda.define(
      name,
      async (job) => {
        const t0 = performance.now();
        try {
          await handler(schema ? schema.parse(job.attrs.data ?? {}) : (job.attrs.data as T));
          metrics.jobRuns.inc({ job: name, outcome: 'success' });
          logger.debug({ job: name, ms: Math.round(performance.now() - t0) }, 'job done');
        } catch (err) {
          metrics.jobRuns.inc({ job: name, outcome: 'failure' });
          logger.error({ job: name, err: (err as Error).message }, 'job failed');
          throw err;
        }
      },
      { lockLifetime },
    );
  };

  return {
    define,
    every: async (intervalMs, name, data, opts) => {
      if (intervalMs < pollMs)
        logger.warn(
          { job: name, intervalMs, processEveryMs: pollMs },
          'job interval is shorter than processEvery: it will run less often',
        );
      await agenda.ready;
      await agenda.every(intervalMs, name, data ?? {}, opts?.skipImmediate ? { skipImmediate: true } : {});
    },
    cron: async (expression, name, data, o) => {
      const value = data[o.key];
      if (value === undefined) throw new AppError('internal', `cron ${name}: data has no "${o.key}"`);
      await agenda.ready;
      const job = agenda
        .create(name, data)
        .repeatEvery(expression, { timezone: o.timezone ?? 'UTC', skipImmediate: true })
        .unique({ [`data.${o.key}`]: value });
      // Agenda records a bad expression as the job's failure instead of throwing: say it here.
      if (job.attrs.failReason) throw new AppError('bad_request', `cron "${expression}": ${job.attrs.failReason}`);
      await job.save();
    },
    now: async (name, data) => {
      await agenda.ready;
      await agenda.now(name, data ?? {});
    },
    start: async () => {
      await agenda.start();
      started = true;
      logger.info({ processEveryMs: pollMs, notifications: !opts.embedded }, 'scheduler started');
    },
    stop: () =>
      (stopping ??= (async () => {
        backend.cancel();
        if (started) {
          const result = await agenda.drain(opts.drainTimeoutMs ?? defaultDrainTimeoutMs);
          if (result.timedOut) logger.warn({ running: result.running }, 'scheduler stopped with jobs still running');
        } else {
          // A start that failed may have left the channel retrying: stop that too.
          await channel?.disconnect().catch(() => undefined);
        }
        await pool.end().catch((err: Error) => logger.warn({ err: err.message }, 'closing the scheduler pool failed'));
      })()),
  };
};
