import type { ErrorCode } from '../errors.ts';

/**
 * Pieces the providers' error translators (aws/, azure/, gcp/, kubernetes/errors.ts) share. Each
 * provider keeps its own codes and its own sentences; only what means the same everywhere is here.
 */

/** Node's socket error codes for "nothing answered" (refused, reset, unknown host, timed out, DNS, broken pipe). */
export const socketErrorCodes: readonly string[] = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
];

/**
 * The AppError code for a cloud API's HTTP error status: 401/403 auth_failed, 404 not_found,
 * 409 conflict, 429 rate_limited, a status in `badRequestStatuses` (those the API uses for a
 * malformed request; 400 unless told) bad_request, anything else (or no status) cloud_error.
 */
export const appCodeForCloudStatus = (
  status: number | undefined,
  badRequestStatuses: readonly number[] = [400],
): ErrorCode => {
  if (status === 401 || status === 403) return 'auth_failed';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status !== undefined && badRequestStatuses.includes(status)) return 'bad_request';
  return 'cloud_error';
};
