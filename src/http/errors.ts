import { z } from 'zod';
import { AppError, UnavailableError, formatZodIssues, isUserFacing, zodIssuePath, type ErrorCode } from '../errors.ts';
import { isUnavailable } from '../store/unavailable.ts';
import { json, type HttpResponse } from './route.ts';

export const statusByCode: Record<ErrorCode, number> = {
  bad_request: 400,
  auth_failed: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  expired: 410,
  rate_limited: 429,
  internal: 500,
  config_invalid: 500,
  cloud_error: 502,
  unavailable: 503,
};

/** The code of an HTTP status: the first code mapped to it, else bad_request (4xx) or internal (5xx). */
export const codeForStatus = (status: number): ErrorCode =>
  (Object.keys(statusByCode) as ErrorCode[]).find((c) => statusByCode[c] === status) ??
  (status < 500 ? 'bad_request' : 'internal');

/**
 * Transport-level refusals whose status is not one of an AppError code (405, 413, 415) or that
 * carry headers (401 with WWW-Authenticate). Thrown by the server and by route guards; turned into
 * `{ error }` with the given status (not statusByCode's), its message shown as is. Its `code`
 * follows the status (codeForStatus: 401 → auth_failed, 413 → bad_request).
 */
export class HttpError extends AppError {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(codeForStatus(status), message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** The issues as a 400 body lists them, beside the text (formatZodIssues: "text: Invalid input: …; channel: …"). */
export const fieldIssues = (err: z.core.$ZodError): FieldIssue[] =>
  err.issues.map((i) => ({ path: zodIssuePath(i), message: i.message }));

export interface ErrorOutcome {
  response: HttpResponse;
  /** True when the failure is ours (5xx) and deserves an error log line with the cause. */
  serverFault: boolean;
}

/** Maps anything a handler threw to a response; only user-safe text reaches the client. */
export const errorResponse = (err: unknown): ErrorOutcome => {
  if (err instanceof HttpError)
    return { response: json(err.status, { error: err.message }, err.headers), serverFault: err.status >= 500 };
  if (err instanceof z.core.$ZodError) {
    return {
      response: json(400, { error: `invalid request: ${formatZodIssues(err)}`, issues: fieldIssues(err) }),
      serverFault: false,
    };
  }
  // An `internal` AppError is a bug: like any unexpected error, its text stays in the log.
  if (isUserFacing(err)) {
    const status = statusByCode[err.code] ?? 500;
    return { response: json(status, { error: err.userMessage }), serverFault: status >= 500 };
  }
  // The database (or the way to it) is down: say so and let the client retry, not a bare 500.
  if (isUnavailable(err))
    return {
      response: json(503, { error: new UnavailableError('The service').userMessage }, { 'retry-after': '5' }),
      serverFault: true,
    };
  return { response: json(500, { error: 'internal error' }), serverFault: true };
};
