import type { NodePgDatabase } from 'drizzle-orm/node-postgres';

/**
 * The one database handle type every repository takes (drizzle over a `pg` Pool). It carries no
 * schema: repositories import their own tables, so the store knows no capability (drizzle-kit finds
 * every `schema.ts` by glob, see drizzle.config.ts).
 */
export type Db = NodePgDatabase;
