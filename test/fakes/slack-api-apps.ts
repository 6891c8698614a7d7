/**
 * The Slack fake's app-level methods, which take no bot token: `oauth.v2.access` (the OAuth
 * install callback trades a code for a bot token, authenticated by the app's client id and
 * secret) and `apps.connections.open` (Socket Mode, authenticated by the app-level `xapp-` token).
 */
type Args = Record<string, unknown>;
type Answer = Record<string, unknown>;

export interface OAuthGrant {
  clientId: string;
  clientSecret: string;
  /** The one code that oauth.v2.access accepts. */
  code: string;
  teamId: string;
  teamName: string;
  botToken: string;
  botUserId: string;
  appId: string;
  scope: string;
  installerUserId: string;
  /** An org-wide (Enterprise Grid) install: the org, and `team` is null as Slack sends it. */
  enterprise?: { id: string; name: string };
}

/** Client credentials from the form fields, or from HTTP Basic auth (both are allowed by Slack). */
const credentials = (args: Args, authorization: string | undefined): { id?: string; secret?: string } => {
  const basic = /^Basic (.+)$/.exec(authorization ?? '')?.[1];
  if (basic) {
    const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':', 2);
    return { id, secret };
  }
  return {
    id: typeof args.client_id === 'string' ? args.client_id : undefined,
    secret: typeof args.client_secret === 'string' ? args.client_secret : undefined,
  };
};

export const oauthV2Access = (grant: OAuthGrant | undefined, args: Args, authorization: string | undefined): Answer => {
  if (!grant) return { ok: false, error: 'invalid_client_id' };
  const c = credentials(args, authorization);
  if (c.id !== grant.clientId || c.secret !== grant.clientSecret) return { ok: false, error: 'invalid_client_id' };
  if (args.code !== grant.code) return { ok: false, error: 'invalid_code' };
  return {
    ok: true,
    app_id: grant.appId,
    authed_user: { id: grant.installerUserId },
    scope: grant.scope,
    token_type: 'bot',
    access_token: grant.botToken,
    bot_user_id: grant.botUserId,
    ...(grant.enterprise
      ? { team: null, enterprise: grant.enterprise, is_enterprise_install: true }
      : { team: { id: grant.teamId, name: grant.teamName }, enterprise: null, is_enterprise_install: false }),
  };
};

/** `socketUrl` issues a fresh WebSocket URL (its own ticket), only for an accepted app token. */
export const appsConnectionsOpen = (
  appToken: string | undefined,
  token: string | null,
  socketUrl: () => string,
): Answer => {
  if (token === null) return { ok: false, error: 'not_authed' };
  if (!appToken || token !== appToken)
    return { ok: false, error: token.startsWith('xapp-') ? 'invalid_auth' : 'not_allowed_token_type' };
  return { ok: true, url: socketUrl() };
};
