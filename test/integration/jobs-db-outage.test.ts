import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { postJson } from '../helpers/app.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The database lost under a running app WITH its jobs on (app-db-outage.test.ts covers the request
 * path with jobs off). The app runs in a child process of its own (test/fixtures/app-jobs-child.ts)
 * so that "it did not exit" is what is asserted: an unhandled 'error' event from the scheduler's
 * LISTEN connection used to end the process. Afterwards the scheduler must work again by itself.
 */
let store: TestStore;
const root = path.resolve(import.meta.dirname, '../..');

beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(() => store?.dispose());

interface ChildApp {
  process: ChildProcess;
  url: string;
  /** JSON log lines the app printed. */
  logs: Array<Record<string, unknown>>;
  /** `n` of every run of the job test.ping. */
  ran: number[];
  alive(): boolean;
  /** Queues test.ping with `n` inside the app (its own scheduler, as a request handler would). */
  queue(n: number): Promise<void>;
  /** What happened to it, for timeout messages. */
  state(): string;
}

let running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  running = [];
});

const startChildApp = (databaseUrl: string): Promise<ChildApp> =>
  new Promise((resolve, reject) => {
    const child = fork(path.join(root, 'test/fixtures/app-jobs-child.ts'), [], {
      cwd: root,
      execArgv: [],
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'info',
        EMBEDDED: store.embedded ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    running.push(child);
    const logs: Array<Record<string, unknown>> = [];
    const ran: number[] = [];
    let stderr = '';
    let exit = '';
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      buffered += s;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) {
        try {
          logs.push(JSON.parse(l) as Record<string, unknown>);
        } catch {
          logs.push({ msg: l });
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const queued = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
    const app: ChildApp = {
      process: child,
      url: '',
      logs,
      ran,
      alive: () => child.exitCode === null && child.signalCode === null,
      queue: (n) =>
        new Promise((res, rej) => {
          queued.set(n, { resolve: res, reject: rej });
          child.send({ type: 'now', n });
        }),
      state: () =>
        `alive: ${app.alive()}${exit}; ran: ${JSON.stringify(ran)}; stderr: ${stderr.slice(-2_000)}; last logs: ${logs
          .slice(-8)
          .map((l) => `${String(l.msg)} ${l.err ? String(l.err) : ''}`)
          .join(' | ')}`,
    };
    child.on('message', (m: { type: string; url?: string; n?: number; error?: string }) => {
      if (m.type === 'ready') resolve(Object.assign(app, { url: m.url! }));
      if (m.type === 'ran') ran.push(m.n!);
      if (m.type === 'queued') queued.get(m.n!)?.resolve();
      if (m.type === 'queue-failed') queued.get(m.n!)?.reject(new Error(m.error));
    });
    child.on('exit', (code, signal) => {
      exit = ` (exited: ${signal ?? code})`;
      reject(new Error(`the app exited before it was ready (${signal ?? code}): ${stderr}`));
    });
  });

const ready = async (app: ChildApp): Promise<number> => {
  try {
    return (await fetch(`${app.url}/readyz`)).status;
  } catch (err) {
    throw new Error(`GET /readyz failed (${(err as Error).message}); ${app.state()}`, { cause: err });
  }
};

/** Queues test.ping n and waits for the app to run it. */
const runsAJob = async (app: ChildApp, n: number): Promise<void> => {
  await app.queue(n);
  await waitFor(() => app.ran.includes(n), {
    what: `the app to run test.ping ${n}`,
    timeoutMs: 15_000,
    detail: app.state,
  });
};

/** Backends of the test database listening for Agenda's notifications (real PostgreSQL only). */
/** The scheduler's LISTEN sessions (the live events' own listener apart: src/store/live-postgres.ts). */
const listeners = async (client: pg.Client): Promise<number[]> =>
  (
    await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND application_name <> 'devops-agent:live' AND pid <> pg_backend_pid()`,
    )
  ).rows.map((r) => r.pid);

describe('the scheduler LISTEN connection is terminated', () => {
  // Embedded PGlite misroutes LISTEN/NOTIFY, so the scheduler polls there and has no LISTEN
  // connection; and every client shares PGlite's one session, which pg_terminate_backend cannot
  // end on its own. The full outage below covers the embedded scheduler.
  const onServer = process.env.DATABASE_URL ? it : it.skip;

  onServer(
    'pg_terminate_backend of the LISTEN session: the app stays up, listens again and runs jobs',
    async () => {
      const app = await startChildApp(store.connectionString);
      const admin = new pg.Client({ connectionString: store.connectionString });
      await admin.connect();
      try {
        await runsAJob(app, 1);
        const [before] = await waitFor(
          async () => {
            const pids = await listeners(admin);
            return pids.length === 1 && pids;
          },
          { what: 'one LISTEN session of the app', timeoutMs: 10_000 },
        );

        const killed = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [before]);
        expect(killed.rows[0]!.ok).toBe(true);

        // It listens again, on a new session.
        await waitFor(
          async () => {
            const pids = await listeners(admin);
            return pids.length === 1 && pids[0] !== before;
          },
          { what: 'the app to LISTEN again on a new session', timeoutMs: 15_000, detail: app.state },
        );
        expect(app.alive()).toBe(true);
        expect(await ready(app)).toBe(200);
        await runsAJob(app, 2);
        expect(app.logs.some((l) => l.msg === 'scheduler notifications lost; reconnecting')).toBe(true);
        expect(app.alive()).toBe(true);
      } finally {
        await admin.end();
      }
    },
    60_000,
  );
});

describe('the database goes down and comes back (jobs on)', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(store.connectionString);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  });
  afterAll(() => proxy?.close());

  it('readiness fails, chat is temporarily unavailable, and the app with its jobs recovers by itself', async () => {
    const app = await startChildApp(proxy.url(store.connectionString));
    expect(await ready(app)).toBe(200);
    await runsAJob(app, 1);
    const logged = (msg: string): number => app.logs.filter((l) => l.msg === msg).length;

    proxy.cut('reset');
    await waitFor(async () => (await ready(app)) === 503, { what: '/readyz to fail', timeoutMs: 10_000 });
    const down = await postJson(app, '/console/api/turn', { user: 'alice', text: 'list instances' });
    expect(down.status).toBe(503);
    expect(down.body.error).toMatch(/temporarily unavailable/);
    // The scheduler has met the outage too: its polling fails (and on PostgreSQL its LISTEN session died).
    await waitFor(() => logged('scheduler error') >= 2, {
      what: 'the scheduler to fail to poll',
      timeoutMs: 15_000,
      detail: app.state,
    });
    if (!store.embedded) expect(logged('scheduler notifications lost; reconnecting')).toBe(1);
    expect(app.alive()).toBe(true);

    proxy.restore();
    await waitFor(async () => (await ready(app)) === 200, { what: '/readyz to recover', timeoutMs: 15_000 });
    // A job queued after the database is back runs (the scheduler reconnected by itself).
    await runsAJob(app, 2);
    if (!store.embedded)
      await waitFor(() => logged('scheduler notifications reconnected') === 1, {
        what: 'the scheduler to LISTEN again',
        timeoutMs: 15_000,
        detail: app.state,
      });
    const up = await postJson(app, '/console/api/turn', { user: 'alice', text: 'list instances' });
    expect(up.status).toBe(200);
    expect(app.alive()).toBe(true);
  }, 90_000);
});
