import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { lockDataDir } from './data-dir-lock.ts';

/**
 * Embedded PostgreSQL (PGlite) for zero-setup runs: hosted in a worker thread and served over the
 * PostgreSQL wire protocol on a private loopback port, so the app uses the same `pg` code path as
 * with a real server. PGlite never fsyncs: fine for trying, development and single-user use.
 */
export interface EmbeddedPostgres {
  /** postgres://…@127.0.0.1:<random port>/postgres */
  readonly connectionString: string;
  /** Directory holding the PostgreSQL files (inside the data dir). */
  readonly pgDir: string;
  close(): Promise<void>;
}

/** Subdirectory of DATA_DIR holding PGlite's files (the lock file sits beside it). */
export const pgliteDirName = 'pglite';

const startTimeoutMs = 60_000;
const stopTimeoutMs = 10_000;

type WorkerMessage = { type: 'ready'; port: number } | { type: 'error'; message: string } | { type: 'stopped' };

const waitFor = (worker: Worker, want: WorkerMessage['type'], timeoutMs: number): Promise<WorkerMessage> =>
  new Promise((resolve, reject) => {
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      fn();
    };
    const onMessage = (m: WorkerMessage): void => {
      if (m.type === want) done(() => resolve(m));
      else if (m.type === 'error') done(() => reject(new Error(m.message)));
    };
    const onError = (err: Error): void => done(() => reject(err));
    const onExit = (code: number): void => done(() => reject(new Error(`worker exited with code ${code}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`no answer within ${timeoutMs} ms`))), timeoutMs);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });

export const startEmbeddedPostgres = async (opts: {
  dataDir: string;
  /** Concurrent client connections the socket server accepts (it defaults to 1). */
  maxConnections: number;
  logger: Logger;
}): Promise<EmbeddedPostgres> => {
  const dataDir = path.resolve(opts.dataDir);
  const lock = lockDataDir(dataDir);
  const pgDir = path.join(dataDir, pgliteDirName);
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
    workerData: { pgDir, maxConnections: opts.maxConnections },
  });
  let port: number;
  try {
    const ready = await waitFor(worker, 'ready', startTimeoutMs);
    port = (ready as { port: number }).port;
  } catch (err) {
    await worker.terminate();
    lock.release();
    throw new AppError('unavailable', `cannot start embedded PostgreSQL in ${pgDir}: ${(err as Error).message}`, { cause: err });
  }
  worker.on('error', (err) => opts.logger.error({ err: err.message }, 'embedded PostgreSQL worker failed'));
  opts.logger.info({ pgDir, port }, 'embedded PostgreSQL started');

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
        lock.release();
      }
    })());

  return { connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, pgDir, close };
};
