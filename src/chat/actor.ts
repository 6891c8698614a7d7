import { z } from 'zod';
import { chatText } from './text.ts';

/** Where a conversation happens. Every surface adapter has one name. */
export const SurfaceName = z.enum(['slack', 'teams', 'console']);
export type SurfaceName = z.infer<typeof SurfaceName>;

/** Roles per workspace user, in increasing power. */
export const Role = z.enum(['viewer', 'operator', 'approver', 'admin']);
export type Role = z.infer<typeof Role>;
export const roleRank: Record<Role, number> = { viewer: 0, operator: 1, approver: 2, admin: 3 };
export const roleAtLeast = (role: Role, min: Role): boolean => roleRank[role] >= roleRank[min];

/** A person on a surface: Slack user in a team, Teams user in a tenant, or a console user. */
export const Actor = z.object({
  surface: SurfaceName,
  /** Slack team id, Teams tenant id, or `console`. */
  workspaceId: z.string().min(1),
  userId: z.string().min(1),
  /** From the platform's profile (stored with the user): normalised like typed text. */
  displayName: chatText(z.string().min(1)),
});
export type Actor = z.infer<typeof Actor>;

/**
 * Where to post: a channel or DM, optionally a thread. `native` keeps what a surface needs to post
 * into it later (e.g. a Teams conversation reference); only that surface reads it.
 */
export const ConversationRef = z.object({
  surface: SurfaceName,
  workspaceId: z.string().min(1),
  channelId: z.string().min(1),
  threadId: z.string().min(1).optional(),
  native: z.record(z.string(), z.unknown()).optional(),
});
export type ConversationRef = z.infer<typeof ConversationRef>;

/** Stable key of a conversation, used as the stored conversation's unique key. */
export const conversationKey = (c: ConversationRef): string =>
  [c.surface, c.workspaceId, c.channelId, c.threadId ?? ''].join(':');

export const actorKey = (a: Pick<Actor, 'surface' | 'workspaceId' | 'userId'>): string =>
  `${a.surface}:${a.workspaceId}:${a.userId}`;
