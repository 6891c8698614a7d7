import { z } from 'zod';
import type { Actor, ConversationRef } from '../../chat/actor.ts';

/**
 * What the surface reads from a Bot Framework activity, checked with zod at the boundary (the SDK
 * itself only insists on `type` and `conversation.id`), and the mapping between Teams'
 * conversations and the engine's neutral `ConversationRef`:
 * - personal chat `a:1…` and group chat `19:…@thread.v2`: the conversation itself;
 * - a channel thread `19:…@thread.tacv2;messageid=1700000000000`: `channelId` is the channel's
 *   conversation, `threadId` the id of the post that started the thread (Teams' reply chain).
 */
const Account = z.looseObject({
  id: z.string().min(1).max(500),
  name: z.string().max(500).optional(),
  aadObjectId: z.string().max(200).optional(),
});

const MentionEntity = z.looseObject({
  type: z.literal('mention'),
  text: z.string().max(1000).optional(),
  mentioned: Account,
});

/** Every activity we accept at /api/messages; anything else is a 400 before the SDK sees it. */
export const InboundActivity = z.looseObject({
  type: z.string().min(1).max(100),
  id: z.string().max(500).optional(),
  name: z.string().max(200).optional(),
  channelId: z.string().max(100).optional(),
  serviceUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  from: Account.optional(),
  recipient: Account.optional(),
  conversation: z.looseObject({
    id: z.string().min(1).max(1000),
    conversationType: z.string().max(50).optional(),
    tenantId: z.string().max(200).optional(),
    isGroup: z.boolean().optional(),
  }),
  text: z.string().max(1_000_000).optional(),
  entities: z
    .array(z.looseObject({ type: z.string().optional() }))
    .max(500)
    .optional(),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string().max(200) }).optional(),
      /** A channel's team: its thread id (`19:…`) and, on some activities, its Microsoft 365 group id. */
      team: z
        .looseObject({ id: z.string().max(500).optional(), aadGroupId: z.string().max(200).optional() })
        .optional(),
    })
    .optional(),
  membersAdded: z.array(Account).max(1000).optional(),
  membersRemoved: z.array(Account).max(1000).optional(),
  action: z.string().max(100).optional(),
  value: z.unknown().optional(),
});
export type InboundActivity = z.infer<typeof InboundActivity>;

export type TeamsMention = z.infer<typeof MentionEntity>;

const THREAD = ';messageid=';

/** Splits a Teams conversation id into the conversation and the channel thread's root post, if any. */
export const splitConversationId = (id: string): { channelId: string; threadId?: string } => {
  const at = id.indexOf(THREAD);
  if (at < 0) return { channelId: id };
  const threadId = id.slice(at + THREAD.length);
  return { channelId: id.slice(0, at), ...(threadId ? { threadId } : {}) };
};

/** The conversation id to post to: a channel thread's id, or the conversation itself. */
export const teamsConversationId = (ref: Pick<ConversationRef, 'channelId' | 'threadId'>): string =>
  ref.threadId ? `${ref.channelId}${THREAD}${ref.threadId}` : ref.channelId;

/** personal | groupChat | channel; the emulator sends none (a personal chat as far as we care). */
export const conversationType = (a: InboundActivity): string => a.conversation.conversationType ?? 'personal';

/** The tenant of the activity (Teams puts it in channelData and on the conversation). */
export const tenantOf = (a: InboundActivity): string | undefined =>
  a.channelData?.tenant?.id ?? a.conversation.tenantId ?? undefined;

/**
 * Where the engine sees this activity: a channel post starts a thread of its own (the bot answers
 * in it), a reply in a thread stays there; chats have no threads.
 */
export const conversationOf = (a: InboundActivity, tenantId: string): ConversationRef => {
  const { channelId, threadId } = splitConversationId(a.conversation.id);
  const root = threadId ?? (conversationType(a) === 'channel' && a.type === 'message' ? a.id : undefined);
  return { surface: 'teams', workspaceId: tenantId, channelId, ...(root ? { threadId: root } : {}) };
};

/** The person behind an activity: their Entra object id (stable across chats), the name Teams gave. */
export const actorOf = (a: InboundActivity, tenantId: string): Actor | undefined => {
  if (!a.from) return undefined;
  const userId = a.from.aadObjectId ?? a.from.id;
  return { surface: 'teams', workspaceId: tenantId, userId, displayName: a.from.name?.trim() || userId };
};

export const mentionsOf = (a: InboundActivity): TeamsMention[] =>
  (a.entities ?? []).flatMap((e) => {
    const m = MentionEntity.safeParse(e);
    return m.success ? [m.data] : [];
  });

/** Whether the bot itself is @mentioned (channels and group chats deliver only those). */
export const mentionsBot = (a: InboundActivity): boolean =>
  mentionsOf(a).some((m) => a.recipient !== undefined && m.mentioned.id === a.recipient.id);

/**
 * The message text without the bot's own mention(s), as the entity gives their exact text
 * (`<at>DevOps Agent</at>`); other people's mentions stay (`<at>Alice</at>`: the grammar reads a
 * name) and Teams' non-breaking spaces become spaces.
 */
export const textWithoutBotMention = (a: InboundActivity): string => {
  let text = a.text ?? '';
  for (const m of mentionsOf(a)) {
    if (a.recipient && m.mentioned.id === a.recipient.id) {
      const token = m.text ?? `<at>${m.mentioned.name ?? ''}</at>`;
      text = text.split(token).join(' ');
    }
  }
  return text
    .replace(/&nbsp;|\u00a0/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
};
