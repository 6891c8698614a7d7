import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors.ts';
import { poolOf, type Db } from './db.ts';
import { drizzle } from './orm.ts';

/**
 * One connection of the store's pool held for a piece of work that needs the connection itself:
 * a transaction that spans many statements, a temporary table that lives as long as it, COPY.
 */
export interface Session {
  /** Statements on this connection (inside the session's transaction). */
  tx: Db;
  /**
   * Streams rows into `table` with COPY FROM STDIN, text format: each chunk holds whole lines of
   * tab-separated fields (escaped as that format wants), each line ending in a newline.
   * PostgreSQL's cheapest way in. Not on the embedded store: its socket takes no COPY.
   */
  copyIn(table: string, columns: readonly string[], chunks: Iterable<Buffer>): Promise<void>;
}

/** pg-copy-streams' `from`, loaded by the first COPY (most processes never need it). */
let copyFrom: typeof import('pg-copy-streams').from | undefined;

const identifier = /^[a-z_][a-z0-9_]*$/;

/**
 * Runs `work` in one transaction on a connection taken from the store's pool for it: committed
 * when it returns, rolled back when it throws; a connection that failed is discarded, not pooled
 * again.
 */
export const inSession = async <T>(db: Db, work: (s: Session) => Promise<T>): Promise<T> => {
  const client = await poolOf(db).connect();
  let failure: Error | undefined;
  try {
    await client.query('begin');
    const result = await work({
      tx: drizzle({ client }),
      copyIn: async (table, columns, chunks) => {
        for (const name of [table, ...columns])
          if (!identifier.test(name)) throw new AppError('internal', `not a plain identifier: ${JSON.stringify(name)}`);
        copyFrom ??= (await import('pg-copy-streams')).from;
        await pipeline(
          Readable.from(chunks),
          client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)),
        );
      },
    });
    await client.query('commit');
    return result;
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
    await client.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    client.release(failure);
  }
};
