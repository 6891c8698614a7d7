import type { ConversationRef } from '../../chat/actor.ts';
import { textReply, type Reply } from '../../chat/reply.ts';
import type { PostedMessage } from '../../chat/surface.ts';
import type { ConversationEngine } from '../../engine/engine.ts';
import { AppError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { FormStore } from './store/forms.ts';
import type { RenderedPart, SlackMessage } from './render.ts';
import { renderPart } from './show-more.ts';
import { isNotPostable, slackError, type WebClient } from './web.ts';

/**
 * Puts the engine's replies where the user expects them: public ones in the channel or thread,
 * ephemeral ones to the asker only (response_url for slash commands), a change card registered
 * with the engine so it is updated in place later. When Slack refuses (`not_in_channel`, …) the
 * asker is told why in a DM rather than left waiting. A stored reply too big for one message gets
 * a "Show more" button (show-more.ts); `more` posts the part it asks for.
 */
export type Respond = (message: Record<string, unknown>) => Promise<unknown>;

export interface Target {
  client: WebClient;
  teamId: string;
  channel: string;
  threadTs?: string;
  /** Who asked: sees the ephemeral replies and any "I can't post there" note. */
  userId: string;
  /** Slash commands: their response_url. */
  respond?: Respond;
  /** A "working…" message to replace with the first public reply. */
  working?: { channel: string; ts: string };
  /** Slash commands: a private "working…" note was posted through `respond`, to replace or delete. */
  workingNote?: boolean;
}

export const WORKING_TEXT = '⏳ Working on it…';

/** Slack rejects these for the blocks, not the message: the plain text still gets through. */
const BLOCK_ERRORS = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_blocks_too_long']);

export const createDelivery = (d: { engine: ConversationEngine; forms: FormStore; logger: Logger }) => {
  const log = d.logger.child({ component: 'slack-deliver' });
  /** The part of a reply from `fromUnit` on; forms are encoded, the fingerprint is of the reply as stored. */
  const render = async (r: Reply, fromUnit = 0): Promise<RenderedPart> =>
    renderPart(await d.forms.encode(r), fromUnit, r);

  /**
   * One Web API call with the message. If Slack refuses its blocks, it is sent again with its
   * native tables and charts drawn as text (a workspace or client that does not take them yet),
   * and then, refused again, as text only.
   */
  const send = async <T>(call: (m: SlackMessage) => Promise<T>, m: SlackMessage): Promise<T> => {
    try {
      return await call(m);
    } catch (e) {
      if (!BLOCK_ERRORS.has(slackError(e) ?? '')) throw e;
      if (m.fallbackBlocks) {
        log.warn(
          { slackError: slackError(e) },
          'Slack refused the blocks of a reply; sending its tables and charts as text',
        );
        try {
          return await call({ text: m.text, blocks: m.fallbackBlocks });
        } catch (again) {
          if (!BLOCK_ERRORS.has(slackError(again) ?? '')) throw again;
        }
      }
      log.warn({ slackError: slackError(e) }, 'Slack refused the blocks of a reply; sent its text only');
      return call({ text: m.text, blocks: [] });
    }
  };

  const conversation = (teamId: string, channel: string, threadTs?: string): ConversationRef => ({
    surface: 'slack',
    workspaceId: teamId,
    channelId: channel,
    ...(threadTs ? { threadId: threadTs } : {}),
  });

  /** Posts a message and returns where it lives. */
  const postRendered = async (client: WebClient, ref: ConversationRef, m: SlackMessage): Promise<PostedMessage> => {
    const res = await send(
      (x) =>
        client.chat.postMessage({
          channel: ref.channelId,
          ...(ref.threadId ? { thread_ts: ref.threadId } : {}),
          text: x.text,
          blocks: x.blocks,
          unfurl_links: false,
        }),
      m,
    );
    if (!res.ts) throw new AppError('internal', 'chat.postMessage answered without a ts');
    return { surface: 'slack', conversation: { ...ref, channelId: res.channel ?? ref.channelId }, messageId: res.ts };
  };
  const post = async (client: WebClient, ref: ConversationRef, reply: Reply, fromUnit = 0): Promise<PostedMessage> =>
    postRendered(client, ref, await render(reply, fromUnit));

  const update = async (client: WebClient, channel: string, ts: string, reply: Reply): Promise<void> => {
    const m = await render(reply);
    await send((x) => client.chat.update({ channel, ts, text: x.text, blocks: x.blocks }), m);
  };

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

  /** The asker's DM with the bot (a user id as channel posts there). */
  const dm = async (t: Target, reply: Reply, note?: string, fromUnit = 0): Promise<void> => {
    try {
      if (note) await post(t.client, conversation(t.teamId, t.userId), textReply(note));
      const posted = await post(t.client, conversation(t.teamId, t.userId), { ...reply, ephemeral: false }, fromUnit);
      if (fromUnit === 0) await registerCard(reply, posted);
    } catch (e) {
      log.warn(
        { err: e, slackError: slackError(e), user: t.userId },
        'could not reach the user in a DM either; the reply is lost to them (it is stored in the conversation)',
      );
    }
  };

  const cannotPost = (t: Target): string =>
    `I can't post in <#${t.channel}>: invite me there with \`/invite @DevOps Agent\`, then ask again. Here is my answer meanwhile.`;

  const ephemeral = async (t: Target, reply: Reply, part?: { m: RenderedPart; fromUnit: number }): Promise<void> => {
    const fromUnit = part?.fromUnit ?? 0;
    const m = part?.m ?? (await render(reply));
    try {
      if (t.respond) {
        await t.respond({ response_type: 'ephemeral', text: m.text, blocks: m.blocks });
        return;
      }
      await send(
        (x) =>
          t.client.chat.postEphemeral({
            channel: t.channel,
            user: t.userId,
            ...(t.threadTs ? { thread_ts: t.threadTs } : {}),
            text: x.text,
            blocks: x.blocks,
          }),
        m,
      );
    } catch (e) {
      if (!isNotPostable(e) && !t.respond) throw e;
      log.warn(
        { slackError: slackError(e) ?? String(e), channel: t.channel },
        'could not answer privately in the channel; answering in a DM',
      );
      await dm(t, reply, undefined, fromUnit);
    }
  };

  const publicReply = async (t: Target, reply: Reply): Promise<void> => {
    if (t.working) {
      const { channel, ts } = t.working;
      t.working = undefined;
      try {
        await update(t.client, channel, ts, reply);
        await registerCard(reply, {
          surface: 'slack',
          conversation: conversation(t.teamId, channel, t.threadTs),
          messageId: ts,
        });
        return;
      } catch (e) {
        log.warn(
          { err: e, slackError: slackError(e) },
          'could not replace the working message; posting the answer instead',
        );
      }
    }
    try {
      await registerCard(reply, await post(t.client, conversation(t.teamId, t.channel, t.threadTs), reply));
    } catch (e) {
      if (!isNotPostable(e)) throw e;
      log.warn({ slackError: slackError(e), channel: t.channel }, 'cannot post in this channel');
      if (t.respond) {
        // A slash command's response_url reaches any channel, but its message cannot be updated later.
        const m = await render(reply);
        await t.respond({ response_type: 'in_channel', text: m.text, blocks: m.blocks });
        if (reply.changeId)
          log.info(
            { changeId: reply.changeId },
            'change card posted through response_url: its approvals-channel copies are still updated',
          );
      } else await dm(t, reply, cannotPost(t));
    }
  };

  /** A later part of a stored reply (a Show more click), where the click happened; false when nothing is left from `fromUnit`. */
  const more = async (t: Target, reply: Reply, fromUnit: number): Promise<boolean> => {
    const m = await render(reply, fromUnit);
    if (m.units === 0) return false;
    if (reply.ephemeral) {
      await ephemeral(t, reply, { m, fromUnit });
      return true;
    }
    try {
      await postRendered(t.client, conversation(t.teamId, t.channel, t.threadTs), m);
    } catch (e) {
      if (!isNotPostable(e)) throw e;
      log.warn({ slackError: slackError(e), channel: t.channel }, 'cannot post the rest of a reply in this channel');
      await dm(t, reply, cannotPost(t), fromUnit);
    }
    return true;
  };

  return {
    render,
    post,
    update,
    more,
    /** Delivers every reply in order; one failing reply does not stop the others. */
    deliver: async (t: Target, all: Reply[]): Promise<void> => {
      let replies = all;
      if (t.workingNote && t.respond) {
        // The private note becomes the first private answer, or goes before a public one is posted.
        const [first] = replies;
        t.workingNote = undefined;
        try {
          if (first?.ephemeral) {
            const m = await render(first);
            await t.respond({ response_type: 'ephemeral', replace_original: true, text: m.text, blocks: m.blocks });
            replies = replies.slice(1);
          } else await t.respond({ delete_original: true });
        } catch (e) {
          log.warn({ err: e }, 'could not replace the private working note of a slash command');
        }
      }
      for (const r of replies) {
        try {
          if (r.ephemeral) await ephemeral(t, r);
          else await publicReply(t, r);
        } catch (e) {
          log.error({ err: e, slackError: slackError(e), channel: t.channel }, 'could not deliver a reply to Slack');
        }
      }
      if (t.working) {
        const { channel, ts } = t.working;
        t.working = undefined;
        // No replies: a redelivery the engine had already answered, so the placeholder goes.
        if (all.length === 0)
          await t.client.chat
            .delete({ channel, ts })
            .catch((e: unknown) => log.warn({ err: e }, 'could not delete the working message'));
        // Nothing public to show: the working message says where the answer went instead of hanging.
        else
          await update(t.client, channel, ts, textReply('✓ Answered privately.')).catch((e: unknown) =>
            log.warn({ err: e }, 'could not close the working message'),
          );
      }
    },
    /** A slash command's private "working…" note (through its response_url; `replace` shows a step in it). */
    workingNote: async (t: Target, step?: string): Promise<boolean> => {
      if (!t.respond) return false;
      try {
        await t.respond({
          response_type: 'ephemeral',
          ...(step !== undefined ? { replace_original: true } : {}),
          text: step ? `${WORKING_TEXT} ${step}` : WORKING_TEXT,
        });
        return true;
      } catch (e) {
        log.warn({ err: e }, 'could not post the working note of a slash command');
        return false;
      }
    },
    /** Posts the "working…" placeholder; undefined when Slack refused (the answer is then simply posted). */
    working: async (t: Target): Promise<{ channel: string; ts: string } | undefined> => {
      try {
        const posted = await post(t.client, conversation(t.teamId, t.channel, t.threadTs), textReply(WORKING_TEXT));
        return { channel: posted.conversation.channelId, ts: posted.messageId };
      } catch (e) {
        log.warn({ slackError: slackError(e) ?? String(e) }, 'could not post the working message');
        return undefined;
      }
    },
    conversation,
  };
};
export type Delivery = ReturnType<typeof createDelivery>;
