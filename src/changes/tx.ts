import type { Db } from '../store/db.ts';

/** A drizzle transaction handle, as passed to `db.transaction(async (tx) => …)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Either the root handle or a transaction. Functions taking one run inside the caller's
 * transaction when given a `tx` (inside a transaction callback the root handle would deadlock).
 */
export type DbOrTx = Db | Tx;
