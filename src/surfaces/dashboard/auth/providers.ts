import * as oidc from 'openid-client';
import type { Actor } from '../../../chat/actor.ts';
import { AppError } from '../../../errors.ts';
import { isLoopbackName } from '../../../http/cookies.ts';

/**
 * The two OpenID Connect providers of the sign-in (openid-client v6 does the protocol: PKCE with
 * S256, state, nonce, the ID token's iss, aud, exp and its signature against the provider's JWKS). Each
 * maps its ID token to the same Actor as its chat surface, so roles and policy apply unchanged:
 * Slack `{ surface: 'slack', workspaceId: team_id, userId: user_id }`, Microsoft
 * `{ surface: 'teams', workspaceId: tid, userId: oid }` (src/surfaces/teams/identity.ts).
 */
export type ProviderName = 'slack' | 'microsoft';

export interface SlackSignInOptions {
  clientId: string;
  clientSecret: string;
  /** Default https://slack.com; its endpoints are `/openid/connect/authorize`, `/api/openid.connect.token`, `/openid/connect/keys`. */
  issuer?: string;
  /** Which Slack workspaces (team ids) may sign in: those the bot serves. */
  teamAllowed(teamId: string): boolean | Promise<boolean>;
}

export interface MicrosoftSignInOptions {
  /** The Entra app registration (TEAMS_APP_ID / TEAMS_APP_PASSWORD). */
  clientId: string;
  clientSecret: string;
  /** Default https://login.microsoftonline.com (TEAMS_AUTHORITY). */
  authority?: string;
  /** Single-tenant registration (TEAMS_TENANT_ID); unset: multi-tenant (`organizations`). */
  tenantId?: string;
  /** Tenants whose people may sign in (TEAMS_TENANT_ID, else TEAMS_ALLOWED_TENANTS); must not be empty. */
  allowedTenants: readonly string[];
}

/** What a provider vouched for, before the allow-list. */
export interface ProviderIdentity {
  actor: Actor;
  /** The workspace (team or tenant) id checked against the allow-list. */
  workspaceId: string;
}

export interface Provider {
  name: ProviderName;
  /** "Slack", "Microsoft". */
  label: string;
  /** The provider's authorize URL for one sign-in. */
  authorizeUrl(p: { state: string; nonce: string; codeChallenge: string }): Promise<URL>;
  /** Exchanges the callback's code (checking state, nonce, PKCE) and reads the person from the ID token. */
  finish(callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<ProviderIdentity>;
  /** May people of this team or tenant sign in? */
  allowed(workspaceId: string): Promise<boolean>;
}

const globalAuthority = 'https://login.microsoftonline.com';

/** Plain http is allowed only towards a loopback host (the test fakes); anything else must be https. */
const insecureAllowed = (url: URL): boolean => url.protocol === 'http:' && isLoopbackName(url.hostname);

const trimSlash = (s: string): string => s.replace(/\/+$/, '');

const execute = (url: URL): oidc.DiscoveryRequestOptions['execute'] =>
  insecureAllowed(url) ? [oidc.allowInsecureRequests] : [];

/** A Configuration built once, on first use (Microsoft's needs a discovery request); a failure is retried next time. */
const lazily = <T>(make: () => Promise<T>): (() => Promise<T>) => {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= make().catch((err: unknown) => {
      pending = undefined;
      throw err;
    }));
};

const scope = 'openid profile';

const claimString = (claims: oidc.IDToken, name: string): string => {
  const v = claims[name];
  if (typeof v !== 'string' || v.length === 0) throw new AppError('auth_failed', `the ID token has no ${name} claim`);
  return v;
};

interface Common {
  redirectUri: string;
  fetch?: typeof fetch;
  timeoutSeconds: number;
}

const withTransport = (config: oidc.Configuration, url: URL, c: Common): oidc.Configuration => {
  if (insecureAllowed(url)) oidc.allowInsecureRequests(config);
  if (c.fetch) config[oidc.customFetch] = c.fetch;
  config.timeout = c.timeoutSeconds;
  // The ID token comes straight from the token endpoint, which TLS authenticates, so openid-client
  // would skip its signature; we check it against the provider's JWKS all the same (cached keys).
  oidc.enableNonRepudiationChecks(config);
  return config;
};

const authorizeWith =
  (config: () => Promise<oidc.Configuration>, redirectUri: string) =>
  async (p: { state: string; nonce: string; codeChallenge: string }): Promise<URL> =>
    oidc.buildAuthorizationUrl(await config(), {
      redirect_uri: redirectUri,
      scope,
      state: p.state,
      nonce: p.nonce,
      code_challenge: p.codeChallenge,
      code_challenge_method: 'S256',
    });

const claimsOf = async (
  config: oidc.Configuration,
  callbackUrl: URL,
  checks: { state: string; nonce: string; codeVerifier: string },
): Promise<oidc.IDToken> => {
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: checks.codeVerifier,
    expectedState: checks.state,
    expectedNonce: checks.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new AppError('auth_failed', 'the provider returned no ID token');
  return claims;
};

/** Sign in with Slack (OpenID Connect; endpoints fixed by Slack, so no discovery request). */
export const slackProvider = (o: SlackSignInOptions, c: Common): Provider => {
  const issuer = new URL(trimSlash(o.issuer ?? 'https://slack.com'));
  const base = trimSlash(issuer.href);
  const config = lazily(async () =>
    withTransport(
      new oidc.Configuration(
        {
          issuer: base,
          authorization_endpoint: `${base}/openid/connect/authorize`,
          token_endpoint: `${base}/api/openid.connect.token`,
          jwks_uri: `${base}/openid/connect/keys`,
        },
        o.clientId,
        o.clientSecret,
      ),
      issuer,
      c,
    ),
  );
  return {
    name: 'slack',
    label: 'Slack',
    authorizeUrl: authorizeWith(config, c.redirectUri),
    finish: async (url, checks) => {
      const claims = await claimsOf(await config(), url, checks);
      const teamId = claimString(claims, 'https://slack.com/team_id');
      const userId = claimString(claims, 'https://slack.com/user_id');
      const name = typeof claims.name === 'string' && claims.name ? claims.name : userId;
      return { workspaceId: teamId, actor: { surface: 'slack', workspaceId: teamId, userId, displayName: name } };
    },
    allowed: async (teamId) => Boolean(await o.teamAllowed(teamId)),
  };
};

/**
 * Microsoft identity platform v2. Multi-tenant registrations discover `/organizations/v2.0`, whose
 * issuer is the template `…/{tenantid}/v2.0`: openid-client checks the ID token's `iss` against it
 * with the token's own `tid` (it does so for the global authority only, hence the check at creation).
 */
export const microsoftProvider = (o: MicrosoftSignInOptions, c: Common): Provider => {
  const authority = trimSlash(o.authority ?? globalAuthority);
  if (!o.tenantId && new URL(authority).origin !== globalAuthority)
    throw new AppError(
      'config_invalid',
      `Microsoft sign-in for several tenants needs the global authority ${globalAuthority}; with another authority (${authority}) set TEAMS_TENANT_ID`,
    );
  if (o.allowedTenants.length === 0)
    throw new AppError(
      'config_invalid',
      'Microsoft sign-in needs TEAMS_TENANT_ID or TEAMS_ALLOWED_TENANTS: otherwise anyone with a Microsoft work account could sign in',
    );
  const server = new URL(`${authority}/${o.tenantId ?? 'organizations'}/v2.0`);
  const config = lazily(async () =>
    withTransport(
      await oidc.discovery(server, o.clientId, o.clientSecret, undefined, {
        execute: execute(server),
        ...(c.fetch ? { [oidc.customFetch]: c.fetch } : {}),
        timeout: c.timeoutSeconds,
      }),
      server,
      c,
    ),
  );
  const allowed = new Set(o.allowedTenants.map((t) => t.toLowerCase()));
  return {
    name: 'microsoft',
    label: 'Microsoft',
    authorizeUrl: authorizeWith(config, c.redirectUri),
    finish: async (url, checks) => {
      const claims = await claimsOf(await config(), url, checks);
      const tid = claimString(claims, 'tid');
      const oid = claimString(claims, 'oid');
      const name = typeof claims.name === 'string' && claims.name ? claims.name : oid;
      return { workspaceId: tid, actor: { surface: 'teams', workspaceId: tid, userId: oid, displayName: name } };
    },
    allowed: (tid) => Promise.resolve(allowed.has(tid.toLowerCase())),
  };
};
