import { and, asc, desc, eq, gt, inArray, isNull, lt, notExists, notInArray, or, sql } from '../store/orm.ts';
import { conversationKey, type ConversationRef } from '../chat/actor.ts';
import type { Reply } from '../chat/reply.ts';
import { ChangeStatus } from '../changes/model.ts';
import { changeCards, changeRequests } from '../changes/schema.ts';
import { isFinal } from '../changes/state-machine.ts';
import { AppError } from '../errors.ts';
import type { ConversationStore, NewMessage, StoredMessage } from './engine.ts';
import type { Db } from '../store/db.ts';
import type { LiveBus } from '../util/live.ts';
import { conversations, messages, processedEvents } from './schema.ts';

/** Where stored and updated messages are announced (src/util/live.ts); absent: nowhere. */
export type MessageAnnouncer = Pick<LiveBus, 'publish'> | undefined;

/** Tells live pages that a message of `conversationId` (`surface:workspace:channel:thread`) changed. */
const announce = (live: MessageAnnouncer, conversationId: string, messageId: number): void =>
  live?.publish({
    kind: 'message',
    workspaceId: conversationId.split(':')[1] ?? '',
    conversationKey: conversationId,
    messageId,
  });

/** Conversations and their message history: the engine's memory of what was said where. */

/** Creates the conversation on first sight (keeping the freshest native ref) and returns its id. */
export const ensureConversation = async (db: Db, ref: ConversationRef): Promise<string> => {
  const id = conversationKey(ref);
  await db
    .insert(conversations)
    .values({ id, surface: ref.surface, workspaceId: ref.workspaceId, ref })
    .onConflictDoUpdate({ target: conversations.id, set: { ref, updatedAt: sql`now()` } });
  return id;
};

export const getConversationRef = async (db: Db, id: string): Promise<ConversationRef | null> => {
  const [row] = await db.select({ ref: conversations.ref }).from(conversations).where(eq(conversations.id, id));
  return row?.ref ?? null;
};

/** Appends a message and returns its id; announced on `live` once stored. */
export const appendMessage = async (db: Db, m: NewMessage, live?: MessageAnnouncer): Promise<number> => {
  const [row] = await db
    .insert(messages)
    .values({
      conversationId: m.conversationId,
      author: m.author,
      actorKey: m.actorKey ?? null,
      text: m.text,
      reply: m.reply ?? null,
      visibleTo: m.visibleTo ?? null,
    })
    .returning({ id: messages.id });
  if (!row) throw new AppError('internal', 'insert into messages returned no row');
  announce(live, m.conversationId, row.id);
  return row.id;
};

/**
 * One stored message with the conversation it belongs to, or null. Callers that show it to someone
 * check the conversation and `visibleTo` themselves (e.g. a surface's "Show more" button).
 */
export const getMessage = async (
  db: Db,
  id: number,
): Promise<(StoredMessage & { conversation: ConversationRef }) | null> => {
  if (!Number.isSafeInteger(id) || id < 1) return null;
  const [row] = await db
    .select({ message: messages, ref: conversations.ref })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(eq(messages.id, id));
  if (!row) return null;
  return { ...row.message, author: row.message.author === 'bot' ? 'bot' : 'user', conversation: row.ref };
};

/** Replaces a bot message's reply in place (a card after a decision); announced on `live`. */
export const updateMessageReply = async (
  db: Db,
  id: number,
  reply: Reply,
  live?: MessageAnnouncer,
): Promise<boolean> => {
  const rows = await db
    .update(messages)
    .set({ reply, text: reply.text, updatedAt: sql`clock_timestamp()` })
    .where(eq(messages.id, id))
    .returning({ id: messages.id, conversationId: messages.conversationId });
  for (const r of rows) announce(live, r.conversationId, r.id);
  return rows.length > 0;
};

const visible = (viewerKey: string | undefined) =>
  viewerKey === undefined
    ? isNull(messages.visibleTo)
    : or(isNull(messages.visibleTo), eq(messages.visibleTo, viewerKey));

/**
 * Messages of a conversation in order. With `updatedSince`, only those created or updated after it
 * (pollers); otherwise the last `limit`. Ephemeral messages only for their viewer.
 */
export const listMessages = async (
  db: Db,
  conversationId: string,
  opts: { limit?: number; updatedSince?: Date; viewerKey?: string } = {},
): Promise<StoredMessage[]> => {
  const limit = Math.min(opts.limit ?? 100, 500);
  const where = and(
    eq(messages.conversationId, conversationId),
    visible(opts.viewerKey),
    opts.updatedSince ? gt(messages.updatedAt, opts.updatedSince) : undefined,
  );
  const rows = opts.updatedSince
    ? await db.select().from(messages).where(where).orderBy(asc(messages.id)).limit(limit)
    : (await db.select().from(messages).where(where).orderBy(desc(messages.id)).limit(limit)).reverse();
  return rows.map((r) => ({ ...r, author: r.author === 'bot' ? 'bot' : 'user' }));
};

/**
 * Recent turns for a planner's context (oldest first): what everyone sees plus what only `viewerKey`
 * saw. Without the reply's blocks (a bot message's `text` is its reply's plain text): a planner
 * reads the words, and a thread's cards and tables are most of the bytes.
 */
export const recentHistory = async (
  db: Db,
  conversationId: string,
  limit = 20,
  viewerKey?: string,
): Promise<StoredMessage[]> => {
  const rows = await db
    .select({
      id: messages.id,
      conversationId: messages.conversationId,
      author: messages.author,
      actorKey: messages.actorKey,
      text: messages.text,
      visibleTo: messages.visibleTo,
      createdAt: messages.createdAt,
      updatedAt: messages.updatedAt,
    })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), visible(viewerKey)))
    .orderBy(desc(messages.id))
    .limit(Math.min(limit, 500));
  return rows.reverse().map((r) => ({ ...r, reply: null, author: r.author === 'bot' ? 'bot' : 'user' }));
};

/**
 * Records a surface event id; false when it was already recorded (a redelivery). One INSERT, so it
 * holds across replicas.
 */
export const markEventProcessed = async (db: Db, eventId: string): Promise<boolean> => {
  const rows = await db
    .insert(processedEvents)
    .values({ id: eventId })
    .onConflictDoNothing()
    .returning({ id: processedEvents.id });
  return rows.length > 0;
};

/**
 * Retention, one bounded batch per call (src/engine/retention.ts loops): deletes up to `limit`
 * processed event ids received before `before`, oldest first. Returns how many it deleted.
 */
export const deleteProcessedEventsBefore = async (db: Db, before: Date, limit: number): Promise<number> => {
  const oldest = db
    .select({ id: processedEvents.id })
    .from(processedEvents)
    .where(lt(processedEvents.receivedAt, before))
    .orderBy(asc(processedEvents.receivedAt))
    .limit(limit);
  const gone = await db
    .delete(processedEvents)
    .where(inArray(processedEvents.id, oldest))
    .returning({ id: processedEvents.id });
  return gone.length;
};

/** Statuses a change request never leaves: its card will not be updated again. */
const finalStatuses = ChangeStatus.options.filter(isFinal);

/**
 * Retention, one bounded batch per call: deletes up to `limit` messages last written before
 * `before`, oldest first, except a console copy of a change card whose change can still change
 * (`change_cards.message_id` is the message id there; the notifier updates it in place). The
 * card-copy rows of the messages it deletes (changes that are final) go in the same statement, so
 * no copy points at a missing message. Returns how many messages it deleted.
 */
export const deleteMessagesBefore = async (db: Db, before: Date, limit: number): Promise<number> => {
  const liveCard = db
    .select({ one: sql`1` })
    .from(changeCards)
    .innerJoin(changeRequests, eq(changeRequests.id, changeCards.changeId))
    .where(
      and(
        eq(changeCards.surface, 'console'),
        eq(changeCards.messageId, sql`(${messages.id})::text`),
        notInArray(changeRequests.status, finalStatuses),
      ),
    );
  const oldest = db
    .select({ id: messages.id })
    .from(messages)
    .where(and(lt(messages.updatedAt, before), notExists(liveCard)))
    .orderBy(asc(messages.updatedAt))
    .limit(limit);
  const result = await db.execute<{ n: number }>(sql`
    WITH gone AS (DELETE FROM ${messages} WHERE ${messages.id} IN (${oldest}) RETURNING ${messages.id} AS id),
    copies AS (
      DELETE FROM ${changeCards}
      WHERE ${changeCards.surface} = 'console' AND ${changeCards.messageId} IN (SELECT id::text FROM gone)
    )
    SELECT count(*)::int AS n FROM gone`);
  return result.rows[0]?.n ?? 0;
};

/**
 * The conversation store port over these functions, for surfaces (they never hold the database).
 * With `live`, every message appended or updated is announced there.
 */
export const createConversationStore = (db: Db, live?: MessageAnnouncer): ConversationStore => ({
  ensure: (ref) => ensureConversation(db, ref),
  ref: (id) => getConversationRef(db, id),
  append: (m) => appendMessage(db, m, live),
  message: (id) => getMessage(db, id),
  updateReply: (id, reply) => updateMessageReply(db, id, reply, live),
  list: (conversationId, opts) => listMessages(db, conversationId, opts),
  markProcessed: (key) => markEventProcessed(db, key),
});
