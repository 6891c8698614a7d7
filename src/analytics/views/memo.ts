import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';

/**
 * The estate-wide aggregates (the inventory's facets, drift against a baseline, compliance
 * scores) read every live resource: at 100,000 resources that is hundreds of milliseconds per
 * read on PostgreSQL and more on PGlite, where a heavy query also holds up every other one. They
 * change when a sync or a scan writes, so each is kept for a short while per process: reused while
 * its token (what the writes move: the sync sources' last pass, the newest baseline, the
 * workspace's newest scan) is unchanged and it is younger than `ttlMs`. Tables of rows (the main
 * table of each view) are never kept: they are read at each request.
 */
export interface Memo {
  /** The value for `key` when kept with the same `token` and young enough; else `load()`, kept. */
  get<T>(key: string, token: string, load: () => Promise<T>): Promise<T>;
}

/** A memo whose entries live at most `ttlMs` on `now`'s clock (0: nothing is kept). */
export const createMemo = (ttlMs: number, now: () => Date): Memo => {
  const entries = new Map<string, { token: string; at: number; value: Promise<unknown> }>();
  return {
    get<T>(key: string, token: string, load: () => Promise<T>): Promise<T> {
      const t = now().getTime();
      const hit = entries.get(key);
      if (ttlMs > 0 && hit && hit.token === token && t - hit.at < ttlMs && t >= hit.at) return hit.value as Promise<T>;
      const value = load();
      if (ttlMs > 0) {
        entries.set(key, { token, at: t, value });
        // A failed read is not kept: the next request tries again.
        value.catch(() => {
          if (entries.get(key)?.value === value) entries.delete(key);
        });
      }
      return value;
    },
  };
};

/** What moves when the inventory or its baselines are written by a sync pass or an admin. */
export const inventoryToken = async (db: Db): Promise<string> => {
  const { rows } = await db.execute<{ token: string }>(sql`
    select coalesce((select max(last_attempt_at)::text from inventory_sources), '') || '|' ||
      coalesce((select max(id)::text from inventory_baselines), '') as token`);
  return rows[0]?.token ?? '';
};

/** What moves when a scan of the workspace starts or ends (findings change only through scans). */
export const scanToken = async (db: Db, workspaceId: string): Promise<string> => {
  const { rows } = await db.execute<{ token: string }>(sql`
    select id::text || ':' || status as token from scans where workspace_id = ${workspaceId} order by id desc limit 1`);
  return rows[0]?.token ?? '';
};
