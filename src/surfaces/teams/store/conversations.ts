import { and, eq, isNull } from '../../../store/orm.ts';
import type { Db } from '../../../store/db.ts';
import { teamsConversations } from './schema.ts';

/** A conversation the bot can post in, as stored (see schema.ts). */
export interface StoredConversation {
  conversationId: string;
  tenantId: string;
  conversationType: string;
  serviceUrl: string;
  reference: Record<string, unknown>;
  removedAt: Date | null;
  removedReason: string | null;
}

export interface ConversationReferences {
  /** Records (or refreshes) a conversation from an inbound activity; clears a removal mark. */
  save(c: Omit<StoredConversation, 'removedAt' | 'removedReason'>, now: Date): Promise<void>;
  get(conversationId: string): Promise<StoredConversation | null>;
  /** Marks a conversation the bot can no longer post in; later posts are skipped. */
  markRemoved(conversationId: string, reason: string, now: Date): Promise<void>;
}

export const createConversationReferences = (db: Db): ConversationReferences => ({
  save: async (c, now) => {
    await db
      .insert(teamsConversations)
      .values({ ...c, removedAt: null, removedReason: null, updatedAt: now })
      .onConflictDoUpdate({
        target: teamsConversations.conversationId,
        set: {
          tenantId: c.tenantId,
          conversationType: c.conversationType,
          serviceUrl: c.serviceUrl,
          reference: c.reference,
          removedAt: null,
          removedReason: null,
          updatedAt: now,
        },
      });
  },
  get: async (conversationId) => {
    const [row] = await db
      .select()
      .from(teamsConversations)
      .where(eq(teamsConversations.conversationId, conversationId));
    return row ?? null;
  },
  markRemoved: async (conversationId, reason, now) => {
    await db
      .update(teamsConversations)
      .set({ removedAt: now, removedReason: reason.slice(0, 500), updatedAt: now })
      .where(and(eq(teamsConversations.conversationId, conversationId), isNull(teamsConversations.removedAt)));
  },
});
