import { AppError, isAppError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import { appCodeForCloudStatus, socketErrorCodes } from '../errors.ts';

/**
 * The one translator from Google client failures to AppError. Three shapes reach it:
 * - `GoogleError` from @google-cloud/compute (google-gax REST transport): `code` is the gRPC
 *   status number (5 NOT_FOUND, 7 PERMISSION_DENIED, 8 RESOURCE_EXHAUSTED…), `httpStatusCode` the HTTP one;
 * - `ApiError` from @google-cloud/storage: `code` is the HTTP status, `errors[]` Google's list;
 * - `GaxiosError` from google-auth-library's `request` (the IAM REST calls): `status` and
 *   `response.data.error`.
 * Google's own message names the resource and the missing permission, so it is kept as is.
 */

/** gRPC status numbers (google.rpc.Code) → HTTP-ish meaning. */
const grpcToHttp: Record<number, number> = {
  3: 400, // INVALID_ARGUMENT
  4: 504, // DEADLINE_EXCEEDED
  5: 404, // NOT_FOUND
  6: 409, // ALREADY_EXISTS
  7: 403, // PERMISSION_DENIED
  8: 429, // RESOURCE_EXHAUSTED
  9: 400, // FAILED_PRECONDITION
  10: 409, // ABORTED
  13: 500, // INTERNAL
  14: 503, // UNAVAILABLE
  16: 401, // UNAUTHENTICATED
};

const networkCodes = new Set(socketErrorCodes);
/** A socket error code named only in an error's message. */
const networkCodeInText = new RegExp(`\\b(${socketErrorCodes.join('|')})\\b`);

interface Parsed {
  status: number | undefined;
  /** Network error code (ECONNREFUSED), when nothing answered. */
  network: string | undefined;
  message: string;
}

const googleMessage = (data: unknown): string | undefined => {
  const err = (data as { error?: unknown } | undefined)?.error;
  if (typeof err === 'string') return err;
  const msg = (err as { message?: unknown } | undefined)?.message;
  return typeof msg === 'string' ? msg : undefined;
};

const parse = (e: unknown): Parsed => {
  const o = (e && typeof e === 'object' ? e : {}) as {
    code?: unknown;
    httpStatusCode?: unknown;
    status?: unknown;
    response?: { status?: unknown; data?: unknown };
    errors?: Array<{ message?: unknown }>;
    message?: unknown;
    name?: unknown;
  };
  let message = typeof o.message === 'string' ? o.message : String(e);
  let status: number | undefined;
  if (typeof o.httpStatusCode === 'number') status = o.httpStatusCode;
  else if (o.name === 'GoogleError' || (e as Error)?.constructor?.name === 'GoogleError')
    status = typeof o.code === 'number' ? grpcToHttp[o.code] : undefined;
  else if (typeof o.code === 'number' && o.code >= 100) status = o.code;
  else if (typeof o.status === 'number') status = o.status;
  else if (typeof o.response?.status === 'number') status = o.response.status;
  if (status === undefined && typeof o.code === 'number' && o.code < 100) status = grpcToHttp[o.code];
  // Storage joins several `errors[]` into "Multiple errors occurred…"; gaxios puts Google's text in the body.
  const first = o.errors?.[0]?.message;
  if (typeof first === 'string' && /^Multiple errors occurred/.test(message)) message = first;
  const fromBody = googleMessage(o.response?.data);
  if (fromBody) message = fromBody;
  // gax gives up on retries with DEADLINE_EXCEEDED ("Exceeded maximum number of retries retrying
  // error Error: <Google's message> before any response was received : Previous errors : [… code: 8 …]"):
  // what it kept failing with is what the user needs.
  const exhausted =
    /^Exceeded maximum number of retries retrying error (?:\w*Error: )?([\s\S]*?) before any response was received/.exec(
      message,
    );
  if (exhausted) {
    message = exhausted[1]!;
    const last = [...o.message!.toString().matchAll(/code: (\d+)/g)].pop()?.[1];
    if (last) status = grpcToHttp[Number(last)] ?? status;
  }
  const network =
    typeof o.code === 'string' && networkCodes.has(o.code) ? o.code : networkCodeInText.exec(message)?.[1];
  return { status, network, message };
};

const classify = (p: Parsed): ErrorCode => {
  if (p.network) return 'cloud_error';
  if (/\bis not ready\b/.test(p.message)) return 'conflict';
  return appCodeForCloudStatus(p.status);
};

/** What kind of failure a client error is, for metrics (the AppError code it translates to). */
export const gcpFailureKind = (e: unknown): ErrorCode => (isAppError(e) ? e.code : classify(parse(e)));

/**
 * `doing` names the operation for the user ("listing instances"); `project` the GCP project it
 * ran against, named in the message, since one project failing must not read as all of them.
 */
export const translateGcpError = (e: unknown, doing: string, project?: string): AppError => {
  if (isAppError(e)) return e;
  const p = parse(e);
  const kind = classify(p);
  const where = project ? ` in project ${project}` : '';
  const text = ((): string => {
    switch (kind) {
      case 'not_found':
        return `Google Cloud could not find it while ${doing}${where}: ${p.message}`;
      case 'conflict':
        return `Google Cloud refused ${doing}${where} because of the resource's current state: ${p.message}`;
      case 'auth_failed':
        return (
          `Google Cloud refused the credentials or permissions for ${doing}${where} (HTTP ${p.status}): ${p.message} ` +
          `Check the service account's roles${project ? ` in ${project}` : ''}.`
        );
      case 'rate_limited':
        return `Google Cloud is throttling requests (HTTP 429) while ${doing}${where}; try again in a minute. ${p.message}`;
      case 'bad_request':
        return `Google Cloud rejected the request for ${doing}${where}: ${p.message}`;
      default:
        return p.network
          ? `Could not reach Google Cloud while ${doing}${where} (${p.network}).`
          : `Google Cloud failed while ${doing}${where}: ${p.message}${p.status ? ` (HTTP ${p.status})` : ''}`;
    }
  })();
  return new AppError(kind, text, { cause: e });
};
