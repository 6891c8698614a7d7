/**
 * Loopback OpenID provider speaking the real protocol, for the dashboard's sign-in
 * (src/surfaces/dashboard/auth/). Two presets:
 *
 * - `slack`: Slack's endpoints on the fake's origin: `GET /.well-known/openid-configuration`,
 *   `GET /openid/connect/authorize`, `POST /api/openid.connect.token`, `GET /openid/connect/keys`;
 *   issuer = the origin; ID token claims `https://slack.com/team_id`, `https://slack.com/user_id`,
 *   `name`. A refused token request answers like Slack's Web API: 200 `{ ok: false, error }`.
 * - `microsoft`: the identity platform v2 per tenant segment (a tenant id, `organizations` or
 *   `common`): `GET /{tenant}/v2.0/.well-known/openid-configuration` (issuer
 *   `{origin}/{tid}/v2.0`, or the template `{origin}/{tenantid}/v2.0` for the multi-tenant
 *   segments), `GET /{tenant}/oauth2/v2.0/authorize`, `POST /{tenant}/oauth2/v2.0/token`,
 *   `GET /common/discovery/v2.0/keys`; claims `tid`, `oid`, `name`, issuer `{origin}/{tid}/v2.0`.
 *   A refused token request is 400 `{ error, error_description }`.
 *
 * `origin` (default the fake's own URL) is what the documents and tokens name: a test that sends
 * the real `https://login.microsoftonline.com` to this fake through a rewriting fetch sets it so.
 *
 * The authorize endpoint checks client id, redirect URI, `response_type=code`, scope `openid`,
 * state, nonce and an S256 code challenge, then redirects (302) back with `code` and `state` as the
 * configured user, or with `error` when told to `refuseNext`. The token endpoint checks the code
 * (once, unexpired), the redirect URI, the PKCE verifier and the client secret (post or basic),
 * then answers an RS256 ID token signed with a key generated at start (served as the JWKS).
 * `tamperNext` changes the next ID token's claims (a wrong nonce, issuer, audience) and
 * `forgeSignatureNext` signs it with a key the JWKS does not hold. Every request
 * is recorded in `requests`.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type OidcPreset = 'slack' | 'microsoft';

export interface SlackUser {
  teamId: string;
  userId: string;
  name: string;
}

export interface MicrosoftUser {
  tid: string;
  oid: string;
  name: string;
}

export interface OidcRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The form body of a POST. */
  form: Record<string, string>;
  authorization: string | null;
  status: number;
}

export interface IssuedCode {
  code: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string;
  /** The tenant segment the authorize request came in on (microsoft). */
  tenant: string;
  claims: Record<string, unknown>;
  used: boolean;
  expiresAt: number;
}

export interface FakeOidcOptions {
  preset: OidcPreset;
  clientId: string;
  clientSecret: string;
  /** Redirect URIs registered for the client; others are refused at the authorize endpoint. */
  redirectUris: string[];
  /** What documents and tokens name as the origin (default the fake's own `http://127.0.0.1:P`). */
  origin?: string;
  /** Signing in as (can be changed with `setUser`). */
  user: SlackUser | MicrosoftUser;
}

export interface FakeOidc {
  /** `http://127.0.0.1:P`. */
  readonly url: string;
  /** The origin the documents and tokens name. */
  readonly origin: string;
  readonly requests: OidcRequest[];
  readonly codes: IssuedCode[];
  /** The Slack issuer (the origin) or a Microsoft tenant's issuer. */
  issuer(tid?: string): string;
  setUser(user: SlackUser | MicrosoftUser): void;
  /** The next authorize request redirects back with this error instead of a code. */
  refuseNext(error: string, description?: string): void;
  /** The next ID token carries these claims instead (`{ nonce: 'x' }`, `{ iss: … }`, `{ aud: … }`). */
  tamperNext(claims: Record<string, unknown>): void;
  /** The next ID token is signed with a key that is not in the JWKS (under the same `kid`). */
  forgeSignatureNext(): void;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

const readBody = async (req: IncomingMessage): Promise<string> => {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('utf8');
};

const signJwt = (key: KeyObject, kid: string, claims: Record<string, unknown>): string => {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${b64url(sign('sha256', Buffer.from(`${head}.${body}`), key))}`;
};

export const startFakeOidc = async (o: FakeOidcOptions): Promise<FakeOidc> => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] };
  const requests: OidcRequest[] = [];
  const codes: IssuedCode[] = [];
  let user = o.user;
  let refusal: { error: string; description?: string } | undefined;
  let tamper: Record<string, unknown> | undefined;
  let forge = false;
  let origin = o.origin ?? '';

  const multiTenant = (t: string): boolean => t === 'organizations' || t === 'common';
  const msIssuer = (tid: string): string => `${origin}/${tid}/v2.0`;

  const discovery = (tenant: string): Record<string, unknown> =>
    o.preset === 'slack'
      ? {
          issuer: origin,
          authorization_endpoint: `${origin}/openid/connect/authorize`,
          token_endpoint: `${origin}/api/openid.connect.token`,
          jwks_uri: `${origin}/openid/connect/keys`,
          response_types_supported: ['code'],
          scopes_supported: ['openid', 'profile', 'email'],
          token_endpoint_auth_methods_supported: ['client_secret_post'],
          id_token_signing_alg_values_supported: ['RS256'],
          subject_types_supported: ['public'],
        }
      : {
          issuer: multiTenant(tenant) ? `${origin}/{tenantid}/v2.0` : msIssuer(tenant),
          authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/authorize`,
          token_endpoint: `${origin}/${tenant}/oauth2/v2.0/token`,
          jwks_uri: `${origin}/common/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token'],
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
          id_token_signing_alg_values_supported: ['RS256'],
          subject_types_supported: ['pairwise'],
          code_challenge_methods_supported: ['plain', 'S256'],
        };

  const userClaims = (): Record<string, unknown> => {
    if (o.preset === 'slack') {
      const u = user as SlackUser;
      return {
        iss: origin,
        sub: u.userId,
        'https://slack.com/user_id': u.userId,
        'https://slack.com/team_id': u.teamId,
        name: u.name,
      };
    }
    const u = user as MicrosoftUser;
    return {
      iss: msIssuer(u.tid),
      sub: createHash('sha256').update(`${u.oid}:${o.clientId}`).digest('base64url').slice(0, 43),
      tid: u.tid,
      oid: u.oid,
      name: u.name,
      ver: '2.0',
    };
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
    return status;
  };

  const authorize = (res: ServerResponse, q: Record<string, string>, tenant: string): number => {
    const bad = (why: string): number => send(res, 400, { error: 'invalid_request', error_description: why });
    if (q.client_id !== o.clientId) return bad('unknown client_id');
    if (!q.redirect_uri || !o.redirectUris.includes(q.redirect_uri)) return bad('redirect_uri not registered');
    if (q.response_type !== 'code') return bad('response_type must be code');
    if (!(q.scope ?? '').split(' ').includes('openid')) return bad('scope must include openid');
    if (!q.state || !q.nonce) return bad('state and nonce are required');
    if (q.code_challenge_method !== 'S256' || !q.code_challenge) return bad('an S256 code_challenge is required');
    const back = new URL(q.redirect_uri);
    if (refusal) {
      back.searchParams.set('error', refusal.error);
      if (refusal.description) back.searchParams.set('error_description', refusal.description);
      refusal = undefined;
    } else {
      const code = randomBytes(16).toString('hex');
      codes.push({
        code,
        clientId: q.client_id,
        redirectUri: q.redirect_uri,
        codeChallenge: q.code_challenge,
        nonce: q.nonce,
        tenant,
        claims: userClaims(),
        used: false,
        expiresAt: Date.now() + 5 * 60_000,
      });
      back.searchParams.set('code', code);
    }
    back.searchParams.set('state', q.state);
    res.writeHead(302, { location: back.href });
    res.end();
    return 302;
  };

  const token = (res: ServerResponse, form: Record<string, string>, authorization: string | null): number => {
    const refuse = (error: string, description: string): number =>
      o.preset === 'slack'
        ? send(res, 200, { ok: false, error })
        : send(res, 400, { error, error_description: description });
    let clientId = form.client_id;
    let secret = form.client_secret;
    const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
    if (basic) {
      const [id, s] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map(decodeURIComponent);
      clientId = id;
      secret = s;
    }
    if (clientId !== o.clientId || secret !== o.clientSecret)
      return refuse('invalid_client', 'wrong client credentials');
    if (form.grant_type !== 'authorization_code') return refuse('unsupported_grant_type', 'authorization_code only');
    const issued = codes.find((c) => c.code === form.code);
    if (!issued || issued.used || issued.expiresAt < Date.now()) return refuse('invalid_grant', 'unknown or used code');
    issued.used = true;
    if (form.redirect_uri !== issued.redirectUri) return refuse('invalid_grant', 'redirect_uri differs');
    const challenge = createHash('sha256')
      .update(form.code_verifier ?? '')
      .digest('base64url');
    if (challenge !== issued.codeChallenge) return refuse('invalid_grant', 'PKCE verification failed');
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...issued.claims, aud: o.clientId, iat: now, exp: now + 300, nonce: issued.nonce, ...tamper };
    tamper = undefined;
    const key = forge ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : privateKey;
    forge = false;
    const answer = {
      access_token: randomBytes(16).toString('hex'),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'openid profile',
      id_token: signJwt(key, kid, claims),
    };
    return send(res, 200, o.preset === 'slack' ? { ok: true, ...answer } : answer);
  };

  const route = (req: IncomingMessage, res: ServerResponse, url: URL, form: Record<string, string>): number => {
    const q = Object.fromEntries(url.searchParams);
    const p = url.pathname;
    if (o.preset === 'slack') {
      if (req.method === 'GET' && p === '/.well-known/openid-configuration') return send(res, 200, discovery(''));
      if (req.method === 'GET' && p === '/openid/connect/authorize') return authorize(res, q, '');
      if (req.method === 'POST' && p === '/api/openid.connect.token')
        return token(res, form, req.headers.authorization ?? null);
      if (req.method === 'GET' && p === '/openid/connect/keys') return send(res, 200, jwks);
      return send(res, 404, { error: 'not_found' });
    }
    if (req.method === 'GET' && p === '/common/discovery/v2.0/keys') return send(res, 200, jwks);
    const m =
      /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/authorize|oauth2\/v2\.0\/token)$/.exec(p);
    if (!m) return send(res, 404, { error: 'not_found' });
    const [, tenant, what] = m as unknown as [string, string, string];
    if (req.method === 'GET' && what.endsWith('openid-configuration')) return send(res, 200, discovery(tenant));
    if (req.method === 'GET' && what.endsWith('authorize')) return authorize(res, q, tenant);
    if (req.method === 'POST' && what.endsWith('token')) return token(res, form, req.headers.authorization ?? null);
    return send(res, 405, { error: 'method_not_allowed' });
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = req.method === 'POST' ? await readBody(req) : '';
      const form = Object.fromEntries(new URLSearchParams(raw));
      const entry: OidcRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        form,
        authorization: req.headers.authorization ?? null,
        status: 0,
      };
      requests.push(entry);
      entry.status = route(req, res, url, form);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  origin ||= url;

  return {
    url,
    origin,
    requests,
    codes,
    issuer: (tid) => (o.preset === 'slack' ? origin : msIssuer(tid ?? (user as MicrosoftUser).tid)),
    setUser: (u) => {
      user = u;
    },
    refuseNext: (error, description) => {
      refusal = { error, description };
    },
    tamperNext: (claims) => {
      tamper = claims;
    },
    forgeSignatureNext: () => {
      forge = true;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
