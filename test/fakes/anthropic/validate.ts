/**
 * Request validation for the Anthropic fake: the shape (zod) and the conversation rules the real
 * Messages API enforces, each refused with a 400 `invalid_request_error` whose message names the
 * offending field the way the real API does (`messages.2.content.0: …`). A planner that passes
 * here sends requests the real API would accept on these points.
 */
import { z } from 'zod';
import { thinkingSignature } from './builders.ts';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_BREAKPOINTS = 4;

const cacheControl = z.strictObject({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() }).nullish();

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string(), cache_control: cacheControl });
const mediaBlock = (type: 'image' | 'document') =>
  z.looseObject({ type: z.literal(type), source: z.looseObject({ type: z.string() }), cache_control: cacheControl });
const resultContent = z.discriminatedUnion('type', [textBlock, mediaBlock('image'), mediaBlock('document')]);

const block = z.discriminatedUnion('type', [
  textBlock,
  mediaBlock('image'),
  mediaBlock('document'),
  z.looseObject({
    type: z.literal('tool_use'),
    id: z.string().min(1),
    name: z.string(),
    input: z.record(z.string(), z.unknown()),
    cache_control: cacheControl,
  }),
  z.looseObject({
    type: z.literal('tool_result'),
    tool_use_id: z.string().min(1),
    content: z
      .union([z.string(), z.array(resultContent)], {
        error: 'Input should be a valid string or a list of content blocks',
      })
      .optional(),
    is_error: z.boolean().optional(),
    cache_control: cacheControl,
  }),
  z.strictObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() }),
  z.strictObject({ type: z.literal('redacted_thinking'), data: z.string() }),
]);

const message = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(block)], {
    error: (iss) =>
      iss.input === undefined ? 'Field required' : 'Input should be a valid string or a list of content blocks',
  }),
});

const tool = z.looseObject({
  name: z.string().regex(TOOL_NAME, { error: `String should match pattern '${TOOL_NAME.source}'` }),
  // Server tools (web_search, …) carry a `type`; custom tools have none, or `custom`.
  type: z.string().optional(),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.unknown() }).optional(),
  cache_control: cacheControl,
});

const common = {
  model: z.string().min(1, { error: 'String should have at least 1 character' }),
  messages: z.array(message),
  system: z
    .union([z.string(), z.array(textBlock)], { error: 'Input should be a valid string or a list of text blocks' })
    .optional(),
  tools: z.array(tool).optional(),
};

// Other parameters (temperature, tool_choice, thinking, metadata, …) pass unchecked: the fake
// does not model them, and refusing one the real API knows would be worse than letting it through.
const messagesSchema = z.looseObject({
  ...common,
  max_tokens: z
    .number()
    .int({ error: 'Input should be a valid integer' })
    .min(1, { error: 'Input should be greater than or equal to 1' }),
  stream: z.boolean().optional(),
});
const countTokensSchema = z.looseObject(common);

export type Block = z.infer<typeof block>;
export type MessagesRequest = z.infer<typeof countTokensSchema> & { max_tokens?: number; stream?: boolean };
type Issue = z.core.$ZodIssue;

const joinPath = (path: PropertyKey[]): string => path.map(String).join('.');

const TYPE_WORDS: Record<string, string> = {
  array: 'list',
  object: 'dictionary',
  record: 'dictionary',
  int: 'integer',
};

/** zod's wording turned into the real API's (it answers with pydantic's messages). */
const inApiWords = (issue: Issue): string => {
  if (issue.code === 'invalid_type')
    return issue.message.endsWith('received undefined')
      ? 'Field required'
      : `Input should be a valid ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
  if (issue.code === 'invalid_value')
    return `Input should be ${issue.values.map((v) => `'${String(v)}'`).join(' or ')}`;
  return issue.message;
};

/** One zod issue in the real API's words. Unions report the branch that got furthest into the input. */
const describe = (issue: Issue, prefix: PropertyKey[] = []): string => {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const firsts = issue.errors.map((branch) => branch[0]).filter((i): i is Issue => i !== undefined);
    const deepest = firsts.reduce<Issue | undefined>(
      (a, b) => (a && a.path.length >= b.path.length ? a : b),
      undefined,
    );
    if (deepest && deepest.path.length > 0) return describe(deepest, path);
  }
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator')
    return `${joinPath(path)}: Input tag does not match any of the expected tags: ${(issue as { options?: unknown[] }).options?.map((o) => `'${String(o)}'`).join(', ')}`;
  if (issue.code === 'unrecognized_keys')
    return `${joinPath([...path, issue.keys[0] ?? ''])}: Extra inputs are not permitted`;
  return `${joinPath(path)}: ${inApiWords(issue)}`;
};

type Verdict = { ok: true; request: MessagesRequest } | { ok: false; message: string };

const countBreakpoints = (req: MessagesRequest): number => {
  let n = 0;
  const visit = (b: object) => {
    if ((b as { cache_control?: unknown }).cache_control != null) n += 1;
  };
  for (const t of req.tools ?? []) visit(t);
  if (Array.isArray(req.system)) for (const b of req.system) visit(b);
  for (const m of req.messages) {
    if (typeof m.content === 'string') continue;
    for (const b of m.content) {
      visit(b);
      if (b.type === 'tool_result' && Array.isArray(b.content)) for (const c of b.content) visit(c);
    }
  }
  return n;
};

const checkTools = (tools: MessagesRequest['tools']): string | null => {
  const seen = new Set<string>();
  for (const [i, t] of (tools ?? []).entries()) {
    if (seen.has(t.name)) return `tools: Tool names must be unique. Found "${t.name}" more than once.`;
    seen.add(t.name);
    if (t.type !== undefined && t.type !== 'custom') continue;
    if (t.input_schema === undefined) return `tools.${i}.input_schema: Field required`;
    if (t.input_schema.type !== 'object') return `tools.${i}.input_schema.type: Input should be 'object'`;
  }
  return null;
};

const checkConversation = (messages: MessagesRequest['messages']): string | null => {
  if (messages.length === 0) return 'messages: at least one message is required';
  if (messages[0]?.role !== 'user') return 'messages: first message must use the "user" role';
  const seenToolUseIds = new Set<string>();
  for (const [i, m] of messages.entries()) {
    const prev = messages[i - 1];
    if (prev && prev.role === m.role)
      return `messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row (messages.${i - 1} and messages.${i})`;
    const blocks = typeof m.content === 'string' ? [] : m.content;
    // Only a final assistant message (a prefill for the answer) may be empty.
    if (m.content.length === 0 && !(m.role === 'assistant' && i === messages.length - 1))
      return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    if (blocks.some((b) => b.type === 'text' && b.text === ''))
      return `messages.${i}: text content blocks must be non-empty`;
    for (const [j, b] of blocks.entries()) {
      const at = `messages.${i}.content.${j}`;
      if (b.type === 'tool_use') {
        if (m.role !== 'assistant') return `${at}: \`tool_use\` blocks can only be in \`assistant\` messages`;
        if (seenToolUseIds.has(b.id)) return `${at}: \`tool_use\` ids must be unique; found "${b.id}" twice`;
        seenToolUseIds.add(b.id);
      }
      if (b.type === 'tool_result' && m.role !== 'user')
        return `${at}: \`tool_result\` blocks can only be in \`user\` messages`;
      if ((b.type === 'thinking' || b.type === 'redacted_thinking') && m.role !== 'assistant')
        return `${at}: \`${b.type}\` blocks can only be in \`assistant\` messages`;
      if (b.type === 'thinking' && b.signature !== thinkingSignature(b.thinking))
        return `${at}: Invalid \`signature\` in \`thinking\` block`;
    }
    if (m.role !== 'user') continue;
    // Tool results answer exactly the tool calls of the assistant message right before them.
    const asked = new Set(
      prev && typeof prev.content !== 'string'
        ? prev.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []))
        : [],
    );
    const answered = new Set<string>();
    for (const [j, b] of blocks.entries()) {
      if (b.type !== 'tool_result') continue;
      if (!asked.has(b.tool_use_id))
        return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      answered.add(b.tool_use_id);
    }
    const missing = [...asked].filter((id) => !answered.has(id));
    if (missing.length > 0)
      return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
  }
  return null;
};

/** Checks a request body for `POST /v1/messages` (or `…/count_tokens`, which takes no max_tokens). */
export const validateRequest = (body: Record<string, unknown>, endpoint: 'messages' | 'count_tokens'): Verdict => {
  const parsed = (endpoint === 'messages' ? messagesSchema : countTokensSchema).safeParse(body);
  if (!parsed.success) return { ok: false, message: describe(parsed.error.issues[0] as Issue) };
  const request = parsed.data as MessagesRequest;
  const problem = checkTools(request.tools) ?? checkConversation(request.messages);
  if (problem) return { ok: false, message: problem };
  const breakpoints = countBreakpoints(request);
  if (breakpoints > MAX_BREAKPOINTS)
    return {
      ok: false,
      message: `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`,
    };
  return { ok: true, request };
};
