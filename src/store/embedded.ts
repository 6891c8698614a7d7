import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';

/**
 * Embedded PostgreSQL (PGlite) for zero-setup runs: hosted in a worker thread and served over the
 * PostgreSQL wire protocol on a private loopback port, so the app uses the same `pg` code path as
 * with a real server. PGlite never fsyncs: fine for trying, development and single-user use.
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
}

/** Subdirectory of DATA_DIR holding PGlite's files (the lock file sits beside it). */
export const pgliteDirName = 'pglite';

const startTimeoutMs = 60_000;
const stopTimeoutMs = 10_000;

type WorkerMessage =
  | { type: 'ready'; port: number }
  | { type: 'dumped'; data: ArrayBuffer }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

const waitFor = <T extends WorkerMessage['type']>(worker: Worker, want: T, timeoutMs: number): Promise<Extract<WorkerMessage, { type: T }>> =>
  new Promise((resolve, reject) => {
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      fn();
    };
    const onMessage = (m: WorkerMessage): void => {
      if (m.type === want) done(() => resolve(m as Extract<WorkerMessage, { type: T }>));
      else if (m.type === 'error') done(() => reject(new Error(m.message)));
    };
    const onError = (err: Error): void => done(() => reject(err));
    const onExit = (code: number): void => done(() => reject(new Error(`worker exited with code ${code}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`no answer within ${timeoutMs} ms`))), timeoutMs);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });

export const startEmbeddedPostgres = async (opts: EmbeddedOptions): Promise<EmbeddedPostgres> => {
  let lock: DataDirLock | undefined;
  let pgDir: string | undefined;
  if (opts.dataDir !== undefined) {
    const dataDir = path.resolve(opts.dataDir);
    lock = lockDataDir(dataDir);
    pgDir = path.join(dataDir, pgliteDirName);
  }
  const where = pgDir ? `in ${pgDir}` : 'in memory';
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
    workerData: { pgDir, maxConnections: opts.maxConnections, dump: opts.load },
    // Workers inherit the process's flags; `--input-type` (node -e) makes one fail to start.
    execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
  });
  let port: number;
  try {
    port = (await waitFor(worker, 'ready', startTimeoutMs)).port;
  } catch (err) {
    await worker.terminate();
    lock?.release();
    throw new AppError('unavailable', `cannot start embedded PostgreSQL ${where}: ${(err as Error).message}`, { cause: err });
  }
  worker.on('error', (err) => opts.logger.error({ err: err.message }, 'embedded PostgreSQL worker failed'));
  opts.logger.info({ where, port }, 'embedded PostgreSQL started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        const stopped = waitFor(worker, 'stopped', stopTimeoutMs);
        worker.postMessage({ type: 'stop' });
        await stopped;
      } catch (err) {
        opts.logger.warn({ err: (err as Error).message }, 'embedded PostgreSQL did not stop cleanly');
      } finally {
        await worker.terminate();
        lock?.release();
      }
    })());

  const dump = async (): Promise<Uint8Array> => {
    const dumped = waitFor(worker, 'dumped', startTimeoutMs);
    worker.postMessage({ type: 'dump' });
    return new Uint8Array((await dumped).data);
  };

  return { connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, pgDir, dump, close };
};
