import type { Framework } from '../../scans/frameworks/index.ts';
import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';
import type { Memo } from './memo.ts';
import type { View, ViewLink, ViewName, Viewer } from './model.ts';

/** What the views read: the database (every capability's tables), a clock, and the scans' settings. */
export interface DashboardDeps {
  db: Db;
  now: () => Date;
  /** The compliance frameworks the scans score (config.frameworks). */
  frameworks: readonly Framework[];
  /** SCAN_OWNER_TAGS: how a finding's owner is read (default `owner`, `team`). */
  ownerTags?: readonly string[] | undefined;
  /**
   * The `analytics` view (team analytics, src/analytics/team/), wired by app.ts; without it that
   * view is not_found with a message saying so.
   */
  analytics?: ((viewer: Viewer, query: Record<string, string>) => Promise<View>) | undefined;
  /**
   * How long an estate-wide aggregate (facets, drift, compliance scores) is reused while nothing
   * wrote it (memo.ts); default 30 s, 0 reads everything at each request.
   */
  cacheMs?: number | undefined;
}

/** What each view reads with: the deps and the process's memo of estate-wide aggregates. */
export interface ViewContext extends DashboardDeps {
  memo: Memo;
}

/** A fragment of SQL (what `sql` builds), without importing drizzle's types here. */
export type Sql = ReturnType<typeof sql.raw>;

/** The page's direction word as SQL (the value was checked against `asc`/`desc` first). */
export const dirSql = (dir: 'asc' | 'desc'): Sql => sql.raw(dir === 'desc' ? 'desc' : 'asc');

/** `a and b and c` of the present fragments (`true` when none). */
export const allOf = (parts: readonly (Sql | undefined | false)[]): Sql => {
  const present = parts.filter((p): p is Sql => Boolean(p));
  return present.length ? sql.join(present, sql` and `) : sql`true`;
};

/** A link to a view with only the query values that are set. */
export const link = (view: ViewName, query: Record<string, string | undefined> = {}): ViewLink => {
  const q = Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
  return Object.keys(q).length ? { view, query: q } : { view };
};
