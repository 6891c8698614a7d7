import type { Actor } from '../chat/actor.ts';
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
  /** A button click or form submission on a rendered Reply (approve, reject, show more). */
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
