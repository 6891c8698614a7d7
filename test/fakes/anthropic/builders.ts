/**
 * Builders for the Anthropic fake's scripts, plus the helpers a function step uses to read the
 * request it answers.
 */
import { createHash } from 'node:crypto';
import type { ContentBlock, RecordedRequest, Step } from './types.ts';

/**
 * The signature the fake puts on a thinking block. The real API signs thinking so that a client
 * cannot edit it before sending it back; the fake checks returned thinking blocks against this.
 */
export const thinkingSignature = (thinking: string): string =>
  `fakesig_${createHash('sha256').update(thinking).digest('base64url')}`;

export const text = (t: string): ContentBlock => ({ type: 'text', text: t });

/** Without `id`, the fake numbers it when answering (`toolu_fake_1`, …), so ids are unique per fake. */
export const toolUse = (name: string, input: unknown, id?: string): ContentBlock =>
  id === undefined ? { type: 'tool_use', name, input } : { type: 'tool_use', id, name, input };

export const thinking = (t: string): ContentBlock => ({
  type: 'thinking',
  thinking: t,
  signature: thinkingSignature(t),
});

export const reply = (...content: ContentBlock[]): Step => ({ kind: 'message', content, stopReason: 'end_turn' });

export const callTools = (...content: ContentBlock[]): Step => ({ kind: 'message', content, stopReason: 'tool_use' });

type Block = Record<string, unknown>;

const messagesOf = (req: RecordedRequest): Array<{ role?: unknown; content?: unknown }> =>
  Array.isArray(req.body?.messages) ? (req.body.messages as Array<{ role?: unknown; content?: unknown }>) : [];

const blocksOf = (content: unknown): Block[] =>
  typeof content === 'string'
    ? [{ type: 'text', text: content }]
    : Array.isArray(content)
      ? content.filter((b): b is Block => typeof b === 'object' && b !== null)
      : [];

/** The last message of the request when it is the user's, as its content blocks. */
const lastUserBlocks = (req: RecordedRequest): Block[] => {
  const last = messagesOf(req).at(-1);
  return last?.role === 'user' ? blocksOf(last.content) : [];
};

/** The text of the request's last user message (text blocks joined with a newline). */
export const lastUserText = (req: RecordedRequest): string =>
  lastUserBlocks(req)
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');

export interface ToolResult {
  toolUseId: string;
  /** The result's text: a string content as is, text blocks joined with a newline. */
  content: string;
  isError: boolean;
}

/** The tool_result blocks of the request's last user message, in order. */
export const toolResults = (req: RecordedRequest): ToolResult[] =>
  lastUserBlocks(req)
    .filter((b) => b.type === 'tool_result')
    .map((b) => ({
      toolUseId: String(b.tool_use_id),
      content: blocksOf(b.content ?? '')
        .filter((c) => c.type === 'text')
        .map((c) => String(c.text))
        .join('\n'),
      isError: b.is_error === true,
    }));
