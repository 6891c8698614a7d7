import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The real app as a separate process: `node src/main.ts` (what `npm start` runs) with the given
 * environment and nothing else from ours, in an empty working directory (so no `.env` and no
 * `.data` of the developer's are picked up). Its JSON log lines are collected as they come, and
 * start-up is over when it logs "DevOps Agent is ready" (the line carries its URL, so PORT=0 works).
 */
export interface LogLine {
  level: number;
  /** Epoch milliseconds (pino's `time`). */
  time: number;
  msg: string;
  [field: string]: unknown;
}

export interface AppProcess {
  readonly pid: number;
  /** Base URL of its HTTP server. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Every JSON log line written to stdout so far, oldest first. */
  readonly logs: LogLine[];
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (SIGTERM: a clean stop) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const root = path.resolve(import.meta.dirname, '../..');
const main = path.join(root, 'src/main.ts');

export const startAppProcess = async (
  env: Record<string, string>,
  opts: { timeoutMs?: number; name?: string } = {},
): Promise<AppProcess> => {
  const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-proc-'));
  const child = spawn(process.execPath, [main], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const name = opts.name ?? 'app';
  const logs: LogLine[] = [];
  let stderr = '';
  let partial = '';
  let url: string | undefined;
  let onReady: (url: string) => void = () => undefined;
  let onExit: (e: Error) => void = () => undefined;
  // One promise for the three ways start-up ends (settling it again later is a no-op, never an unhandled rejection).
  const ready = new Promise<string>((resolve, reject) => {
    onReady = resolve;
    onExit = reject;
  });

  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    const lines = (partial + s).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch {
        continue; // the banner for people
      }
      logs.push(entry);
      if (entry.msg === 'DevOps Agent is ready' && typeof entry.url === 'string' && !url) {
        url = entry.url;
        onReady(url);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  void exited.then(({ code, signal }) => {
    onExit(new Error(`${name} exited during start-up (${signal ?? code}): ${stderr}`));
    return fs.rm(cwd, { recursive: true, force: true }).catch(() => undefined);
  });

  const timeoutMs = opts.timeoutMs ?? 60_000;
  const timer = setTimeout(
    () => onExit(new Error(`${name} was not ready after ${timeoutMs} ms; stderr: ${stderr}`)),
    timeoutMs,
  );
  try {
    await ready;
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  } finally {
    clearTimeout(timer);
  }

  return {
    pid: child.pid!,
    url: url!,
    child,
    logs,
    stderr: () => stderr,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
};
