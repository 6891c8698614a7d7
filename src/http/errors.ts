import { z } from 'zod';
import { UnavailableError, isAppError, type ErrorCode } from '../errors.ts';
import { isUnavailable } from '../store/unavailable.ts';
import { json, type HttpResponse } from './route.ts';

/**
 * Transport-level refusals that have no AppError code (401 without a token, 405, 413, 415).
 * Thrown by the server and by route guards; turned into `{ error }` with the given status.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

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

export interface FieldIssue {
  path: string;
  message: string;
}

export const fieldIssues = (err: z.core.$ZodError): FieldIssue[] =>
  err.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));

/** "text: Invalid input: expected string, received number; channel: …" */
export const describeIssues = (issues: FieldIssue[]): string => issues.map((i) => `${i.path}: ${i.message}`).join('; ');

export interface ErrorOutcome {
  response: HttpResponse;
  /** True when the failure is ours (5xx) and deserves an error log line with the cause. */
  serverFault: boolean;
}

/** Maps anything a handler threw to a response; only user-safe text reaches the client. */
export const errorResponse = (err: unknown): ErrorOutcome => {
  if (err instanceof HttpError) return { response: json(err.status, { error: err.message }, err.headers), serverFault: err.status >= 500 };
  if (err instanceof z.core.$ZodError) {
    const issues = fieldIssues(err);
    return { response: json(400, { error: `invalid request: ${describeIssues(issues)}`, issues }), serverFault: false };
  }
  if (isAppError(err)) {
    const status = statusByCode[err.code] ?? 500;
    return { response: json(status, { error: err.userMessage }), serverFault: status >= 500 };
  }
  // The database (or the way to it) is down: say so and let the client retry, not a bare 500.
  if (isUnavailable(err)) return { response: json(503, { error: new UnavailableError('The service').userMessage }, { 'retry-after': '5' }), serverFault: true };
  return { response: json(500, { error: 'internal error' }), serverFault: true };
};
