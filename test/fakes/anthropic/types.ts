/**
 * The Anthropic fake's public types: what a test scripts (steps and content blocks), what the fake
 * records (requests) and what it counts (usage). The wire shapes follow the Messages API.
 */

/** A block of an answer. A tool_use without `id` gets `toolu_fake_<n>` from the fake when sent. */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id?: string; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature: string };

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface RecordedRequest {
  method: string;
  /** `/v1/messages` or `/v1/messages/count_tokens` (anything else is recorded too, and answered 404). */
  path: string;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The parsed JSON body when it is an object, else null. */
  body: Record<string, unknown> | null;
  raw: string;
  /** `"stream": true` in the body. */
  stream: boolean;
  /** Status 0 until answered (and for ever for a `hang`); usage for message answers. */
  response: { status: number; usage?: Usage };
}

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'refusal';

export type Step =
  | { kind: 'message'; content: ContentBlock[]; stopReason?: StopReason; usage?: Partial<Usage> }
  | {
      kind: 'error';
      status: number;
      type?: string;
      message?: string;
      /** Sent as `retry-after` (the SDK parses fractions: 0.001 waits 1 ms; 0 makes it fall back to its own backoff of 0.5 s or more). */
      retryAfterSeconds?: number;
      /** Sent as `x-should-retry: true|false`, which the SDK obeys over its status rules. */
      shouldRetry?: boolean;
    }
  | { kind: 'raw'; status?: number; contentType?: string; body: string }
  | { kind: 'truncated-stream'; content: ContentBlock[] }
  | { kind: 'hang' }
  | ((req: RecordedRequest) => Step);
