import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * The request id of the work in progress, carried across awaits by AsyncLocalStorage: the HTTP
 * server opens a context per request (an incoming `x-request-id`, else a W3C `traceparent`'s trace
 * id, else a new id), and every log line written inside it carries `requestId` (the logger reads
 * it through pino's `mixin`). Work queued to run later in another async context (Slack's
 * background work) is bound with `bindRequestContext` so it keeps the id of the request that
 * started it.
 */
export interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `requestId` as the current request id (also across everything it awaits or schedules). */
export const withRequestContext = <T>(requestId: string, fn: () => T): T => storage.run({ requestId }, fn);

/** The current request id, if this code runs on behalf of a request. */
export const currentRequestId = (): string | undefined => storage.getStore()?.requestId;

/**
 * `fn` bound to the current context: when it runs later (started by a queue that another
 * request's work drains), it still sees the request id that was current when it was bound.
 */
export const bindRequestContext = <A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) =>
  AsyncResource.bind(fn);

/** A new request id: a random UUID. */
export const newRequestId = (): string => randomUUID();

/** What an incoming `x-request-id` may be: short, and only characters that are safe in logs and headers. */
const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;
/** W3C Trace Context `traceparent`: version-traceid-parentid-flags, lowercase hex (a later version may append fields). */
const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

const single = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? undefined : h?.trim());

/** The trace id of a valid `traceparent` header, else undefined (version ff and all-zero ids are invalid). */
export const traceIdOf = (traceparent: string | string[] | undefined): string | undefined => {
  const m = traceparentPattern.exec(single(traceparent) ?? '');
  if (!m) return undefined;
  const [, version, traceId, parentId, , rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined;
  return traceId;
};

/**
 * The id for an incoming request: its `x-request-id` when that is valid, else the trace id of its
 * `traceparent`, else a new one. An invalid `x-request-id` (too long, odd characters, repeated) is
 * ignored, never echoed.
 */
export const requestIdFor = (headers: Readonly<Record<string, string | string[] | undefined>>): string => {
  const given = single(headers['x-request-id']);
  if (given && requestIdPattern.test(given)) return given;
  return traceIdOf(headers.traceparent) ?? newRequestId();
};
