import { index, jsonb, pgTable, text, timestamp } from '../../../store/orm.ts';

/**
 * Where the bot can post in Teams without being asked: one row per conversation it has seen
 * (personal chat, group chat, team channel), kept from the latest activity Teams sent there. The
 * reference (service URL, conversation, the bot's own account) is what the connector needs to
 * post a change result, an approval card in TEAMS_APPROVALS_CONVERSATION, or a digest from a job
 * or after a restart. No secrets: ids and URLs only.
 */
export const teamsConversations = pgTable(
  'teams_conversations',
  {
    /** The conversation id without a channel thread's `;messageid=…` suffix. */
    conversationId: text('conversation_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    /** personal | groupChat | channel (Teams' conversationType). */
    conversationType: text('conversation_type').notNull(),
    /** The Bot Connector endpoint Teams gave for this conversation (activity.serviceUrl). */
    serviceUrl: text('service_url').notNull(),
    /** The SDK's ConversationReference (bot, conversation, channelId, locale) as last seen. */
    reference: jsonb('reference').$type<Record<string, unknown>>().notNull(),
    /**
     * Set when the connector answered 403/404 (the bot was removed, the chat deleted) or Teams said
     * the bot was uninstalled: posts there are skipped, not retried. Cleared when Teams sends an
     * activity from it again (the bot was added back).
     */
    removedAt: timestamp('removed_at', { withTimezone: true }),
    removedReason: text('removed_reason'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('teams_conversations_tenant_idx').on(t.tenantId)],
);
