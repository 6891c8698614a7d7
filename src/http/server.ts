import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { requestIdFor, withRequestContext } from '../observability/request-context.ts';
import { defaultBodyLimitBytes, parseJson, readBody } from './body.ts';
import { HttpError, errorResponse } from './errors.ts';
import { probeRoutes } from './probes.ts';
import { isEventStream } from './sse.ts';
import { routeLabel, type HttpRequest, type HttpResponse, type Route, type RouteGroup } from './route.ts';
import { createRouter } from './router.ts';

/** The console's routes (see surfaces/console): mounted only when `config.consoleEnabled`. */
export type ConsoleApi = RouteGroup;

export interface HttpServerDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Resolves when the app can serve; rejects (or hangs) while the database is unreachable. */
  ready: () => Promise<void>;
  console?: ConsoleApi;
  /** Surfaces and webhooks: /slack/events, /api/messages, /webhooks/pagerduty, … */
  routes?: readonly Route[];
  bodyLimitBytes?: number;
  readyTimeoutMs?: number;
  /** How long close() waits for in-flight requests before cutting connections. */
  closeGraceMs?: number;
}

export interface HttpServer {
  readonly server: http.Server;
  listen(): Promise<{ port: number }>;
  close(): Promise<void>;
}

const methods = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Routes whose successful answers are logged at debug, not info (orchestrator probes, Prometheus). */
const quietRoutes = new Set(['/healthz', '/readyz', '/metrics']);

/** Counts the body bytes a response writes (streamed or not); returns the running total. */
const countBodyBytes = (res: ServerResponse): (() => number) => {
  let total = 0;
  const add = (chunk: unknown, encoding?: unknown): void => {
    if (typeof chunk === 'string')
      total += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) total += chunk.byteLength;
  };
  const write = res.write.bind(res) as (...a: unknown[]) => boolean;
  const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
  res.write = ((...a: unknown[]) => {
    add(a[0], a[1]);
    return write(...a);
  }) as ServerResponse['write'];
  res.end = ((...a: unknown[]) => {
    if (typeof a[0] !== 'function') add(a[0], a[1]);
    return end(...a);
  }) as ServerResponse['end'];
  return () => total;
};
const emptyBody = Buffer.alloc(0);

const send = (res: ServerResponse, r: HttpResponse): void => {
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  res.setHeader('x-content-type-options', 'nosniff');
  res.end(r.body);
};

export const createHttpServer = (deps: HttpServerDeps): HttpServer => {
  const log = deps.logger.child({ component: 'http' });
  const routes = [
    ...probeRoutes({ ready: deps.ready, metrics: deps.metrics, logger: log, readyTimeoutMs: deps.readyTimeoutMs }),
    ...(deps.config.consoleEnabled && deps.console ? deps.console.routes : []),
    ...(deps.routes ?? []),
  ];
  const router = createRouter(routes);
  // Live streams end when close() starts rather than holding it for the whole grace period.
  const closingController = new AbortController();
  const bodyLimit = deps.bodyLimitBytes ?? defaultBodyLimitBytes;

  const dispatch = async (
    req: IncomingMessage,
    res: ServerResponse,
    setLabel: (l: string) => void,
  ): Promise<HttpResponse | null> => {
    const method = req.method ?? 'GET';
    // Parsed against a fixed origin: the Host header is the client's to choose and must not matter.
    const url = new URL(`http://localhost${(req.url ?? '/').startsWith('/') ? req.url : `/${req.url}`}`);
    if (!methods.has(method)) throw new HttpError(405, `method ${method} not allowed`);
    const match = router.match(method, url.pathname);
    if (match.kind === 'none') throw new HttpError(404, `no route for ${method} ${url.pathname}`);
    if (match.kind === 'method')
      throw new HttpError(405, `method ${method} not allowed here`, { allow: match.allow.join(', ') });
    const { route } = match;
    setLabel(routeLabel(route));
    route.guard?.(req.headers, req.socket.remoteAddress ?? 'unknown');
    const rawBody =
      method === 'GET' || method === 'HEAD' ? emptyBody : await readBody(req, route.bodyLimitBytes ?? bodyLimit);
    const request: HttpRequest = {
      method: route.method,
      path: url.pathname,
      url,
      headers: req.headers,
      rawBody,
      json: (schema) => schema.parse(parseJson(rawBody)),
      query: (schema) => schema.parse(Object.fromEntries(url.searchParams)),
      raw: { req, res },
      closing: closingController.signal,
    };
    return route.handle(request);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    let label = 'unmatched';
    // One id per request: the caller's (x-request-id, or traceparent's trace id) or a new one. It
    // goes back in the answer and into every log line written on the request's behalf.
    const requestId = requestIdFor(req.headers);
    res.setHeader('x-request-id', requestId);
    const bytes = countBodyBytes(res);
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A live stream ends when its client leaves: that is its normal end, not an abort.
      const finished = res.writableFinished || (isEventStream(res) && res.headersSent);
      const status = finished ? String(res.statusCode) : 'aborted';
      deps.metrics.httpSeconds.observe({ method: req.method ?? 'GET', route: label, status }, seconds);
      const line = {
        method: req.method,
        route: label,
        // Always a number (log stores type fields); a response cut short is flagged apart.
        status: res.statusCode,
        ...(finished ? {} : { aborted: true }),
        durationMs: Math.round(seconds * 1_000_000) / 1000,
        bytes: req.method === 'HEAD' ? 0 : bytes(),
        requestId,
      };
      // The access log. Probes and scrapes that succeed come every few seconds and say nothing:
      // debug only; a failing probe or scrape is logged like any request.
      if (quietRoutes.has(label) && res.statusCode < 400) log.debug(line, 'request');
      else log.info(line, 'request');
    });
    withRequestContext(requestId, () =>
      dispatch(req, res, (l) => (label = l))
        .then((response) => {
          if (response) send(res, response);
          else if (!res.writableEnded && !res.headersSent)
            throw new AppError('internal', `route ${label} returned no response`);
        })
        .catch((err: unknown) => {
          const { response, serverFault } = errorResponse(err);
          if (serverFault) log.error({ err, method: req.method, route: label }, 'request failed');
          if (res.headersSent) res.destroy();
          else send(res, response);
        })
        .catch((err: unknown) => log.error({ err }, 'could not send the error response')),
    );
  };

  const server = http.createServer(onRequest);
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    log.debug({ err: (err as Error).message }, 'malformed request');
  });

  const graceMs = deps.closeGraceMs ?? 10_000;
  let closing: Promise<void> | undefined;

  return {
    server,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(deps.config.PORT, deps.config.HOST, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          log.info(
            { host: deps.config.HOST, port, console: deps.config.consoleEnabled && Boolean(deps.console) },
            'http server listening',
          );
          resolve({ port });
        });
      }),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        closingController.abort();
        if (!server.listening) return resolve();
        // Stop accepting, let in-flight requests finish (live streams end at once), then cut whatever is left.
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
};
