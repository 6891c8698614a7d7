import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { defaultBodyLimitBytes, parseJson, readBody } from './body.ts';
import { HttpError, errorResponse } from './errors.ts';
import { probeRoutes } from './probes.ts';
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
    route.guard?.(req.headers);
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
    };
    return route.handle(request);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    let label = 'unmatched';
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.writableFinished ? String(res.statusCode) : 'aborted';
      deps.metrics.httpSeconds.observe({ method: req.method ?? 'GET', route: label, status }, seconds);
      log.debug({ method: req.method, route: label, status, ms: Math.round(seconds * 1000) }, 'request');
    });
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
      .catch((err: unknown) => log.error({ err }, 'could not send the error response'));
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
        if (!server.listening) return resolve();
        // Stop accepting, let in-flight requests finish, then cut whatever is left.
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
