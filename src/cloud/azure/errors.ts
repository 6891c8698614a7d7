import { AppError, isAppError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import { socketErrorCodes } from '../errors.ts';

/**
 * The one translator from Azure SDK failures to AppError. ARM errors arrive as RestError with
 * ARM's `code` (`ResourceNotFound`, `AuthorizationFailed`) and HTTP `statusCode`; @azure/identity
 * fails with AuthenticationError (Entra refused: wrong secret, unknown tenant) or
 * CredentialUnavailableError / AggregateAuthenticationError (no credential found at all). Azure's
 * own message names ids, scopes and AADSTS codes, never a secret, so it is kept in the text.
 */

const authCodes = new Set([
  'AuthorizationFailed',
  'AuthenticationFailed',
  'InvalidAuthenticationToken',
  'InvalidAuthenticationTokenTenant',
  'ExpiredAuthenticationToken',
  'LinkedAuthorizationFailed',
  'AuthenticationError',
  'AuthenticationRequiredError',
]);
/** Identity's error classes, told apart by name (their `code` is unset). */
const identityNames = new Set(['AuthenticationError', 'AuthenticationRequiredError']);
const noCredentialNames = new Set(['CredentialUnavailableError', 'AggregateAuthenticationError']);
const notFoundCodes = new Set(['ResourceNotFound', 'ResourceGroupNotFound', 'NotFound', 'SubscriptionNotFound']);
const conflictCodes = new Set(['OperationNotAllowed', 'Conflict', 'PropertyChangeNotAllowed']);
const badRequestCodes = new Set([
  'InvalidParameter',
  'SkuNotAvailable',
  'BadRequest',
  'InvalidRequestContent',
  'MissingApiVersionParameter',
  'InvalidApiVersionParameter',
]);
const throttleCodes = new Set(['TooManyRequests', 'RequestThrottled', 'SubscriptionRequestsThrottled']);
const networkCodes = new Set([
  ...socketErrorCodes,
  'REQUEST_SEND_ERROR',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface AzureErrorLike {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  errorResponse?: { error?: unknown; errorDescription?: unknown };
}

const fieldsOf = (e: unknown): AzureErrorLike => (e && typeof e === 'object' ? (e as AzureErrorLike) : {});

/** ARM's error code, identity's error class name, or a Node network code. */
export const azureErrorCode = (e: unknown): string => {
  const f = fieldsOf(e);
  // MSAL could not fetch the authority's OpenID configuration (unreachable, or its certificate is
  // not trusted): identity calls that "credential unavailable", but no credential was looked at.
  if (/endpoints_resolution_error/.test(messageOf(e))) return 'AuthorityUnreachable';
  if (typeof f.name === 'string' && (noCredentialNames.has(f.name) || identityNames.has(f.name))) return f.name;
  if (typeof f.code === 'string' && f.code) return f.code;
  if (typeof f.name === 'string' && f.name && f.name !== 'Error' && f.name !== 'RestError') return f.name;
  return /\b(E[A-Z_]{4,})\b/.exec(messageOf(e))?.[1] ?? 'Unknown';
};

const statusOf = (e: unknown): number | undefined => {
  const s = fieldsOf(e).statusCode;
  return typeof s === 'number' ? s : undefined;
};

const messageOf = (e: unknown): string => {
  const f = fieldsOf(e);
  return typeof f.message === 'string' && f.message ? f.message : String(e);
};

/**
 * ARM's own error text for a request whose error the SDK replaced with a generic one: the
 * modular SDKs' pager throws "Pagination failed with unexpected statusCode 403" and drops ARM's
 * message, so the provider's pipeline policy records the body of every failed ARM response here,
 * keyed by the request object the RestError keeps.
 */
const armBodies = new WeakMap<object, { code?: string; message?: string }>();

/** Called by the pipeline policy with a failed response's parsed `error` object. */
export const rememberArmError = (request: object, bodyText: string | undefined): void => {
  if (!bodyText) return;
  try {
    const body = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    armBodies.set(request, {
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    });
  } catch {
    // Not JSON (a proxy's HTML page): the SDK's own message stays.
  }
};

const armBodyOf = (e: unknown) => {
  const request = (e as { request?: unknown } | undefined)?.request;
  return request && typeof request === 'object' ? armBodies.get(request) : undefined;
};

/**
 * Azure's own text: ARM's message (recorded by the policy when the SDK dropped it), or Entra's
 * AADSTS sentence without MSAL's trace and correlation lines, or the error's message.
 */
const azureText = (e: unknown): string => {
  const arm = armBodyOf(e)?.message;
  if (arm) return arm;
  const desc = fieldsOf(e).errorResponse?.errorDescription;
  const text = typeof desc === 'string' && desc ? desc : messageOf(e);
  const aadsts = /(AADSTS\d+:.*?)(?:\s+Trace ID:|\s+-\s+Correlation ID:|$)/s.exec(text)?.[1];
  return (aadsts ?? text.split(/\r?\n/)[0]!).trim();
};

/** The AppError code for an Azure failure; `no_credentials` when nothing could sign a request. */
export const azureFailureKind = (e: unknown): ErrorCode | 'no_credentials' => {
  if (isAppError(e)) return e.code;
  const code = azureErrorCode(e);
  if (noCredentialNames.has(code)) return 'no_credentials';
  const status = statusOf(e);
  if (authCodes.has(code) || status === 401 || status === 403) return 'auth_failed';
  if (notFoundCodes.has(code) || status === 404) return 'not_found';
  if (throttleCodes.has(code) || status === 429) return 'rate_limited';
  if (conflictCodes.has(code)) return 'conflict';
  if (badRequestCodes.has(code)) return 'bad_request';
  return 'cloud_error';
};

/** Names the subscription in every message: several are listed side by side. */
export interface AzureErrorScope {
  /** What was being done: "listing VMs", "deallocating web-1". */
  doing: string;
  /** "prod (1111…)". */
  subscription: string;
}

export const translateAzureError = (e: unknown, scope: AzureErrorScope): AppError => {
  if (isAppError(e)) return e;
  const code = azureErrorCode(e);
  const kind = azureFailureKind(e);
  const azure = azureText(e);
  const where = `subscription ${scope.subscription}`;
  const text = (() => {
    switch (kind) {
      case 'no_credentials':
        return (
          `No Azure credentials were found for ${where} while ${scope.doing}: ${azure} ` +
          'Configure a service principal (tenant id, client id, client secret), a managed identity, or `az login`.'
        );
      case 'auth_failed':
        return `Azure refused the credentials or permissions for ${where} while ${scope.doing} (${code}): ${azure}`;
      case 'not_found':
        return `Azure could not find it in ${where} while ${scope.doing}: ${azure}`;
      case 'conflict':
        return `Azure refused ${scope.doing} in ${where} because of the resource's current state: ${azure}`;
      case 'rate_limited':
        return `Azure is throttling requests for ${where} (${code}) while ${scope.doing}; try again in a minute. ${azure}`;
      case 'bad_request':
        return `Azure rejected the request for ${scope.doing} in ${where}: ${azure}`;
      default:
        if (code === 'AuthorityUnreachable')
          return (
            `Could not reach the Microsoft Entra sign-in endpoint for ${where} while ${scope.doing} (${azure}). ` +
            'Check the authority host, the network, and for a private endpoint or the sandbox the trusted certificate (ca).'
          );
        return networkCodes.has(code)
          ? `Could not reach Azure for ${where} while ${scope.doing} (${code}): ${azure}`
          : `Azure failed while ${scope.doing} in ${where}: ${azure} (${code})`;
    }
  })();
  return new AppError(kind === 'no_credentials' ? 'auth_failed' : kind, text, { cause: e });
};
