import type { AuthThrottle } from '../../../http/auth-throttle.ts';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { Actor, Role } from '../../../chat/actor.ts';
import { AppError, isUserFacing } from '../../../errors.ts';
import { cookieValue, forwardedHttps, isLoopbackHost, serializeCookie, tokensMatch } from '../../../http/cookies.ts';
import { HttpError } from '../../../http/errors.ts';
import { json, type HttpRequest, type HttpResponse, type Route } from '../../../http/route.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { WebAuth, WebSession } from '../ports.ts';
import { sha256Hex, type DashboardAuthStore } from '../store/sessions.ts';
import { formFields, ownOrigin, requireCsrfToken, requireSameOrigin, safeNext } from './guards.ts';
import { pageHeaders, renderProblem, renderSignIn, type SignInPage } from './pages.ts';
import {
  microsoftProvider,
  slackProvider,
  type MicrosoftSignInOptions,
  type Provider,
  type ProviderName,
  type SlackSignInOptions,
} from './providers.ts';

/** The session cookie: a random 256-bit id (base64url); the database keeps its SHA-256. */
export const sessionCookieName = 'devops_agent_session';
/** The state of an OpenID sign-in under way, so the callback is answered only in the browser that started it. */
export const signInStateCookieName = 'devops_agent_oidc';
/** Double-submit token of the console sign-in form. */
export const signInFormCookieName = 'devops_agent_signin';

export const defaultSessionTtlMs = 12 * 3_600_000;
/** How long a started OpenID sign-in may take (the provider's page, a password, a second factor). */
export const signInFlowTtlMs = 10 * 60_000;
/** `last_seen_at` is written at most this often per session. */
const touchEveryMs = 60_000;

export interface ConsoleSignInOptions {
  /** CONSOLE_TOKEN: asked for on the form. Unset: only requests addressed to a loopback Host may sign in. */
  token?: string;
  /** The console users to choose from (alice, bob, carol, dave). */
  users(): Promise<{ userId: string; displayName: string }[]>;
  /** Counts wrong tokens per address (the console's own, so both forms share one limit). */
  throttle?: AuthThrottle;
}

export interface WebAuthOptions {
  store: DashboardAuthStore;
  /** The person's role in their workspace now (the users module's lookup; creates them on first sight). */
  roleOf(actor: Actor): Promise<Role>;
  clock: () => Date;
  logger: Logger;
  /** PUBLIC_URL: the origin browsers use (redirect URIs, the Origin check, Secure cookies). Required with Slack or Microsoft. */
  publicUrl?: string;
  /** DASHBOARD_SESSION_TTL (ms, absolute from sign-in); default 12 h. */
  sessionTtlMs?: number;
  slack?: SlackSignInOptions;
  microsoft?: MicrosoftSignInOptions;
  console?: ConsoleSignInOptions;
  /** The HTTP client openid-client uses (default the global fetch). */
  fetch?: typeof fetch;
  /** Per request to a provider, seconds (default 10). */
  providerTimeoutSeconds?: number;
}

/** What `createWebAuth` returns: the port plus the sweep the lead schedules. */
export interface DashboardAuth extends WebAuth {
  /** Deletes expired sessions and abandoned sign-ins; returns how many rows went. */
  sweep(): Promise<number>;
}

const randomToken = (): string => randomBytes(32).toString('base64url');

const ConsoleForm = z.object({
  user: z.string().min(1, 'choose a console user').max(100),
  token: z.string().max(1_000).optional(),
  next: z.string().max(2_000).optional(),
});

const redirect = (location: string, cookies: string[] = []): HttpResponse => ({
  status: 303,
  headers: { location, 'cache-control': 'no-store', ...(cookies.length ? { 'set-cookie': cookies } : {}) },
});

/** Sign-in for the dashboard (docs in ./README.md): Slack and Microsoft by OpenID Connect, the console's users otherwise. */
export const createWebAuth = (o: WebAuthOptions): DashboardAuth => {
  const log = o.logger.child({ component: 'dashboard-auth' });
  const ttl = o.sessionTtlMs ?? defaultSessionTtlMs;
  const publicUrl = o.publicUrl ? new URL(o.publicUrl) : undefined;
  if ((o.slack || o.microsoft) && !publicUrl)
    throw new AppError('config_invalid', 'PUBLIC_URL is required for Slack or Microsoft sign-in (their redirect URIs)');
  const base = publicUrl?.origin ?? '';
  const common = (name: ProviderName) => ({
    redirectUri: `${base}/auth/${name}/callback`,
    fetch: o.fetch,
    timeoutSeconds: o.providerTimeoutSeconds ?? 10,
  });
  const providers: Provider[] = [
    ...(o.slack ? [slackProvider(o.slack, common('slack'))] : []),
    ...(o.microsoft ? [microsoftProvider(o.microsoft, common('microsoft'))] : []),
  ];

  const secure = (req: HttpRequest): boolean => publicUrl?.protocol === 'https:' || forwardedHttps(req.headers);
  const signInPath = (next: string): string => `/auth/sign-in?next=${encodeURIComponent(safeNext(next))}`;

  const sessionCookie = (req: HttpRequest, id: string, maxAgeSeconds: number): string =>
    serializeCookie(sessionCookieName, id, { sameSite: 'Lax', secure: secure(req), maxAge: maxAgeSeconds });
  const authCookie = (
    req: HttpRequest,
    name: string,
    value: string,
    maxAgeSeconds: number,
    sameSite: 'Lax' | 'Strict',
  ) => serializeCookie(name, value, { sameSite, secure: secure(req), maxAge: maxAgeSeconds, path: '/auth/' });

  /** Starts a session for `actor` (a new id every time: no fixation) and sends the browser to `next`. */
  const signIn = async (req: HttpRequest, actor: Actor, via: WebSession['via'], next: string, extra: string[] = []) => {
    await o.roleOf(actor);
    const previous = cookieValue(req.headers, sessionCookieName);
    if (previous) await o.store.deleteSession(previous);
    const id = randomToken();
    const now = o.clock();
    await o.store.createSession(id, {
      surface: actor.surface,
      workspaceId: actor.workspaceId,
      userId: actor.userId,
      displayName: actor.displayName,
      via,
      csrfToken: randomToken(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttl),
      lastSeenAt: now,
    });
    log.info({ via, actor: `${actor.surface}:${actor.workspaceId}:${actor.userId}` }, 'dashboard sign-in');
    return redirect(safeNext(next), [sessionCookie(req, id, Math.floor(ttl / 1000)), ...extra]);
  };

  const session = async (req: HttpRequest): Promise<WebSession | null> => {
    const id = cookieValue(req.headers, sessionCookieName);
    if (!id) return null;
    const now = o.clock();
    const row = await o.store.findSession(id, now);
    if (!row) return null;
    const actor = {
      surface: row.surface as Actor['surface'],
      workspaceId: row.workspaceId,
      userId: row.userId,
      displayName: row.displayName,
    };
    const role = await o.roleOf(actor);
    if (now.getTime() - row.lastSeenAt.getTime() >= touchEveryMs) await o.store.touchSession(row.idHash, now);
    return {
      id: row.idHash,
      viewer: { actor, role },
      csrfToken: row.csrfToken,
      via: row.via,
      expiresAt: row.expiresAt,
    };
  };

  const requireCsrf = (req: HttpRequest, s: WebSession): void => {
    requireSameOrigin(req.headers, ownOrigin(publicUrl, req.headers));
    requireCsrfToken(req, s.csrfToken);
  };

  // ---- the sign-in page and the console form ----

  /** Why this request may not use the console method, or null when it may. */
  const consoleRefusal = (req: HttpRequest): string | null =>
    o.console && o.console.token === undefined && !isLoopbackHost(req.headers)
      ? 'Console sign-in answers only on localhost (set CONSOLE_TOKEN to offer it under another name).'
      : null;

  const signInPage = async (
    req: HttpRequest,
    next: string,
    status = 200,
    error?: string,
    selected?: string,
  ): Promise<HttpResponse> => {
    const page: SignInPage = {
      next,
      error,
      providers: providers.map((p) => ({
        label: p.label,
        href: `/auth/${p.name}/start?next=${encodeURIComponent(next)}`,
      })),
    };
    const cookies: string[] = [];
    const refusal = consoleRefusal(req);
    if (o.console && refusal) page.consoleRefusal = refusal;
    else if (o.console) {
      // Double-submit: the form's hidden field must equal this Strict cookie (a page elsewhere can read neither).
      const csrf = cookieValue(req.headers, signInFormCookieName) ?? randomToken();
      cookies.push(authCookie(req, signInFormCookieName, csrf, 3_600, 'Strict'));
      page.console = { tokenRequired: o.console.token !== undefined, users: await o.console.users(), csrf, selected };
    }
    return {
      status,
      headers: { ...pageHeaders, ...(cookies.length ? { 'set-cookie': cookies } : {}) },
      body: renderSignIn(page),
    };
  };

  const consoleSignIn = async (req: HttpRequest): Promise<HttpResponse> => {
    const c = o.console!;
    requireSameOrigin(req.headers, ownOrigin(publicUrl, req.headers));
    const fields = formFields(req);
    const expected = cookieValue(req.headers, signInFormCookieName);
    const given = fields.get('csrf');
    if (!expected || !given || !tokensMatch(given, expected))
      throw new HttpError(
        403,
        'forbidden: the sign-in form is stale or was not sent from our sign-in page; open /auth/sign-in and try again',
      );
    const refusal = consoleRefusal(req);
    if (refusal) throw new HttpError(403, `forbidden: ${refusal}`);
    const parsed = ConsoleForm.safeParse(Object.fromEntries(fields));
    const next = safeNext(fields.get('next'));
    if (!parsed.success)
      return signInPage(
        req,
        next,
        400,
        `Invalid sign-in: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const form = parsed.data;
    if (c.token !== undefined) {
      const client = req.raw.req.socket.remoteAddress ?? 'unknown';
      if (form.token !== undefined) c.throttle?.check(client);
      if (form.token === undefined || !tokensMatch(form.token, c.token)) {
        if (form.token !== undefined) c.throttle?.failed(client);
        return signInPage(req, next, 401, 'Wrong console token.', form.user);
      }
    }
    const user = (await c.users()).find((u) => u.userId === form.user);
    if (!user) return signInPage(req, next, 400, `There is no console user “${form.user}”: choose one of the list.`);
    return signIn(
      req,
      { surface: 'console', workspaceId: 'console', userId: user.userId, displayName: user.displayName },
      'console',
      next,
    );
  };

  // ---- Slack and Microsoft ----

  const start =
    (p: Provider) =>
    async (req: HttpRequest): Promise<HttpResponse> => {
      const next = safeNext(req.url.searchParams.get('next'));
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      let url: URL;
      try {
        url = await p.authorizeUrl({
          state,
          nonce,
          codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        });
      } catch (err) {
        log.warn({ err, provider: p.name }, 'could not prepare the sign-in');
        return renderProblem(
          502,
          'Sign-in failed',
          `${p.label} could not be reached just now; try again in a moment.`,
          signInPath(next),
        );
      }
      const now = o.clock();
      await o.store.saveSignIn(
        state,
        { provider: p.name, nonce, codeVerifier, next },
        now,
        new Date(now.getTime() + signInFlowTtlMs),
      );
      return redirect(url.href, [authCookie(req, signInStateCookieName, state, signInFlowTtlMs / 1000, 'Lax')]);
    };

  /** What an openid-client failure means for the person, in a sentence. */
  const explain = (p: Provider, err: unknown): { status: number; message: string } => {
    if (err instanceof oidc.AuthorizationResponseError)
      return {
        status: 400,
        message: `${p.label} did not sign you in: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}.`,
      };
    if (err instanceof oidc.ResponseBodyError)
      return {
        status: 502,
        message: `${p.label} refused the sign-in code: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}.`,
      };
    if (isUserFacing(err)) return { status: 400, message: `${p.label}'s answer is not usable: ${err.userMessage}.` };
    if (err instanceof oidc.ClientError && err.code !== 'OAUTH_TIMEOUT' && err.code !== 'OAUTH_ABORT')
      return {
        status: 400,
        // openid-client's own sentence is generic ("unexpected JWT claim value"); its cause names the claim.
        message: `${p.label}'s answer did not pass our checks: ${err.cause instanceof Error ? err.cause.message : err.message}.`,
      };
    return { status: 502, message: `${p.label} could not be reached just now; try again in a moment.` };
  };

  const callback =
    (p: Provider) =>
    async (req: HttpRequest): Promise<HttpResponse> => {
      const clear = authCookie(req, signInStateCookieName, '', 0, 'Lax');
      // The state cookie is cleared only once its sign-in is used up: a stray callback (a link from
      // elsewhere) must not break a sign-in under way in this browser.
      const problem = (status: number, message: string, next = '/dashboard', used = true): HttpResponse => {
        const res = renderProblem(status, 'Sign-in failed', message, signInPath(next));
        return used ? { ...res, headers: { ...res.headers, 'set-cookie': clear } } : res;
      };
      const state = req.url.searchParams.get('state');
      if (!state)
        return problem(
          400,
          `The answer from ${p.label} has no state: start the sign-in from our page.`,
          undefined,
          false,
        );
      const mine = cookieValue(req.headers, signInStateCookieName);
      if (!mine || !tokensMatch(state, mine))
        return problem(
          400,
          'This sign-in was not started in this browser, or it took too long: start again.',
          undefined,
          false,
        );
      const flow = await o.store.takeSignIn(state, o.clock());
      if (!flow || flow.provider !== p.name)
        return problem(400, 'This sign-in has expired or was already used: start again.');
      let identity;
      try {
        const callbackUrl = new URL(`${base}/auth/${p.name}/callback${req.url.search}`);
        identity = await p.finish(callbackUrl, { state, nonce: flow.nonce, codeVerifier: flow.codeVerifier });
      } catch (err) {
        const { status, message } = explain(p, err);
        log.warn({ err, provider: p.name }, 'sign-in refused');
        return problem(status, message, flow.next);
      }
      if (!(await p.allowed(identity.workspaceId))) {
        log.warn({ provider: p.name, workspaceId: identity.workspaceId }, 'sign-in from a workspace not served');
        return problem(
          403,
          p.name === 'slack'
            ? `Your Slack workspace (${identity.workspaceId}) is not one this bot serves.`
            : `Your Microsoft tenant (${identity.workspaceId}) is not allowed here (TEAMS_TENANT_ID / TEAMS_ALLOWED_TENANTS).`,
          flow.next,
        );
      }
      return signIn(req, identity.actor, p.name, flow.next, [clear]);
    };

  const signOut = async (req: HttpRequest): Promise<HttpResponse> => {
    requireSameOrigin(req.headers, ownOrigin(publicUrl, req.headers));
    const s = await session(req);
    if (s) {
      requireCsrfToken(req, s.csrfToken);
      await o.store.deleteSession(cookieValue(req.headers, sessionCookieName)!);
      log.info({ via: s.via }, 'dashboard sign-out');
    }
    return redirect('/auth/sign-in', [sessionCookie(req, '', 0)]);
  };

  const formLimit = 16 * 1024;
  const routes: Route[] = [
    {
      method: 'GET',
      path: '/auth/sign-in',
      handle: (req) => signInPage(req, safeNext(req.url.searchParams.get('next'))),
    },
    { method: 'POST', path: '/auth/sign-out', bodyLimitBytes: formLimit, handle: signOut },
    ...(o.console
      ? [{ method: 'POST' as const, path: '/auth/console', bodyLimitBytes: formLimit, handle: consoleSignIn }]
      : []),
    ...providers.flatMap((p): Route[] => [
      { method: 'GET', path: `/auth/${p.name}/start`, handle: start(p) },
      { method: 'GET', path: `/auth/${p.name}/callback`, handle: callback(p) },
    ]),
  ];

  return {
    routes,
    session,
    requireCsrf,
    signInPath,
    sweep: () => o.store.sweep(o.clock()),
  };
};

/**
 * The answer to a request without a (live) session: a page is sent to sign in and back (303, with
 * `next` keeping its path and query, so nothing is lost); an API call or an action gets 401 JSON
 * naming where to sign in.
 */
export const signInRequired = (auth: Pick<WebAuth, 'signInPath'>, req: HttpRequest): HttpResponse => {
  const back = `${req.path}${req.url.search}`;
  const wantsPage = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
  if (wantsPage) return redirect(auth.signInPath(back));
  const where = auth.signInPath(req.method === 'GET' ? back : (refererPath(req) ?? back));
  return json(401, { error: `not signed in, or your session has expired: sign in at ${where}`, signIn: where });
};

const refererPath = (req: HttpRequest): string | undefined => {
  try {
    const url = new URL(req.headers.referer ?? '');
    return url.host === req.headers.host ? `${url.pathname}${url.search}` : undefined;
  } catch {
    return undefined;
  }
};

/** The hash a session's `id` is (for logs and tests). */
export const sessionIdHash = sha256Hex;
