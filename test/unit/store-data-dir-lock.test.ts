import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { lockDataDir } from '../../src/store/data-dir-lock.ts';

let dir: string;
const lockFile = (): string => path.join(dir, 'devops-agent.lock');

beforeEach(() => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-lock-')), 'a', 'b');
});
afterEach(() => {
  fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
});

it('creates missing parent dirs and records our pid; release removes the file', () => {
  const lock = lockDataDir(dir);
  expect(fs.readFileSync(lockFile(), 'utf8').trim()).toBe(String(process.pid));
  lock.release();
  expect(fs.existsSync(lockFile())).toBe(false);
  lock.release(); // idempotent
});

it('refuses a second holder while the first one is alive', () => {
  const lock = lockDataDir(dir);
  expect(() => lockDataDir(dir)).toThrow(`data dir ${dir} is in use by pid ${process.pid}`);
  lock.release();
  lockDataDir(dir).release();
});

it('refuses a lock held by another live process', () => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(lockFile(), `${process.ppid}\n`);
  expect(() => lockDataDir(dir)).toThrow(`is in use by pid ${process.ppid}`);
});

it.each([
  ['a dead pid', '4194305\n'],
  // After a container restart the app is pid 1 again: a lock with our pid that we do not hold is stale.
  ['our own pid, not held here', `${process.pid}\n`],
])('takes over a stale lock naming %s', (_, content) => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(lockFile(), content);
  const lock = lockDataDir(dir);
  expect(fs.readFileSync(lockFile(), 'utf8').trim()).toBe(String(process.pid));
  lock.release();
});

it('takes over an unreadable lock only once it is old', () => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(lockFile(), '');
  expect(() => lockDataDir(dir)).toThrow('is in use by pid unknown');
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(lockFile(), old, old);
  lockDataDir(dir).release();
});
