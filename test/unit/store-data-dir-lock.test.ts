import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import type { AppError } from '../../src/errors.ts';
import { lockDataDir } from '../../src/store/data-dir-lock.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The lock in one process; between processes (killed holders, PID namespaces): the integration
// test store-data-dir-lock.test.ts.
let dir: string;
const lockPath = (): string => path.join(dir, 'devops-agent.lock');
const ownerPath = (): string => path.join(dir, 'devops-agent.lock-owner.json');

beforeEach(() => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-lock-')), 'a', 'b');
});
afterEach(() => {
  fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
});

it('creates missing parent dirs and records who holds it; release removes both', async () => {
  const lock = await lockDataDir(dir);
  expect(lock.path).toBe(lockPath());
  expect(fs.statSync(lockPath()).isDirectory()).toBe(true);
  expect(JSON.parse(fs.readFileSync(ownerPath(), 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
  await lock.release();
  expect(fs.existsSync(lockPath())).toBe(false);
  expect(fs.existsSync(ownerPath())).toBe(false);
  await lock.release(); // idempotent
});

it('refuses a second holder in this process at once, and lets it in after release', async () => {
  const lock = await lockDataDir(dir);
  const started = Date.now();
  await expect(lockDataDir(dir)).rejects.toThrow(`data dir ${dir} is in use by pid ${process.pid}`);
  expect(Date.now() - started).toBeLessThan(1_000); // no waiting for staleness here
  await lock.release();
  await (await lockDataDir(dir)).release();
});

it('keeps the lock fresh while held, so it never goes stale under its holder', async () => {
  const lock = await lockDataDir(dir, { staleMs: 2_000, updateMs: 1_000 });
  const first = fs.statSync(lockPath()).mtimeMs;
  await waitFor(() => fs.statSync(lockPath()).mtimeMs > first, { what: 'the lock to be refreshed', timeoutMs: 5_000 });
  await lock.release();
});

it('takes over a lock whose holder stopped refreshing it, once it is stale', async () => {
  fs.mkdirSync(lockPath(), { recursive: true });
  fs.writeFileSync(ownerPath(), JSON.stringify({ pid: 4_194_305, host: 'gone', since: '2026-01-01T00:00:00.000Z' }));
  await expect(lockDataDir(dir, { waitMs: 0 })).rejects.toThrow('is in use by pid 4194305 on host gone');
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(lockPath(), old, old);
  const lock = await lockDataDir(dir, { waitMs: 0 });
  expect(JSON.parse(fs.readFileSync(ownerPath(), 'utf8'))).toMatchObject({ pid: process.pid });
  await lock.release();
});

it('tells whoever holds it when the lock is lost (another process removed or took it)', async () => {
  const lost: AppError[] = [];
  const lock = await lockDataDir(dir, { staleMs: 2_000, updateMs: 1_000, onCompromised: (e) => lost.push(e) });
  fs.rmdirSync(lockPath());
  await waitFor(() => lost.length > 0, { what: 'the lock to be reported lost', timeoutMs: 5_000 });
  expect(lost[0]).toMatchObject({ code: 'conflict' });
  expect(lost[0]!.message).toContain(`lost the lock on data dir ${dir}`);
  await lock.release();
  // Lost means no longer ours: the next one takes it at once.
  await (await lockDataDir(dir, { waitMs: 0 })).release();
});

it.each([
  ['a dead pid', '4194305\n'],
  ['our own pid (a restarted container whose app was pid 1 too)', `${process.pid}\n`],
])("removes an older version's pid lock file naming %s", async (_, content) => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(lockPath(), content);
  const lock = await lockDataDir(dir, { waitMs: 0 });
  expect(fs.statSync(lockPath()).isDirectory()).toBe(true);
  await lock.release();
});

it("refuses while an older version's pid lock file names another live process", async () => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(lockPath(), `${process.ppid}\n`);
  await expect(lockDataDir(dir, { waitMs: 0 })).rejects.toThrow(`is in use by pid ${process.ppid}`);
});
