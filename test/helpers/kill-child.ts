import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Runs a fixture script (a path from the repository root) in a child process and SIGKILLs it as
 * soon as its stdout matches `when`: a crash at an exact point, without sleeping. Resolves with
 * what it printed; rejects if it exits by itself first.
 */
export const killChildWhen = (
  script: string,
  env: Record<string, string>,
  when: (stdout: string) => boolean,
): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (when(out)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`)),
    );
  });
