import { index, jsonb, pgTable, primaryKey, text, timestamp } from '../store/orm.ts';

/** A Slack team, Teams tenant, or the console. `id` is `<surface>:<external id>`. */
export const workspaces = pgTable('workspaces', {
  id: text('id').primaryKey(),
  surface: text('surface').notNull(),
  externalId: text('external_id').notNull(),
  name: text('name').notNull().default(''),
  tier: text('tier').notNull().default('free'),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A user of one workspace and their role binding. */
export const users = pgTable(
  'users',
  {
    workspaceId: text('workspace_id').notNull(),
    userId: text('user_id').notNull(),
    surface: text('surface').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role').notNull(),
    grantedBy: text('granted_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.userId] }),
    index('users_display_name_idx').on(t.workspaceId, t.displayName),
  ],
);
