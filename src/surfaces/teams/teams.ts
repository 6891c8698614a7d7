import {
  CloudAdapter,
  getAuthConfigWithDefaults,
  type AuthConfiguration,
  type Connections,
} from '@microsoft/agents-hosting';
import type { ChatSurface } from '../../chat/surface.ts';
import type { Config } from '../../config.ts';
import type { ConversationEngine, ConversationStore } from '../../engine/engine.ts';
import type { Route } from '../../http/route.ts';
import type { Logger } from '../../observability/logger.ts';
import { createBackgroundWork } from './background.ts';
import { createConnector, type RetryTuning } from './connector.ts';
import { createDelivery } from './deliver.ts';
import { createTeamsFiles } from './files.ts';
import { teamsAnonymous } from './enabled.ts';
import { createHandler } from './handler.ts';
import { createMentionBook, teamsDirectory } from './identity.ts';
import { messagesRoute } from './inbound.ts';
import type { TeamsStores } from './store/stores.ts';
import { createTeamsChatSurface } from './surface.ts';

/**
 * The Microsoft Teams surface, assembled on the Microsoft 365 Agents SDK: the SDK's CloudAdapter
 * checks each request's Bot Framework token and runs our handler (handler.ts); outbound messages
 * go through the SDK's connector client with the stored conversation references (connector.ts);
 * the ChatSurface the notifier uses; the route `POST /api/messages` on the shared HTTP server.
 */
export interface TeamsTuning extends RetryTuning {
  /** Post "working…" for turns slower than this (≤ 0: always). Default 1.5 s. */
  workingAfterMs?: number;
  /** Re-send the typing indicator this often while a turn runs (≤ 0: once). Default 3 s, what Teams shows it for. */
  typingEveryMs?: number;
  /** How long a card action or typeahead waits for the engine before answering the invoke. Default 3 s. */
  invokeBudgetMs?: number;
  /** Engine work started at once after acks. Default 2. */
  maxConcurrentWork?: number;
  /**
   * Tests only: the bot's outbound access token for a resource (the Bot Connector's, Microsoft
   * Graph's: the scope the SDK asks for). The SDK gets it from Entra through MSAL, which
   * refuses a non-https authority (`authority_uri_insecure`), so a loopback token stub cannot
   * stand in for Entra; the adapter's connection manager is replaced in-process instead and every
   * connector call still goes over HTTP to the fake Bot Connector with this token.
   */
  accessToken?: (scope: string | undefined) => Promise<string>;
}

export interface TeamsDeps {
  config: Config;
  stores: TeamsStores;
  conversations: ConversationStore;
  engine: ConversationEngine;
  logger: Logger;
  now: () => Date;
  tuning?: TeamsTuning;
}

export interface TeamsRuntime {
  readonly surface: ChatSurface;
  readonly routes: Route[];
  readonly anonymous: boolean;
  stop(): Promise<void>;
  /** Resolves when every request's background work (engine turns, posts) has finished. */
  idle(): Promise<void>;
}

/** The SDK's configuration from ours: client secret or certificate, single- or multi-tenant. */
export const authConfigFor = (c: Config): AuthConfiguration => {
  if (!c.TEAMS_APP_ID) return {};
  return {
    clientId: c.TEAMS_APP_ID,
    ...(c.TEAMS_APP_PASSWORD ? { clientSecret: c.TEAMS_APP_PASSWORD } : {}),
    ...(c.TEAMS_CERT_PEM_FILE && c.TEAMS_CERT_KEY_FILE
      ? { certPemFile: c.TEAMS_CERT_PEM_FILE, certKeyFile: c.TEAMS_CERT_KEY_FILE }
      : {}),
    ...(c.TEAMS_TENANT_ID ? { tenantId: c.TEAMS_TENANT_ID } : {}),
    ...(c.TEAMS_AUTHORITY ? { authorityEndpoint: c.TEAMS_AUTHORITY } : {}),
    ...(c.TEAMS_ISSUERS?.length ? { issuers: c.TEAMS_ISSUERS } : {}),
    // A token's issuer must be Bot Framework's, or Entra's for our tenant (multi-tenant: any
    // tenant's, bound to the token's tid by the SDK).
    validateIssuer: true,
  };
};

export const createTeams = (d: TeamsDeps): TeamsRuntime => {
  const c = d.config;
  const log = d.logger.child({ surface: 'teams' });
  const anonymous = teamsAnonymous(c);
  const adapter = new CloudAdapter(getAuthConfigWithDefaults(authConfigFor(c)));
  // The SDK's default would tell the user to "fix the source code": our handler answers users itself.
  adapter.onTurnError = async (_ctx, err) => void log.error({ err }, 'a Teams turn failed');
  if (d.tuning?.accessToken) {
    const token = d.tuning.accessToken;
    const provider = {
      // Called as (scope) or (authConfig, scope), like the SDK's MsalTokenProvider.
      getAccessToken: (a: unknown, scope?: string) => token(typeof a === 'string' ? a : scope),
    } as unknown as ReturnType<Connections['getTokenProvider']>;
    const real = adapter.connectionManager;
    adapter.connectionManager = {
      getConnection: () => provider,
      getDefaultConnection: () => provider,
      getTokenProvider: () => provider,
      getTokenProviderFromActivity: () => provider,
      getDefaultConnectionConfiguration: () => real.getDefaultConnectionConfiguration(),
    };
  }
  if (anonymous)
    log.warn(
      'Teams is on WITHOUT TEAMS_APP_ID: /api/messages accepts activities from anyone and replies unauthenticated (local emulator mode). Never expose it.',
    );
  if (!anonymous && c.TEAMS_ALLOWED_TENANTS.length === 0 && !c.TEAMS_TENANT_ID)
    log.warn(
      'TEAMS_ALLOWED_TENANTS is empty and the app is multi-tenant: users of any tenant that installs the app can talk to the bot and read the inventory',
    );

  const references = d.stores.references;
  const work = createBackgroundWork(d.tuning?.maxConcurrentWork ? { limit: d.tuning.maxConcurrentWork } : {});
  const connector = createConnector({
    adapter,
    appId: c.TEAMS_APP_ID,
    references,
    logger: log,
    now: d.now,
    ...(d.tuning ? { tuning: d.tuning } : {}),
  });
  const delivery = createDelivery({ connector, engine: d.engine, logger: log });
  const mentions = createMentionBook({ now: d.now });
  const allowedTenants = c.TEAMS_ALLOWED_TENANTS.length
    ? c.TEAMS_ALLOWED_TENANTS
    : c.TEAMS_TENANT_ID
      ? [c.TEAMS_TENANT_ID]
      : [];
  const handler = createHandler({
    engine: d.engine,
    conversations: d.conversations,
    references,
    delivery,
    mentions,
    work,
    logger: log,
    now: d.now,
    allowedTenants,
    // The emulator sends no tenant: one workspace of its own, in anonymous mode only.
    fallbackTenant: anonymous ? 'emulator' : undefined,
    workingAfterMs: d.tuning?.workingAfterMs ?? 1_500,
    invokeBudgetMs: d.tuning?.invokeBudgetMs ?? 3_000,
    typingEveryMs: d.tuning?.typingEveryMs ?? 3_000,
  });
  // Microsoft Graph with the bot's own credentials (the SDK's token provider: secret, certificate
  // or managed identity as configured), for the conversation's tenant; '' in anonymous mode.
  const graphResource = new URL(c.TEAMS_GRAPH_URL).origin;
  const graph = {
    url: c.TEAMS_GRAPH_URL,
    token: async (tenantId: string): Promise<string> => {
      if (anonymous) return '';
      const provider = adapter.connectionManager.getDefaultConnection();
      return provider.getAccessToken({ ...provider.connectionSettings, tenantId }, graphResource);
    },
  };
  const surface = createTeamsChatSurface({
    delivery,
    files: createTeamsFiles({ connector, delivery, graph, logger: log }),
    directory: teamsDirectory({ mentions, connector, logger: log }),
    ...(c.TEAMS_APPROVALS_CONVERSATION ? { approvalsConversation: c.TEAMS_APPROVALS_CONVERSATION } : {}),
  });
  log.info(
    {
      anonymous,
      tenant: c.TEAMS_TENANT_ID ?? 'multi-tenant',
      allowedTenants,
      approvalsConversation: c.TEAMS_APPROVALS_CONVERSATION ?? null,
    },
    'Teams surface on',
  );
  return {
    surface,
    routes: [messagesRoute({ adapter, handler, work, logger: log })],
    anonymous,
    stop: () => work.idle(),
    idle: () => work.idle(),
  };
};
