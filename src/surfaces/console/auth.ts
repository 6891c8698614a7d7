import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken, cookieValue, isLoopbackHost, tokensMatch } from '../../http/cookies.ts';
import type { AuthThrottle } from '../../http/auth-throttle.ts';
import { HttpError } from '../../http/errors.ts';

/**
 * CONSOLE_TOKEN protection. The API takes `Authorization: Bearer <token>`; the page is opened once
 * with `?token=…`, which sets an HttpOnly SameSite=Strict cookie that the page's own API calls
 * then carry (its script never sees the token). The token, cookie and loopback helpers are shared
 * with the dashboard's sign-in in src/http/cookies.ts.
 */
export const consoleCookieName = 'devops_agent_console';
const cookieMaxAgeSeconds = 7 * 24 * 3600;

export const sessionCookie = (token: string, secure: boolean): string =>
  `${consoleCookieName}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${cookieMaxAgeSeconds}${secure ? '; Secure' : ''}`;

export const unauthorized = (): HttpError =>
  new HttpError(
    401,
    'console token required: send Authorization: Bearer <CONSOLE_TOKEN>, or open the console with ?token=',
    {
      'www-authenticate': 'Bearer realm="console"',
    },
  );

/** True when a token is configured and the request carries it (bearer header or session cookie), or no token and a loopback Host. */
export const isAuthorized = (expected: string | undefined, headers: IncomingHttpHeaders): boolean => {
  if (expected === undefined) return isLoopbackHost(headers);
  const given = bearerToken(headers) ?? cookieValue(headers, consoleCookieName);
  return given !== undefined && tokensMatch(given, expected);
};

export const wrongHost = (): HttpError =>
  new HttpError(
    403,
    'this console answers only requests addressed to localhost; set CONSOLE_TOKEN to serve it under another name',
  );

/**
 * Refuses a request that is not authorized (isAuthorized). With a throttle, a wrong token counts
 * against the client's address, and an address over its limit gets 429 before its token is read.
 */
export const requireAuthorized = (
  expected: string | undefined,
  headers: IncomingHttpHeaders,
  limit?: { throttle: AuthThrottle; client: string },
): void => {
  if (expected === undefined) {
    if (!isLoopbackHost(headers)) throw wrongHost();
    return;
  }
  const given = bearerToken(headers) ?? cookieValue(headers, consoleCookieName);
  if (given === undefined) throw unauthorized();
  limit?.throttle.check(limit.client);
  if (!tokensMatch(given, expected)) {
    limit?.throttle.failed(limit.client);
    throw unauthorized();
  }
};
