import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from '../../http/errors.ts';

/**
 * CONSOLE_TOKEN protection. The API takes `Authorization: Bearer <token>`; the page is opened once
 * with `?token=…`, which sets an HttpOnly SameSite=Strict cookie that the page's own API calls
 * then carry (its script never sees the token).
 */
export const consoleCookieName = 'devops_agent_console';
const cookieMaxAgeSeconds = 7 * 24 * 3600;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison: hashing first gives equal lengths, so length leaks nothing either. */
export const tokensMatch = (given: string, expected: string): boolean =>
  timingSafeEqual(digest(given), digest(expected));

export const bearerToken = (headers: IncomingHttpHeaders): string | undefined => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m?.[1];
};

export const cookieValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  for (const part of (headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
};

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

/**
 * Without a token the console is served on loopback only, and it must also refuse requests whose
 * Host is not a loopback name: otherwise a web page whose DNS name is rebound to 127.0.0.1 could
 * drive it (and approve changes) from the user's own browser.
 */
export const isLoopbackHost = (headers: IncomingHttpHeaders): boolean => {
  const host = (headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
};

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

export const requireAuthorized = (expected: string | undefined, headers: IncomingHttpHeaders): void => {
  if (!isAuthorized(expected, headers)) throw expected === undefined ? wrongHost() : unauthorized();
};
