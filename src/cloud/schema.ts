import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from '../store/orm.ts';

/** The synced inventory: one row per provider resource, normalized. */
export const resources = pgTable(
  'resources',
  {
    provider: text('provider').notNull(),
    account: text('account').notNull(),
    id: text('id').notNull(),
    region: text('region').notNull(),
    type: text('type').notNull(),
    name: text('name').notNull(),
    state: text('state').notNull(),
    tags: jsonb('tags').$type<Record<string, string>>().notNull(),
    environment: text('environment').notNull(),
    monthlyCostCents: integer('monthly_cost_cents').notNull(),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull(),
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull(),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set when a sync no longer sees it; such rows are hidden from answers. */
    goneAt: timestamp('gone_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.account, t.id] }),
    index('resources_type_env_idx').on(t.type, t.environment),
    index('resources_name_idx').on(t.name),
  ],
);
