/**
 * One base error for the whole app: a stable `code`, a message safe to show a user, and the cause.
 * Remote-API translators (cloud providers, surfaces) map SDK failures onto these codes.
 */
export const errorCodes = [
  'bad_request',
  'not_found',
  'forbidden',
  'conflict',
  'expired',
  'unavailable',
  'rate_limited',
  'auth_failed',
  'cloud_error',
  'config_invalid',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Text that may be shown to the user as is (no secrets, no stack). */
  readonly userMessage: string;
  /** The input field at fault, when the error is about one form field (e.g. `size`). */
  readonly field: string | undefined;

  constructor(code: ErrorCode, userMessage: string, options?: { cause?: unknown; field?: string }) {
    super(userMessage, options);
    this.name = 'AppError';
    this.code = code;
    this.userMessage = userMessage;
    this.field = options?.field;
  }
}

export const badRequest = (msg: string, cause?: unknown, field?: string): AppError =>
  new AppError('bad_request', msg, { cause, ...(field ? { field } : {}) });
export const notFound = (msg: string): AppError => new AppError('not_found', msg);
export const forbidden = (msg: string): AppError => new AppError('forbidden', msg);
export const conflict = (msg: string): AppError => new AppError('conflict', msg);

/** Database or another dependency is down: callers answer "temporarily unavailable". */
export class UnavailableError extends AppError {
  constructor(what: string, cause?: unknown) {
    super('unavailable', `${what} is temporarily unavailable, please try again in a moment.`, { cause });
    this.name = 'UnavailableError';
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/**
 * Whether a generic error path may show `e.userMessage` to a user: any AppError except an
 * `internal` one. `internal` means a broken invariant (a bug): its text is for the log, so it is
 * reported like any unexpected error (logged, and the user gets the path's generic text).
 */
export const isUserFacing = (e: unknown): e is AppError => isAppError(e) && e.code !== 'internal';

/** What the zod formatters read of a ZodError (any zod 4 error fits). */
export interface IssueList {
  readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
}

/** An issue's path as `a.b.0`; an issue about the value itself (empty path) is named `fallbackPath`. */
export const zodIssuePath = (issue: IssueList['issues'][number], fallbackPath = '(root)'): string =>
  issue.path.map(String).join('.') || fallbackPath;

/** One `path: message` line per issue, e.g. `a.b.0: Invalid input: expected string, received number`. */
export const zodIssueLines = (error: IssueList, fallbackPath = '(root)'): string[] =>
  error.issues.map((i) => `${zodIssuePath(i, fallbackPath)}: ${i.message}`);

/**
 * The one format of zod issues in messages: `path: message` lines joined by `; `. `fallbackPath`
 * names root-level issues (the thing parsed, e.g. `input`, `(config)`).
 */
export const formatZodIssues = (error: IssueList, fallbackPath = '(root)'): string =>
  zodIssueLines(error, fallbackPath).join('; ');
