import { actorKey, type Actor, type ConversationRef } from '../../chat/actor.ts';
import { MORE_TEXT } from '../../chat/more-ref.ts';
import { Reply, textReply } from '../../chat/reply.ts';
import type { ConversationStore } from '../../engine/engine.ts';
import { parseMore, renderPart, replyFingerprint, type TeamsMessage } from './cards.ts';

/**
 * A "Show more" click on a Teams card (cards.ts ends a cut card with an `Action.Execute` of verb
 * `teams.more`). The engine stores every reply it returns, so the button needs no engine command:
 * its value names the stored message, the unit the next part starts with and a fingerprint of the
 * content. The value comes from the client, so it is checked, not trusted: the message must be a
 * bot reply of this tenant, of the conversation clicked in, visible to the clicker, with the same
 * content. Anything else gets a sentence, never someone else's message.
 */
export { encodeMore, parseMore, replyFingerprint, SHOW_MORE_VERB, type MoreRef } from './cards.ts';

export { MORE_TEXT };

export interface MoreClick {
  conversations: Pick<ConversationStore, 'message'>;
  actor: Actor;
  /** Where the click happened, as the transport maps the invoke's conversation. */
  conversation: ConversationRef;
  /** `action.data.value` of the click. */
  value: string;
}

type Stored = NonNullable<Awaited<ReturnType<ConversationStore['message']>>>;

/** Why the clicker may not see more of `m` here, or null when they may. */
export const moreRefusal = (m: Stored, c: Pick<MoreClick, 'actor' | 'conversation'>): string | null => {
  const stored = m.conversation;
  const here = c.conversation;
  if (m.author !== 'bot' || !m.reply) return 'not a bot reply';
  if (here.surface !== 'teams' || c.actor.surface !== 'teams' || c.actor.workspaceId !== here.workspaceId)
    return 'not a Teams click';
  if (stored.surface !== 'teams' || stored.workspaceId !== here.workspaceId) return 'another tenant';
  if (stored.channelId !== here.channelId || (stored.threadId ?? '') !== (here.threadId ?? ''))
    return 'another conversation';
  if (m.visibleTo !== null && m.visibleTo !== actorKey(c.actor)) return 'private to someone else';
  return null;
};

const say = (text: string): TeamsMessage => renderPart(textReply(text)).message;

/** The next part of the stored reply the button names, or a clear sentence saying why not. */
export const handleMoreClick = async (d: MoreClick): Promise<TeamsMessage> => {
  const ref = parseMore(d.value);
  if (!ref) return say(MORE_TEXT.unreadable);
  const stored = await d.conversations.message(ref.messageId);
  if (!stored || moreRefusal(stored, d) !== null) return say(MORE_TEXT.notHere);
  const parsed = Reply.safeParse(stored.reply);
  if (!parsed.success) return say(MORE_TEXT.notHere);
  // Fingerprint of the reply as stored (not as parsed): it is what the button was made from.
  if (replyFingerprint(stored.reply!) !== ref.fingerprint) return say(MORE_TEXT.changed);
  const part = renderPart({ ...parsed.data, messageId: String(stored.id) }, { fromUnit: ref.fromUnit });
  if (part.units === 0) return say(MORE_TEXT.nothing);
  return part.message;
};
