import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import type { Route } from '../../src/http/route.ts';
import { createHttpServer, type HttpServer } from '../../src/http/server.ts';
import { streamLive, type StreamLiveOptions } from '../../src/http/sse.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { createFanOut } from '../../src/store/live-fanout.ts';
import { createMemoryLiveBus } from '../../src/store/live.ts';
import type { LiveBus, LiveEvent } from '../../src/util/live.ts';
import { openSse, type SseClient } from '../helpers/sse-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * streamLive on the real HTTP server, read by a real streaming client: what an EventSource gets,
 * and what the server does with clients that leave, read too slowly, or are too many.
 */
const silent = createLogger('silent');

/** The in-memory bus, counting its subscribers, with a resync the test can trigger (as a reconnect does). */
const countingBus = () => {
  const bus = createMemoryLiveBus(silent);
  const resyncs = createFanOut(silent);
  let subscribers = 0;
  return {
    publish: bus.publish,
    subscribe: (listener: (e: LiveEvent) => void, resync?: () => void) => {
      subscribers++;
      const stopResync = resyncs.subscribe(() => undefined, resync);
      const stop = bus.subscribe(listener, resync);
      return () => {
        subscribers--;
        stopResync();
        stop();
      };
    },
    close: bus.close,
    resync: () => resyncs.resync(),
    get subscribers() {
      return subscribers;
    },
  } satisfies LiveBus & Record<string, unknown>;
};

const msg = (messageId: number, conversationKey = 'console:console:ops:'): LiveEvent => ({
  kind: 'message',
  workspaceId: 'console',
  conversationKey,
  messageId,
});

let bus: ReturnType<typeof countingBus>;
let server: HttpServer;
let base: string;
let metrics: Metrics;
const logLines: Array<Record<string, unknown>> = [];
let options: StreamLiveOptions = {};
const clients: SseClient[] = [];

const start = async (): Promise<void> => {
  bus = countingBus();
  metrics = createMetrics();
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) =>
    logLines.push(
      ...c
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    ),
  );
  const route: Route = {
    method: 'GET',
    path: '/events',
    // Only the ops channel's messages: the caller's visibility rule.
    handle: (req) =>
      streamLive(req, bus, (e) => e.kind === 'message' && e.conversationKey === 'console:console:ops:', options),
  };
  server = createHttpServer({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', CONSOLE_ENABLED: 'false' }),
    logger: createLogger('info', sink),
    metrics,
    ready: async () => undefined,
    routes: [route],
  });
  base = `http://127.0.0.1:${(await server.listen()).port}`;
};

const open = async (): Promise<SseClient> => {
  const c = await openSse(`${base}/events`);
  clients.push(c);
  return c;
};

beforeAll(start);
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  options = {};
});
afterAll(async () => {
  await server.close();
});

describe('streamLive', () => {
  it('answers an event stream: retry, ready, then the accepted events, one frame each', async () => {
    const c = await open();
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(c.headers['cache-control']).toBe('no-store');
    expect(c.headers['x-accel-buffering']).toBe('no');
    await waitFor(() => c.events('ready').length === 1, { what: 'ready', timeoutMs: 5_000 });
    expect(c.frames[0]).toEqual({ retry: 3000 });
    await waitFor(() => bus.subscribers === 1, { what: 'the subscription', timeoutMs: 5_000 });
    bus.publish(msg(1));
    bus.publish(msg(2, 'console:console:other:'));
    bus.publish({ kind: 'change', workspaceId: 'console', changeId: 'CR-1', status: 'approved' });
    bus.publish(msg(3));
    await waitFor(() => c.events('message').length === 2, { what: 'two message frames', timeoutMs: 5_000 });
    expect(c.events('message').map((f) => JSON.parse(f.data!))).toEqual([msg(1), msg(3)]);
    expect(c.events().map((f) => f.event)).toEqual(['ready', 'message', 'message']);
  });

  it('sends a comment as heartbeat on its interval', async () => {
    options = { heartbeatMs: 40 };
    const c = await open();
    await waitFor(() => c.frames.filter((f) => f.comment === 'heartbeat').length >= 2, {
      what: 'two heartbeats',
      timeoutMs: 5_000,
    });
    expect(c.body()).toContain(': heartbeat\n\n');
  });

  it('tells the client to resync after the bus reconnected', async () => {
    const c = await open();
    await waitFor(() => bus.subscribers === 1, { what: 'the subscription', timeoutMs: 5_000 });
    bus.resync();
    await waitFor(() => c.events('resync').length === 1, { what: 'a resync frame', timeoutMs: 5_000 });
  });

  it('unsubscribes when the client goes away, and logs the stream as served, not aborted', async () => {
    const c = await open();
    await waitFor(() => bus.subscribers === 1, { what: 'the subscription', timeoutMs: 5_000 });
    c.close();
    await waitFor(() => bus.subscribers === 0, { what: 'the unsubscribe', timeoutMs: 5_000 });
    const line = await waitFor(() => logLines.findLast((l) => l.msg === 'request' && l.route === '/events'), {
      what: 'the access log line',
      timeoutMs: 5_000,
    });
    expect(line).toMatchObject({ status: 200, method: 'GET' });
    expect(line.aborted).toBeUndefined();
    const scraped = await (await fetch(`${base}/metrics`)).text();
    expect(scraped).toMatch(
      /devops_agent_http_request_duration_seconds_count\{[^}]*route="\/events",status="200"\} \d/,
    );
  });

  it('answers 503 beyond maxClients on this replica, and serves again once one left', async () => {
    options = { maxClients: 2 };
    const [a, b] = [await open(), await open()];
    expect([a.status, b.status]).toEqual([200, 200]);
    const third = await open();
    expect(third.status).toBe(503);
    await third.ended;
    expect(third.body()).toContain('Too many live streams');
    a.close();
    await waitFor(() => bus.subscribers === 1, { what: 'a to leave', timeoutMs: 5_000 });
    const fourth = await open();
    expect(fourth.status).toBe(200);
  });

  it('drops a client that does not read (its unsent bytes pile up)', async () => {
    options = { maxBufferedBytes: 16 * 1024 };
    // A raw socket that sends the request and never reads the answer.
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    try {
      await waitFor(() => bus.subscribers === 1, { what: 'the slow client to subscribe', timeoutMs: 5_000 });
      const reader = await open();
      await waitFor(() => bus.subscribers === 2, { what: 'the reading client', timeoutMs: 5_000 });
      // The kernel's socket buffers take some megabytes first; then the server's buffer grows.
      let sent = 0;
      while (bus.subscribers === 2 && sent < 400_000) {
        for (let i = 0; i < 2_000; i++) bus.publish(msg(++sent));
        await new Promise((r) => setImmediate(r));
      }
      await waitFor(() => bus.subscribers === 1, { what: 'the slow client to be dropped', timeoutMs: 10_000 });
      // The client that reads keeps its stream.
      expect(reader.frames.length).toBeGreaterThan(0);
      await new Promise((r) => setImmediate(r));
      socket.resume();
      await closed;
    } finally {
      socket.destroy();
    }
  }, 60_000);
});

describe('closing the server with open streams', () => {
  it('ends them at once instead of waiting out the grace period', async () => {
    const c = await open();
    await waitFor(() => c.events('ready').length === 1, { what: 'ready', timeoutMs: 5_000 });
    const started = Date.now();
    await server.close();
    await c.ended;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(bus.subscribers).toBe(0);
  });
});
