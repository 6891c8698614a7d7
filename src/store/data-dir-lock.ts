import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.ts';

/**
 * An exclusive lock file in the embedded data dir. PGlite itself takes no lock: two processes on
 * one dir would both "succeed" and one's committed rows would be silently lost.
 */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

const lockFileName = 'devops-agent.lock';
/** Locks held by this process: a lock naming our own pid is stale unless it is one of these. */
const heldHere = new Set<string>();

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const readPid = (file: string): number | undefined => {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** A lock file without a pid is being written right now, unless it has been like that for a while. */
const unreadableAndOld = (file: string): boolean => {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 10_000;
  } catch {
    return true;
  }
};

const tryCreate = (file: string): boolean => {
  try {
    fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
};

const inUse = (dir: string, pid: number | undefined): AppError =>
  new AppError(
    'conflict',
    `data dir ${dir} is in use by pid ${pid ?? 'unknown'} (stop that process or set another DATA_DIR)`,
  );

/** Takes the lock (creating `dir` if needed) or throws "data dir … is in use by pid N". */
export const lockDataDir = (dir: string): DataDirLock => {
  const absDir = path.resolve(dir);
  const file = path.join(absDir, lockFileName);
  fs.mkdirSync(absDir, { recursive: true });
  if (heldHere.has(file)) throw inUse(absDir, process.pid);

  for (let attempt = 0; attempt < 3 && !tryCreate(file); attempt++) {
    const pid = readPid(file);
    // Our own pid in a lock we do not hold: left by an earlier container whose app was also pid 1.
    const stale = pid === undefined ? unreadableAndOld(file) : pid === process.pid || !isAlive(pid);
    if (!stale) throw inUse(absDir, pid);
    // Move the stale file aside atomically, then check we moved the one we judged (not a fresh lock
    // another process took over in between); if not, put it back and report that process.
    const aside = `${file}.stale-${process.pid}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue;
    }
    const movedPid = readPid(aside);
    if (movedPid !== pid) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // Someone holds a newer lock; either way the dir is in use.
      }
      fs.rmSync(aside, { force: true });
      throw inUse(absDir, movedPid);
    }
    fs.rmSync(aside, { force: true });
  }
  if (readPid(file) !== process.pid) throw inUse(absDir, readPid(file));

  heldHere.add(file);
  const removeOnExit = (): void => release();
  process.once('exit', removeOnExit);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    heldHere.delete(file);
    process.removeListener('exit', removeOnExit);
    if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
  };
  return { path: file, release };
};
