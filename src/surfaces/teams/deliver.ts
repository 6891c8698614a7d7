import type { Activity } from '@microsoft/agents-activity';
import type { ConversationRef } from '../../chat/actor.ts';
import { textReply, type Reply } from '../../chat/reply.ts';
import type { PostedMessage } from '../../chat/surface.ts';
import type { ConversationEngine } from '../../engine/engine.ts';
import { AppError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { renderReply, type TeamsMessage } from './cards.ts';
import type { Connector } from './connector.ts';

/**
 * Puts the engine's replies into a Teams conversation: each reply rendered by cards.ts (an
 * Adaptive Card, its plain text as the notification, mention entities), posted in the
 * conversation or channel thread; a change card is registered with the engine (`cardPosted`) so
 * the notifier updates it in place later. A "working…" message, if one was posted, becomes the
 * first answer (updated in place). Teams has no ephemeral messages outside a card action's
 * invoke response: a private reply in a turn is posted in the conversation it was asked in.
 */
export const WORKING_TEXT = '⏳ Working on it…';

/**
 * The activity for a rendered message. A card carries its text as the notification `summary` (no
 * `text`: Teams would show it as a second message) and its mentions in the card's own
 * `msteams.entities`, where Teams reads card mentions; the activity gets no mention entities then,
 * because the Bot Connector checks each activity-level mention against the activity's `text`
 * ("Mention entity text is not valid") and a card message has none. A text-only message carries
 * the entities of the mentions its text holds.
 */
export const messageActivity = (m: TeamsMessage): Partial<Activity> => {
  if (m.attachments.length > 0)
    return { type: 'message', summary: m.text.slice(0, 300), attachments: m.attachments } as Partial<Activity>;
  const entities = m.entities.filter((e) => m.text.includes(e.text));
  return { type: 'message', text: m.text, ...(entities.length > 0 ? { entities } : {}) } as Partial<Activity>;
};

export interface Delivery {
  post(ref: ConversationRef, reply: Reply): Promise<PostedMessage>;
  postMessage(ref: ConversationRef, m: TeamsMessage): Promise<PostedMessage>;
  update(ref: ConversationRef, activityId: string, reply: Reply): Promise<void>;
  /** Delivers a turn's replies in order; one failing reply does not stop the others. */
  deliver(ref: ConversationRef, replies: Reply[], working?: string): Promise<void>;
  working(ref: ConversationRef): Promise<string | undefined>;
  showStep(ref: ConversationRef, working: string, step: string): Promise<void>;
  typing(ref: ConversationRef): Promise<void>;
}

export const createDelivery = (d: {
  connector: Connector;
  engine: Pick<ConversationEngine, 'cardPosted'>;
  logger: Logger;
}): Delivery => {
  const log = d.logger.child({ component: 'teams-deliver' });
  const render = (r: Reply): TeamsMessage => renderReply(r, r.messageId ? { messageId: r.messageId } : {});

  const registerCard = async (reply: Reply, posted: PostedMessage): Promise<void> => {
    if (!reply.changeId) return;
    try {
      await d.engine.cardPosted(reply.changeId, posted);
    } catch (e) {
      log.warn(
        { err: e, changeId: reply.changeId },
        'could not record where a change card was posted; it will not be updated in place',
      );
    }
  };

  const postMessage = async (ref: ConversationRef, m: TeamsMessage): Promise<PostedMessage> => {
    const id = await d.connector.send(ref, messageActivity(m));
    if (!id) throw new AppError('internal', 'the Bot Connector answered a post without an activity id');
    return { surface: 'teams', conversation: ref, messageId: id };
  };
  const post = (ref: ConversationRef, reply: Reply) => postMessage(ref, render(reply));
  const update = (ref: ConversationRef, activityId: string, reply: Reply) =>
    d.connector.update(ref, activityId, messageActivity(render(reply)));

  return {
    post,
    postMessage,
    update,
    deliver: async (ref, replies, working) => {
      let placeholder = working;
      for (const reply of replies) {
        try {
          if (placeholder) {
            const id = placeholder;
            placeholder = undefined;
            try {
              await update(ref, id, reply);
              await registerCard(reply, { surface: 'teams', conversation: ref, messageId: id });
              continue;
            } catch (e) {
              log.warn({ err: e }, 'could not replace the working message; posting the answer instead');
            }
          }
          await registerCard(reply, await post(ref, reply));
        } catch (e) {
          log.error({ err: e, conversationId: ref.channelId }, 'could not deliver a reply to Teams');
        }
      }
      // No replies: a redelivery the engine had already answered, so the placeholder goes.
      if (placeholder)
        await d.connector
          .remove(ref, placeholder)
          .catch((e: unknown) => log.warn({ err: e }, 'could not delete the working message'));
    },
    working: async (ref) => {
      try {
        return (await post(ref, textReply(WORKING_TEXT))).messageId;
      } catch (e) {
        log.warn({ err: e }, 'could not post the working message');
        return undefined;
      }
    },
    showStep: (ref, working, step) => update(ref, working, textReply(`${WORKING_TEXT} ${step}`)),
    typing: async (ref) => {
      await d.connector
        .send(ref, { type: 'typing' } as Partial<Activity>)
        .catch((e: unknown) => log.debug({ err: e }, 'could not send the typing indicator'));
    },
  };
};
