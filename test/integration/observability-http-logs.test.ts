import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { UnavailableError } from '../../src/errors.ts';
import { json, type Route } from '../../src/http/route.ts';
import { createHttpServer, type HttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The access log and request ids of the one HTTP server: every request gets an id (the caller's
 * x-request-id, else its traceparent's trace id, else a new one), answers it in x-request-id, and
 * every log line written while serving it carries it.
 */
interface Line {
  level: number;
  msg: string;
  requestId?: string;
  [k: string]: unknown;
}

const lines: Line[] = [];
const sink = new PassThrough();
sink.on('data', (chunk: Buffer) =>
  lines.push(
    ...chunk
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line),
  ),
);
const logger = createLogger('debug', sink);
let ready = true;
let release: () => void = () => undefined;
let slowEntered = false;
const held = new Promise<void>((r) => (release = r));

const routes: Route[] = [
  {
    method: 'POST',
    path: '/work',
    handle: async (req) => {
      // An inner line, after an await: the id must survive the hop.
      await new Promise((r) => setImmediate(r));
      logger.info({ size: req.rawBody.length }, 'working on it');
      return json(200, { done: true });
    },
  },
  {
    method: 'GET',
    path: '/slow',
    handle: async () => {
      slowEntered = true;
      await held;
      return json(200, { late: true });
    },
  },
  {
    method: 'GET',
    path: '/stream',
    handle: (req) => {
      const { res } = req.raw;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('abc');
      res.write(Buffer.from('de'));
      res.end('é');
      return null;
    },
  },
];

let server: HttpServer;
let base: string;

beforeAll(async () => {
  server = createHttpServer({
    config: loadConfig({ PORT: '0', CONSOLE_ENABLED: 'false' }),
    logger,
    metrics: createMetrics(),
    routes,
    readyTimeoutMs: 50,
    ready: () => (ready ? Promise.resolve() : Promise.reject(new UnavailableError('the database'))),
  });
  base = `http://127.0.0.1:${(await server.listen()).port}`;
});
afterAll(() => {
  release();
  return server.close();
});

/** The access line of the request that was answered with this id (written when the response closes). */
const accessLine = (requestId: string): Promise<Line> =>
  waitFor(() => lines.find((l) => l.msg === 'request' && l.requestId === requestId), {
    what: `the access line of ${requestId}`,
    timeoutMs: 2000,
    detail: () => lines,
  });

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids and the access log', () => {
  it('takes x-request-id, answers it, and puts it on the access line and on inner lines', async () => {
    const res = await fetch(`${base}/work`, {
      method: 'POST',
      headers: { 'x-request-id': 'req-abc.123:x' },
      body: 'hi',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-abc.123:x');
    const body = await res.text();
    const access = await accessLine('req-abc.123:x');
    expect(access).toMatchObject({
      level: 30,
      method: 'POST',
      route: '/work',
      status: 200,
      bytes: Buffer.byteLength(body),
      component: 'http',
    });
    expect(typeof access.durationMs).toBe('number');
    const inner = lines.filter((l) => l.msg === 'working on it');
    expect(inner.at(-1)).toMatchObject({ requestId: 'req-abc.123:x', size: 2 });
  });

  it("takes a traceparent's trace id when there is no x-request-id", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${base}/work`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: 'x',
    });
    expect(res.headers.get('x-request-id')).toBe(traceId);
    await accessLine(traceId);
    expect(lines.filter((l) => l.msg === 'working on it').at(-1)?.requestId).toBe(traceId);
  });

  it('ignores an unsafe x-request-id or a malformed traceparent and makes a new id', async () => {
    for (const headers of [
      { 'x-request-id': 'a b' },
      { 'x-request-id': 'x'.repeat(65) },
      { 'x-request-id': '<script>' },
      { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
      { traceparent: 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      { traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01' },
      {},
    ]) {
      const res = await fetch(`${base}/work`, { method: 'POST', headers, body: 'x' });
      const id = res.headers.get('x-request-id') ?? '';
      expect(id).toMatch(uuid);
      await accessLine(id);
    }
  });

  it('counts the bytes of a streamed answer', async () => {
    const res = await fetch(`${base}/stream`, { headers: { 'x-request-id': 'stream-1' } });
    expect(await res.text()).toBe('abcdeé');
    expect(await accessLine('stream-1')).toMatchObject({ route: '/stream', status: 200, bytes: 7 });
  });

  it('flags a request whose client went away before the answer', async () => {
    const abort = new AbortController();
    const gone = fetch(`${base}/slow`, { headers: { 'x-request-id': 'gone-1' }, signal: abort.signal }).catch(
      (e: unknown) => e,
    );
    await waitFor(() => slowEntered, { what: 'the server to be working on /slow', timeoutMs: 2000 });
    abort.abort();
    expect(await gone).toMatchObject({ name: 'AbortError' });
    expect(await accessLine('gone-1')).toMatchObject({ level: 30, route: '/slow', aborted: true });
  });

  it('logs an unmatched path by its label, never the raw path', async () => {
    const res = await fetch(`${base}/no/such/thing?q=1`, { headers: { 'x-request-id': 'nf-1' } });
    expect(res.status).toBe(404);
    const line = await accessLine('nf-1');
    expect(line).toMatchObject({ level: 30, route: 'unmatched', status: 404 });
    expect(JSON.stringify(line)).not.toContain('/no/such/thing');
  });

  it('logs successful probes and scrapes at debug only, failing ones at info', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics'])
      await fetch(`${base}${path}`, { headers: { 'x-request-id': `probe${path.replace('/', '-')}` } });
    for (const path of ['/healthz', '/readyz', '/metrics'])
      expect((await accessLine(`probe${path.replace('/', '-')}`)).level).toBe(20);
    ready = false;
    const res = await fetch(`${base}/readyz`, { headers: { 'x-request-id': 'probe-down' } });
    expect(res.status).toBe(503);
    expect(await accessLine('probe-down')).toMatchObject({ level: 30, route: '/readyz', status: 503 });
    ready = true;
  });
});
