import { doublePrecision, integer, pgTable, primaryKey, text, timestamp } from '../../store/orm.ts';

/**
 * The inventory's priced monthly cost, one row per UTC day and provider: the dashboard's cost
 * trend and the month's accrued cost read it. Written after each inventory sync
 * (`recordCostSnapshot`); the day's last sync wins. The inventory itself keeps only the present.
 */
export const costSnapshots = pgTable(
  'cost_snapshots',
  {
    /** `YYYY-MM-DD` (UTC). */
    day: text('day').notNull(),
    provider: text('provider').notNull(),
    /** Sum of the live resources' monthly cost (integer cents; a double holds them exactly up to 2^53). */
    monthlyCostCents: doublePrecision('monthly_cost_cents').notNull(),
    resources: integer('resources').notNull(),
    /** Resources whose price is not in the tables (`priced: false`): their cost is unknown, not 0. */
    unpriced: integer('unpriced').notNull(),
    takenAt: timestamp('taken_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.provider] })],
);
