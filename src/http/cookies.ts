import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Cookie and token helpers shared by the surfaces that serve browsers (the console, the
 * dashboard's sign-in): constant-time token comparison, reading a cookie, writing one, and the
 * loopback-Host rule that keeps a DNS-rebinding page away from an unauthenticated local page.
 */

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison: hashing first gives equal lengths, so length leaks nothing either. */
export const tokensMatch = (given: string, expected: string): boolean =>
  timingSafeEqual(digest(given), digest(expected));

/** The token of `Authorization: Bearer <token>`, if any. */
export const bearerToken = (headers: IncomingHttpHeaders): string | undefined => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m?.[1];
};

/** A cookie's value (URI-decoded); undefined when absent or not decodable. */
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

export interface CookieOptions {
  path?: string;
  /** Seconds; 0 deletes the cookie. Absent: a browser-session cookie. */
  maxAge?: number;
  sameSite: 'Strict' | 'Lax';
  secure: boolean;
  /** Default true: no script reads our cookies. */
  httpOnly?: boolean;
}

/** A `Set-Cookie` value. */
export const serializeCookie = (name: string, value: string, o: CookieOptions): string =>
  [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${o.path ?? '/'}`,
    ...(o.httpOnly === false ? [] : ['HttpOnly']),
    `SameSite=${o.sameSite}`,
    ...(o.maxAge === undefined ? [] : [`Max-Age=${o.maxAge}`]),
    ...(o.secure ? ['Secure'] : []),
  ].join('; ');

/** Is a host name (without port) a loopback name: localhost, 127.x.y.z or [::1]? */
export const isLoopbackName = (hostname: string): boolean => {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
};

/**
 * Is the request addressed (its Host header) to a loopback name? Pages served without a token
 * must refuse other Hosts: otherwise a web page whose DNS name is rebound to 127.0.0.1 could drive
 * them from the user's own browser.
 */
export const isLoopbackHost = (headers: IncomingHttpHeaders): boolean =>
  isLoopbackName((headers.host ?? '').replace(/:\d+$/, ''));

/** True when the request came over https (per `x-forwarded-proto`, whose first value is the client's hop). */
export const forwardedHttps = (headers: IncomingHttpHeaders): boolean => {
  const v = headers['x-forwarded-proto'];
  return (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim().toLowerCase() === 'https';
};
