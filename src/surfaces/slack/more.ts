import { actorKey, type Actor, type ConversationRef } from '../../chat/actor.ts';
import { MORE_TEXT } from '../../chat/more-ref.ts';
import { Reply, textReply } from '../../chat/reply.ts';
import type { ConversationStore } from '../../engine/engine.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Delivery, Target } from './deliver.ts';
import { parseMore, replyFingerprint } from './show-more.ts';
import type { WebClient } from './web.ts';

/**
 * A "Show more" click (show-more.ts): loads the stored reply the button names and posts its next
 * part where the click happened, privately if the original was private. The value comes from the
 * client, so it is checked, not trusted: the message must be a bot reply of this Slack workspace,
 * of the conversation clicked in, and visible to the clicker. Anything else gets a private
 * sentence, never someone else's message.
 */
export interface MoreClick {
  client: WebClient;
  teamId: string;
  actor: Actor;
  /** Where the click happened (no channel: the Home tab). */
  channel?: string;
  threadTs?: string;
  value: string;
  /** Slack says the clicked message was ephemeral (`container.is_ephemeral`). */
  clickedEphemeral: boolean;
}

export { MORE_TEXT };

type Stored = NonNullable<Awaited<ReturnType<ConversationStore['message']>>>;

const isDm = (c: MoreClick): boolean => !c.channel || c.channel.startsWith('D');

/** Why the clicker may not see more of `m` here, or null when they may. */
const refusal = (m: Stored, c: MoreClick): string | null => {
  const conv: ConversationRef = m.conversation;
  if (m.author !== 'bot' || !m.reply) return 'not a bot reply';
  if (conv.surface !== 'slack' || conv.workspaceId !== c.teamId) return 'another workspace';
  const viewer = actorKey(c.actor);
  if (m.visibleTo !== null) return m.visibleTo === viewer ? null : 'private to someone else';
  if (conv.channelId === (c.channel ?? c.actor.userId) && (conv.threadId ?? '') === (c.threadTs ?? '')) return null;
  // Answers to Home-tab clicks are stored under the user id and posted in the user's DM with the bot.
  if (conv.channelId === c.actor.userId && isDm(c)) return null;
  return 'another conversation';
};

export const createShowMore = (d: {
  conversations: Pick<ConversationStore, 'message'>;
  delivery: Pick<Delivery, 'more' | 'deliver'>;
  logger: Logger;
}) => {
  const log = d.logger.child({ component: 'slack-more' });

  return async (c: MoreClick): Promise<void> => {
    const target: Target = {
      client: c.client,
      teamId: c.teamId,
      channel: c.channel ?? c.actor.userId,
      userId: c.actor.userId,
      ...(c.threadTs ? { threadTs: c.threadTs } : {}),
    };
    // In a DM the answer is private anyway (and a Home-tab click has no channel to be ephemeral in).
    const tell = (text: string): Promise<void> =>
      d.delivery.deliver(target, [textReply(text, { ephemeral: !isDm(c) })]);
    const ref = parseMore(c.value);
    if (!ref) {
      log.warn({ teamId: c.teamId, user: c.actor.userId }, 'a Show more button carried a value we did not make');
      return tell(MORE_TEXT.unreadable);
    }
    const stored = await d.conversations.message(ref.messageId);
    const why = stored ? refusal(stored, c) : 'no such message';
    const parsed = stored && !why ? Reply.safeParse(stored.reply) : undefined;
    if (!stored || why || !parsed?.success) {
      log.warn(
        { teamId: c.teamId, user: c.actor.userId, messageId: ref.messageId, reason: why ?? 'unreadable stored reply' },
        'refused a Show more click',
      );
      return tell(MORE_TEXT.notHere);
    }
    // Fingerprint of the reply as stored (not as parsed): it is what the button was made from.
    if (replyFingerprint(stored.reply!) !== ref.fingerprint) return tell(MORE_TEXT.changed);
    const ephemeral = !isDm(c) && (stored.visibleTo !== null || c.clickedEphemeral);
    const reply: Reply = { ...parsed.data, messageId: String(stored.id), ephemeral };
    if (!(await d.delivery.more(target, reply, ref.fromUnit))) return tell(MORE_TEXT.nothing);
  };
};
export type ShowMore = ReturnType<typeof createShowMore>;
