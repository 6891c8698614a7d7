import type { Logger } from '../observability/logger.ts';
import type { Db } from './db.ts';
import { sql } from './orm.ts';

/**
 * A backend counts its writes locally and publishes them at most once a second when idle, so the
 * counters read right after a bulk write can miss its last statements (PGlite's single backend
 * showed 0 dead rows after an update of 10, and a vacuum's "0 dead" grew to 4 once the counts of
 * the writes just before it landed). Forcing the flush makes the counters current; it is done when
 * the statement ends, so the next statement reads them.
 */
export const flushStats = async (db: Db): Promise<void> => {
  await db.execute(sql`select pg_stat_force_next_flush()`);
};

/**
 * Autovacuum for embedded PostgreSQL. PGlite runs PostgreSQL in single-user mode, with no
 * autovacuum launcher (`autovacuum` reads `on`, `last_autovacuum` stays null): every inventory
 * sync rewrites each row it lists, so without this a 100,000-resource estate leaves 100,000 dead
 * rows a pass, the table grows without end, and counts read every heap page (27 ms for one
 * `list instances env=prod` count over 100,000 rows, 3 ms after a vacuum: BENCHMARKS.md).
 * External PostgreSQL has its own autovacuum: callers use this only on the embedded store.
 *
 * The rules are PostgreSQL's defaults: vacuum (and analyze) a table once its dead rows exceed
 * 50 + 20 % of its live rows, or the rows inserted since its last vacuum exceed 1,000 + 20 % of
 * them (a first sync only inserts, and a count reads the heap until a vacuum marks its pages
 * all-visible).
 */
export const vacuumIfNeeded = async (db: Db, tables: readonly string[], logger?: Logger): Promise<string[]> => {
  await flushStats(db);
  const vacuumed: string[] = [];
  for (const table of tables) {
    const { rows } = await db.execute<{ live: string; dead: string; inserted: string }>(
      sql`select n_live_tup as live, n_dead_tup as dead, n_ins_since_vacuum as inserted
          from pg_stat_user_tables where relname = ${table}`,
    );
    const stats = rows[0];
    if (!stats) continue;
    const live = Number(stats.live);
    if (Number(stats.dead) <= 50 + 0.2 * live && Number(stats.inserted) <= 1000 + 0.2 * live) continue;
    // A table name from our own schema, never from input.
    await db.execute(sql.raw(`vacuum (analyze) "${table.replaceAll('"', '')}"`));
    vacuumed.push(table);
    logger?.debug(
      { table, dead: Number(stats.dead), inserted: Number(stats.inserted), live },
      'embedded database table vacuumed',
    );
  }
  return vacuumed;
};

/**
 * ANALYZE for external PostgreSQL right after a bulk write. Its autovacuum analyzes a table once
 * 50 + 10 % of its rows changed, but only on its next round (up to a minute later, longer under
 * load): until then the planner plans with the statistics of the empty table, and a first sync of
 * 100,000 resources was followed by queries that sorted the whole table for every page (a scan
 * page: 63 ms instead of 2 ms). Same threshold as autovacuum's; returns the tables analyzed.
 */
export const analyzeIfNeeded = async (db: Db, tables: readonly string[], logger?: Logger): Promise<string[]> => {
  await flushStats(db);
  const analyzed: string[] = [];
  for (const table of tables) {
    const { rows } = await db.execute<{ live: string; changed: string }>(
      sql`select n_live_tup as live, n_mod_since_analyze as changed from pg_stat_user_tables where relname = ${table}`,
    );
    const stats = rows[0];
    if (!stats || Number(stats.changed) <= 50 + 0.1 * Number(stats.live)) continue;
    // A table name from our own schema, never from input.
    await db.execute(sql.raw(`analyze "${table.replaceAll('"', '')}"`));
    analyzed.push(table);
    logger?.debug({ table, changed: Number(stats.changed) }, 'table analyzed after a bulk write');
  }
  return analyzed;
};
