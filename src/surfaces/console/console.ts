import { readFileSync } from 'node:fs';
import type { Config } from '../../config.ts';
import type { AuthThrottle } from '../../http/auth-throttle.ts';
import { forwardedHttps, tokensMatch } from '../../http/cookies.ts';
import type { ConsoleApi } from '../../http/server.ts';
import { text, type HttpRequest, type HttpResponse, type Route } from '../../http/route.ts';
import { consoleApiRoutes, type ConsoleApiDeps } from './api.ts';
import { isAuthorized, requireAuthorized, sessionCookie } from './auth.ts';

/**
 * The console as mounted on the HTTP server: the static page (GET /, /console/app.js,
 * /console/style.css) and the JSON API, every route behind CONSOLE_TOKEN when it is set.
 */
export interface ConsoleDeps extends ConsoleApiDeps {
  config: Pick<Config, 'CONSOLE_TOKEN'>;
  /** Counts wrong CONSOLE_TOKENs per address (shared with the dashboard's console sign-in). */
  throttle: AuthThrottle;
}

const asset = (name: string): Buffer => readFileSync(new URL(`./page/${name}`, import.meta.url));

// The page loads nothing from elsewhere and renders no markup from data, so the policy can be strict.
const pageHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const behindHttps = (req: HttpRequest): boolean => forwardedHttps(req.headers);

export const createConsoleApi = (deps: ConsoleDeps): ConsoleApi => {
  const token = deps.config.CONSOLE_TOKEN;
  const files = {
    html: asset('index.html'),
    js: asset('app.js'),
    css: asset('style.css'),
  };
  const file = (body: Buffer, type: string): HttpResponse => ({
    status: 200,
    headers: { ...pageHeaders, 'content-type': type },
    body,
  });

  const page: Route = {
    method: 'GET',
    path: '/',
    handle: (req) => {
      const offered = req.url.searchParams.get('token');
      if (token !== undefined && offered !== null) {
        const client = req.raw.req.socket.remoteAddress ?? 'unknown';
        deps.throttle.check(client);
        if (!tokensMatch(offered, token)) {
          deps.throttle.failed(client);
          return text(401, 'Wrong console token.\n', { 'cache-control': 'no-store' });
        }
        // Served directly (no redirect): a SameSite=Strict cookie set on a redirect that a link
        // from another site started would not be sent on the redirected request.
        const res = file(files.html, 'text/html; charset=utf-8');
        return { ...res, headers: { ...res.headers, 'set-cookie': sessionCookie(token, behindHttps(req)) } };
      }
      if (token === undefined && !isAuthorized(token, req.headers)) {
        return text(
          403,
          'This console answers only requests addressed to localhost (set CONSOLE_TOKEN to serve it under another name).\n',
          { 'cache-control': 'no-store' },
        );
      }
      if (!isAuthorized(token, req.headers)) {
        return text(401, 'This console is protected: open it once as /?token=<CONSOLE_TOKEN>.\n', {
          'cache-control': 'no-store',
        });
      }
      return file(files.html, 'text/html; charset=utf-8');
    },
  };

  const guarded = (r: Route): Route => ({
    ...r,
    guard: (headers, client) => requireAuthorized(token, headers, { throttle: deps.throttle, client }),
  });

  return {
    routes: [
      page,
      guarded({
        method: 'GET',
        path: '/console/app.js',
        handle: () => file(files.js, 'text/javascript; charset=utf-8'),
      }),
      guarded({ method: 'GET', path: '/console/style.css', handle: () => file(files.css, 'text/css; charset=utf-8') }),
      ...consoleApiRoutes(deps).map(guarded),
    ],
  };
};
