import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { turn } from '../helpers/app.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * `npm start` with the SDK's standard AWS_ENDPOINT_URL and credentials: the app treats the endpoint
 * as a real AWS (no sandbox of its own, answers not marked sandbox) and the real SDK reaches it.
 */
let sandbox: Sandbox;
let child: ChildProcess;
let url: string;
let store: TestStore | undefined;
let dataDir: string | undefined;

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  sandbox = await startSandbox();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // The child opens the database itself: a fresh one on the server, or its own embedded data dir.
  const db: Record<string, string> = {};
  if (process.env.DATABASE_URL) {
    store = await createTestStore();
    const target = new URL(store.connectionString);
    await store.close();
    db.DATABASE_URL = target.toString();
  } else {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-aws-'));
    db.DATA_DIR = dataDir;
  }
  child = spawn(process.execPath, ['src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...db,
      AWS_ENDPOINT_URL: sandbox.url,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
      AWS_REGIONS: 'us-east-1,eu-west-1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
      return fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    { what: `the app at ${url} to be ready`, timeoutMs: 45_000, intervalMs: 100 },
  );
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  await sandbox?.stop();
  await store?.dispose();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

it('inventories the endpoint named by AWS_ENDPOINT_URL as real AWS', async () => {
  const [list] = await turn({ url }, 'dave', 'list instances');
  expect(list?.sandbox).toBeUndefined();
  expect(list?.text).toBe(`Instances: ${sandbox.fleet.instances.filter((i) => i.state !== 'terminated').length}`);
  expect(sandbox.requests.some((r) => r.action === 'DescribeInstances' && r.region === 'eu-west-1')).toBe(true);
}, 30_000);
