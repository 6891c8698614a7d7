import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { lockDataDir, type DataDirLock, type DataDirLockOptions } from './data-dir-lock.ts';
import { forkEmbeddedHost } from './embedded-host.ts';

/**
 * Embedded PostgreSQL (PGlite) for zero-setup runs: hosted in a child process (pglite-host.mjs says
 * why not a worker thread) and served over the PostgreSQL wire protocol on a private loopback port,
 * so the app uses the same `pg` code path as with a real server. PGlite never fsyncs: fine for
 * trying, development and single-user use.
 */
export interface EmbeddedPostgres {
  /** postgres://postgres@127.0.0.1:<random port>/postgres (no password: loopback only). */
  readonly connectionString: string;
  /** Directory holding the PostgreSQL files, or undefined when in memory. */
  readonly pgDir: string | undefined;
  /** The whole data dir as an uncompressed tar, loadable with `load` (test templates). */
  dump(): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  /** DATA_DIR: created if missing, locked, PostgreSQL files in its `pglite/`. Unset: in memory. */
  dataDir?: string;
  /** In memory only: start from this dump instead of an empty cluster (skips initdb, ~2.5 s). */
  load?: Uint8Array;
  /** Concurrent client connections the socket server accepts (it defaults to 1). */
  maxConnections: number;
  logger: Logger;
  /** Timings of the data dir lock (tests shorten them). */
  dataDirLock?: Pick<DataDirLockOptions, 'staleMs' | 'updateMs' | 'waitMs'>;
  /** A host process from `forkEmbeddedHost()` to use (main.ts forks it first thing); owned from then on. */
  host?: ChildProcess;
}

/** The scheduler's own pool (see jobs/scheduler.ts). */
export const schedulerPoolMax = 3;

/**
 * Connections the embedded socket server accepts, like PostgreSQL's default max_connections.
 * Over the limit Node's net server destroys the socket at once, so a client sees a bare
 * "read ECONNRESET" rather than a PostgreSQL error; every connection shares PGlite's single
 * session anyway, so a generous limit costs nothing. It must cover the app's pool, the
 * scheduler's pool, db:migrate, a psql session and — in tests — several processes on one database
 * (a limit of pool + scheduler + 4 reset connections of the two-process scheduler test in CI).
 */
const embeddedConnectionFloor = 100;

/** Connections the embedded server must accept for a store pool of `poolMax`. */
export const embeddedMaxConnections = (poolMax: number): number =>
  Math.max(embeddedConnectionFloor, poolMax + schedulerPoolMax + 4);

/** Subdirectory of DATA_DIR holding PGlite's files (the lock file sits beside it). */
export const pgliteDirName = 'pglite';

const startTimeoutMs = 60_000;
const stopTimeoutMs = 10_000;

type HostMessage =
  | { type: 'ready'; port: number }
  | { type: 'dumped'; data: Uint8Array }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

const waitFor = <T extends HostMessage['type']>(
  host: ChildProcess,
  want: T,
  timeoutMs: number,
): Promise<Extract<HostMessage, { type: T }>> =>
  new Promise((resolve, reject) => {
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      host.off('message', onMessage).off('error', onError).off('exit', onExit);
      fn();
    };
    const onMessage = (m: HostMessage): void => {
      if (m.type === want) done(() => resolve(m as Extract<HostMessage, { type: T }>));
      else if (m.type === 'error') done(() => reject(new AppError('unavailable', m.message)));
    };
    const onError = (err: Error): void => done(() => reject(err));
    const onExit = (code: number | null, signal: string | null): void =>
      done(() =>
        want === 'stopped'
          ? resolve({ type: 'stopped' } as Extract<HostMessage, { type: T }>)
          : reject(new AppError('unavailable', `host process exited (${signal ?? code})`)),
      );
    const timer = setTimeout(
      () => done(() => reject(new AppError('unavailable', `no answer within ${timeoutMs} ms`))),
      timeoutMs,
    );
    host.on('message', onMessage).on('error', onError).on('exit', onExit);
  });

const exited = (host: ChildProcess): Promise<void> =>
  host.exitCode !== null || host.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => host.once('exit', () => resolve()));

export const startEmbeddedPostgres = async (opts: EmbeddedOptions): Promise<EmbeddedPostgres> => {
  let lock: DataDirLock | undefined;
  let pgDir: string | undefined;
  // Losing the lock stops the host (once it runs), so that only one process writes the dir.
  const lostLock: { happened: boolean; stop?: () => void } = { happened: false };
  if (opts.dataDir !== undefined) {
    const dataDir = path.resolve(opts.dataDir);
    try {
      lock = await lockDataDir(dataDir, {
        ...opts.dataDirLock,
        logger: opts.logger,
        onCompromised: () => {
          opts.logger.error(
            { dataDir },
            'another process took over the data dir: stopping embedded PostgreSQL (restart once the other process is gone)',
          );
          lostLock.happened = true;
          lostLock.stop?.();
        },
      });
    } catch (err) {
      // A host forked ahead has opened nothing yet: it just goes.
      opts.host?.kill('SIGKILL');
      throw err;
    }
    pgDir = path.join(dataDir, pgliteDirName);
  }
  const where = pgDir ? `in ${pgDir}` : 'in memory';
  const host = opts.host ?? forkEmbeddedHost();
  let port: number;
  try {
    const ready = waitFor(host, 'ready', startTimeoutMs);
    host.send({ type: 'start', pgDir, maxConnections: opts.maxConnections, dump: opts.load });
    port = (await ready).port;
  } catch (err) {
    host.kill('SIGKILL');
    await exited(host);
    await lock?.release();
    throw new AppError('unavailable', `cannot start embedded PostgreSQL ${where}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  host.on('error', (err) => opts.logger.error({ err: err.message }, 'embedded PostgreSQL host process failed'));
  host.on('exit', (code, signal) => {
    if (!closing) opts.logger.error({ code, signal }, 'embedded PostgreSQL host process exited unexpectedly');
  });
  opts.logger.info({ where, port, pid: host.pid }, 'embedded PostgreSQL started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        if (host.connected) {
          const stopped = waitFor(host, 'stopped', stopTimeoutMs);
          host.send({ type: 'stop' });
          await stopped;
        }
      } catch (err) {
        opts.logger.warn({ err: (err as Error).message }, 'embedded PostgreSQL did not stop cleanly');
      } finally {
        if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
        await exited(host);
        await lock?.release();
      }
    })());
  lostLock.stop = () => void close();
  if (lostLock.happened) {
    await close();
    throw new AppError('conflict', `cannot start embedded PostgreSQL ${where}: another process took over the data dir`);
  }

  const dump = async (): Promise<Uint8Array> => {
    const dumped = waitFor(host, 'dumped', startTimeoutMs);
    host.send({ type: 'dump' });
    return (await dumped).data;
  };

  return { connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, pgDir, dump, close };
};
