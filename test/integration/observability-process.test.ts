import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * `npm start` as a platform team runs it: stdout is JSON log lines only (the human banner goes to
 * stderr), the ready line names the AWS endpoint and regions in use, and with no AWS credentials
 * at all (a cleared environment, no ~/.aws, no instance metadata) the log says so, rather than
 * "AWS refused the credentials". The endpoint comes from AWS_ENDPOINT_URL_EC2, as the SDK reads it.
 */
let sandbox: Sandbox;
let child: ChildProcess;
let url: string;
let store: TestStore | undefined;
let dir: string;
let stdout = '';
let stderr = '';
let metrics = '';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const exited = (): Promise<unknown> =>
  child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));

beforeAll(async () => {
  sandbox = await startSandbox();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-obs-'));
  const home = path.join(dir, 'home');
  await fs.mkdir(home);
  const db: Record<string, string> = {};
  if (process.env.DATABASE_URL) {
    store = await createTestStore();
    const target = new URL(store.connectionString);
    await store.close();
    db.DATABASE_URL = target.toString();
  } else db.DATA_DIR = path.join(dir, 'data');
  child = spawn(process.execPath, ['src/main.ts'], {
    // Nothing from the developer's environment: no AWS variables, a HOME without ~/.aws.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, '.aws', 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws', 'credentials'),
      // Never ask the instance metadata service (not on this machine, and not loopback).
      AWS_EC2_METADATA_DISABLED: 'true',
      PORT: String(port),
      LOG_LEVEL: 'info',
      AWS_ENDPOINT_URL_EC2: sandbox.url,
      AWS_REGION: 'eu-west-1',
      ...db,
    },
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}: ${stderr}`);
      return fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    { what: `the app at ${url} to be ready`, timeoutMs: 45_000, intervalMs: 100, detail: () => stderr },
  );
  // One request with an id, then a clean stop: its lines are on stdout too.
  const res = await fetch(`${url}/console/api/users`, { headers: { 'x-request-id': 'proc-req-1' } });
  expect(res.headers.get('x-request-id')).toBe('proc-req-1');
  metrics = await (await fetch(`${url}/metrics`)).text();
  child.kill('SIGTERM');
  await exited();
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited();
  }
  await sandbox?.stop();
  await store?.dispose();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const lines = (): Array<Record<string, unknown>> =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

it('writes only JSON lines to stdout, and the banner to stderr', () => {
  const notJson = stdout
    .split('\n')
    .filter((l) => l !== '')
    .filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });
  expect(notJson).toEqual([]);
  expect(lines().map((l) => l.msg)).toEqual(
    expect.arrayContaining(['starting', 'DevOps Agent is ready', 'shutting down']),
  );
  expect(stderr).toContain(`DevOps Agent is running: open ${url}/ in a browser`);
  expect(child.exitCode).toBe(0);
});

it('names the AWS endpoint, regions and mode in the ready line', () => {
  const ready = lines().find((l) => l.msg === 'DevOps Agent is ready');
  expect(ready).toMatchObject({
    sandbox: false,
    aws: { sandbox: false, regions: ['eu-west-1'], endpoint: sandbox.url },
  });
});

it('says no AWS credentials were found, not that AWS refused them, and sent nothing to the endpoint', () => {
  const failed = lines().find((l) => l.msg === 'inventory sync of a source failed; its previous rows kept');
  const message = String((failed?.err as { message?: string } | undefined)?.message);
  expect(message).toMatch(/^No AWS credentials were found for /);
  expect(message).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE');
  expect(message).not.toMatch(/refused/);
  expect(sandbox.requests).toEqual([]);
  expect(metrics).toMatch(
    /devops_agent_cloud_call_duration_seconds_count\{provider="aws",operation="(DescribeInstances|GetCallerIdentity)",outcome="no_credentials"\} [1-9]/,
  );
});

it('logs the access line of a request with its id', () => {
  expect(lines().find((l) => l.msg === 'request' && l.requestId === 'proc-req-1')).toMatchObject({
    level: 30,
    method: 'GET',
    route: '/console/api/users',
    status: 200,
  });
});
