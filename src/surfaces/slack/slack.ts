import { App, SocketModeReceiver, webApi, type Receiver } from '@slack/bolt';
import type { ChatSurface } from '../../chat/surface.ts';
import type { Config } from '../../config.ts';
import type { ConversationEngine, ConversationStore } from '../../engine/engine.ts';
import { AppError } from '../../errors.ts';
import type { Route } from '../../http/route.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { currentRequestId, newRequestId, withRequestContext } from '../../observability/request-context.ts';
import { createBackgroundWork } from './background.ts';
import { boltLogger } from './bolt-logger.ts';
import { createDelivery } from './deliver.ts';
import { registerEvents } from './events.ts';
import { createIdentity } from './identity.ts';
import type { SlackInstallationStore } from './store/installation-store.ts';
import type { SlackStores } from './store/stores.ts';
import { registerInteractions } from './interactions.ts';
import { createShowMore } from './more.ts';
import { createInstaller, oauthRoutes } from './oauth.ts';
import { createHomePublisher } from './publish-home.ts';
import { createRouteReceiver } from './receiver.ts';
import { createSlackChatSurface, parseApprovalChannels, slackDirectory } from './surface.ts';
import {
  authorizationUrlFor,
  clientOptions,
  createClients,
  slackError,
  type RetryOptions,
  type WebClient,
} from './web.ts';

/**
 * The Slack surface, assembled: Bolt with our receiver (HTTP on the shared server) or Bolt's
 * Socket Mode receiver (SLACK_APP_TOKEN), one bot token (SLACK_BOT_TOKEN) or OAuth installs kept in
 * our database (SLACK_CLIENT_ID…), the listeners, and the ChatSurface the notifier uses.
 */
export interface SlackTuning {
  /** Web API retries (tests: `{ retries: 1 }`); default five over about five minutes. */
  retryConfig?: RetryOptions;
  /** Post "working…" for turns slower than this (≤ 0: always). Default 1.5 s. */
  workingAfterMs?: number;
  /** Answer Slack 200 when no listener acked by then. Default 2.5 s. */
  ackTimeoutMs?: number;
  /** How long a modal submission waits for the engine before closing. Default 2 s. */
  submitBudgetMs?: number;
  /** Engine work started at once after acks (see background.ts). Default 2. */
  maxConcurrentWork?: number;
  /**
   * Socket Mode: how long a ping to Slack may go unanswered before the client reconnects (default
   * 5 s). The SDK also waits this long times the consecutive failures before each reconnect.
   */
  socketClientPingTimeoutMs?: number;
  /** Socket Mode: how long without a ping from Slack before the client reconnects (default 30 s). */
  socketServerPingTimeoutMs?: number;
}

export interface SlackDeps {
  config: Config;
  /** The adapter's own tables (installations, form state): see store/stores.ts. */
  stores: SlackStores;
  /** The engine's conversation history (looked up for thread replies and Show more). */
  conversations: ConversationStore;
  engine: ConversationEngine;
  logger: Logger;
  /** Counts Web API calls (devops_agent_chat_api_calls_total), when given. */
  metrics?: Pick<Metrics, 'chatApiCalls'>;
  now: () => Date;
  sandbox: boolean;
  tuning?: SlackTuning;
}

export interface SlackRuntime {
  readonly mode: 'http' | 'socket';
  readonly surface: ChatSurface;
  /** Mounted on the app's HTTP server: /slack/events (HTTP mode) and the OAuth routes. */
  readonly routes: Route[];
  readonly bolt: App;
  /** Socket Mode: opens the connection. HTTP mode: nothing to do. */
  start(): Promise<void>;
  /** Closes the connection and waits for work in progress. */
  stop(): Promise<void>;
  /** Resolves when every request's background work (engine turns, posts) has finished. */
  idle(): Promise<void>;
}

export const createSlack = async (d: SlackDeps): Promise<SlackRuntime> => {
  const c = d.config;
  const log = d.logger.child({ surface: 'slack' });
  const sdkLogger = boltLogger(d.logger);
  const options = clientOptions({
    apiUrl: c.SLACK_API_URL,
    logger: sdkLogger,
    ...(d.metrics ? { metrics: d.metrics } : {}),
    ...(d.tuning?.retryConfig ? { retryConfig: d.tuning.retryConfig } : {}),
  });
  const clients = createClients(options);
  const work = createBackgroundWork(d.tuning?.maxConcurrentWork ? { limit: d.tuning.maxConcurrentWork } : {});
  const oauth = Boolean(c.SLACK_CLIENT_ID && c.SLACK_CLIENT_SECRET && c.SLACK_STATE_SECRET);
  const token = c.SLACK_BOT_TOKEN;
  if (!oauth && !token)
    throw new AppError(
      'config_invalid',
      'the Slack surface needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET/SLACK_STATE_SECRET',
    );

  if (oauth && !c.TOKEN_ENCRYPTION_KEY)
    throw new AppError(
      'config_invalid',
      'TOKEN_ENCRYPTION_KEY is required with SLACK_CLIENT_ID: stored Slack installations are encrypted with it',
    );
  const installationStore: SlackInstallationStore | undefined = oauth ? d.stores.installations(log) : undefined;
  await installationStore?.prepare();
  const installer = installationStore
    ? createInstaller({
        clientId: c.SLACK_CLIENT_ID!,
        clientSecret: c.SLACK_CLIENT_SECRET!,
        stateSecret: c.SLACK_STATE_SECRET!,
        installationStore,
        clientOptions: options,
        authorizationUrl: authorizationUrlFor(c.SLACK_API_URL),
        logger: sdkLogger,
      })
    : undefined;

  // One workspace: check the token once now (who the bot is), so a wrong token fails the start with its reason.
  let single: { token: string; botId: string; botUserId: string } | undefined;
  if (!installer && token) {
    try {
      const who = await clients(token).auth.test();
      single = { token, botId: String(who.bot_id ?? ''), botUserId: String(who.user_id ?? '') };
      log.info({ team: who.team, teamId: who.team_id, botUserId: who.user_id }, 'Slack bot token accepted');
    } catch (e) {
      throw new AppError(
        'auth_failed',
        `Slack refused SLACK_BOT_TOKEN (auth.test: ${slackError(e) ?? (e as Error).message})`,
        { cause: e },
      );
    }
  }

  const mode = c.SLACK_APP_TOKEN ? 'socket' : 'http';
  let receiver: Receiver;
  const routes: Route[] = [];
  if (mode === 'socket') {
    const t = d.tuning;
    // Not our retryConfig: the SDK then retries apps.connections.open 100 times when reconnecting;
    // ours (5, or 0 in tests) would turn a Slack outage at reconnect time into a rejection nothing
    // handles (SocketModeClient.delayReconnectAttempt): no reconnect ever, and Node exits.
    const { retryConfig: _webApiRetries, ...socketClientOptions } = options;
    receiver = new SocketModeReceiver({
      appToken: c.SLACK_APP_TOKEN!,
      logger: sdkLogger,
      installerOptions: { clientOptions: socketClientOptions },
      ...(t?.socketClientPingTimeoutMs ? { clientPingTimeout: t.socketClientPingTimeoutMs } : {}),
      ...(t?.socketServerPingTimeoutMs ? { serverPingTimeout: t.socketServerPingTimeoutMs } : {}),
    });
  } else {
    if (!c.SLACK_SIGNING_SECRET)
      throw new AppError('config_invalid', 'SLACK_SIGNING_SECRET is required for the Slack surface in HTTP mode');
    const httpReceiver = createRouteReceiver({
      signingSecret: c.SLACK_SIGNING_SECRET,
      now: d.now,
      logger: d.logger,
      work,
      deliveries: d.conversations,
      ...(d.tuning?.ackTimeoutMs ? { ackTimeoutMs: d.tuning.ackTimeoutMs } : {}),
    });
    receiver = httpReceiver;
    routes.push(httpReceiver.route);
  }
  if (installer) {
    routes.push(...oauthRoutes(installer, c.SLACK_ALLOWED_TEAMS));
    if (c.SLACK_ALLOWED_TEAMS.length === 0)
      log.warn(
        'SLACK_ALLOWED_TEAMS is empty: any Slack workspace that finds /slack/install can install the bot and read the inventory',
      );
  }

  const bolt = new App({
    receiver,
    logger: sdkLogger,
    clientOptions: options,
    // Conversation state lives in our database; Bolt's in-memory store would differ per replica.
    convoStore: false,
    ...(single
      ? { token: single.token, botId: single.botId, botUserId: single.botUserId }
      : { authorize: (source) => installer!.authorize(source) }),
  });
  bolt.error(async (e) => void log.error({ err: e }, 'a Slack listener failed'));
  // HTTP mode runs inside the HTTP request's context; a Socket Mode event has no HTTP request, so
  // it gets a request id of its own for every log line of its listeners and background work.
  bolt.use(async ({ next }) => (currentRequestId() ? next() : withRequestContext(newRequestId(), next)));

  const forms = d.stores.forms;
  const delivery = createDelivery({ engine: d.engine, forms, logger: d.logger });
  const identity = createIdentity({ logger: log, now: d.now });
  const home = createHomePublisher({ identity, delivery, logger: log, build: (actor) => d.engine.home(actor) });
  const turnDeps = {
    engine: d.engine,
    delivery,
    identity,
    logger: log,
    workingAfterMs: d.tuning?.workingAfterMs ?? 1_500,
    track: work.track,
  };
  registerEvents(bolt, {
    ...turnDeps,
    conversations: d.conversations,
    work,
    home,
    ...(installationStore ? { installationStore } : {}),
  });
  const more = createShowMore({ conversations: d.conversations, delivery, logger: log });
  registerInteractions(bolt, {
    engine: d.engine,
    delivery,
    identity,
    forms,
    home,
    work,
    more,
    logger: log,
    ...(d.tuning?.submitBudgetMs ? { submitBudgetMs: d.tuning.submitBudgetMs } : {}),
  });

  /** One workspace: warn at start-up when approval cards could not be posted where configured. */
  const checkApprovalsChannel = async (): Promise<void> => {
    if (!single) return;
    const channel = c.SLACK_APPROVALS_CHANNEL ? parseApprovalChannels(c.SLACK_APPROVALS_CHANNEL).any : undefined;
    if (!channel) return;
    try {
      const info = await clients(single.token).conversations.info({ channel });
      if (info.channel?.is_member === false)
        log.warn(
          { channel },
          'the bot is not a member of SLACK_APPROVALS_CHANNEL: invite it there (/invite @DevOps Agent), or approval cards go only to the requester',
        );
    } catch (e) {
      log.warn(
        { channel, slackError: slackError(e) ?? String(e) },
        'SLACK_APPROVALS_CHANNEL cannot be read; approval cards go only to the requester until it can',
      );
    }
  };

  // Outbound calls (the notifier) know only the workspace. An org-wide token serves many
  // workspaces, so its calls name theirs (team_id on every call), as Bolt's own clients do.
  const orgClients = new Map<string, WebClient>();
  const clientFor = async (teamId: string): Promise<WebClient> => {
    if (single) return clients(single.token);
    const bot = await installationStore!.botFor(teamId);
    if (!bot.orgWide) return clients(bot.token);
    const key = `${teamId}:${bot.token}`;
    let client = orgClients.get(key);
    if (!client) orgClients.set(key, (client = new webApi.WebClient(bot.token, { ...options, teamId })));
    return client;
  };
  const surface = createSlackChatSurface({
    clientFor,
    delivery,
    directory: slackDirectory({ clientFor, identity }),
    ...(c.SLACK_APPROVALS_CHANNEL ? { approvalsChannel: c.SLACK_APPROVALS_CHANNEL } : {}),
  });

  return {
    mode,
    surface,
    routes,
    bolt,
    start: async () => {
      if (mode === 'socket') await bolt.start();
      await checkApprovalsChannel();
      log.info(
        { mode, oauth: Boolean(installer), approvalsChannel: c.SLACK_APPROVALS_CHANNEL ?? null },
        'Slack surface on',
      );
    },
    stop: async () => {
      if (mode === 'socket')
        await bolt.stop().catch((e: unknown) => log.warn({ err: e }, 'error while closing the Socket Mode connection'));
      await work.idle();
    },
    idle: () => work.idle(),
  };
};
