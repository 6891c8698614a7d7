import type { IncomingHttpHeaders } from 'node:http';
import { forwardedHttps, tokensMatch } from '../../../http/cookies.ts';
import { HttpError } from '../../../http/errors.ts';
import type { HttpRequest } from '../../../http/route.ts';

/**
 * Checks for actions: the request must come from our own origin (Origin, else Referer) and carry
 * the session's CSRF token. Plus the `next` rule: a place to return to is a path on this server.
 */

/** This server's origin: PUBLIC_URL's, or (unset) the scheme and Host the request was addressed to. */
export const ownOrigin = (publicUrl: URL | undefined, headers: IncomingHttpHeaders): string =>
  publicUrl?.origin ?? `${forwardedHttps(headers) ? 'https' : 'http'}://${(headers.host ?? '').toLowerCase()}`;

const originOf = (value: string): string | null => {
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
};

/** 403 unless the request's Origin (or, without one, its Referer) is `expected`. */
export const requireSameOrigin = (headers: IncomingHttpHeaders, expected: string): void => {
  const origin = headers.origin;
  if (origin !== undefined) {
    if (origin === 'null' || originOf(origin) !== expected)
      throw new HttpError(
        403,
        `forbidden: this request comes from another site (Origin ${origin}); actions are accepted only from ${expected}`,
      );
    return;
  }
  const referer = headers.referer;
  if (referer === undefined)
    throw new HttpError(403, `forbidden: an action must carry an Origin or Referer header of ${expected}`);
  if (originOf(referer) !== expected)
    throw new HttpError(
      403,
      `forbidden: this request comes from another site (Referer ${originOf(referer) ?? 'unreadable'}); actions are accepted only from ${expected}`,
    );
};

const isForm = (headers: IncomingHttpHeaders): boolean =>
  (headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

/** The fields of a url-encoded form body (empty for any other body). */
export const formFields = (req: Pick<HttpRequest, 'headers' | 'rawBody'>): URLSearchParams =>
  isForm(req.headers) ? new URLSearchParams(req.rawBody.toString('utf8')) : new URLSearchParams();

/** 403 unless the request carries `expected` in `x-csrf-token` or, for a plain form post, the field `csrf`. */
export const requireCsrfToken = (req: Pick<HttpRequest, 'headers' | 'rawBody'>, expected: string): void => {
  const header = req.headers['x-csrf-token'];
  const given = (Array.isArray(header) ? header[0] : header) ?? formFields(req).get('csrf') ?? undefined;
  if (given === undefined || given === '')
    throw new HttpError(
      403,
      'forbidden: this action needs the CSRF token of your session (the x-csrf-token header, or the csrf field of a form); reload the page and try again',
    );
  if (!tokensMatch(given, expected))
    throw new HttpError(403, 'forbidden: the CSRF token does not match your session; reload the page and try again');
};

export const defaultNext = '/dashboard';

const hasControl = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const nextMaxLength = 2_000;

/**
 * `next` as a local path (path, query and fragment of this server), else `defaultNext`: no scheme,
 * no host, no `//` or `/\` (which browsers read as another host), no control characters.
 */
export const safeNext = (next: string | null | undefined): string => {
  if (!next || next.length > nextMaxLength || !next.startsWith('/')) return defaultNext;
  if (next.startsWith('//') || next.includes('\\') || hasControl(next)) return defaultNext;
  const base = 'http://local.invalid';
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return defaultNext;
  }
  if (url.origin !== base) return defaultNext;
  return `${url.pathname}${url.search}${url.hash}`;
};
