import net from 'node:net';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { isAppError } from '../../src/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { workspaces } from '../../src/users/schema.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

// The database going away: at start (one readable line, no stack) and while running (no crash,
// ping fails fast, and the pool recovers by itself once the database is back).
const lines: string[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write: (chunk: Buffer, _e, cb) => {
      lines.push(chunk.toString());
      cb();
    },
  }),
);

let base: TestStore;
let proxy: TcpProxy;
let store: Store;

beforeAll(async () => {
  base = await createTestStore();
  const target = new URL(base.connectionString);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  store = await openStore({
    databaseUrl: proxy.url(base.connectionString),
    dataDir: '.',
    poolMax: 3,
    logger,
    queryTimeoutMs: 1_000,
    connectTimeoutMs: 1_000,
    pingTimeoutMs: 500,
  });
}, testStoreTimeoutMs);
afterAll(async () => {
  await store?.close();
  await proxy?.close();
  await base?.dispose();
});

const freePort = async (): Promise<number> => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
};

it('reports an unreachable database at start in one line, without the password', async () => {
  const port = await freePort();
  const err = await openStore({
    databaseUrl: `postgres://app:s3cret@127.0.0.1:${port}/devops`,
    dataDir: '.',
    poolMax: 1,
    logger,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAppError(err) && err.code).toBe('unavailable');
  expect((err as Error).message).toBe(`cannot reach PostgreSQL at 127.0.0.1:${port}/devops: connection refused`);
  expect(lines.join('')).not.toContain('s3cret');
});

it.each(['reset', 'blackhole'] as const)(
  'survives the database going away (%s) and recovers when it is back',
  async (mode) => {
    await store.pool.query('SELECT 1'); // a pooled connection exists and will be cut
    proxy.cut(mode);

    const started = performance.now();
    await expect(store.ping()).rejects.toMatchObject({ code: 'unavailable' });
    expect(performance.now() - started).toBeLessThan(1_500);
    await expect(store.db.select().from(workspaces)).rejects.toThrow();

    proxy.restore();
    await store.ping();
    expect(await store.db.select().from(workspaces)).toEqual([]);
    expect(lines.join('')).not.toContain(base.connectionString);
  },
  20_000,
);
