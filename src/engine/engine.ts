import type { Actor, ConversationRef } from '../chat/actor.ts';
import type { Interaction, OptionsQuery, Turn } from '../chat/interaction.ts';
import type { Choice, Reply } from '../chat/reply.ts';
import type { PostedMessage } from '../chat/surface.ts';

/**
 * What every surface adapter calls. Channel-neutral: a surface maps its inbound events to a Turn
 * or an Interaction and renders the returned Replies; it never calls tools or the store itself.
 */
export interface ConversationEngine {
  /** Stores the user's message, plans, runs read tools or creates change requests, stores and returns replies. */
  handleTurn(turn: Turn): Promise<Reply[]>;
  /** A button click or form submission on a rendered Reply (approve, reject, a command button such as a listing's next page). */
  handleInteraction(interaction: Interaction): Promise<Reply[]>;
  /**
   * A surface delivered a change card (a reply with `changeId`) and says where it lives, so that
   * every copy is updated in place on later transitions. Both methods above store their replies in
   * the conversation history (ephemeral ones visible to the asker only) and set `messageId`.
   */
  cardPosted(changeId: string, posted: PostedMessage): Promise<void>;
  /** The actor's home view (role, approvals waiting for them, their requests, inventory and cost). */
  home(actor: Actor): Promise<Reply>;
  /**
   * Choices of a `search` form field for what the person typed so far. Throws AppError (unknown
   * source, bad parameters, role too low) with a message for the surface to log or show.
   */
  options(query: OptionsQuery): Promise<Choice[]>;
}

/** One message of a conversation's history, as stored. */
export interface StoredMessage {
  id: number;
  conversationId: string;
  author: 'user' | 'bot';
  actorKey: string | null;
  text: string;
  reply: Reply | null;
  visibleTo: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A message to append to a conversation; `visibleTo` (an actorKey) makes it ephemeral. */
export interface NewMessage {
  conversationId: string;
  author: 'user' | 'bot';
  actorKey?: string | null;
  text: string;
  reply?: Reply | null;
  visibleTo?: string | null;
}

/**
 * The engine's memory of what was said where, as surfaces see it: the console surface delivers by
 * storing messages here (its page polls them); Slack looks up a thread's conversation and the full
 * text behind "Show more". Surfaces use this port instead of the database (docs/architecture.md#layers).
 */
export interface ConversationStore {
  /** Creates the conversation on first sight (keeping the freshest native ref) and returns its id. */
  ensure(ref: ConversationRef): Promise<string>;
  /** The native ref of a known conversation, or null. */
  ref(conversationId: string): Promise<ConversationRef | null>;
  /** Appends a message and returns its id. */
  append(m: NewMessage): Promise<number>;
  /**
   * One stored message with the conversation it belongs to, or null. Callers that show it to
   * someone check the conversation and `visibleTo` themselves.
   */
  message(id: number): Promise<(StoredMessage & { conversation: ConversationRef }) | null>;
  /** Replaces a bot message's reply in place (a card after a decision); false when it is gone. */
  updateReply(id: number, reply: Reply): Promise<boolean>;
  /**
   * Messages of a conversation in order. With `updatedSince`, only those created or updated after
   * it (pollers); otherwise the last `limit`. Ephemeral messages only for their viewer.
   */
  list(
    conversationId: string,
    opts?: { limit?: number; updatedSince?: Date; viewerKey?: string },
  ): Promise<StoredMessage[]>;
  /**
   * Records the key of a delivery a surface received (e.g. `slack:sig:<signature>` for a signed
   * request); false when it was recorded before: a replay or redelivery, to acknowledge and ignore.
   * One INSERT … ON CONFLICT DO NOTHING, so it holds across replicas.
   */
  markProcessed(key: string): Promise<boolean>;
}
