import type { DirectoryUser, UserDirectory } from '../../chat/directory.ts';
import { AppError, badRequest, notFound } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { conversationOf, type InboundActivity, type TeamsMention } from './activity.ts';
import type { Connector } from './connector.ts';

/**
 * Teams people. A Teams user is an `Actor` by Entra object id (`from.aadObjectId`, the same in
 * every chat and team of the tenant) with the name the activity carries; roles come from the core.
 *
 * `grant @Alice approver`: Teams sends `<at>Alice</at>` in the text and a mention entity with her
 * Bot Framework id (`29:…`), not her object id; the grammar reads the mention as a name. The
 * surface remembers the mentions of each message it hands the engine (`MentionBook`, per tenant,
 * a few minutes), and the directory resolves such a name to the person mentioned: the connector's
 * `GET /v3/conversations/{id}/members/{29:…}` gives her object id. A bare name nobody mentioned is
 * not looked up (Teams has no cheap name search; names are not unique): the answer asks for a mention.
 */
interface Seen {
  mention: TeamsMention;
  /** The conversation the mention was made in (the member lookup goes there). */
  activity: InboundActivity;
  tenantId: string;
  until: number;
}

export interface MentionBook {
  remember(tenantId: string, activity: InboundActivity, mentions: TeamsMention[]): void;
  find(tenantId: string, name: string): Seen | undefined;
}

const keyOf = (tenantId: string, name: string): string => `${tenantId}\u0000${name.trim().toLowerCase()}`;

export const createMentionBook = (o: { now: () => Date; ttlMs?: number; max?: number }): MentionBook => {
  const ttl = o.ttlMs ?? 10 * 60_000;
  const max = o.max ?? 2_000;
  const seen = new Map<string, Seen>();
  return {
    remember: (tenantId, activity, mentions) => {
      for (const m of mentions) {
        if (m.mentioned.id === activity.recipient?.id || !m.mentioned.name) continue;
        const key = keyOf(tenantId, m.mentioned.name);
        seen.delete(key);
        seen.set(key, { mention: m, activity, tenantId, until: o.now().getTime() + ttl });
        if (seen.size > max) seen.delete(seen.keys().next().value!);
      }
    },
    find: (tenantId, name) => {
      const hit = seen.get(keyOf(tenantId, name));
      return hit && hit.until > o.now().getTime() ? hit : undefined;
    },
  };
};

/** `grant` for someone who has not talked to the bot yet: a person @mentioned in the grant itself. */
export const teamsDirectory = (d: { mentions: MentionBook; connector: Connector; logger: Logger }): UserDirectory => ({
  hint: '@mention them in the same message (type @ and pick them from Teams’ list) so I can look them up, or ask them to talk to me once',
  lookup: async (tenantId, ref): Promise<DirectoryUser | null> => {
    const hit = d.mentions.find(tenantId, ref);
    if (!hit) return null;
    const { mentioned } = hit.mention;
    if (mentioned.aadObjectId) return { userId: mentioned.aadObjectId, displayName: mentioned.name ?? ref };
    if (mentioned.id.startsWith('28:')) throw badRequest(`${mentioned.name ?? ref} is a bot: roles are for people.`);
    let member;
    try {
      const { surface, workspaceId, channelId } = conversationOf(hit.activity, tenantId);
      member = await d.connector.member({ surface, workspaceId, channelId }, mentioned.id);
    } catch (e) {
      const status = (e as { status?: unknown }).status;
      if (status === 404) throw notFound(`Teams has no member ${mentioned.name ?? ref} in this conversation.`);
      d.logger.warn({ err: e }, 'the Bot Connector could not look up a mentioned member');
      throw new AppError(
        'unavailable',
        `I could not look ${mentioned.name ?? ref} up in Teams just now; try again in a moment.`,
        {
          cause: e,
        },
      );
    }
    if (!member.aadObjectId) throw notFound(`Teams gave no Entra object id for ${mentioned.name ?? ref}.`);
    return { userId: member.aadObjectId, displayName: member.name ?? mentioned.name ?? ref };
  },
});
