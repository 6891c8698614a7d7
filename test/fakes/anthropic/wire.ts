/**
 * The Anthropic fake's answers on the wire: the Message object, the server-sent events of a
 * streamed answer, and the error envelope, in the shapes the Messages API sends.
 */
import type { StopReason } from './types.ts';

/** A block as sent: tool_use ids are assigned by then. */
export type SentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature: string };

export interface WireUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  service_tier: 'standard';
}

export interface WireMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: SentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: null;
  usage: WireUsage;
}

/** The `error.type` the real API uses for a status. */
export const errorTypeFor = (status: number): string =>
  ({
    400: 'invalid_request_error',
    401: 'authentication_error',
    402: 'billing_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    504: 'timeout_error',
    529: 'overloaded_error',
  })[status] ?? 'api_error';

export const defaultErrorMessage = (status: number): string =>
  ({
    429: 'Number of request tokens has exceeded your per-minute rate limit',
    500: 'Internal server error',
    529: 'Overloaded',
  })[status] ?? `Error ${status}`;

export const errorEnvelope = (type: string, message: string, requestId: string) => ({
  type: 'error',
  error: { type, message },
  request_id: requestId,
});

/** Splits a string into up to `n` nearly equal pieces (on code points, so no surrogate is cut). */
const pieces = (s: string, n: number): string[] => {
  const chars = Array.from(s);
  const count = Math.min(n, chars.length);
  const size = Math.ceil(chars.length / Math.max(count, 1));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
};

export const sseFrame = (event: { type: string; [field: string]: unknown }): string =>
  `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/** The events of a streamed message, one string per SSE frame, grouped so a truncation point is known. */
export const streamFrames = (
  message: WireMessage,
): { start: string[]; blocks: Array<{ start: string; deltas: string[]; stop: string }>; end: string[] } => {
  const { content, stop_reason, usage, stop_sequence: _, ...head } = message;
  const start = [
    sseFrame({
      type: 'message_start',
      // As the real API: the message with no content yet, and output_tokens not yet counted.
      message: { ...head, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    }),
    sseFrame({ type: 'ping' }),
  ];
  const blocks = content.map((block, index) => {
    const delta = (d: Record<string, unknown>) => sseFrame({ type: 'content_block_delta', index, delta: d });
    let opening: SentBlock;
    let deltas: string[];
    if (block.type === 'text') {
      opening = { type: 'text', text: '' };
      deltas = pieces(block.text, 3).map((t) => delta({ type: 'text_delta', text: t }));
    } else if (block.type === 'tool_use') {
      opening = { ...block, input: {} };
      deltas = pieces(JSON.stringify(block.input), 3).map((p) => delta({ type: 'input_json_delta', partial_json: p }));
    } else {
      opening = { type: 'thinking', thinking: '', signature: '' };
      deltas = [
        ...pieces(block.thinking, 3).map((t) => delta({ type: 'thinking_delta', thinking: t })),
        delta({ type: 'signature_delta', signature: block.signature }),
      ];
    }
    return {
      start: sseFrame({ type: 'content_block_start', index, content_block: opening }),
      deltas,
      stop: sseFrame({ type: 'content_block_stop', index }),
    };
  });
  const end = [
    sseFrame({ type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage }),
    sseFrame({ type: 'message_stop' }),
  ];
  return { start, blocks, end };
};
