import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';

/** `NODE_ENV=production` through the real entry (src/main.ts): what refuses and what only warns. */
const dataDirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  // A test that timed out must not leave its app running.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  dataDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const run = (
  env: Record<string, string>,
  { stopWhenReady = false } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-prod-'));
    dataDirs.push(dataDir);
    const child = spawn(process.execPath, ['src/main.ts'], {
      // One sandbox cloud: the others' emulators only make the start slower (what is checked is the same).
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        SANDBOX_CLOUDS: 'aws',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      // main.ts prints its banner to stderr once the app is up (the console is on: loopback HOST).
      if (stopWhenReady && stderr.includes('DevOps Agent is running')) child.kill('SIGTERM');
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

describe('production mode', () => {
  it('refuses the embedded database and the sandbox cloud: one line each on stderr, exit 1', async () => {
    const { code, stderr } = await run({ NODE_ENV: 'production' });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^devops-agent: production: the database is embedded .*set DATABASE_URL.*ALLOW_UNSAFE_PRODUCTION=true/,
    );
    expect(lines[1]).toMatch(
      /^devops-agent: production: the cloud is the local sandbox .*ALLOW_UNSAFE_PRODUCTION=true/,
    );
  }, 30_000);

  it('starts with ALLOW_UNSAFE_PRODUCTION=true and logs every finding as a warning', async () => {
    const { code, stdout } = await run(
      { NODE_ENV: 'production', ALLOW_UNSAFE_PRODUCTION: 'true' },
      { stopWhenReady: true },
    );
    expect(code).toBe(0);
    const warnings = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; productionCheck?: string; msg: string })
      .filter((l) => l.productionCheck);
    expect(warnings.map((w) => w.productionCheck)).toEqual(['embedded_database', 'sandbox_cloud', 'no_chat_surface']);
    expect(warnings.every((w) => w.level === 40)).toBe(true);
    expect(warnings[0]!.msg).toMatch(/allowed by ALLOW_UNSAFE_PRODUCTION=true/);
  }, 60_000);

  it('outside production nothing is refused or warned about', async () => {
    const { code, stdout } = await run({ NODE_ENV: 'development' }, { stopWhenReady: true });
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/productionCheck/);
  }, 60_000);
});
