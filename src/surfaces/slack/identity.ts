import type { Actor } from '../../chat/actor.ts';
import type { DirectoryUser } from '../../chat/directory.ts';
import { AppError, badRequest, notFound } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { slackError, type WebClient } from './web.ts';

/**
 * Slack user → Actor. The display name comes from users.info, cached (an approval burst must not
 * spend Slack's rate limit on the same few people). Roles are not decided here: the engine looks
 * them up per workspace user (users/repository.ts), with BOOTSTRAP_ADMINS holding Slack user ids.
 */
export interface Identity {
  actor(client: WebClient, teamId: string, userId: string, hint?: string): Promise<Actor>;
  /**
   * A member of the workspace by user id, for the user directory (grant before they talk): null
   * never; throws an AppError for the admin when Slack has no such user, or a deactivated one or a
   * bot, and when Slack cannot be asked now.
   */
  member(client: WebClient, teamId: string, userId: string): Promise<DirectoryUser>;
}

type SlackUser = {
  name?: string;
  real_name?: string;
  deleted?: boolean;
  is_bot?: boolean;
  profile?: { display_name?: string; real_name?: string; email?: string };
};
/** The name Slack shows for someone: display name, else real name, else handle. */
const nameOf = (u: SlackUser | undefined): string | undefined =>
  (u?.profile?.display_name || u?.profile?.real_name || u?.real_name || u?.name)?.trim() || undefined;

interface Entry {
  name: string;
  until: number;
}

export const createIdentity = (o: { logger: Logger; now: () => Date; ttlMs?: number; max?: number }): Identity => {
  const ttl = o.ttlMs ?? 10 * 60_000;
  const max = o.max ?? 5_000;
  const cache = new Map<string, Entry>();

  const lookup = async (client: WebClient, userId: string): Promise<string | undefined> => {
    try {
      const res = await client.users.info({ user: userId });
      return nameOf(res.user);
    } catch (e) {
      // An unknown or deleted user still gets an answer: under their id, not a failure.
      o.logger.warn(
        { userId, slackError: slackError(e) ?? String(e) },
        'users.info failed; using the user id as the display name',
      );
      return undefined;
    }
  };

  return {
    actor: async (client, teamId, userId, hint) => {
      const key = `${teamId}:${userId}`;
      const now = o.now().getTime();
      const hit = cache.get(key);
      let name = hit && hit.until > now ? hit.name : undefined;
      if (hit && name !== undefined) {
        // Most recently used last: the first key is the one to evict.
        cache.delete(key);
        cache.set(key, hit);
      }
      if (name === undefined) {
        const found = await lookup(client, userId);
        name = found ?? hint ?? userId;
        // A failed lookup is retried sooner than a good one expires.
        cache.delete(key);
        cache.set(key, { name, until: now + (found ? ttl : Math.min(ttl, 60_000)) });
        if (cache.size > max) cache.delete(cache.keys().next().value!);
      }
      return { surface: 'slack', workspaceId: teamId, userId, displayName: name };
    },
    member: async (client, teamId, userId) => {
      let u: SlackUser | undefined;
      try {
        u = (await client.users.info({ user: userId })).user;
      } catch (e) {
        const code = slackError(e);
        if (code === 'user_not_found' || code === 'user_not_visible')
          throw notFound(`Slack has no user ${userId} in this workspace.`);
        o.logger.warn({ userId, slackError: code ?? String(e) }, 'users.info failed while looking up a member');
        throw new AppError(
          'unavailable',
          `I could not look ${userId} up in Slack just now (${code ?? 'no answer'}); try again in a moment.`,
          { cause: e },
        );
      }
      if (u?.deleted) throw notFound(`${nameOf(u) ?? userId} (${userId}) was deactivated in Slack.`);
      if (u?.is_bot) throw badRequest(`${nameOf(u) ?? userId} (${userId}) is a bot: roles are for people.`);
      const displayName = nameOf(u) ?? userId;
      // Their first turn will not need to ask again.
      cache.delete(`${teamId}:${userId}`);
      cache.set(`${teamId}:${userId}`, { name: displayName, until: o.now().getTime() + ttl });
      if (cache.size > max) cache.delete(cache.keys().next().value!);
      return { userId, displayName, ...(u?.profile?.email ? { email: u.profile.email } : {}) };
    },
  };
};
