import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { AppError } from '../errors.ts';

/**
 * The one database handle type every repository takes (drizzle over a `pg` Pool). It carries no
 * schema: repositories import their own tables, so the store knows no capability (drizzle-kit finds
 * every `schema.ts` by glob, see drizzle.config.ts).
 */
export type Db = NodePgDatabase;

/**
 * The pool under a drizzle handle (drizzle keeps its client as `$client`), for what needs a
 * connection of its own: COPY, a temporary table that lives as long as a transaction.
 */
export const poolOf = (db: Db): pg.Pool => {
  const client = (db as Db & { $client?: Partial<pg.Pool> }).$client;
  if (typeof client?.connect !== 'function' || typeof client.totalCount !== 'number')
    throw new AppError('internal', 'this database handle has no pool under it');
  return client as pg.Pool;
};
