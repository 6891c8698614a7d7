import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type * as schema from './schema.ts';

/** The one database handle type every repository takes (drizzle over a `pg` Pool). */
export type Db = NodePgDatabase<typeof schema>;
