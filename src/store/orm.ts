import { createRequire } from 'node:module';
import type * as Orm from 'drizzle-orm';
import type * as NodePg from 'drizzle-orm/node-postgres';
import type * as NodePgMigrator from 'drizzle-orm/node-postgres/migrator';
import type * as PgCore from 'drizzle-orm/pg-core';

/**
 * drizzle-orm, loaded from its CommonJS build. Its ES module build is about a hundred files that
 * Node 24 resolves one by one, parsing the package's 180 KB package.json (its `exports` map) again
 * for each: on this machine `import` of what we use took 0.9–1.6 s and left 300 MB of RSS, `require`
 * of the same 0.1–0.16 s and 69 MB (BENCHMARKS.md, start time and memory). Same code, same types.
 *
 * Every module takes drizzle's values from here (types may come from 'drizzle-orm' itself: they are
 * erased), so one copy is ever loaded; eslint allows value imports of drizzle-orm in this file only.
 */
const require = createRequire(import.meta.url);

export const { and, asc, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, max, notExists, notInArray, or, sql } =
  require('drizzle-orm') as typeof Orm;

export const { drizzle } = require('drizzle-orm/node-postgres') as typeof NodePg;

export const { migrate } = require('drizzle-orm/node-postgres/migrator') as typeof NodePgMigrator;

/** Table and column builders for the `schema.ts` files. */
export const {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} = require('drizzle-orm/pg-core') as typeof PgCore;
