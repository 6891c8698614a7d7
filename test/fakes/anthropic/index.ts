/**
 * Loopback wire fake of the Anthropic Messages API, for the real `@anthropic-ai/sdk`:
 * `new Anthropic({ apiKey, baseURL: fake.url, maxRetries: 0 })` (docs/architecture.md#wire-fakes).
 *
 * Answers are scripted: `fake.script(reply(text('hi')), callTools(toolUse('list', {})), …)` queues
 * steps consumed one per valid `POST /v1/messages`; a function step computes its answer from the
 * recorded request (`toolResults(req)`, `lastUserText(req)` help). With the queue empty the
 * fallback answers (default: 500 "no scripted answer", so a test that asks more than it scripted
 * fails loudly). Every request is recorded before it is answered, invalid ones included.
 *
 * What the fake checks, in this order (errors always have the API's envelope
 * `{"type":"error","error":{type,message},"request_id"}` and a `request-id` header):
 * - auth: `x-api-key: K` or `authorization: Bearer K` (SDK 1.x sends Bearer), else 401; with
 *   `apiKeys`, any other key is 401 `authentication_error`. Then `anthropic-version` is required.
 * - the request (validate.ts): model, max_tokens, non-empty messages alternating from the user,
 *   tool_result ↔ tool_use pairing with the previous assistant message, at most 4 `cache_control`
 *   breakpoints, tool names (pattern, unique) and object input schemas, unedited thinking blocks.
 *   An invalid request gets 400 `invalid_request_error` and consumes no step.
 *
 * Answers: a message as JSON, or as server-sent events when the body has `"stream": true`
 * (message_start, ping, content_block_start/delta/stop per block, message_delta, message_stop);
 * errors with `retry-after` / `x-should-retry` to drive the SDK's retries (a fractional
 * `retryAfterSeconds` keeps tests fast: the SDK treats `retry-after: 0` as "use your own backoff",
 * 0.5 s or more); raw bodies (malformed JSON); a truncated answer (the stream stops inside its
 * last block, a non-streamed body halfway, and the socket is destroyed); a request left hanging
 * until the client gives up or `close()`. Usage comes from a deterministic token count and a
 * prompt-cache model (prompt-cache.ts); message and truncated answers read and write the cache,
 * errors, raw bodies and hangs do not. `POST /v1/messages/count_tokens` answers
 * `{ input_tokens }` with the same count.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens, createPromptCache, promptParts } from './prompt-cache.ts';
import type { ContentBlock, RecordedRequest, Step, Usage } from './types.ts';
import { validateRequest } from './validate.ts';
import {
  defaultErrorMessage,
  errorEnvelope,
  errorTypeFor,
  streamFrames,
  type SentBlock,
  type WireMessage,
} from './wire.ts';

export type { ContentBlock, RecordedRequest, Step, StopReason, Usage } from './types.ts';
export { callTools, lastUserText, reply, text, thinking, toolResults, toolUse, type ToolResult } from './builders.ts';
export { canonicalJson, countTokens } from './prompt-cache.ts';

export interface AnthropicFake {
  /** Base URL for the SDK's `baseURL`: `http://127.0.0.1:<port>`. */
  url: string;
  /** Every request in order (cleared by `reset()`, in place). */
  requests: RecordedRequest[];
  /** Queue scripted answers, consumed one per request in order; a function step computes the answer from the request. */
  script(...steps: Step[]): void;
  /** Answer used when the queue is empty (default: an error step 500 "no scripted answer" so tests fail loudly). */
  fallback(step: Step | undefined): void;
  /** Scripted steps not yet consumed. */
  pending(): number;
  /** Clears the queue, the recorded requests, the prompt cache and the id counters. */
  reset(): void;
  close(): Promise<void>;
}

export interface AnthropicFakeOptions {
  /** Accepted API keys; without it any key is accepted (one must still be sent). */
  apiKeys?: string[];
  /** Shortest prefix, in tokens, that the prompt cache stores (default 1024, the real API's minimum for most models). */
  minCacheTokens?: number;
  /** Clock for the prompt cache's 5-minute lifetime, in ms (default Date.now). */
  now?: () => number;
}

const NO_SCRIPT: Step = { kind: 'error', status: 500, message: 'no scripted answer' };

const readBody = async (req: IncomingMessage): Promise<string> => {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('utf8');
};

/** The body when it is a JSON object; `undefined` when it is no JSON at all, null for other JSON. */
const parseBody = (raw: string): Record<string, unknown> | null | undefined => {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
};

const flatHeaders = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(req.headers).flatMap(([k, v]) =>
      v === undefined ? [] : [[k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]],
    ),
  );

/** Writes a message as server-sent events; `truncate` stops inside the last block and destroys the socket. */
const streamMessage = (res: ServerResponse, requestId: string, message: WireMessage, truncate: boolean): void => {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': requestId,
  });
  const { start, blocks, end } = streamFrames(message);
  const whole = (b: { start: string; deltas: string[]; stop: string }) => [b.start, ...b.deltas, b.stop];
  if (!truncate) {
    for (const frame of [...start, ...blocks.flatMap(whole), ...end]) res.write(frame);
    res.end();
    return;
  }
  // The earlier blocks whole, then the last block's start and first delta: the client has seen
  // some of the answer, never message_stop, and then the connection drops without a last chunk.
  const last = blocks.at(-1);
  const sent = [
    ...start,
    ...blocks.slice(0, -1).flatMap(whole),
    ...(last ? [last.start, ...last.deltas.slice(0, 1)] : []),
  ];
  res.write(sent.join(''), () => res.destroy());
};

/** A non-streamed answer cut in the middle: the promised content-length is never reached. */
const truncateJson = (res: ServerResponse, requestId: string, message: WireMessage): void => {
  const body = Buffer.from(JSON.stringify(message));
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': String(body.length),
    'request-id': requestId,
  });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
};

export const startAnthropicFake = async (opts: AnthropicFakeOptions = {}): Promise<AnthropicFake> => {
  const apiKeys = opts.apiKeys ? new Set(opts.apiKeys) : null;
  const cache = createPromptCache({ minTokens: opts.minCacheTokens ?? 1024, now: opts.now ?? Date.now });
  const requests: RecordedRequest[] = [];
  const queue: Step[] = [];
  let fallbackStep: Step = NO_SCRIPT;
  let seq = { request: 0, message: 0, tool: 0 };

  const materialize = (content: ContentBlock[]): SentBlock[] =>
    content.map((b) => (b.type === 'tool_use' ? { ...b, id: b.id ?? `toolu_fake_${(seq.tool += 1)}` } : b));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const headers = flatHeaders(req);
    const body = parseBody(raw);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers,
      body: body ?? null,
      raw,
      stream: body?.stream === true,
      response: { status: 0 },
    };
    requests.push(record);
    const requestId = `req_fake_${(seq.request += 1)}`;

    const sendJson = (status: number, payload: unknown, extra: Record<string, string> = {}): void => {
      record.response.status = status;
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...extra });
      res.end(JSON.stringify(payload));
    };
    const sendError = (status: number, type: string, message: string, extra?: Record<string, string>): void =>
      sendJson(status, errorEnvelope(type, message, requestId), extra);

    const endpoint =
      path === '/v1/messages' ? 'messages' : path === '/v1/messages/count_tokens' ? 'count_tokens' : null;
    if (endpoint === null || req.method !== 'POST')
      return sendError(404, 'not_found_error', `${req.method} ${path} is not an endpoint of this API`);

    const key = headers['x-api-key'] ?? /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
    if (key === undefined) return sendError(401, 'authentication_error', 'x-api-key header is required');
    if (apiKeys && !apiKeys.has(key)) return sendError(401, 'authentication_error', 'invalid x-api-key');
    if (!headers['anthropic-version'])
      return sendError(400, 'invalid_request_error', 'anthropic-version: header is required');
    if (body === undefined) return sendError(400, 'invalid_request_error', 'There was an error parsing the body');
    if (body === null) return sendError(400, 'invalid_request_error', 'Input should be a valid dictionary');
    const verdict = validateRequest(body, endpoint);
    if (!verdict.ok) return sendError(400, 'invalid_request_error', verdict.message);
    const request = verdict.request;
    if (endpoint === 'count_tokens')
      return sendJson(200, { input_tokens: promptParts(request).reduce((n, p) => n + p.tokens, 0) });

    let step = queue.shift() ?? fallbackStep;
    for (let depth = 0; typeof step === 'function'; depth++) {
      if (depth > 8) return sendError(500, 'api_error', 'script step: functions nested too deep');
      try {
        step = step(record);
      } catch (e) {
        return sendError(500, 'api_error', `script step threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }

    switch (step.kind) {
      case 'error': {
        const extra: Record<string, string> = {};
        if (step.retryAfterSeconds !== undefined) extra['retry-after'] = String(step.retryAfterSeconds);
        if (step.shouldRetry !== undefined) extra['x-should-retry'] = String(step.shouldRetry);
        return sendError(
          step.status,
          step.type ?? errorTypeFor(step.status),
          step.message ?? defaultErrorMessage(step.status),
          extra,
        );
      }
      case 'raw':
        record.response.status = step.status ?? 200;
        res.writeHead(record.response.status, {
          'content-type': step.contentType ?? 'application/json',
          'request-id': requestId,
        });
        res.end(step.body);
        return;
      case 'hang':
        // Left open: the client's timeout or abort, or close(), ends the connection.
        return;
      case 'message':
      case 'truncated-stream': {
        const content = materialize(step.content);
        const { cache_creation: creationByTtl, ...inputUsage } = cache.account(request.model, promptParts(request));
        const computed: Usage = { ...inputUsage, output_tokens: content.reduce((n, b) => n + countTokens(b), 0) };
        const overrides = step.kind === 'message' ? Object.entries(step.usage ?? {}) : [];
        const usage: Usage = { ...computed, ...Object.fromEntries(overrides.filter(([, v]) => v !== undefined)) };
        // An overridden creation count has no TTL split of its own: report it as 5-minute writes.
        const cache_creation =
          usage.cache_creation_input_tokens === computed.cache_creation_input_tokens
            ? creationByTtl
            : { ephemeral_5m_input_tokens: usage.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 };
        const message: WireMessage = {
          id: `msg_fake_${(seq.message += 1)}`,
          type: 'message',
          role: 'assistant',
          model: request.model,
          content,
          stop_reason:
            (step.kind === 'message' ? step.stopReason : undefined) ??
            (content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
          stop_sequence: null,
          usage: {
            input_tokens: usage.input_tokens,
            cache_creation_input_tokens: usage.cache_creation_input_tokens,
            cache_read_input_tokens: usage.cache_read_input_tokens,
            cache_creation,
            output_tokens: usage.output_tokens,
            service_tier: 'standard',
          },
        };
        record.response = { status: 200, usage };
        if (step.kind === 'message' && !record.stream) return sendJson(200, message);
        if (step.kind === 'truncated-stream' && !record.stream) return truncateJson(res, requestId, message);
        return streamMessage(res, requestId, message, step.kind === 'truncated-stream');
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorEnvelope('api_error', `fake failed: ${String(e)}`, 'req_fake_internal')));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    script: (...steps) => void queue.push(...steps),
    fallback: (step) => void (fallbackStep = step ?? NO_SCRIPT),
    pending: () => queue.length,
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      cache.clear();
      seq = { request: 0, message: 0, tool: 0 };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
};
