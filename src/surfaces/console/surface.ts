import type { ConversationRef } from '../../chat/actor.ts';
import { reply, type Reply } from '../../chat/reply.ts';
import type { DirectoryUser } from '../../chat/directory.ts';
import type { ChatSurface, PostedMessage } from '../../chat/surface.ts';
import type { ConversationStore } from '../../engine/engine.ts';
import { AppError, notFound } from '../../errors.ts';

/**
 * The console has no chat platform of its own: the conversation's message log in the database IS
 * what the page shows (it polls it). Posting is appending a bot message; updating rewrites it in
 * place (its updated_at moves, so pollers pick it up).
 */
export const consoleWorkspaceId = 'console';
/** The one shared channel: everyone sees approval cards and results here. */
export const consoleChannel = 'ops';

export const consoleConversation = (channelId: string = consoleChannel): ConversationRef => ({
  surface: 'console',
  workspaceId: consoleWorkspaceId,
  channelId,
});

/** The console as a ChatSurface: what the notifier posts and updates change cards through. */
export type ConsoleSurface = ChatSurface;

export const createConsoleSurface = (deps: {
  conversations: Pick<ConversationStore, 'ensure' | 'append' | 'updateReply'>;
  /** The console's people (its seeded users), its user directory: by user id or display name. */
  people?: readonly DirectoryUser[];
}): ConsoleSurface => {
  const people = deps.people ?? [];
  // The port names no recipient, so a reply posted here is shown to everyone, ephemeral or not (the
  // engine stores the asker's own ephemeral replies itself, visible to them only).
  const post = async (conversation: ConversationRef, reply: Reply): Promise<PostedMessage> => {
    if (conversation.surface !== 'console')
      throw new AppError('internal', `console surface asked to post into a ${conversation.surface} conversation`);
    // The page shows one flat log per channel: a thread reply lands in its channel.
    const flat = consoleConversation(conversation.channelId);
    const conversationId = await deps.conversations.ensure(flat);
    const id = await deps.conversations.append({
      conversationId,
      author: 'bot',
      text: reply.text,
      reply,
      visibleTo: null,
    });
    return { surface: 'console', conversation: flat, messageId: String(id) };
  };

  return {
    name: 'console',
    post,
    // The console serves the reports itself: a file becomes a download link to its report route
    // (the page adds the viewer's `user`), posted under the message it belongs to. No upload.
    attach: async (conversation, files) => {
      const links = files.filter((f) => f.consolePath?.startsWith('/console/api/reports/'));
      if (links.length === 0) return;
      await post(
        conversation,
        reply([
          { type: 'context', text: `Download: ${links.map((f) => `[${f.title}](${f.consolePath})`).join(' · ')}` },
        ]),
      );
    },
    update: async (message, reply) => {
      const id = Number(message.messageId);
      if (!Number.isSafeInteger(id) || !(await deps.conversations.updateReply(id, reply))) {
        throw notFound(`console message ${message.messageId} no longer exists`);
      }
    },
    approvalChannels: () => [consoleConversation(consoleChannel)],
    directory: {
      hint: `the console's people are ${people.map((p) => p.userId).join(', ') || 'none'}`,
      lookup: async (workspaceId, ref) => {
        if (workspaceId !== consoleWorkspaceId) return null;
        const wanted = ref.toLowerCase();
        const p = people.find((x) => x.userId.toLowerCase() === wanted || x.displayName.toLowerCase() === wanted);
        return p ? { userId: p.userId, displayName: p.displayName, ...(p.email ? { email: p.email } : {}) } : null;
      },
    },
  };
};
