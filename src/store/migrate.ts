import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { drizzle, migrate } from './orm.ts';
import { timedQuery } from './pool.ts';

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Arbitrary fixed key: the advisory lock that serializes migrations across app instances. */
const migrationLockKey = 7_310_552_004;
const lockWaitMs = 120_000;

/**
 * Applies pending drizzle migrations. Several instances starting together (replicas, the Agenda
 * test's two processes) would otherwise race creating drizzle's own schema and tables.
 */
export const runMigrations = async (pool: pg.Pool): Promise<void> => {
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query(timedQuery('SELECT pg_advisory_lock($1)', lockWaitMs, [migrationLockKey]));
    try {
      await migrate(drizzle({ client }), { migrationsFolder });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]);
    }
  } catch (err) {
    failed = err as Error;
    throw err;
  } finally {
    // A client whose connection failed must not go back to the pool (nor keep the lock).
    client.release(failed);
  }
};
