import pg from 'pg';

/**
 * The pool as drizzle sees it, with every connection drizzle checks out for a transaction guarded.
 *
 * drizzle-orm 0.45's node-postgres `transaction()` has two known defects (drizzle-team/drizzle-orm
 * #6114, #6241; unfixed in 0.45.x):
 * - it sends BEGIN before its try/finally, so a BEGIN that fails (the connection lost just then,
 *   or our client-side query timeout) never releases the connection: the pool loses a slot for
 *   good, and `pool.end()` waits for it forever;
 * - it always releases without the error, so a connection whose query timed out (still busy on
 *   the server) or broke goes back to the pool for the next caller.
 * On the embedded store both are worse: PGlite runs one session, so a connection left inside a
 * transaction stalls every other one.
 *
 * The guard watches the connection's queries: when one fails other than by an error the server
 * reported (a lost connection, a timeout), the connection is marked broken and released with that
 * error (pg-pool then discards it), at once when it was BEGIN (drizzle will not release it), else
 * when drizzle releases it. Errors PostgreSQL reports (a constraint, a serialization failure) leave
 * the connection healthy and pooled. `inSession` (./session.ts) releases its own connections right.
 */
export const transactionGuarded = (pool: pg.Pool): pg.Pool =>
  // A Proxy, not a subclass: drizzle recognises a pool by `instanceof pg.Pool`, which a Proxy of
  // one passes; every other member is the pool's own, called on the pool itself.
  new Proxy(pool, {
    get(target, prop) {
      if (prop === 'connect') return () => target.connect().then(guard);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });

/** Whether a failed query leaves its connection usable: only errors the server itself reported. */
const connectionSurvives = (err: unknown): boolean => err instanceof pg.DatabaseError;

const queryText = (args: unknown[]): string => {
  const first = args[0];
  if (typeof first === 'string') return first;
  if (first && typeof first === 'object' && 'text' in first && typeof first.text === 'string') return first.text;
  return '';
};

const guard = (client: pg.PoolClient): pg.PoolClient => {
  let broken: Error | undefined;
  let released = false;
  const release = (err?: Error | boolean): void => {
    if (released) return;
    released = true;
    client.release(err ?? broken);
  };
  const query = (...args: unknown[]): unknown => {
    const isBegin = /^\s*begin\b/i.test(queryText(args));
    const result = (client.query as (...a: unknown[]) => unknown).apply(client, args);
    // Only the promise form (drizzle's): a callback or a Submittable (COPY) is passed through as is.
    if (!(result instanceof Promise)) return result;
    return result.catch((err: unknown) => {
      if (!connectionSurvives(err)) {
        broken ??= err instanceof Error ? err : new Error(String(err));
        if (isBegin) release();
      }
      throw err;
    });
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'release') return release;
      if (prop === 'query') return query;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
};
