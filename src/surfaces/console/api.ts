import { z } from 'zod';
import { actorKey, conversationKey, Role, type Actor, type ConversationRef } from '../../chat/actor.ts';
import type { Reply } from '../../chat/reply.ts';
import type { ConversationEngine, ConversationStore, StoredMessage } from '../../engine/engine.ts';
import { badRequest, notFound } from '../../errors.ts';
import { HttpError } from '../../http/errors.ts';
import { json, type HttpRequest, type HttpResponse, type Route } from '../../http/route.ts';
import { streamLive, type StreamLiveOptions } from '../../http/sse.ts';
import type { LiveBus } from '../../util/live.ts';
import { createTurnProgress, type TurnProgress } from './progress.ts';
import { consoleChannel, consoleConversation, consoleWorkspaceId, type ConsoleSurface } from './surface.ts';

/** The console JSON API (see README.md in this folder). */
export const ConsoleUser = z.object({ userId: z.string(), displayName: z.string(), role: Role });
export type ConsoleUser = z.infer<typeof ConsoleUser>;

export interface ConsoleApiDeps {
  conversations: Pick<ConversationStore, 'list'>;
  engine: ConversationEngine;
  surface: ConsoleSurface;
  /** The seeded console users (alice, bob, carol, dave) and their roles; owned by the users module. */
  listConsoleUsers: () => Promise<ConsoleUser[]>;
  clock?: () => Date;
  /** Where running turns keep their newest step (default: this process's memory, bounded; see progress.ts). */
  progress?: TurnProgress;
  /** The scan reports to download (no report routes without it). */
  reports?: ReportsPort;
  /** Live events (no `/console/api/events` without it: the page then polls). */
  live?: Pick<LiveBus, 'subscribe'>;
  /** Heartbeat and limits of the event streams (src/http/sse.ts). */
  liveOptions?: StreamLiveOptions;
}

/** Which findings a report holds (`status` defaults to open: unsuppressed and unresolved). */
export interface ReportFilter {
  status?: 'open' | 'suppressed' | 'resolved';
  category?: 'cost' | 'security';
  severity?: 'critical' | 'high' | 'medium' | 'low' | 'info';
  /** An owner as the scan digests name it (`unowned` included). */
  owner?: string;
}

/** Reads and renders scan reports for a workspace; `html` of an unknown framework throws not_found. */
export interface ReportsPort {
  /** The frameworks a compliance report can be downloaded for. */
  frameworks: readonly { id: string; name: string; version: string }[];
  csv(workspaceId: string, filter: ReportFilter): Promise<string>;
  ocsf(workspaceId: string, filter: ReportFilter): Promise<unknown[]>;
  html(workspaceId: string, framework: string): Promise<string>;
}

/**
 * Pollers get `now` a little in the past: a row's timestamp is taken when its statement starts,
 * so a message committed just after a poll may carry a time before that poll. The overlap
 * re-sends the last moments; the page de-duplicates by id and updatedAt.
 */
export const pollOverlapMs = 2_000;
const pollLimit = 500;

const channel = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,79}$/, 'must be 1-80 lowercase letters, digits, - or _')
  .default(consoleChannel);
const user = z.string().min(1).max(100);

const TurnBody = z.object({ user, text: z.string().trim().min(1, 'must not be empty').max(40_000), channel });
const InteractionBody = z.object({
  user,
  actionId: z.string().min(1).max(100),
  value: z.string().max(2000),
  inputs: z.record(z.string(), z.string().max(2000)).optional(),
  channel,
});
const MessagesQuery = z.object({ user, channel, since: z.iso.datetime({ offset: true }).optional() });
const EventsQuery = z.object({ user, channel });
const OptionsQueryParams = z.object({
  user,
  channel,
  source: z.string().min(1).max(200),
  query: z.string().max(200).default(''),
});

const ReportQuery = z.object({
  user,
  status: z.enum(['open', 'suppressed', 'resolved']).optional(),
  category: z.enum(['cost', 'security']).optional(),
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']).optional(),
  owner: z.string().trim().min(1).max(200).optional(),
});
const frameworkPath = /^\/console\/api\/reports\/compliance\/([a-z0-9][a-z0-9-]{0,39})\.html$/i;

export const toWireMessage = (m: StoredMessage) => ({
  id: m.id,
  author: m.author,
  actorKey: m.actorKey,
  text: m.text,
  reply: m.reply,
  createdAt: m.createdAt.toISOString(),
  updatedAt: m.updatedAt.toISOString(),
});

/** Requests on the API must be JSON: a cross-site form cannot send it without a CORS preflight. */
const requireJson = (req: HttpRequest): void => {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'expected Content-Type: application/json');
};

export const consoleApiRoutes = (deps: ConsoleApiDeps): Route[] => {
  const clock = deps.clock ?? (() => new Date());
  const progress = deps.progress ?? createTurnProgress({ clock });

  const actorFor = async (userId: string): Promise<Actor> => {
    const known = (await deps.listConsoleUsers()).find((u) => u.userId === userId);
    if (!known) throw badRequest('unknown console user');
    return { surface: 'console', workspaceId: consoleWorkspaceId, userId, displayName: known.displayName };
  };

  /** A change card the engine stored in the channel is this surface's copy of it: register it for updates. */
  const trackCards = async (conversation: ConversationRef, replies: Reply[]): Promise<void> => {
    for (const r of replies) {
      if (r.changeId && r.messageId)
        await deps.engine.cardPosted(r.changeId, { surface: 'console', conversation, messageId: r.messageId });
    }
  };

  const day = () => clock().toISOString().slice(0, 10);
  /** A download: saved under `filename`, never rendered in the console's origin. */
  const attachment = (type: string, filename: string, body: string): HttpResponse => ({
    status: 200,
    headers: {
      'content-type': type,
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // The compliance page needs its inline style and nothing else; the others need nothing.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    },
    body,
  });
  const reportRoutes = (reports: ReportsPort): Route[] => [
    {
      // What the page's Reports menu offers.
      method: 'GET',
      path: '/console/api/reports',
      handle: () => json(200, { frameworks: reports.frameworks }),
    },
    {
      method: 'GET',
      path: '/console/api/reports/findings.csv',
      handle: async (req) => {
        const { user: userId, ...filter } = req.query(ReportQuery);
        const actor = await actorFor(userId);
        const csv = await reports.csv(actor.workspaceId, filter);
        return attachment('text/csv; charset=utf-8; header=present', `findings-${day()}.csv`, csv);
      },
    },
    {
      method: 'GET',
      path: '/console/api/reports/findings.ocsf.json',
      handle: async (req) => {
        const { user: userId, ...filter } = req.query(ReportQuery);
        const actor = await actorFor(userId);
        const events = await reports.ocsf(actor.workspaceId, filter);
        return attachment('application/json; charset=utf-8', `findings-${day()}.ocsf.json`, JSON.stringify(events));
      },
    },
    {
      method: 'GET',
      path: '/console/api/reports/compliance',
      prefix: true,
      handle: async (req) => {
        const m = frameworkPath.exec(req.path);
        if (!m?.[1])
          throw notFound(
            'No such report: compliance reports are at /console/api/reports/compliance/<framework>.html, e.g. cis-aws.html.',
          );
        const { user: userId } = req.query(z.object({ user }));
        const actor = await actorFor(userId);
        const framework = m[1].toLowerCase();
        const html = await reports.html(actor.workspaceId, framework);
        return attachment('text/html; charset=utf-8', `compliance-${framework}-${day()}.html`, html);
      },
    },
  ];

  /**
   * The channel's live notices (server-sent events): one `message` event per message stored or
   * updated there, ids only; the page fetches /messages on each, as it would have polled.
   */
  const eventsRoute = (live: Pick<LiveBus, 'subscribe'>): Route => ({
    method: 'GET',
    path: '/console/api/events',
    handle: async (req) => {
      const q = req.query(EventsQuery);
      await actorFor(q.user);
      const key = conversationKey(consoleConversation(q.channel));
      return streamLive(req, live, (e) => e.kind === 'message' && e.conversationKey === key, deps.liveOptions);
    },
  });

  return [
    ...(deps.reports ? reportRoutes(deps.reports) : []),
    ...(deps.live ? [eventsRoute(deps.live)] : []),
    {
      method: 'GET',
      path: '/console/api/users',
      handle: async () =>
        json(200, {
          users: (await deps.listConsoleUsers()).map(({ userId, displayName, role }) => ({
            userId,
            displayName,
            role,
          })),
        }),
    },
    {
      method: 'POST',
      path: '/console/api/turn',
      handle: async (req) => {
        requireJson(req);
        const body = req.json(TurnBody);
        const actor = await actorFor(body.user);
        const conversation = consoleConversation(body.channel);
        // The page polls /messages while this request runs: the sink lets it show the turn's steps.
        const replies = await progress.run(
          { conversation: conversationKey(conversation), viewer: actorKey(actor) },
          () => deps.engine.handleTurn({ actor, conversation, text: body.text }),
        );
        await trackCards(conversation, replies);
        return json(200, { replies });
      },
    },
    {
      method: 'POST',
      path: '/console/api/interaction',
      handle: async (req) => {
        requireJson(req);
        const body = req.json(InteractionBody);
        const actor = await actorFor(body.user);
        const conversation = consoleConversation(body.channel);
        const replies = await deps.engine.handleInteraction({
          actor,
          conversation,
          actionId: body.actionId,
          value: body.value,
          ...(body.inputs ? { inputs: body.inputs } : {}),
        });
        // The engine stored the replies in the channel (ephemeral ones for this user only).
        await trackCards(conversation, replies);
        return json(200, { replies });
      },
    },
    {
      // A search field's choices for what was typed so far (the page fills a datalist with them).
      method: 'GET',
      path: '/console/api/options',
      handle: async (req) => {
        const q = req.query(OptionsQueryParams);
        const actor = await actorFor(q.user);
        const options = await deps.engine.options({
          actor,
          conversation: consoleConversation(q.channel),
          source: q.source,
          query: q.query,
        });
        return json(200, { options });
      },
    },
    {
      method: 'GET',
      path: '/console/api/messages',
      handle: async (req) => {
        const q = req.query(MessagesQuery);
        const actor = await actorFor(q.user);
        const now = new Date(clock().getTime() - pollOverlapMs);
        const key = { conversation: conversationKey(consoleConversation(q.channel)), viewer: actorKey(actor) };
        const rows = await deps.conversations.list(key.conversation, {
          viewerKey: key.viewer,
          ...(q.since ? { updatedSince: new Date(q.since), limit: pollLimit } : {}),
        });
        return json(200, { messages: rows.map(toWireMessage), now: now.toISOString(), progress: progress.latest(key) });
      },
    },
  ];
};
