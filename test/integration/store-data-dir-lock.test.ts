import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { lockDataDir } from '../../src/store/data-dir-lock.ts';

/**
 * The embedded data dir lock between real processes. The lock is alive while its holder keeps
 * refreshing it, whatever pid it records: a process in another PID namespace (a second container
 * on the same volume) has a pid that means nothing here — dead here, or even ours (both apps are
 * pid 1) — and must still block; a killed process's lock stops blocking once it is stale.
 */
const root = path.resolve(import.meta.dirname, '../..');
const staleMs = 2_000;
let dir: string;
let children: ChildProcess[] = [];

beforeEach(() => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-lock-it-')), 'data');
});
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});

/** A child process that takes the lock and holds it; resolves once it has it. */
const holder = (): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['test/fixtures/data-dir-lock-child.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: dir, STALE_MS: String(staleMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`locked ${child.pid}\n`)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited ${code}: ${err}`)));
  });

const killed = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

/** Whatever the holder wrote its pid into, rewritten to `pid`: how a holder in another PID namespace looks from here. */
const pretendPid = (child: ChildProcess, pid: number): void => {
  const rewritten = fs
    .readdirSync(dir)
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).isFile() && fs.readFileSync(f, 'utf8').includes(String(child.pid)));
  expect(rewritten.length).toBeGreaterThan(0);
  for (const f of rewritten) {
    const before = fs.statSync(f);
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replaceAll(String(child.pid), String(pid)));
    fs.utimesSync(f, before.atime, before.mtime);
  }
};

const tryLock = (opts: { waitMs?: number } = {}) =>
  Promise.resolve().then(() => lockDataDir(dir, { staleMs, ...opts }));

it('refuses a second instance while the first holds the lock, naming the holder', async () => {
  const child = await holder();
  await expect(tryLock({ waitMs: 0 })).rejects.toMatchObject({
    code: 'conflict',
    userMessage: `data dir ${dir} is in use by pid ${child.pid} on host ${os.hostname()} (stop that process or set another DATA_DIR)`,
  });
  // Waiting longer than the staleness does not help: a live holder keeps its lock fresh.
  await expect(tryLock({ waitMs: staleMs * 2 })).rejects.toMatchObject({ code: 'conflict' });
}, 30_000);

it.each([
  // Both containers' apps are pid 1: the lock names our own pid, yet another process holds it.
  ['our own pid', () => process.pid],
  // Its pid does not exist in our namespace.
  ['a pid that does not exist here', () => 4_194_305],
  // Its pid belongs to an unrelated live process here.
  ['an unrelated live pid', () => process.ppid],
])(
  'a fresh lock held from another PID namespace blocks though it names %s',
  async (_, pid) => {
    const child = await holder();
    pretendPid(child, pid());
    await expect(tryLock({ waitMs: 0 })).rejects.toMatchObject({ code: 'conflict' });
    await expect(tryLock({ waitMs: 0 })).rejects.toThrow(`data dir ${dir} is in use by pid ${pid()}`);
  },
  30_000,
);

it('a lock left by a killed process blocks until it is stale, then the next start takes it', async () => {
  const child = await holder();
  await killed(child); // kill -9: no chance to release anything
  // Just killed: from here it cannot be told from a holder in another namespace, so it still counts.
  await expect(tryLock({ waitMs: 0 })).rejects.toMatchObject({ code: 'conflict' });
  // The next start waits for the staleness by default and then takes the lock over.
  const lock = await tryLock();
  expect(fs.readdirSync(dir).length).toBeGreaterThan(0);
  await lock.release();
  // Released: the one after that gets it at once.
  await (await tryLock({ waitMs: 0 })).release();
}, 30_000);
