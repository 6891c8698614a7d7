import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { createLogger } from '../../src/observability/logger.ts';
import { migrationsFolder } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open.ts';
import { workspaces } from '../../src/users/schema.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';

const logger = createLogger('silent');
const journal = JSON.parse(fs.readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
const onServer = process.env.DATABASE_URL ? it : it.skip;

const appliedMigrations = async (s: TestStore | Awaited<ReturnType<typeof openStore>>): Promise<number> =>
  Number((await s.pool.query<{ c: string }>('SELECT count(*) AS c FROM drizzle.__drizzle_migrations')).rows[0]!.c);

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(async () => {
  await store?.dispose();
});

describe('a test store', () => {
  it('is migrated, answers ping, and matches the target under test', async () => {
    await store.ping();
    expect(await appliedMigrations(store)).toBe(journal.entries.length);
    const tables = await store.pool.query<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(tables.rows.map((r) => r.t)).toEqual(expect.arrayContaining(['agenda_jobs', 'users', 'change_requests']));
    expect(store.embedded).toBe(!process.env.DATABASE_URL);
  });

  it('has a working drizzle handle on the schema', async () => {
    const rows = await store.db.select().from(workspaces);
    expect(rows).toEqual([]);
  });
});

describe('migrations', () => {
  it('are idempotent: opening the same database again applies nothing new', async () => {
    const again = await openStore({ databaseUrl: store.connectionString, dataDir: '.', poolMax: 1, logger });
    try {
      expect(await appliedMigrations(again)).toBe(journal.entries.length);
    } finally {
      await again.close();
    }
  });

  onServer('run safely when several instances open one fresh database at once', async () => {
    const fresh = await createTestStore();
    try {
      await fresh.pool.query('DROP SCHEMA drizzle CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      const opened = await Promise.all(
        [1, 2, 3].map(() => openStore({ databaseUrl: fresh.connectionString, dataDir: '.', poolMax: 1, logger })),
      );
      await Promise.all(opened.map((s) => s.close()));
      expect(await appliedMigrations(fresh)).toBe(journal.entries.length);
    } finally {
      await fresh.dispose();
    }
  });
});
