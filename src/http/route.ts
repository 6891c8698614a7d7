import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/**
 * The tiny routing contract of the one HTTP server. A route is a method plus an exact path, or a
 * path prefix (`prefix: true`: `/slack` matches `/slack` and `/slack/…`). Handlers get the raw body
 * bytes (Slack and PagerDuty sign them) and return a response; they never write to the socket
 * unless they must stream, in which case they use `raw.res` and return `null`.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  readonly method: HttpMethod;
  /** The request path as received, without the query string. */
  readonly path: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** Exactly the bytes received (empty for GET): signature checks need them untouched. */
  readonly rawBody: Buffer;
  /** Parses the body as JSON and validates it: 400 with the reason (and field path) when it fails. */
  json<T>(schema: z.ZodType<T>): T;
  /** Validates the query string (one value per name): 400 with the field path when it fails. */
  query<T>(schema: z.ZodType<T>): T;
  /** Escape hatch for streaming handlers. */
  readonly raw: { readonly req: IncomingMessage; readonly res: ServerResponse };
  /** Aborted when the server starts closing: a long-lived response (a live stream) ends then. */
  readonly closing?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface Route {
  method: HttpMethod;
  path: string;
  prefix?: boolean;
  /** Overrides the server's body limit for this route (bytes). */
  bodyLimitBytes?: number;
  /** Runs before the body is read (authentication), so a refused request costs no buffering. Throws to refuse. */
  guard?(headers: IncomingHttpHeaders, client: string): void;
  /** Returns the response, or null when it wrote `raw.res` itself. */
  handle(req: HttpRequest): Promise<HttpResponse | null> | HttpResponse | null;
}

/** A group of routes mounted together (the console, a surface's webhooks). */
export interface RouteGroup {
  readonly routes: readonly Route[];
}

export const json = (
  status: number,
  value: unknown,
  headers: Record<string, string | string[]> = {},
): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(value),
});

export const text = (status: number, body: string, headers: Record<string, string | string[]> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  body,
});

/** The label used for metrics and logs: the pattern, never the raw path (bounded cardinality). */
export const routeLabel = (r: Pick<Route, 'path' | 'prefix'>): string =>
  r.prefix ? `${r.path.replace(/\/$/, '')}/*` : r.path;
