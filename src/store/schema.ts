/** The drizzle schema barrel: every capability's tables, for the db handle and drizzle-kit. */
export * from '../users/schema.ts';
export * from '../engine/schema.ts';
export * from '../changes/schema.ts';
export * from '../cloud/schema.ts';
export * from '../surfaces/slack/schema.ts';
