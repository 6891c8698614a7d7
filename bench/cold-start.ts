import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Time from spawning `node src/main.ts` to the first 200 from /readyz (the console answers). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

export const coldStart = async (dataDir: string, extraEnv: Record<string, string> = {}): Promise<number> => {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SANDBOX: 'on',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode} before it was ready`);
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 20));
      if (performance.now() - t0 > 60_000) throw new Error('not ready within 60 s');
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
};

export const benchColdStart = async (): Promise<Record<string, number>> => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-'));
  try {
    const fresh = await coldStart(dir);
    const reopen = await coldStart(dir);
    return { freshDataDirMs: fresh, existingDataDirMs: reopen };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
};
