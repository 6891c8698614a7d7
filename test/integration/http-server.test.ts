import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { loadConfig } from '../../src/config.ts';
import { conflict, forbidden, UnavailableError } from '../../src/errors.ts';
import { json, type Route } from '../../src/http/route.ts';
import { createHttpServer, type HttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';

/** The server alone (no database): probes, error mapping, limits, metrics. */
const Echo = z.object({ name: z.string().min(1), count: z.number().int() });

const routes: Route[] = [
  { method: 'POST', path: '/echo', handle: (req) => json(200, req.json(Echo)) },
  {
    method: 'POST',
    path: '/hooks',
    prefix: true,
    handle: (req) => json(200, { path: req.path, raw: req.rawBody.toString('base64') }),
  },
  {
    method: 'GET',
    path: '/boom/conflict',
    handle: () => {
      throw conflict('already approved by bob');
    },
  },
  {
    method: 'GET',
    path: '/boom/forbidden',
    handle: () => {
      throw forbidden('approvers only');
    },
  },
  {
    method: 'GET',
    path: '/boom/internal',
    handle: () => {
      throw new Error('secret detail at /srv/x.ts:1');
    },
  },
  {
    method: 'GET',
    path: '/items',
    handle: (req) => json(200, req.query(z.object({ page: z.coerce.number().int().min(1) }))),
  },
];

let readyState: 'ok' | 'down' | 'hang' = 'ok';
const logLines: string[] = [];

const start = async (): Promise<{ http: HttpServer; base: string; metrics: ReturnType<typeof createMetrics> }> => {
  const config = loadConfig({ PORT: '0', CONSOLE_ENABLED: 'false' });
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().trim().split('\n')));
  const metrics = createMetrics();
  const server = createHttpServer({
    config,
    logger: createLogger('info', sink),
    metrics,
    routes,
    bodyLimitBytes: 1024,
    readyTimeoutMs: 50,
    console: { routes: [{ method: 'GET', path: '/', handle: () => json(200, { console: true }) }] },
    ready: () =>
      readyState === 'ok'
        ? Promise.resolve()
        : readyState === 'down'
          ? Promise.reject(new UnavailableError('the database', new Error('connect ECONNREFUSED 10.1.2.3:5432')))
          : new Promise<void>(() => undefined),
  });
  const { port } = await server.listen();
  return { http: server, base: `http://127.0.0.1:${port}`, metrics };
};

/** Raw request, for bodies fetch will not send as is (chunked, oversized). */
const rawPost = (
  base: string,
  path: string,
  chunks: Buffer[],
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    // The server may answer 413 and close while we are still sending: that is the point.
    req.on('error', (err) =>
      (err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET'
        ? undefined
        : reject(err),
    );
    for (const c of chunks) req.write(c);
    req.end();
  });

interface ErrorBody {
  error: string;
  status: string;
  reason: string;
  issues: { path: string; message: string }[];
}
const read = async (res: Response): Promise<ErrorBody> => (await res.json()) as ErrorBody;

describe('http server', () => {
  let app: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    app = await start();
  });
  afterAll(async () => {
    await app.http.close();
  });
  const get = (path: string, init?: RequestInit) => fetch(`${app.base}${path}`, init);
  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${app.base}${path}`, { method: 'POST', body, headers });

  it('answers liveness', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers readiness from ready(): 200, 503 with a safe reason when it rejects, 503 when it hangs', async () => {
    readyState = 'ok';
    expect((await get('/readyz')).status).toBe(200);
    readyState = 'down';
    const down = await get('/readyz');
    expect(down.status).toBe(503);
    const body = await down.json();
    expect(body).toEqual({
      status: 'unavailable',
      reason: 'the database is temporarily unavailable, please try again in a moment.',
    });
    readyState = 'hang';
    const hung = await get('/readyz');
    expect(hung.status).toBe(503);
    expect((await read(hung)).reason).toBe('readiness check took longer than 50 ms');
    readyState = 'ok';
  });

  it('returns 400 with the parser reason on malformed JSON', async () => {
    const res = await post('/echo', '{"name": "x",');
    expect(res.status).toBe(400);
    expect((await read(res)).error).toMatch(/^invalid JSON: /);
    const empty = await post('/echo', '');
    expect(await empty.json()).toEqual({ error: 'invalid JSON: the request body is empty' });
  });

  it('returns 400 naming the wrong field and the reason', async () => {
    const res = await post('/echo', JSON.stringify({ name: 'x', count: 'three' }));
    expect(res.status).toBe(400);
    const body = await read(res);
    expect(body.error).toBe('invalid request: count: Invalid input: expected number, received string');
    expect(body.issues).toEqual([{ path: 'count', message: 'Invalid input: expected number, received string' }]);
    const q = await get('/items?page=0');
    expect(q.status).toBe(400);
    expect((await read(q)).error).toMatch(/^invalid request: page: /);
    expect(await (await get('/items?page=2')).json()).toEqual({ page: 2 });
  });

  it('accepts a body at the limit and refuses a larger one with 413, declared or chunked', async () => {
    const fits = JSON.stringify({ name: 'x'.repeat(1024 - 21), count: 1 });
    expect(Buffer.byteLength(fits)).toBe(1024);
    expect((await post('/echo', fits)).status).toBe(200);
    const declared = await rawPost(app.base, '/echo', [Buffer.alloc(1025, 0x20)]);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual({ error: 'request body larger than 1024 bytes' });
    const chunked = await rawPost(app.base, '/echo', [Buffer.alloc(600, 0x20), Buffer.alloc(600, 0x20)], {
      'transfer-encoding': 'chunked',
    });
    expect(chunked.status).toBe(413);
  });

  it('hands prefix routes the exact raw bytes', async () => {
    const bytes = Buffer.from('payload=%7B%22a%22%3A1%7D&x=\u00e9', 'utf8');
    const res = await fetch(`${app.base}/hooks/slack/events`, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await res.json()).toEqual({ path: '/hooks/slack/events', raw: bytes.toString('base64') });
  });

  it('answers unknown routes with 404 JSON and wrong methods with 405', async () => {
    const res = await get('/nope?x=1');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no route for GET /nope' });
    const wrong = await get('/echo');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('maps AppErrors by code, and hides unexpected errors behind a logged 500', async () => {
    const c = await get('/boom/conflict');
    expect([c.status, await c.json()]).toEqual([409, { error: 'already approved by bob' }]);
    expect((await get('/boom/forbidden')).status).toBe(403);
    const before = logLines.length;
    const e = await get('/boom/internal');
    expect(e.status).toBe(500);
    const text = await e.text();
    expect(JSON.parse(text)).toEqual({ error: 'internal error' });
    expect(text).not.toContain('secret');
    const line = logLines
      .slice(before)
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request failed');
    expect(line).toMatchObject({
      level: 50,
      route: '/boom/internal',
      err: { message: 'secret detail at /srv/x.ts:1' },
    });
  });

  it('does not mount the console when it is disabled', async () => {
    expect((await get('/')).status).toBe(404);
  });

  it('exposes metrics with route patterns as labels, never raw paths', async () => {
    await get('/healthz');
    await get('/no/such/path/123');
    await fetch(`${app.base}/hooks/abc/123`, { method: 'POST', body: 'x' });
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(
      /devops_agent_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} [1-9]/,
    );
    expect(text).toMatch(
      /devops_agent_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]/,
    );
    expect(text).toMatch(/route="\/hooks\/\*",status="200"/);
    expect(text).not.toContain('/no/such/path');
    expect(text).not.toContain('/hooks/abc');
  });
});

describe('http server lifecycle', () => {
  it('reports a port in use and closes idempotently', async () => {
    const a = await start();
    const port = Number(new URL(a.base).port);
    const b = createHttpServer({
      config: loadConfig({ PORT: String(port) }),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      ready: async () => undefined,
    });
    await expect(b.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await Promise.all([a.http.close(), a.http.close()]);
    await b.close();
  });
});
