import type { GcpFleet } from './model.ts';

/**
 * What the GCP emulator shares between its APIs: Google's JSON error shape, page tokens and
 * the resource URLs compute answers with.
 */

/** The base of compute's self links, as Google sends them (ids, not where the emulator listens). */
export const computeBase = 'https://www.googleapis.com/compute/v1';

/** gRPC-style status words Google puts in `error.status`, by HTTP status. */
const statusWords: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** An error answered in Google's JSON shape: `{ error: { code, message, errors: [{ message, domain, reason }], status } }`. */
export class GcpApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly domain: string;

  constructor(status: number, reason: string, message: string, domain = 'global') {
    super(message);
    this.status = status;
    this.reason = reason;
    this.domain = domain;
  }

  body(): unknown {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ message: this.message, domain: this.domain, reason: this.reason }],
        ...(statusWords[this.status] ? { status: statusWords[this.status] } : {}),
      },
    };
  }
}

/** What a test injects instead of an answer (`failNext`). */
export interface GcpFault {
  status: number;
  /** `rateLimitExceeded`, `forbidden`, `notFound`, `backendError`… (default from the status). */
  reason?: string;
  message?: string;
}

const defaultReasons: Record<number, string> = {
  400: 'invalid',
  401: 'authError',
  403: 'forbidden',
  404: 'notFound',
  429: 'rateLimitExceeded',
  500: 'backendError',
  503: 'backendError',
};

export const faultError = (f: GcpFault, operation: string): GcpApiError =>
  new GcpApiError(
    f.status,
    f.reason ?? defaultReasons[f.status] ?? 'backendError',
    f.message ??
      (f.status === 429
        ? `Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service for ${operation}.`
        : `Injected failure of ${operation}`),
    f.status === 429 ? 'usageLimits' : 'global',
  );

export const notFoundError = (what: string): GcpApiError =>
  new GcpApiError(404, 'notFound', `The resource '${what}' was not found`);

export const projectOf = (fleet: GcpFleet, project: string): void => {
  if (!fleet.projects.some((p) => p.id === project)) throw notFoundError(`projects/${project}`);
};

const encodeToken = (offset: number): string => Buffer.from(`o:${offset}`).toString('base64url');
const decodeToken = (token: string | undefined): number => {
  if (!token) return 0;
  const m = /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw new GcpApiError(400, 'invalid', `Invalid value for field 'pageToken': '${token}'.`);
  return Number(m[1]);
};

/**
 * One page of `items` from `pageToken`/`maxResults` (or IAM's `pageSize`); `max` caps what a
 * caller may ask for, as Google does (compute: 500).
 */
export const page = <T>(
  items: T[],
  query: Record<string, string>,
  opts: { defaultSize: number; max: number; sizeParam?: string },
): { items: T[]; nextPageToken?: string } => {
  const offset = decodeToken(query.pageToken);
  const asked = Number(query[opts.sizeParam ?? 'maxResults'] ?? opts.defaultSize);
  if (!Number.isInteger(asked) || asked < 0)
    throw new GcpApiError(400, 'invalid', `Invalid value for field '${opts.sizeParam ?? 'maxResults'}'.`);
  const size = Math.min(asked || opts.defaultSize, opts.max);
  const slice = items.slice(offset, offset + size);
  return offset + size < items.length ? { items: slice, nextPageToken: encodeToken(offset + size) } : { items: slice };
};

export const regionOfZone = (zone: string): string => zone.replace(/-[a-z]$/, '');
export const iso = (d: Date): string => d.toISOString();
