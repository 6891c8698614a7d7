import type { ConversationRef } from '../../chat/actor.ts';
import type { UserDirectory } from '../../chat/directory.ts';
import type { ChatSurface } from '../../chat/surface.ts';
import type { Identity } from './identity.ts';
import type { Delivery } from './deliver.ts';
import type { WebClient } from './web.ts';

/**
 * The Slack ChatSurface: what the engine's notifier uses outside a request (approval-channel
 * copies of a card, updating every copy after a decision, results in the requester's thread).
 * Each call uses the bot token of the conversation's workspace.
 */
export type ClientForTeam = (teamId: string) => Promise<WebClient>;

/**
 * SLACK_APPROVALS_CHANNEL: a channel id for every workspace (`C0123`), or per workspace
 * (`T01:C0123,T02:C0456`) when one deployment serves several.
 */
export const parseApprovalChannels = (value: string | undefined): { any?: string; byTeam: Map<string, string> } => {
  const byTeam = new Map<string, string>();
  let any: string | undefined;
  for (const part of (value ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^#/, ''))
    .filter(Boolean)) {
    const [team, channel] = part.includes(':') ? part.split(':', 2) : [undefined, part];
    if (team && channel) byTeam.set(team, channel);
    else if (channel) any = channel;
  }
  return { any, byTeam };
};

/** A Slack user id as a mention gives it (`<@U0123>` reaches the engine as `@U0123`). */
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * The workspace's members for `grant`: by user id (a mention), through users.info. Not by name:
 * that needs users.list, which pages through the whole workspace (tens of thousands of people on a
 * large one) at a low rate limit, and names are not unique; a mention is exact and one call.
 */
export const slackDirectory = (d: { clientFor: ClientForTeam; identity: Pick<Identity, 'member'> }): UserDirectory => ({
  hint: 'mention them (type @ and pick them from Slack’s list) so I can look them up in Slack, or ask them to talk to me once',
  lookup: async (teamId, ref) => (USER_ID.test(ref) ? d.identity.member(await d.clientFor(teamId), teamId, ref) : null),
});

export const createSlackChatSurface = (d: {
  clientFor: ClientForTeam;
  delivery: Delivery;
  approvalsChannel?: string;
  directory?: UserDirectory;
}): ChatSurface => {
  const approvals = parseApprovalChannels(d.approvalsChannel);
  return {
    name: 'slack',
    ...(d.directory ? { directory: d.directory } : {}),
    // The port names no recipient, so an ephemeral reply posted here is shown to the whole conversation.
    post: async (conversation, reply) =>
      d.delivery.post(await d.clientFor(conversation.workspaceId), conversation, { ...reply, ephemeral: false }),
    // Slack's upload flow (files.upload is retired): files.getUploadURLExternal per file, the bytes
    // POSTed to the upload_url it returns, then files.completeUploadExternal shares them in the
    // channel or thread. The SDK's filesUploadV2 makes those calls; needs the files:write scope.
    attach: async (conversation, files) => {
      if (files.length === 0) return;
      const client = await d.clientFor(conversation.workspaceId);
      await client.filesUploadV2({
        channel_id: conversation.channelId,
        ...(conversation.threadId ? { thread_ts: conversation.threadId } : {}),
        file_uploads: files.map((f) => ({ file: Buffer.from(f.bytes), filename: f.name, title: f.title })),
      });
    },
    update: async (message, reply) => {
      const client = await d.clientFor(message.conversation.workspaceId);
      await d.delivery.update(client, message.conversation.channelId, message.messageId, reply);
    },
    approvalChannels: (workspaceId): ConversationRef[] => {
      const channelId = approvals.byTeam.get(workspaceId) ?? approvals.any;
      return channelId ? [{ surface: 'slack', workspaceId, channelId }] : [];
    },
  };
};
