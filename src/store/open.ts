import type pg from 'pg';
import { drizzle } from './orm.ts';
import { AppError, UnavailableError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from './db.ts';
import type { DataDirLockOptions } from './data-dir-lock.ts';
import { embeddedMaxConnections, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { runMigrations } from './migrate.ts';
import { createPool, describeConnectError, describeTarget, timedQuery } from './pool.ts';
import { transactionGuarded } from './transaction-guard.ts';

export interface Store {
  db: Db;
  pool: pg.Pool;
  /** May hold a password: pass it to clients, never log it. */
  connectionString: string;
  /** True when running on embedded PGlite (no DATABASE_URL). */
  embedded: boolean;
  /** Resolves when the database answers; rejects (UnavailableError) while it is down. */
  ping(): Promise<void>;
  /** Ends the pool, then stops embedded PostgreSQL. Idempotent. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** External PostgreSQL; unset → embedded PGlite in dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
  poolMax: number;
  logger: Logger;
  /** Client-side limit per query (PGlite does not enforce statement_timeout). Default 30 s. */
  queryTimeoutMs?: number;
  /** Limit for opening one connection. Default 5 s. */
  connectTimeoutMs?: number;
  /** ping() rejects after this, even while a connection attempt hangs. Default 2 s. */
  pingTimeoutMs?: number;
  /** Embedded only: timings of the data dir lock (tests shorten them). */
  dataDirLock?: Pick<DataDirLockOptions, 'staleMs' | 'updateMs' | 'waitMs'>;
  /**
   * Embedded only: a server already starting (main.ts starts it before the app's modules load, see
   * `startEmbeddedPostgres`), used instead of starting one here; the store owns it from then on.
   */
  embedded?: Promise<EmbeddedPostgres>;
}

const defaultPingTimeoutMs = 2_000;

export { embeddedMaxConnections, schedulerPoolMax } from './embedded.ts';

/** Opens the database (starting embedded PGlite in dataDir when no URL is given) and applies migrations. */
export const openStore = async (opts: StoreOptions): Promise<Store> => {
  if (opts.databaseUrl) return connectStore(opts.databaseUrl, undefined, opts);
  const embedded = await (opts.embedded ??
    startEmbeddedPostgres({
      dataDir: opts.dataDir,
      maxConnections: embeddedMaxConnections(opts.poolMax),
      logger: opts.logger,
      ...(opts.dataDirLock ? { dataDirLock: opts.dataDirLock } : {}),
    }));
  return connectStore(embedded.connectionString, embedded, opts);
};

/**
 * Opens the pool on a running server and migrates. An `embedded` server passed here is owned by
 * the store from then on: stopped by close(), or at once if opening fails.
 */
export const connectStore = async (
  connectionString: string,
  embedded: EmbeddedPostgres | undefined,
  opts: Omit<StoreOptions, 'databaseUrl' | 'dataDir'>,
): Promise<Store> => {
  const target = embedded
    ? `embedded PostgreSQL ${embedded.pgDir ? `in ${embedded.pgDir}` : 'in memory'}`
    : describeTarget(connectionString);
  const pool = createPool({
    connectionString,
    max: opts.poolMax,
    logger: opts.logger,
    name: 'store',
    queryTimeoutMs: opts.queryTimeoutMs,
    connectTimeoutMs: opts.connectTimeoutMs,
  });
  const abort = async (err: AppError): Promise<never> => {
    await pool.end().catch(() => undefined);
    await embedded?.close();
    throw err;
  };

  try {
    await pool.query('SELECT 1');
  } catch (err) {
    return abort(
      new AppError('unavailable', `cannot reach PostgreSQL at ${target}: ${describeConnectError(err)}`, { cause: err }),
    );
  }
  try {
    await runMigrations(pool);
  } catch (err) {
    return abort(
      new AppError('internal', `database migration failed on ${target}: ${(err as Error).message.split('\n')[0]}`, {
        cause: err,
      }),
    );
  }
  opts.logger.info({ target, embedded: Boolean(embedded) }, 'database ready');

  const db: Db = drizzle({ client: transactionGuarded(pool) });
  const pingTimeoutMs = opts.pingTimeoutMs ?? defaultPingTimeoutMs;
  let closing: Promise<void> | undefined;
  return {
    db,
    pool,
    connectionString,
    embedded: Boolean(embedded),
    ping: async () => {
      let timer: NodeJS.Timeout | undefined;
      // The query timeout does not cover waiting for a connection (a hung server accepts, then says nothing).
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new AppError('unavailable', `no answer within ${pingTimeoutMs} ms`)),
          pingTimeoutMs,
        );
      });
      try {
        await Promise.race([pool.query(timedQuery('SELECT 1', pingTimeoutMs)), timeout]);
      } catch (err) {
        throw new UnavailableError('The database', err);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () =>
      (closing ??= (async () => {
        await pool
          .end()
          .catch((err: Error) => opts.logger.warn({ err: err.message }, 'closing the database pool failed'));
        await embedded?.close();
      })()),
  };
};
