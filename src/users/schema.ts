import { bigserial, index, jsonb, pgTable, primaryKey, sql, text, timestamp, uniqueIndex } from '../store/orm.ts';
import type { Actor, ConversationRef } from '../chat/actor.ts';

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

/**
 * A just-in-time role grant: `role` for `user_id` until `expires_at`, on top of their own role.
 * Role resolution counts it only while `ended_at` is null and `expires_at` is ahead; the
 * `roles.expire` job ends it at expiry (audited) and says so where it was granted.
 */
export const roleGrants = pgTable(
  'role_grants',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    userId: text('user_id').notNull(),
    surface: text('surface').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role').notNull(),
    reason: text('reason'),
    grantedBy: jsonb('granted_by').$type<Actor>().notNull(),
    /** Where it was granted: the expiry is announced there. */
    conversation: jsonb('conversation').$type<ConversationRef>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** Who ended it early (revoke); null when it expired or was replaced. */
    endedBy: jsonb('ended_by').$type<Actor>(),
    /** `expired`, `revoked` or `replaced` (by a newer grant to the same person). */
    endReason: text('end_reason'),
  },
  (t) => [
    // One open grant per person: a new one replaces it in the same transaction.
    uniqueIndex('role_grants_open_idx')
      .on(t.workspaceId, t.userId)
      .where(sql`${t.endedAt} is null`),
    index('role_grants_due_idx').on(t.expiresAt),
  ],
);
