import { AppError, isAppError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import { appCodeForCloudStatus, socketErrorCodes } from '../errors.ts';

/**
 * The one translator from @kubernetes/client-node failures to AppError. The client throws an
 * ApiException (`code` = HTTP status, `body` = the API server's Status as a JSON string) for an
 * answer, and undici's `TypeError: fetch failed` (the socket error as `cause`) when nothing
 * answered. The Status `message` is the server's own words ("deployments.apps "web" not found")
 * and safe to show; every text names the context, since a kubeconfig holds many.
 */

interface ApiExceptionLike {
  code: number;
  body: unknown;
  headers?: Record<string, string>;
}

export const isApiException = (e: unknown): e is ApiExceptionLike =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number' && 'body' in e;

/** The Status object's message and reason, when the body is one. */
export const statusOf = (e: ApiExceptionLike): { message?: string; reason?: string } => {
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return {};
    }
  }
  if (!body || typeof body !== 'object') return {};
  const { message, reason } = body as { message?: unknown; reason?: unknown };
  return {
    ...(typeof message === 'string' && message ? { message } : {}),
    ...(typeof reason === 'string' && reason ? { reason } : {}),
  };
};

/** Seconds the server asked to wait (Retry-After), when it said. */
export const retryAfterSeconds = (e: unknown): number | undefined => {
  if (!isApiException(e)) return undefined;
  const v = Object.entries(e.headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

const networkCodes = new Set([
  ...socketErrorCodes,
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** The socket-level failure under undici's "fetch failed", e.g. `connect ECONNREFUSED 127.0.0.1:6443`. */
const networkCause = (e: unknown): string | undefined => {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
    const { code, message } = cur as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && networkCodes.has(code))
      return typeof message === 'string' && message ? message : code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return e instanceof Error && e.message === 'fetch failed' ? 'fetch failed' : undefined;
};

const isAbort = (e: unknown): 'timeout' | 'abort' | undefined => {
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'AbortError') return 'abort';
  return undefined;
};

/** The API server answers a malformed object 400, an unsupported patch type 415 and an invalid object 422. */
const codeForStatus = (status: number): ErrorCode => appCodeForCloudStatus(status, [400, 415, 422]);

/** What kind of failure it is, for metrics: the AppError code it translates to. */
export const kubeFailureKind = (e: unknown): ErrorCode => {
  if (isAppError(e)) return e.code;
  if (isApiException(e)) return codeForStatus(e.code);
  return 'cloud_error';
};

export interface KubeErrorScope {
  /** Kubeconfig context the call went to. */
  context: string;
  /** API server URL of that context. */
  server?: string;
  /** What was being done, for the sentence: "listing pods", "scaling payments/deployment/api". */
  doing: string;
  timeoutMs?: number;
}

/** Translates any failure of a call to one context into an AppError whose text names the context. */
export const translateKubeError = (e: unknown, scope: KubeErrorScope): AppError => {
  if (isAppError(e)) return e;
  const { context, doing } = scope;
  const where = scope.server ? ` (${scope.server})` : '';
  if (isApiException(e)) {
    const kind = codeForStatus(e.code);
    const { message, reason } = statusOf(e);
    const server = message ?? reason ?? `HTTP ${e.code}`;
    const text = ((): string => {
      switch (kind) {
        case 'auth_failed':
          return e.code === 401
            ? `The API server of context ${context} refused the credentials (401 Unauthorized) while ${doing}. Check the token or client certificate of that context in the kubeconfig.`
            : `The API server of context ${context} denied ${doing} (403 Forbidden): ${server}`;
        case 'not_found':
          return `Kubernetes (context ${context}) could not find it while ${doing}: ${server}`;
        case 'conflict':
          return `Kubernetes (context ${context}) refused ${doing} because the object changed meanwhile: ${server}`;
        case 'rate_limited':
          return `The API server of context ${context} is throttling requests (429) while ${doing}; try again in a minute.`;
        case 'bad_request':
          return `The API server of context ${context} rejected ${doing}: ${server}`;
        default:
          return `The API server of context ${context} failed while ${doing}: ${server} (HTTP ${e.code})`;
      }
    })();
    return new AppError(kind, text, { cause: e });
  }
  const aborted = isAbort(e);
  if (aborted === 'timeout')
    return new AppError(
      'cloud_error',
      `The API server of context ${context}${where} did not answer within ${scope.timeoutMs ?? '?'} ms while ${doing}.`,
      { cause: e },
    );
  if (aborted === 'abort')
    return new AppError('cloud_error', `Stopped ${doing} on context ${context}: the caller cancelled it.`, {
      cause: e,
    });
  const net = networkCause(e);
  if (net)
    return new AppError('cloud_error', `Cannot reach the API server of context ${context}${where}: ${net}`, {
      cause: e,
    });
  const text = e instanceof Error && e.message ? e.message.split('\n')[0]! : String(e);
  return new AppError('cloud_error', `Kubernetes (context ${context}) failed while ${doing}: ${text}`, { cause: e });
};
