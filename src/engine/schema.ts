import { bigserial, index, jsonb, pgTable, text, timestamp } from '../store/orm.ts';
import type { ConversationRef } from '../chat/actor.ts';
import type { Reply } from '../chat/reply.ts';

/** A channel, DM or thread the bot talks in, with what is needed to post into it later. */
export const conversations = pgTable('conversations', {
  /** `conversationKey(ref)`. */
  id: text('id').primaryKey(),
  surface: text('surface').notNull(),
  workspaceId: text('workspace_id').notNull(),
  ref: jsonb('ref').$type<ConversationRef>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Every user message and bot reply of a conversation. */
export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationId: text('conversation_id').notNull(),
    /** 'user' or 'bot'. */
    author: text('author').notNull(),
    /** actorKey of the user for user messages; null for the bot. */
    actorKey: text('actor_key'),
    text: text('text').notNull(),
    reply: jsonb('reply').$type<Reply>(),
    /** Set for an ephemeral reply: only this actor sees it. */
    visibleTo: text('visible_to'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Bumped when a posted card is updated in place, so pollers see the change. */
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('messages_conversation_idx').on(t.conversationId, t.id),
    index('messages_updated_idx').on(t.conversationId, t.updatedAt),
    // Retention deletes the oldest first, in batches (RETENTION_MESSAGES).
    index('messages_updated_at_idx').on(t.updatedAt),
  ],
);

/** Surface event ids already handled, so redeliveries (Slack retries) run once across replicas. */
export const processedEvents = pgTable(
  'processed_events',
  {
    id: text('id').primaryKey(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Retention deletes the oldest first, in batches (RETENTION_PROCESSED_EVENTS).
  (t) => [index('processed_events_received_idx').on(t.receivedAt)],
);
