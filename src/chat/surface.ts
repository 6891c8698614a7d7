import type { ConversationRef, SurfaceName } from './actor.ts';
import type { UserDirectory } from './directory.ts';
import type { Reply } from './reply.ts';

/** Where a posted message lives, so it can be updated in place later. Opaque to everyone but its surface. */
export interface PostedMessage {
  surface: SurfaceName;
  conversation: ConversationRef;
  /** Slack `ts`, Teams activity id, console message id. */
  messageId: string;
}

/**
 * A file to attach in a conversation (a report). `consolePath` is where the console serves the
 * same content (`/console/api/reports/…`, without the `user` parameter): surfaces that link rather
 * than upload (the console itself, a Teams chat without Graph) point there.
 */
export interface ChatFile {
  /** File name with its extension (`findings-platform-2026-12-02.csv`). */
  name: string;
  title: string;
  mimeType: string;
  bytes: Uint8Array;
  consolePath?: string;
}

/**
 * The port every chat surface implements for outbound messages that are not a direct answer to a
 * turn: change results, approval cards in an approvals channel, digests, incident threads.
 */
export interface ChatSurface {
  readonly name: SurfaceName;
  /** Posts a reply into a conversation (a thread when `threadId` is set). */
  post(conversation: ConversationRef, reply: Reply): Promise<PostedMessage>;
  /** Replaces a previously posted message (e.g. an approval card after a decision). */
  update(message: PostedMessage, reply: Reply): Promise<void>;
  /**
   * Attaches files in a conversation (in the thread `threadId` names): uploaded where the platform
   * allows a bot to, else linked or explained there. Optional: a surface without it gets no files.
   */
  attach?(conversation: ConversationRef, files: readonly ChatFile[]): Promise<void>;
  /** Conversations that must also get every approval card (e.g. the Slack approvals channel). */
  approvalChannels(workspaceId: string): ConversationRef[];
  /** The platform's people, for granting a role to someone who has not talked to the bot yet. */
  readonly directory?: UserDirectory;
}
