import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../../src/observability/logger.ts';
import { openStore, type Store } from '../../src/store/open.ts';

// Embedded PGlite in a real data dir (whatever DATABASE_URL says): persistence and the dir lock.
const logger = createLogger('silent');
const openSrc = new URL('../../src/store/open.ts', import.meta.url).href;
let dataDir: string;

const open = (): Promise<Store> => openStore({ dataDir, poolMax: 2, logger });

/** Opens the same data dir from another process; resolves to what that process printed. */
const openFromOtherProcess = async (): Promise<string> => {
  const script = `
    import { openStore } from ${JSON.stringify(openSrc)};
    import { createLogger } from ${JSON.stringify(new URL('../../src/observability/logger.ts', import.meta.url).href)};
    try {
      const s = await openStore({
        dataDir: ${JSON.stringify(dataDir)},
        poolMax: 1,
        logger: createLogger('silent'),
        dataDirLock: { waitMs: 0 },
      });
      await s.close();
      console.log('opened');
    } catch (err) {
      console.log(err.userMessage ?? err.message);
    }`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 60_000,
  });
  return stdout.trim();
};

beforeAll(() => {
  // A nested path: the store must create missing parent dirs.
  dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-embedded-')), 'nested', 'data');
});
afterAll(() => {
  fs.rmSync(path.dirname(path.dirname(dataDir)), { recursive: true, force: true });
});

it('keeps committed data across a close and reopen, and migrates idempotently', async () => {
  const first = await open();
  expect(first.embedded).toBe(true);
  await first.pool.query("INSERT INTO workspaces (id, surface, external_id) VALUES ('w1', 'console', 'local')");
  await first.close();

  const second = await open();
  try {
    const rows = await second.pool.query<{ id: string }>('SELECT id FROM workspaces');
    expect(rows.rows).toEqual([{ id: 'w1' }]);
    const migrations = await second.pool.query<{ c: string }>('SELECT count(*) AS c FROM drizzle.__drizzle_migrations');
    expect(Number(migrations.rows[0]!.c)).toBeGreaterThan(0);
  } finally {
    await second.close();
  }
}, 60_000);

it('refuses a second process on the same data dir with a clear message', async () => {
  const holder = await open();
  try {
    expect(await openFromOtherProcess()).toBe(
      `data dir ${path.resolve(dataDir)} is in use by pid ${process.pid} on host ${os.hostname()} (stop that process or set another DATA_DIR)`,
    );
    await expect(open()).rejects.toThrow(`is in use by pid ${process.pid}`);
    await holder.ping();
  } finally {
    await holder.close();
  }
}, 60_000);

it("takes over an older version's pid lock file left by a dead process", async () => {
  // A pid that cannot be running: above the kernel's pid_max. (Today's lock between processes:
  // test/integration/store-data-dir-lock.test.ts.)
  fs.writeFileSync(path.join(dataDir, 'devops-agent.lock'), '4194305\n');
  expect(await openFromOtherProcess()).toBe('opened');
  const store = await open();
  await store.close();
}, 60_000);

it('serves many more simultaneous clients than the app pool (other processes, psql, db:migrate)', async () => {
  // Two app processes on one database plus an enqueuer once needed more than pool + scheduler + 4
  // connections, and the server reset the extra ones ("read ECONNRESET" in a job).
  const store = await open();
  const url = new URL(store.connectionString);
  const clients = Array.from({ length: 40 }, () => new pg.Client({ connectionString: url.toString() }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const rows = await Promise.all(clients.map((c, i) => c.query<{ n: number }>('SELECT $1::int AS n', [i])));
    expect(rows.map((r) => r.rows[0]!.n)).toEqual(clients.map((_, i) => i));
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await store.close();
  }
}, 60_000);
