import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { createLogger } from '../../src/observability/logger.ts';
import { sql } from '../../src/store/orm.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { openProxiedStore, type ProxiedStore } from '../helpers/proxied-store.ts';

/**
 * drizzle's transactions on our pool (src/store/transaction-guard.ts): a connection that breaks
 * inside one, even at BEGIN, leaves the pool rather than keeping its slot or going back to it; a
 * failure PostgreSQL reports leaves the connection pooled. Each pool here has one connection, so a
 * leak shows at once: the next query cannot get a connection.
 */
let proxied: ProxiedStore | undefined;
let base: TestStore | undefined;
let direct: Store | undefined;
afterEach(async () => {
  await direct?.close();
  await base?.dispose();
  await proxied?.close();
  proxied = base = direct = undefined;
}, testStoreTimeoutMs);

/** What a failed query says underneath drizzle's "Failed query: …" wrapper. */
const failure = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'no failure',
    (e: Error) => (e.cause instanceof Error ? e.cause.message : e.message),
  );

const one = async (store: Store): Promise<number> =>
  Number((await store.db.execute<{ ok: number }>(sql`select 1 as ok`)).rows[0]!.ok);

describe('transactions on a one-connection pool', () => {
  it(
    'a BEGIN that times out (the connection hung) gives the slot back, and the store still closes',
    async () => {
      proxied = await openProxiedStore({ poolMax: 1 });
      const { proxy, store } = proxied;
      expect(await one(store)).toBe(1);
      proxy.cut('blackhole');
      const work = jest.fn(async () => undefined);
      expect(await failure(store.db.transaction(work))).toMatch(/timeout/i);
      expect(work).not.toHaveBeenCalled();
      proxy.restore();
      // A leaked connection would hold the only slot: this would fail after the 1 s connect timeout.
      expect(await one(store)).toBe(1);
      expect(store.pool.totalCount).toBe(1);
    },
    testStoreTimeoutMs,
  );

  it(
    'an error PostgreSQL reports rolls back and keeps the connection pooled',
    async () => {
      proxied = await openProxiedStore({ poolMax: 1 });
      const { store } = proxied;
      let connects = 0;
      store.pool.on('connect', () => connects++);
      expect(await one(store)).toBe(1);
      expect(
        await failure(
          store.db.transaction(async (tx) => {
            await tx.execute(sql`select 1/0`);
          }),
        ),
      ).toMatch(/division by zero/);
      expect(await one(store)).toBe(1);
      expect(connects).toBe(0);
    },
    testStoreTimeoutMs,
  );

  // PGlite runs every connection in one session: a sleeping query holds up a fresh connection
  // too, so only a server shows that the next query gets a connection that is not still busy.
  const onServer = process.env.DATABASE_URL ? it : it.skip;
  onServer(
    'a query that times out inside a transaction does not send its busy connection back to the pool',
    async () => {
      base = await createTestStore();
      direct = await openStore({
        databaseUrl: base.connectionString,
        dataDir: '.',
        poolMax: 1,
        logger: createLogger('silent'),
        queryTimeoutMs: 300,
      });
      const store = direct;
      await expect(
        store.db.transaction(async (tx) => {
          await tx.execute(sql`select pg_sleep(2)`);
        }),
      ).rejects.toThrow();
      // The pooled connection would still be sleeping (then rolling back): this would time out.
      expect(await one(store)).toBe(1);
      const inTx = await store.db.execute<{ now: boolean }>(sql`select now() = statement_timestamp() as now`);
      expect(inTx.rows[0]!.now).toBe(true);
    },
    testStoreTimeoutMs,
  );
});
