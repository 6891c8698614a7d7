/**
 * The Slack fake's Socket Mode side: the WebSocket `apps.connections.open` hands out, on the fake's
 * own HTTP server (`/socket?ticket=…`). Like Slack it says `hello` on every new connection, sends
 * envelopes (events, interactivity, slash commands) and resolves each with the client's ack (matched
 * by `envelope_id`), and can end a connection the two ways Slack does: a `disconnect` message
 * (`refresh_requested`, `warning`, `link_disabled`; the client is expected to close and call
 * apps.connections.open again) or a dropped TCP connection. Each URL carries its own ticket, good for
 * one connection, so a client that reconnects to a stale URL instead of asking for a new one fails.
 * Minimal RFC 6455 server: unfragmented frames, which is all Slack's client sends; pings are
 * answered, a close is echoed.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface SocketEnvelope {
  envelope_id: string;
  type: 'events_api' | 'interactive' | 'slash_commands';
  payload: unknown;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
}

/** Why Slack asks the client to reconnect (`{"type":"disconnect","reason":…}`). */
export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

export interface SocketModeFake {
  /** Resolves when the bot's client completed its first WebSocket handshake (and got `hello`). */
  connected(): Promise<void>;
  /** Resolves once the client has completed `n` handshakes in all (1 = the first connection). */
  connection(n: number): Promise<void>;
  /** Handshakes completed so far; a reconnect adds one. */
  connections(): number;
  /** Accepted connections whose TCP connection is still open. */
  openConnections(): number;
  /** Sends an envelope on the newest connection; resolves with the client's ack for it, rejects if that connection closes first. */
  send(envelope: SocketEnvelope): Promise<SocketAck>;
  /**
   * Slack's `disconnect` message on the newest connection; resolves when that connection has closed.
   * The client is expected to close it; `close: true` also sends the server's close frame at once.
   */
  disconnect(reason: DisconnectReason, opts?: { close?: boolean }): Promise<void>;
  /** Ends the newest connection's TCP connection abruptly (RST), with neither a disconnect message nor a close frame. */
  drop(): Promise<void>;
  /** The URL for `apps.connections.open` to return: a fresh single-use ticket each time. */
  issueUrl(host: string): string;
  /** Drops every open connection (the HTTP server itself is closed by its owner). */
  close(): void;
}

export const SOCKET_PATH = '/socket';
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const frame = (opcode: number, payload: Buffer): Buffer => {
  const n = payload.length;
  let head: Buffer;
  if (n < 126) head = Buffer.from([0x80 | opcode, n]);
  else if (n < 65_536) head = Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
};

const text = (value: unknown): Buffer => frame(0x1, Buffer.from(JSON.stringify(value)));

/** Client frames in `buf`, unmasked; returns the frames and the unconsumed rest. */
const readFrames = (buf: Buffer): { frames: Array<{ opcode: number; payload: Buffer }>; rest: Buffer } => {
  const frames: Array<{ opcode: number; payload: Buffer }> = [];
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) break;
    const opcode = buf[at]! & 0x0f;
    const masked = (buf[at + 1]! & 0x80) !== 0;
    let len = buf[at + 1]! & 0x7f;
    let off = at + 2;
    if (len === 126) {
      if (buf.length < off + 2) break;
      len = buf.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (buf.length < off + 8) break;
      len = Number(buf.readBigUInt64BE(off));
      off += 8;
    }
    const maskLen = masked ? 4 : 0;
    if (buf.length < off + maskLen + len) break;
    const mask = buf.subarray(off, off + maskLen);
    const payload = Buffer.from(buf.subarray(off + maskLen, off + maskLen + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
    frames.push({ opcode, payload });
    at = off + maskLen + len;
  }
  return { frames, rest: buf.subarray(at) };
};

/** One accepted WebSocket: its acks waited for, and whether a close frame went out already. */
interface Connection {
  socket: Socket;
  waiting: Map<string, { resolve: (ack: SocketAck) => void; reject: (e: Error) => void }>;
  closeSent: boolean;
  closed: Promise<void>;
}

export const attachSocketMode = (server: Server, appId: string): SocketModeFake => {
  const sockets = new Set<Socket>();
  const open = new Set<Connection>();
  const tickets = new Set<string>();
  let live: Connection | undefined;
  let handshakes = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];

  const accepted = (): void => {
    handshakes += 1;
    for (const w of waiters.filter((x) => x.n <= handshakes)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const newest = (): Connection => {
    if (!live) throw new Error('no Socket Mode client is connected');
    return live;
  };

  server.on('upgrade', (req, socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const key = req.headers['sec-websocket-key'];
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== SOCKET_PATH || typeof key !== 'string') return void socket.destroy();
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!tickets.delete(ticket))
      return void socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const conn: Connection = {
      socket,
      waiting: new Map(),
      closeSent: false,
      closed: new Promise((resolve) => socket.on('close', () => resolve())),
    };
    open.add(conn);
    socket.on('close', () => {
      sockets.delete(socket);
      open.delete(conn);
      if (live === conn) live = undefined;
      for (const [id, w] of conn.waiting)
        w.reject(new Error(`the Socket Mode connection closed before envelope ${id} was acked`));
      conn.waiting.clear();
    });
    live = conn;
    socket.write(
      text({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'fake-socket', approximate_connection_time: 3600 },
        connection_info: { app_id: appId },
      }),
    );
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([pending, chunk]));
      pending = Buffer.from(rest);
      for (const f of frames) {
        if (f.opcode === 0x9) socket.write(frame(0xa, f.payload));
        else if (f.opcode === 0x8) {
          // The client's close frame: echo it (unless ours went first) and end the TCP connection.
          if (conn.closeSent) socket.end();
          else socket.end(frame(0x8, f.payload.subarray(0, 2)));
          conn.closeSent = true;
        } else if (f.opcode === 0x1) {
          const ack = JSON.parse(f.payload.toString('utf8')) as SocketAck;
          conn.waiting.get(ack.envelope_id)?.resolve(ack);
          conn.waiting.delete(ack.envelope_id);
        }
      }
    });
    accepted();
  });

  return {
    connected: () => new Promise((resolve) => (handshakes >= 1 ? resolve() : waiters.push({ n: 1, resolve }))),
    connection: (n) => new Promise((resolve) => (handshakes >= n ? resolve() : waiters.push({ n, resolve }))),
    connections: () => handshakes,
    openConnections: () => open.size,
    send: (envelope) =>
      new Promise((resolve, reject) => {
        const conn = newest();
        conn.waiting.set(envelope.envelope_id, { resolve, reject });
        conn.socket.write(text(envelope));
      }),
    disconnect: async (reason, opts = {}) => {
      const conn = newest();
      conn.socket.write(text({ type: 'disconnect', reason, debug_info: { host: 'fake-socket' } }));
      if (opts.close && !conn.closeSent) {
        conn.closeSent = true;
        conn.socket.write(frame(0x8, Buffer.from([0x03, 0xe9]))); // 1001 going away
      }
      await conn.closed;
    },
    drop: async () => {
      const conn = newest();
      conn.socket.resetAndDestroy();
      await conn.closed;
    },
    issueUrl: (host) => {
      const ticket = randomUUID();
      tickets.add(ticket);
      return `ws://${host}${SOCKET_PATH}?ticket=${ticket}&app_id=${appId}`;
    },
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
};
