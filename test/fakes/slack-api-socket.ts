/**
 * The Slack fake's Socket Mode side: the WebSocket `apps.connections.open` hands out, on the fake's
 * own HTTP server (`/socket`). It says `hello`, sends envelopes (events, interactivity, slash
 * commands) and resolves each with the client's ack. Minimal RFC 6455 server: unfragmented
 * frames, which is all Slack's client sends; pings are answered, a close is echoed.
 */
import { createHash } from 'node:crypto';
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

export interface SocketModeFake {
  /** Resolves when the bot's client completed the WebSocket handshake (and got `hello`). */
  connected(): Promise<void>;
  /** Sends an envelope and resolves with the client's ack for it. */
  send(envelope: SocketEnvelope): Promise<SocketAck>;
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

export const attachSocketMode = (server: Server, appId: string): SocketModeFake => {
  const sockets = new Set<Socket>();
  let live: Socket | undefined;
  let onConnected: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const waiting = new Map<string, (ack: SocketAck) => void>();

  server.on('upgrade', (req, socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const key = req.headers['sec-websocket-key'];
    if (new URL(req.url ?? '/', 'http://x').pathname !== SOCKET_PATH || typeof key !== 'string') return void socket.destroy();
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    live = socket;
    const hello = { type: 'hello', num_connections: 1, debug_info: { host: 'fake-socket', approximate_connection_time: 3600 }, connection_info: { app_id: appId } };
    socket.write(frame(0x1, Buffer.from(JSON.stringify(hello))));
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([pending, chunk]));
      pending = Buffer.from(rest);
      for (const f of frames) {
        if (f.opcode === 0x9) socket.write(frame(0xa, f.payload));
        else if (f.opcode === 0x8) socket.end(frame(0x8, f.payload.subarray(0, 2)));
        else if (f.opcode === 0x1) {
          const ack = JSON.parse(f.payload.toString('utf8')) as SocketAck;
          waiting.get(ack.envelope_id)?.(ack);
          waiting.delete(ack.envelope_id);
        }
      }
    });
    onConnected();
  });

  return {
    connected: () => connected,
    send: (envelope) =>
      new Promise((resolve, reject) => {
        if (!live) return reject(new Error('no Socket Mode client is connected'));
        waiting.set(envelope.envelope_id, resolve);
        live.write(frame(0x1, Buffer.from(JSON.stringify(envelope))));
      }),
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
};
