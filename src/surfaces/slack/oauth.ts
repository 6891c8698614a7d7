import type { IncomingMessage, ServerResponse } from 'node:http';
import { InstallProvider, type Installation, type OrgInstallation } from '@slack/oauth';
import type { InstallationStore, Logger as BoltLogger } from '@slack/bolt';
import type { Route } from '../../http/route.ts';
import type { WebClientOptions } from './web.ts';

/**
 * Installing the app in many workspaces (SLACK_CLIENT_ID / SLACK_CLIENT_SECRET / SLACK_STATE_SECRET):
 * Bolt's InstallProvider, with its installations in our database, served on our one HTTP server.
 *   GET /slack/install         → redirect to Slack's consent page, with a signed state (and its cookie)
 *   GET /slack/oauth_redirect  → check the state, exchange the code (oauth.v2.access), store the installation
 * Its `authorize` then gives Bolt the right bot token for every request from an installed workspace.
 */
export const INSTALL_PATH = '/slack/install';
export const REDIRECT_PATH = '/slack/oauth_redirect';

/** Bot scopes requested at install: exactly those in manifests/slack/manifest.yaml. */
export const BOT_SCOPES = [
  'app_mentions:read',
  'chat:write',
  'commands',
  'im:history',
  'users:read',
  'channels:history',
  'groups:history',
  'channels:read',
  'groups:read',
  'files:write',
];

export interface OAuthOptions {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  installationStore: InstallationStore;
  clientOptions: WebClientOptions;
  authorizationUrl: string;
  logger: BoltLogger;
}

export const createInstaller = (o: OAuthOptions): InstallProvider => {
  const { logger: _logger, logLevel: _level, ...clientOptions } = o.clientOptions;
  return new InstallProvider({
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    stateSecret: o.stateSecret,
    installationStore: o.installationStore,
    authorizationUrl: o.authorizationUrl,
    // Straight to Slack's consent page: the page in between would only repeat its button.
    directInstall: true,
    clientOptions,
    logger: o.logger,
  });
};

/**
 * Refuses, before anything is stored, an install from a workspace not in SLACK_ALLOWED_TEAMS: an
 * installed workspace's users can read the inventory, so a public install link must not be enough.
 */
const allowOnly =
  (allowed: string[]) =>
  async (
    installation: Installation | OrgInstallation,
    _o: unknown,
    _req: IncomingMessage,
    res: ServerResponse,
  ): Promise<boolean> => {
    if (allowed.length === 0) return true;
    const id = installation.isEnterpriseInstall ? installation.enterprise?.id : installation.team?.id;
    if (id && allowed.includes(id)) return true;
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(
      `This DevOps Agent does not accept installs from workspace ${id ?? '(unknown)'}. Ask its operator to add it to SLACK_ALLOWED_TEAMS.\n`,
    );
    return false;
  };

/** The two OAuth routes. Both write the raw response themselves (redirects, cookies, Slack's HTML). */
export const oauthRoutes = (installer: InstallProvider, allowedTeams: string[] = []): Route[] => [
  {
    method: 'GET',
    path: INSTALL_PATH,
    handle: async (req) => {
      await installer.handleInstallPath(req.raw.req, req.raw.res, undefined, { scopes: BOT_SCOPES });
      return null;
    },
  },
  {
    method: 'GET',
    path: REDIRECT_PATH,
    handle: async (req) => {
      // Failures (bad state, a refused code) are answered by the provider with an HTML page and logged.
      await installer.handleCallback(req.raw.req, req.raw.res, { afterInstallation: allowOnly(allowedTeams) });
      return null;
    },
  },
];
