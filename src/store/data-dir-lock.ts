import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, lock } from 'proper-lockfile';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * An exclusive lock on the embedded data dir. PGlite itself takes no lock: two processes on one
 * dir would both "succeed" and one's committed rows would be silently lost.
 *
 * The lock is `proper-lockfile`'s: an atomic `mkdir` of `DATA_DIR/devops-agent.lock` whose mtime
 * the holder refreshes every `updateMs`; a lock not refreshed for `staleMs` belongs to a dead
 * process and is taken over. Why this and not a pid file or an OS lock:
 * - a pid says nothing across PID namespaces: a second container on the same volume has its own
 *   pids (both apps may be pid 1), so "is that pid alive?" answered wrongly and the second
 *   container opened the same PGlite files. A heartbeat is judged by the file alone, so it works
 *   across namespaces, containers and hosts sharing a filesystem;
 * - Node has no flock/fcntl; the addons that add them compile native code at install (fetching
 *   headers from outside the npm registry), and advisory locks are unreliable on network
 *   filesystems. proper-lockfile is pure JavaScript, widely used and small.
 * The cost: a lock left by a killed process blocks until it is stale (10 s by default), so a start
 * that finds a fresh lock waits that long for it to be released or go stale before refusing.
 *
 * Beside the lock, `devops-agent.lock-owner.json` records who took it (pid, host, time): only for
 * the message, never to decide anything. An older version's pid FILE at the lock's path is still
 * honoured (live pid on this host → refuse; otherwise removed).
 */
export interface DataDirLock {
  readonly path: string;
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
}

export interface DataDirLockOptions {
  /** A lock not refreshed for this long is stale (its holder died) and is taken over. Default 10 s, at least 2 s. */
  staleMs?: number;
  /** How often the holder refreshes the lock. Default a fifth of `staleMs` (at least 1 s). */
  updateMs?: number;
  /**
   * How long to wait for a held lock to be released or to go stale before refusing. Default
   * `staleMs` + 2 s, so a restart right after a crash waits the dead process's lock out.
   */
  waitMs?: number;
  /**
   * Called once if the lock is lost while held (it vanished, or another process took it over after
   * this one stalled past `staleMs`): stop writing to the data dir. Default: nothing beyond the log.
   */
  onCompromised?: (err: AppError) => void;
  logger?: Logger;
}

const lockFileName = 'devops-agent.lock';
const ownerFileName = 'devops-agent.lock-owner.json';
const defaultStaleMs = 10_000;
const retryStepMs = 250;
/** Locks held by this process: a second one here is refused at once, without waiting. */
const heldHere = new Set<string>();

interface Owner {
  pid: number;
  host: string;
  since: string;
}

const readOwner = (file: string): Owner | undefined => {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.since === 'string'
      ? (o as Owner)
      : undefined;
  } catch {
    return undefined;
  }
};

const inUse = (dir: string, who: string): AppError =>
  new AppError('conflict', `data dir ${dir} is in use by ${who} (stop that process or set another DATA_DIR)`);

const describeOwner = (o: Owner | undefined): string => (o ? `pid ${o.pid} on host ${o.host}` : 'another process');

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * The lock of an older version: a regular file holding a pid, never refreshed. Judged as that
 * version did (a live pid on this host other than ours holds it), then removed.
 */
const clearLegacyLock = (dir: string, file: string): void => {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return;
  }
  if (!stat.isFile()) return;
  const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw inUse(dir, `pid ${pid}`);
  fs.rmSync(file, { force: true });
};

/** Takes the lock (creating `dir` if needed) or throws "data dir … is in use by pid N on host H". */
export const lockDataDir = async (dir: string, opts: DataDirLockOptions = {}): Promise<DataDirLock> => {
  const absDir = path.resolve(dir);
  const file = path.join(absDir, lockFileName);
  const ownerFile = path.join(absDir, ownerFileName);
  fs.mkdirSync(absDir, { recursive: true });
  if (heldHere.has(file)) throw inUse(absDir, `pid ${process.pid} on host ${os.hostname()} (this process)`);
  clearLegacyLock(absDir, file);

  const staleMs = Math.max(opts.staleMs ?? defaultStaleMs, 2_000);
  const updateMs = Math.max(opts.updateMs ?? staleMs / 5, 1_000);
  const waitMs = opts.waitMs ?? staleMs + 2_000;
  const common = { lockfilePath: file, realpath: false, stale: staleMs };

  if (waitMs > 0 && (await check(absDir, common).catch(() => false)))
    opts.logger?.warn(
      { dataDir: absDir, holder: describeOwner(readOwner(ownerFile)), waitMs },
      'the data dir is locked; waiting for its holder to release it or for the lock to go stale',
    );

  let compromised = false;
  let unlock: () => Promise<void>;
  try {
    unlock = await lock(absDir, {
      ...common,
      update: updateMs,
      retries: {
        retries: Math.ceil(waitMs / retryStepMs),
        factor: 1,
        minTimeout: retryStepMs,
        maxTimeout: retryStepMs,
      },
      onCompromised: (err) => {
        compromised = true;
        heldHere.delete(file);
        const lost = new AppError('conflict', `lost the lock on data dir ${absDir}: ${err.message}`, { cause: err });
        opts.logger?.error({ dataDir: absDir, err: err.message }, 'the data dir lock was lost');
        opts.onCompromised?.(lost);
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') throw inUse(absDir, describeOwner(readOwner(ownerFile)));
    throw new AppError('internal', `cannot lock data dir ${absDir}: ${(err as Error).message}`, { cause: err });
  }

  heldHere.add(file);
  const owner: Owner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const aside = `${ownerFile}.${process.pid}`;
  fs.writeFileSync(aside, `${JSON.stringify(owner)}\n`);
  fs.renameSync(aside, ownerFile);

  let releasing: Promise<void> | undefined;
  const release = (): Promise<void> =>
    (releasing ??= (async () => {
      heldHere.delete(file);
      if (compromised) return;
      if (readOwner(ownerFile)?.since === owner.since && readOwner(ownerFile)?.pid === owner.pid)
        fs.rmSync(ownerFile, { force: true });
      await unlock().catch((err: Error) =>
        opts.logger?.warn({ dataDir: absDir, err: err.message }, 'releasing the data dir lock failed'),
      );
    })());
  return { path: file, release };
};
