import http from 'node:http';
import { waitFor } from './wait-for.ts';

/** One frame of a `text/event-stream`: its `event` (message when absent), `data`, `retry`, or a comment. */
export interface SseFrame {
  event?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

/**
 * A streaming client of a server-sent events route, parsing frames as they arrive (as an
 * EventSource does), for the tests of live streams. `close()` leaves like a closed browser tab.
 */
export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  frames: SseFrame[];
  /** Frames with an `event:` name, in order. */
  events(name?: string): SseFrame[];
  /** Resolves when the server ended the stream (or the socket closed). */
  ended: Promise<void>;
  body(): string;
  next(what: string, match: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  close(): void;
}

const parseFrame = (raw: string): SseFrame => {
  const f: SseFrame = {};
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) f.comment = line.slice(1).trim();
    const m = /^(\w+): ?(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'event') f.event = m[2];
    else if (m[1] === 'data') f.data = f.data === undefined ? m[2] : `${f.data}\n${m[2]}`;
    else if (m[1] === 'retry') f.retry = Number(m[2]);
  }
  return f;
};

export const openSse = (url: string, headers: Record<string, string> = {}): Promise<SseClient> =>
  new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buffer = '';
      let text = '';
      const frames: SseFrame[] = [];
      const ended = new Promise<void>((done) => {
        res.once('end', done);
        res.once('close', done);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          frames.push(parseFrame(buffer.slice(0, at)));
          buffer = buffer.slice(at + 2);
        }
      });
      res.on('error', () => undefined);
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        events: (name) => frames.filter((f) => f.event !== undefined && (name === undefined || f.event === name)),
        ended,
        body: () => text,
        next: async (what, match, timeoutMs = 5_000) => {
          const from = frames.length;
          return waitFor(() => frames.slice(from).find(match), { what, timeoutMs, detail: () => frames.slice(-5) });
        },
        close: () => req.destroy(),
      };
      resolve(client);
    });
    req.on('error', reject);
  });
