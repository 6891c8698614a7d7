/**
 * Loopback wire fake of every Slack Web API method the bot calls. Point Bolt at it with
 * `clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } }` (see
 * docs/architecture.md#wire-fakes). It keeps state (messages per channel, ephemerals, views)
 * so tests assert what a user would see, plus a record of every call with its parsed arguments.
 * The app-level methods are here too (slack-api-apps.ts): `oauth.v2.access` for OAuth installs
 * (`oauth` option) and `apps.connections.open` with its Socket Mode WebSocket (`appToken` option,
 * `fake.socket`, slack-api-socket.ts). File uploads (slack-api-files.ts): getUploadURLExternal
 * hands out `POST /upload/<file id>` on this server, completeUploadExternal shares the file in a
 * channel or thread (`fake.files(channel)`); `failNext('upload', { status })` fails an upload.
 *
 * Wire: `POST /api/<method>`, form-encoded (objects JSON-encoded inside fields, as @slack/web-api
 * sends them) or JSON; token from `Authorization: Bearer` or a `token` field. Errors answer 200
 * `{ ok: false, error }` like Slack, except injected HTTP failures (429 + Retry-After, 5xx).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appsConnectionsOpen, oauthV2Access, type OAuthGrant } from './slack-api-apps.ts';
import { createSlackFiles, type FakeFile } from './slack-api-files.ts';
import { attachSocketMode, type SocketModeFake } from './slack-api-socket.ts';
import { createSlackState, type FakeChannel, type FakeUser, type SlackState } from './slack-api-state.ts';

export type { FakeChannel, FakeEphemeral, FakeMessage, FakeUser } from './slack-api-state.ts';
export { checkBlocks, checkView, type BlocksVerdict, type NativeBlockType } from './slack-api-blocks.ts';
export type { OAuthGrant } from './slack-api-apps.ts';
export type { FakeFile } from './slack-api-files.ts';
export type { DisconnectReason, SocketAck, SocketEnvelope, SocketModeFake } from './slack-api-socket.ts';

export interface RecordedCall {
  /** Web API method (`chat.postMessage`), or `response_url` for `POST /response/<id>`. */
  method: string;
  args: Record<string, unknown>;
  encoding: 'form' | 'json';
  token: string | null;
  status: number;
  response: Record<string, unknown>;
}

export interface Failure {
  /** HTTP status; 429 adds `Retry-After`. Default 200 with `{ ok: false, error }`. */
  status?: number;
  /** Slack error code; default `ratelimited` for 429, `internal_error` otherwise. */
  error?: string;
  /** Seconds, for 429 (default 1). */
  retryAfter?: number;
}

export interface SlackFakeOptions {
  /** Accepted bot tokens (default `['xoxb-test-token']`). */
  tokens?: string[];
  teamId?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  users?: FakeUser[];
  channels?: FakeChannel[];
  /** Clock for message `ts` values (default: fixed at 1700000000 s, so runs are reproducible). */
  now?: () => Date;
  /** What `oauth.v2.access` grants (OAuth installs); without it every exchange is refused. */
  oauth?: OAuthGrant;
  /** The `xapp-` token `apps.connections.open` accepts (Socket Mode). */
  appToken?: string;
}

export interface SlackFake extends Omit<SlackState, 'handle' | 'respond'> {
  /** Web API base URL, with trailing slash: `http://127.0.0.1:P/api/`. */
  url: string;
  origin: string;
  calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /** A response_url bound to a message (replace/delete) or channel (in_channel) and user (ephemeral). */
  responseUrl(target: { channel: string; ts?: string; threadTs?: string; user?: string }): string;
  /** Queues a failure for the next call of `method` (queue several for several calls). */
  failNext(method: string, failure?: Failure): void;
  /** Holds the next call of `method` unanswered until the returned function is called (a slow Slack, without sleeping). */
  holdNext(method: string): () => void;
  /** The Socket Mode WebSocket that `apps.connections.open` points to. */
  socket: SocketModeFake;
  /** Files shared into a channel by files.completeUploadExternal (threads included, `threadTs` set), in order. */
  files(channel: string): FakeFile[];
  stop(): Promise<void>;
}

/** Arguments @slack/web-api sends JSON-encoded inside form fields. */
const OBJECT_ARGS = new Set(['blocks', 'attachments', 'view', 'metadata', 'unfurls', 'files']);

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts);
};

const parseArgs = (
  raw: string,
  contentType: string,
): { args: Record<string, unknown>; encoding: 'form' | 'json' } | null => {
  if (contentType.includes('application/json')) {
    try {
      const v: unknown = raw.length > 0 ? JSON.parse(raw) : {};
      return typeof v === 'object' && v !== null ? { args: v as Record<string, unknown>, encoding: 'json' } : null;
    } catch {
      return null;
    }
  }
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (!OBJECT_ARGS.has(k)) {
      args[k] = v;
      continue;
    }
    try {
      args[k] = JSON.parse(v);
    } catch {
      // Kept as a string: the method answers invalid_blocks_format / invalid_arguments, like Slack.
      args[k] = v;
    }
  }
  return { args, encoding: 'form' };
};

export const startSlackFake = async (opts: SlackFakeOptions = {}): Promise<SlackFake> => {
  const tokens = new Set(opts.tokens ?? ['xoxb-test-token']);
  const state = createSlackState({
    teamId: opts.teamId ?? 'T0FAKE0001',
    botUserId: opts.botUserId ?? 'U0BOT00001',
    botId: opts.botId ?? 'B0BOT00001',
    appId: opts.appId ?? 'A0APP00001',
    now: opts.now ?? (() => new Date(1_700_000_000_000)),
  });
  for (const u of opts.users ?? []) state.addUser(u);
  for (const c of opts.channels ?? []) state.addChannel(c);
  const calls: RecordedCall[] = [];
  const files = createSlackFiles();
  const failures = new Map<string, Failure[]>();
  const holds = new Map<string, Array<Promise<void>>>();

  const server = createServer((req, res) => {
    void (async () => {
      const bytes = await readBody(req);
      const raw = bytes.toString('utf8');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const api = /^\/api\/([\w.]+)$/.exec(path);
      const resp = /^\/response\/([\w-]+)$/.exec(path);
      const upload = /^\/upload\/(\w+)$/.exec(path);
      const method = api?.[1] ?? (resp ? 'response_url' : upload ? 'upload' : null);
      const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(body));
      };
      if (upload && req.method === 'POST') {
        // The upload URL carries its own authority (no token), and answers plain text like Slack's.
        const failure = failures.get('upload')?.shift();
        const [status, text] = failure
          ? [failure.status ?? 500, 'upload failed']
          : await files.upload(upload[1]!, req, bytes);
        calls.push({
          method: 'upload',
          args: { file: upload[1], bytes: bytes.length },
          encoding: 'form',
          token: null,
          status,
          response: { text },
        });
        res.writeHead(status, { 'content-type': 'text/plain' });
        return void res.end(text);
      }
      if (req.method !== 'POST' || method === null) return send(404, { ok: false, error: 'not_found' });
      const parsed = parseArgs(raw, req.headers['content-type'] ?? '');
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
      const token = auth ?? (typeof parsed?.args.token === 'string' ? parsed.args.token : null);
      const record = (status: number, response: Record<string, unknown>, headers?: Record<string, string>): void => {
        calls.push({
          method,
          args: parsed?.args ?? { raw },
          encoding: parsed?.encoding ?? 'form',
          token,
          status,
          response,
        });
        send(status, response, headers);
      };

      const hold = holds.get(method)?.shift();
      if (hold) await hold;
      const failure = failures.get(method)?.shift();
      if (failure) {
        const status = failure.status ?? 200;
        const error = failure.error ?? (status === 429 ? 'ratelimited' : 'internal_error');
        const headers = status === 429 ? { 'retry-after': String(failure.retryAfter ?? 1) } : undefined;
        return record(status, { ok: false, error }, headers);
      }
      if (parsed === null) return record(200, { ok: false, error: 'invalid_json' });
      if (method === 'response_url') {
        // Response URLs carry their own authority: Slack does not want a token on them.
        const [status, body] = state.respond(resp?.[1] ?? '', parsed.args);
        return record(status, body);
      }
      // App-level methods authenticate with the app's credentials, not a bot token.
      if (method === 'oauth.v2.access')
        return record(200, oauthV2Access(opts.oauth, parsed.args, req.headers.authorization));
      if (method === 'apps.connections.open')
        return record(
          200,
          appsConnectionsOpen(opts.appToken, token, () => socket.issueUrl(req.headers.host ?? '127.0.0.1')),
        );
      if (token === null) return record(200, { ok: false, error: 'not_authed' });
      if (!tokens.has(token)) return record(200, { ok: false, error: 'invalid_auth' });
      if (method === 'files.getUploadURLExternal') return record(200, files.getUploadURLExternal(parsed.args, origin));
      if (method === 'files.completeUploadExternal')
        return record(
          200,
          files.completeUploadExternal(
            parsed.args,
            (c) => state.handle('conversations.info', { channel: c }).ok === true,
          ),
        );
      return record(200, state.handle(method, parsed.args));
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  const socket = attachSocketMode(server, opts.appId ?? 'A0APP00001');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    teamId: state.teamId,
    botUserId: state.botUserId,
    messages: state.messages,
    ephemerals: state.ephemerals,
    homeView: state.homeView,
    openedViews: state.openedViews,
    addUser: state.addUser,
    addChannel: state.addChannel,
    refuseBlocks: state.refuseBlocks,
    bindResponseUrl: state.bindResponseUrl,
    url: `${origin}/api/`,
    origin,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    responseUrl: (target) => `${origin}/response/${state.bindResponseUrl(target)}`,
    failNext: (method, failure = { status: 429 }) => {
      failures.set(method, [...(failures.get(method) ?? []), failure]);
    },
    holdNext: (method) => {
      let release: () => void = () => undefined;
      holds.set(method, [...(holds.get(method) ?? []), new Promise<void>((r) => (release = r))]);
      return release;
    },
    socket,
    files: (channel) => files.shared(channel),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        socket.close();
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
};
