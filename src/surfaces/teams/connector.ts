import type { Activity, ConversationReference } from '@microsoft/agents-activity';
import { z } from 'zod';
import type { CloudAdapter, ConnectorClient, TurnContext } from '@microsoft/agents-hosting';
import type { ConversationRef } from '../../chat/actor.ts';
import { AppError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { teamsConversationId } from './activity.ts';
import type { ConversationReferences } from './store/conversations.ts';

/**
 * Every message the bot sends to Teams, in answer to a turn or on its own (a change result from a
 * job, an approval card after a restart): a turn's answer goes out after Teams got its ack, so
 * both are proactive. The SDK's own path does it: `adapter.continueConversation` with the stored
 * conversation reference, then `sendActivity` / `updateActivity` / `deleteActivity` on its context
 * (POST / PUT / DELETE on the Bot Connector at the conversation's serviceUrl, with the bot's token).
 *
 * The Bot Connector's answers:
 * - 429 → wait `Retry-After` (capped), 5xx or no answer → back off exponentially; at most
 *   `retries` times, then give up with an error log line (the caller decides what else to do);
 * - 403 / 404 → the bot is no longer in that conversation (removed from the team, chat deleted):
 *   the conversation is marked removed and later posts are skipped at once (`TeamsConversationGone`),
 *   until Teams sends an activity from it again.
 */
export class TeamsConversationGone extends AppError {
  constructor(conversationId: string, reason: string) {
    super('not_found', `the bot can no longer post in Teams conversation ${conversationId} (${reason})`);
    this.name = 'TeamsConversationGone';
  }
}

/** Where a stored reference keeps the channel's team (`channelData.team`), beside the SDK's fields. */
export const teamKey = 'teamsTeam';
const StoredTeam = z.looseObject({ id: z.string().min(1), aadGroupId: z.string().min(1).optional() });
const TeamDetails = z.looseObject({ aadGroupId: z.string().min(1) });

export interface RetryTuning {
  /** Retries after the first attempt (default 5). */
  retries?: number;
  /** First backoff after a 5xx (doubled each time; default 1 s). */
  backoffMs?: number;
  /** Longest Retry-After honoured (default 60 s). */
  maxRetryAfterMs?: number;
}

export interface Connector {
  /** Posts an activity; returns its id ('' when the connector gave none, as for typing). */
  send(ref: ConversationRef, activity: Partial<Activity>): Promise<string>;
  update(ref: ConversationRef, activityId: string, activity: Partial<Activity>): Promise<void>;
  remove(ref: ConversationRef, activityId: string): Promise<void>;
  /** The connector's view of one member of a conversation (Entra object id, name). */
  member(ref: ConversationRef, userId: string): Promise<{ id: string; name?: string; aadObjectId?: string }>;
  /**
   * What a stored conversation is (`personal`, `groupChat`, `channel`) and, for a channel, its
   * team's Microsoft 365 group id (what Microsoft Graph calls the team): as Teams sent it, else
   * asked of the Bot Connector (`GET /v3/teams/{team}`).
   */
  place(ref: ConversationRef): Promise<{ conversationType: string; teamGroupId?: string }>;
}

const statusOf = (e: unknown): number | undefined => {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
};

const retryAfterMs = (e: unknown): number | undefined => {
  const headers = (e as { response?: { headers?: { get?: (n: string) => string | null } } } | null)?.response?.headers;
  const value = typeof headers?.get === 'function' ? headers.get('retry-after') : null;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const createConnector = (d: {
  adapter: CloudAdapter;
  /** The bot's app id; undefined in anonymous mode (outbound calls then carry no token). */
  appId: string | undefined;
  references: ConversationReferences;
  logger: Logger;
  now: () => Date;
  tuning?: RetryTuning;
}): Connector => {
  const log = d.logger.child({ component: 'teams-connector' });
  const retries = d.tuning?.retries ?? 5;
  const backoffMs = d.tuning?.backoffMs ?? 1_000;
  const maxRetryAfterMs = d.tuning?.maxRetryAfterMs ?? 60_000;
  // Anonymous: an identity without an audience makes the SDK send without a token.
  const identity = d.appId ?? { name: 'anonymous' };

  const run = async <T>(
    ref: ConversationRef,
    what: string,
    call: (ctx: TurnContext, conversationId: string) => Promise<T>,
    /** A 403/404 means the bot left the conversation (not so for a member lookup: that member is unknown). */
    marksRemoved = true,
  ): Promise<T> => {
    const stored = await d.references.get(ref.channelId);
    if (!stored)
      throw new AppError(
        'not_found',
        `no Teams conversation ${ref.channelId} is known: add the bot there (or talk to it there) first`,
      );
    if (stored.removedAt) throw new TeamsConversationGone(ref.channelId, stored.removedReason ?? 'removed');
    const conversationId = teamsConversationId(ref);
    const { [teamKey]: _team, ...base } = stored.reference as unknown as ConversationReference & {
      [teamKey]?: unknown;
    };
    const reference: ConversationReference = {
      ...base,
      serviceUrl: stored.serviceUrl,
      conversation: { ...base.conversation, id: conversationId },
    };
    for (let attempt = 0; ; attempt++) {
      try {
        let out: T | undefined;
        let failure: { error: unknown } | undefined;
        // The adapter hands errors thrown in here to onTurnError and resolves: keep ours.
        await d.adapter.continueConversation(identity, reference, async (ctx) => {
          try {
            out = await call(ctx, conversationId);
          } catch (error) {
            failure = { error };
          }
        });
        if (failure) throw failure.error;
        return out as T;
      } catch (e) {
        const status = statusOf(e);
        if (marksRemoved && (status === 403 || status === 404)) {
          const reason = `${what}: the Bot Connector answered ${status}`;
          await d.references
            .markRemoved(ref.channelId, reason, d.now())
            .catch((err: unknown) => log.error({ err }, 'could not mark a Teams conversation removed'));
          log.warn(
            { conversationId: ref.channelId, status, what },
            'the bot can no longer post in this Teams conversation: marked removed, later posts are skipped',
          );
          throw new TeamsConversationGone(ref.channelId, reason);
        }
        const transient = status === 429 || status === undefined || status >= 500;
        if (!marksRemoved && !transient) throw e;
        if (!transient || attempt >= retries) {
          log.error(
            { conversationId: ref.channelId, status: status ?? 'network', what, attempts: attempt + 1, err: e },
            transient ? 'the Bot Connector kept failing; gave up' : 'the Bot Connector refused a call',
          );
          throw e;
        }
        const wait =
          status === 429
            ? Math.min(retryAfterMs(e) ?? backoffMs * 2 ** attempt, maxRetryAfterMs)
            : backoffMs * 2 ** attempt;
        log.warn(
          { conversationId: ref.channelId, status: status ?? 'network', what, attempt: attempt + 1, waitMs: wait },
          'the Bot Connector did not take a call; retrying',
        );
        await sleep(wait);
      }
    }
  };

  const client = (ctx: TurnContext): ConnectorClient =>
    ctx.turnState.get<ConnectorClient>(d.adapter.ConnectorClientKey);

  return {
    place: async (ref) => {
      const stored = await d.references.get(ref.channelId);
      if (!stored) throw new AppError('not_found', `no Teams conversation ${ref.channelId} is known`);
      const conversationType = stored.conversationType;
      if (conversationType !== 'channel') return { conversationType };
      const team = StoredTeam.safeParse(stored.reference[teamKey]);
      if (team.success && team.data.aadGroupId) return { conversationType, teamGroupId: team.data.aadGroupId };
      // A team's General channel has the team's own id; activities name the team otherwise.
      const teamId = team.success ? team.data.id : ref.channelId;
      const details = await run(
        ref,
        'team',
        async (ctx) => (await client(ctx).httpClient.get(`v3/teams/${encodeURIComponent(teamId)}`)).data,
        false,
      );
      const parsed = TeamDetails.safeParse(details);
      return parsed.success ? { conversationType, teamGroupId: parsed.data.aadGroupId } : { conversationType };
    },
    send: (ref, activity) =>
      run(ref, 'send', async (ctx) => {
        const res = await ctx.sendActivity(activity as Activity);
        return res?.id ?? '';
      }),
    update: (ref, activityId, activity) =>
      run(ref, 'update', async (ctx) => {
        await ctx.updateActivity({ type: 'message', ...activity, id: activityId } as Activity);
      }),
    remove: (ref, activityId) =>
      run(ref, 'delete', async (ctx) => {
        await ctx.deleteActivity(activityId);
      }),
    member: (ref, userId) =>
      run(
        ref,
        'member',
        async (ctx, conversationId) => {
          const m = (await client(ctx).getConversationMember(userId, conversationId)) as {
            id?: string;
            name?: string;
            aadObjectId?: string;
          };
          return {
            id: m.id ?? userId,
            ...(m.name ? { name: m.name } : {}),
            ...(m.aadObjectId ? { aadObjectId: m.aadObjectId } : {}),
          };
        },
        false,
      ),
  };
};
