import type { ConversationRef } from '../../chat/actor.ts';
import type { UserDirectory } from '../../chat/directory.ts';
import type { ChatFile, ChatSurface } from '../../chat/surface.ts';
import type { Delivery } from './deliver.ts';

/**
 * TEAMS_APPROVALS_CONVERSATION: a conversation id for every tenant (`19:…@thread.tacv2`), or
 * `TENANT:CONVERSATION` pairs (`<tenant guid>:19:…`) when one deployment serves several tenants.
 * Conversation ids contain colons themselves, so only a leading tenant GUID is read as a tenant.
 */
const TENANT_PAIR = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(.+)$/i;

export const parseApprovalConversations = (
  value: string | undefined,
): { any?: string; byTenant: Map<string, string> } => {
  const byTenant = new Map<string, string>();
  let any: string | undefined;
  for (const part of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const pair = TENANT_PAIR.exec(part);
    if (pair) byTenant.set(pair[1]!.toLowerCase(), pair[2]!);
    else any = part;
  }
  return { any, byTenant };
};

/**
 * The Teams ChatSurface: what the engine's notifier uses outside a request (approval cards in
 * the approvals conversation, every copy updated after a decision, results in the requester's
 * chat or thread), through the stored conversation references (connector.ts), so it works from
 * jobs and after restarts. A channel conversation gets a new post; a thread, a reply in it.
 */
export const createTeamsChatSurface = (d: {
  delivery: Delivery;
  approvalsConversation?: string;
  directory?: UserDirectory;
  /** Files in a thread (files.ts: Microsoft Graph in a channel, an explanation elsewhere). */
  files?: { attach(conversation: ConversationRef, files: readonly ChatFile[]): Promise<void> };
}): ChatSurface => {
  const approvals = parseApprovalConversations(d.approvalsConversation);
  return {
    name: 'teams',
    ...(d.directory ? { directory: d.directory } : {}),
    // The port names no recipient: a private reply posted here is seen by the whole conversation.
    post: (conversation, reply) => d.delivery.post(conversation, { ...reply, ephemeral: false }),
    update: (message, reply) => d.delivery.update(message.conversation, message.messageId, reply),
    ...(d.files ? { attach: d.files.attach } : {}),
    approvalChannels: (workspaceId): ConversationRef[] => {
      const channelId = approvals.byTenant.get(workspaceId.toLowerCase()) ?? approvals.any;
      return channelId ? [{ surface: 'teams', workspaceId, channelId }] : [];
    },
  };
};
