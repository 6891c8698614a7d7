import type { ServerResponse } from 'node:http';
import type { LiveBus, LiveEvent } from '../util/live.ts';
import type { HttpRequest } from './route.ts';

/**
 * Server-sent events (`text/event-stream`) of the live bus, for a page's EventSource. The stream
 * says `ready` when it is open, then one `event: <kind>` + `data: <json>` per accepted event, a
 * comment every `heartbeatMs` (proxies close a silent connection), and `resync` after the bus
 * reconnected (events of that gap are lost: the page re-reads). Notices carry ids only: the page
 * fetches what changed through its own API.
 */
export interface StreamLiveOptions {
  /** A comment line this often (default 15 s). */
  heartbeatMs?: number;
  /** Streams open at once on this replica (one count per bus, default 1,000); beyond it, 503. */
  maxClients?: number;
  /** A client that leaves this much unsent (a slow reader: default 256 KB) is dropped. */
  maxBufferedBytes?: number;
  /** The browser's reconnect delay, sent as `retry:` (default 3 s). */
  retryMs?: number;
}

const defaultMaxClients = 1_000;
const open = new WeakMap<object, number>();

/**
 * Streams `bus` to the request's client, filtered by `accept` (the caller's visibility rule), until
 * the client goes away, the client reads too slowly, or the server closes. Returns null: the
 * response is written here (the server then leaves it alone).
 */
export const streamLive = (
  req: HttpRequest,
  bus: Pick<LiveBus, 'subscribe'>,
  accept: (e: LiveEvent) => boolean,
  opts?: StreamLiveOptions,
): null => {
  const res = req.raw.res;
  const maxClients = opts?.maxClients ?? defaultMaxClients;
  const maxBuffered = opts?.maxBufferedBytes ?? 256 * 1024;
  const count = open.get(bus) ?? 0;
  if (count >= maxClients) {
    res.writeHead(503, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'retry-after': '10',
    });
    res.end('Too many live streams on this server; try again later.\n');
    return null;
  }
  open.set(bus, count + 1);

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
    // The connection is this stream's alone: when it ends, the socket goes too (a server closing
    // does not wait on it for its keep-alive).
    connection: 'close',
  });
  res.socket?.setNoDelay(true);

  let ended = false;
  const send = (chunk: string): void => {
    if (ended) return;
    res.write(chunk);
    // Unsent bytes pile up in memory when the client does not read: it is dropped, and its
    // EventSource reconnects (and re-reads) if it is alive at all.
    if (res.writableLength > maxBuffered) stop(true);
  };
  const event = (name: string, data: unknown): void => send(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);

  const unsubscribe = bus.subscribe(
    (e) => {
      if (accept(e)) event(e.kind, e);
    },
    () => event('resync', {}),
  );
  const heartbeat = setInterval(() => send(': heartbeat\n\n'), opts?.heartbeatMs ?? 15_000);
  heartbeat.unref();

  /** Ends the stream once: `cut` destroys the socket (a slow reader), else ends it cleanly. */
  function stop(cut: boolean): void {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(heartbeat);
    req.closing?.removeEventListener('abort', onClosing);
    open.set(bus, Math.max(0, (open.get(bus) ?? 1) - 1));
    if (cut) res.destroy();
    else if (!res.writableEnded) res.end();
  }
  const onClosing = (): void => stop(false);
  res.once('close', () => stop(false));
  if (req.closing?.aborted) stop(false);
  else req.closing?.addEventListener('abort', onClosing);

  send(`retry: ${opts?.retryMs ?? 3_000}\n\n`);
  event('ready', {});
  return null;
};

/** Is `res` a live stream (its end by the client is the normal end, not an abort)? */
export const isEventStream = (res: ServerResponse): boolean =>
  /^text\/event-stream\b/.test(String(res.getHeader('content-type') ?? ''));
