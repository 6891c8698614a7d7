import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlock,
  ContentBlockParam,
  Message,
  MessageParam,
  TextBlockParam,
  Tool as AnthropicTool,
  ToolResultBlockParam,
  ToolUseBlock,
} from '@anthropic-ai/sdk/resources/messages/messages';
import { markdownToBlocks } from '../../../chat/markdown.ts';
import { reportProgress } from '../../../chat/progress.ts';
import { reply, textReply, type Block, type Reply } from '../../../chat/reply.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { Metrics } from '../../../observability/metrics.ts';
import { isUnavailable } from '../../../store/unavailable.ts';
import type { ToolContext } from '../../../tools/tool.ts';
import { createOutboundRedactor, type RedactionCounts } from '../../../util/redact.ts';
import type { Plan, Planner, PlanInput, ToolResult } from '../../planner.ts';
import { parseCommand } from '../rules.ts';
import { SYSTEM_PROMPT, contextPrompt, historyTurns, progressText, type EstateSummary } from './prompt.ts';

/**
 * Plain-language requests, planned by Claude with tool use over the tool registry. The loop: send
 * the conversation and the tools; run each tool the model calls through `runTool` (the engine's
 * gate: only LLM-offered tools, the asker's role, zod input, change plans filed as change requests
 * waiting for approval); send the results back; repeat until the model answers or a limit is hit.
 * Commands the grammar understands are answered by the grammar (instantly, at no cost, and the only
 * way to approve, reject or grant); so is every turn when the model is unavailable, the key is
 * refused or the workspace's monthly budget is spent, with a one-line notice saying why.
 */

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface ClaudeSettings {
  apiKey: string;
  baseURL?: string;
  model: string;
  maxToolCalls: number;
  turnTimeoutMs: number;
  maxOutputTokens: number;
  maxRetries: number;
  /** Tokens per workspace per calendar month (UTC); 0: no limit. */
  monthlyTokenBudget: number;
  /** Earlier messages read verbatim; older loaded ones are summarised. */
  historyMessages: number;
}

export interface ClaudePlannerDeps {
  settings: ClaudeSettings;
  /** The tools to offer (the registry's `llmTools()`), read once. */
  tools: { name: string; description: string; inputSchema: unknown }[];
  /** Answers commands, and every turn the model cannot. */
  fallback: Planner;
  estate: () => Promise<EstateSummary>;
  usage: {
    record(row: TokenUsage & { ctx: ToolContext; conversationId: string; model: string }): Promise<void>;
    tokensSince(workspaceId: string, since: Date): Promise<number>;
  };
  /** Literal values of this deployment's secrets (config): never sent to the model. */
  secrets: string[];
  logger: Logger;
  metrics: Metrics;
  /** Tests and benches replace the transport (the SDK's own fetch option); production uses the SDK's. */
  fetch?: typeof fetch;
}

/** The estate summary is re-read at most this often (a few grouped counts; stable text also keeps the context cached). */
const ESTATE_TTL_MS = 30_000;

/**
 * Tool data as the model reads it, in fewer tokens: an array of three or more objects with the
 * same keys (a listing) becomes `{ allRows, columns, rows }` instead of repeating every key in
 * every row (`allRows` holds the fields whose value is the same in every row), and null or
 * undefined fields are dropped. Nothing else changes.
 */
export const compactData = (value: unknown, depth = 0): unknown => {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => compactData(v, depth + 1));
    const plain = items.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
    if (plain && items.length >= 3) {
      const rows = items as Record<string, unknown>[];
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      // A field with one value in every row (all `aws`, all `instance`) is said once.
      const same = keys.filter((k) => {
        const first = JSON.stringify(rows[0]![k] ?? null);
        return rows.every((r) => JSON.stringify(r[k] ?? null) === first);
      });
      const columns = keys.filter((k) => !same.includes(k));
      return {
        ...(same.length ? { allRows: Object.fromEntries(same.map((k) => [k, rows[0]![k] ?? null])) } : {}),
        columns,
        rows: rows.map((r) => columns.map((c) => r[c] ?? null)),
      };
    }
    return items;
  }
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, compactData(v, depth + 1)]),
  );
};

/** A tool result is cut to this many characters (the model reads JSON; a huge listing costs tokens, not insight). */
const MAX_TOOL_RESULT_CHARS = 16_000;
/** How often the working message may show the answer as it streams in. */
const STREAM_PROGRESS_MS = 1_000;

/** Words that refer back to the conversation: "stop it" is for the model, not the grammar. */
const PRONOUNS = new Set(['it', 'that', 'this', 'them', 'those', 'these', 'one', 'same', 'both', 'all', 'him', 'her']);

/** Whether the grammar should answer: it understands the text, and the text names what it acts on. */
const grammarAnswers = (text: string): boolean => {
  const parsed = parseCommand(text);
  if (!parsed.ok) return false;
  const c = parsed.command;
  if ((c.kind === 'show' || c.kind === 'action' || c.kind === 'resize') && PRONOUNS.has(c.resource.toLowerCase()))
    return false;
  // `stop` alone: the grammar's picker is the right answer without a model.
  return true;
};

type FailureReason =
  'rate_limited' | 'overloaded' | 'timeout' | 'unavailable' | 'auth_failed' | 'bad_response' | 'api_error';

const failureOf = (e: unknown): FailureReason => {
  if (e instanceof Anthropic.AuthenticationError || e instanceof Anthropic.PermissionDeniedError) return 'auth_failed';
  if (e instanceof Anthropic.RateLimitError) return 'rate_limited';
  if (e instanceof Anthropic.APIConnectionTimeoutError || e instanceof Anthropic.APIUserAbortError) return 'timeout';
  if (e instanceof Anthropic.APIConnectionError) return 'unavailable';
  if (e instanceof Anthropic.APIError) {
    if (e.status === 529) return 'overloaded';
    if (e.status === 408) return 'timeout';
    if (typeof e.status === 'number' && e.status >= 500) return 'unavailable';
    if (e.status === undefined) return 'bad_response';
    return 'api_error';
  }
  return 'bad_response';
};

const failureWords: Record<FailureReason, string> = {
  rate_limited: 'rate-limited',
  overloaded: 'overloaded',
  timeout: 'too slow to answer',
  unavailable: 'unreachable',
  auth_failed: 'refusing our API key',
  bad_response: 'answering with something I could not read',
  api_error: 'refusing the request',
};

/**
 * What the person must act on: every change card, and each picker the model showed unless a change
 * was filed after it in the same turn (the model answered that question itself, e.g. it looked up
 * the sizes and then asked for a resize: the size picker would file a second request).
 */
const toShow = (shown: Array<{ reply: Reply; change: boolean }>): Reply[] =>
  shown.filter((s, i) => s.change || !shown.slice(i + 1).some((later) => later.change)).map((s) => s.reply);

/** A one-line note above the grammar's answer, visible to the thread (it explains the different answer). */
const notice = (text: string): Reply => reply([{ type: 'context', text }], { text });

const monthStart = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

class TurnLimit extends Error {}

export type ClaudePlanner = Planner & {
  /** True once the API refused the key: the grammar answers every turn. */
  readonly disabled: boolean;
  /** Turns the AI planner off (the start-up key check found the key refused). */
  disable(): void;
};

/** The SDK client both the planner and the incident narrative use: one turn's timeout, the settings' retries. */
export const anthropicClient = (
  s: Pick<ClaudeSettings, 'apiKey' | 'baseURL' | 'maxRetries' | 'turnTimeoutMs'>,
  fetchImpl?: typeof fetch,
): Anthropic =>
  new Anthropic({
    apiKey: s.apiKey,
    ...(s.baseURL ? { baseURL: s.baseURL } : {}),
    maxRetries: s.maxRetries,
    timeout: s.turnTimeoutMs,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });

export const createClaudePlanner = (d: ClaudePlannerDeps): ClaudePlanner => {
  const s = d.settings;
  const client = anthropicClient(s, d.fetch);
  const redactor = createOutboundRedactor(d.secrets);
  let estate: { at: number; value: Promise<EstateSummary> } | undefined;
  const estateNow = (): Promise<EstateSummary> => {
    if (!estate || Date.now() - estate.at > ESTATE_TTL_MS) {
      const value = d.estate();
      estate = { at: Date.now(), value };
      // A failed read is not kept: the next turn tries again.
      value.catch(() => {
        if (estate?.value === value) estate = undefined;
      });
    }
    return estate.value;
  };
  /** Set when the API refused the key: every later turn goes to the grammar (until a restart with a new key). */
  let disabled = false;
  const disable = () => {
    disabled = true;
  };

  const countRedactions = (counts: RedactionCounts) => {
    for (const [kind, n] of Object.entries(counts)) d.metrics.llmRedactions.inc({ kind }, n);
  };
  const clean = (text: string): string => {
    const r = redactor(text);
    countRedactions(r.counts);
    return r.text;
  };

  // Stable parts first: tools, then the system prompt, each ending in a cache breakpoint.
  const tools: AnthropicTool[] = d.tools.map((t, i) => ({
    name: t.name,
    description: t.description,
    input_schema: t.inputSchema as AnthropicTool['input_schema'],
    ...(i === d.tools.length - 1 ? { cache_control: { type: 'ephemeral' as const } } : {}),
  }));

  const fallbackWith = async (input: PlanInput, ctx: ToolContext, reason: string, notices: Reply[]): Promise<Plan> => {
    d.metrics.llmFallbacks.inc({ reason });
    const plan = await d.fallback.plan(input, ctx);
    return { ...plan, notices: [...notices, ...(plan.notices ?? [])] };
  };

  const plan = async (input: PlanInput, ctx: ToolContext): Promise<Plan> => {
    if (disabled || grammarAnswers(input.text)) {
      if (disabled && !grammarAnswers(input.text))
        return fallbackWith(input, ctx, 'auth_failed', [
          notice(
            'The AI planner is off: the Anthropic API refused the configured key. I answered with the command grammar.',
          ),
        ]);
      return d.fallback.plan(input, ctx);
    }
    if (s.monthlyTokenBudget > 0) {
      const used = await d.usage.tokensSince(ctx.actor.workspaceId, monthStart(ctx.now));
      if (used >= s.monthlyTokenBudget) {
        const month = ctx.now.toLocaleString('en-US', { month: 'long', timeZone: 'UTC' });
        return fallbackWith(input, ctx, 'budget', [
          notice(
            `This workspace has used its AI budget for ${month} (${used.toLocaleString('en-US')} of ${s.monthlyTokenBudget.toLocaleString('en-US')} tokens), so I answered with the command grammar. The budget resets on the 1st (UTC); an admin can raise ANTHROPIC_MONTHLY_TOKEN_BUDGET.`,
          ),
        ]);
      }
    }
    return loop(input, ctx);
  };

  const loop = async (input: PlanInput, ctx: ToolContext): Promise<Plan> => {
    const started = Date.now();
    const deadline = started + s.turnTimeoutMs;
    const usage: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    /** Replies people must act on (change cards, pickers), in the order the tools produced them. */
    const shown: Array<{ reply: Reply; change: boolean }> = [];
    let toolCalls = 0;
    try {
      const estateSummary = await estateNow();
      const system: TextBlockParam[] = [
        { type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } },
        { type: 'text', text: clean(contextPrompt(ctx, estateSummary)), cache_control: { type: 'ephemeral' } },
      ];
      const { turns } = historyTurns(input.history, ctx, s.historyMessages);
      const ask = input.text;
      const lastTurn = turns.at(-1);
      if (lastTurn?.role === 'user') lastTurn.text = `${lastTurn.text}\n\n${ask}`;
      else turns.push({ role: 'user', text: ask });
      // Always text blocks (never a bare string): the same message is then the same bytes in every
      // later request of the thread, so the prefix cached by this turn is found by the next.
      const messages: MessageParam[] = turns.map((t) => ({
        role: t.role,
        content: [{ type: 'text', text: clean(t.text) }],
      }));

      for (;;) {
        if (Date.now() >= deadline) throw new TurnLimit('time');
        const answer = await call(system, messages, deadline, usage);
        const uses = answer.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
        if (answer.stop_reason !== 'tool_use' || uses.length === 0) return finish(answer, toShow(shown));
        // The assistant's content goes back unmodified (thinking blocks must be returned as they came).
        messages.push({ role: 'assistant', content: answer.content as ContentBlockParam[] });
        const results: ToolResultBlockParam[] = [];
        for (const use of uses) {
          if (toolCalls >= s.maxToolCalls) {
            results.push({
              type: 'tool_result',
              tool_use_id: use.id,
              is_error: true,
              content: `Tool call limit reached (${s.maxToolCalls} per request); answer with what you have.`,
            });
            continue;
          }
          toolCalls += 1;
          reportProgress(progressText(use.name, use.input));
          const result = await input.runTool({ tool: use.name, input: use.input });
          if (result.ok && result.needsUser) shown.push({ reply: result.reply, change: result.change !== undefined });
          results.push(toolResultBlock(use.id, result));
        }
        messages.push({ role: 'user', content: results });
        if (toolCalls >= s.maxToolCalls && uses.length > 0 && results.every((r) => r.is_error))
          throw new TurnLimit('tools');
      }
    } catch (e) {
      if (isUnavailable(e)) throw e;
      if (e instanceof TurnLimit) {
        d.logger.warn({ limit: e.message, toolCalls, ms: Date.now() - started }, 'LLM turn stopped at a limit');
        const text =
          e.message === 'time'
            ? `I ran out of time (${Math.round(s.turnTimeoutMs / 1000)} s) before finishing this request.`
            : `I stopped after ${toolCalls} tool calls without an answer.`;
        return {
          type: 'answer',
          replies: [textReply(`${text} Try a narrower question, or a command (\`help\`).`), ...toShow(shown)],
        };
      }
      const reason = failureOf(e);
      d.metrics.llmCalls.inc({ model: s.model, outcome: reason });
      if (reason === 'auth_failed') {
        disable();
        d.logger.warn(
          { status: (e as { status?: number }).status },
          'the Anthropic API refused ANTHROPIC_API_KEY: the AI planner is off until a restart with a working key; the command grammar answers',
        );
      } else d.logger.warn({ err: e, reason }, 'the AI planner failed; the command grammar answers this turn');
      return fallbackWith(input, ctx, reason, [
        notice(
          `The AI planner is unavailable right now (Claude is ${failureWords[reason]}), so I answered with the command grammar.`,
        ),
        ...toShow(shown),
      ]);
    } finally {
      if (usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens > 0)
        await d.usage
          .record({ ...usage, ctx, conversationId: input.conversationId, model: s.model })
          .catch((e: unknown) => d.logger.warn({ err: e }, 'could not record LLM usage'));
    }
  };

  /** One model call, streamed so the working message can show the answer as it comes. */
  const call = async (
    system: TextBlockParam[],
    messages: MessageParam[],
    deadline: number,
    usage: TokenUsage,
  ): Promise<Message> => {
    // Only the newest message carries the moving breakpoint (at most 4: tools, system, context, this one).
    for (const m of messages)
      if (Array.isArray(m.content)) for (const b of m.content) if ('cache_control' in b) delete b.cache_control;
    const newest = messages.at(-1);
    if (newest && typeof newest.content === 'string') newest.content = [{ type: 'text', text: newest.content }];
    const mark = Array.isArray(newest?.content) ? newest.content.at(-1) : undefined;
    if (mark && (mark.type === 'text' || mark.type === 'tool_result')) mark.cache_control = { type: 'ephemeral' };
    const t0 = performance.now();
    let lastShown = 0;
    let text = '';
    try {
      const stream = client.messages.stream(
        { model: s.model, max_tokens: s.maxOutputTokens, system, tools, messages },
        { timeout: Math.max(1_000, deadline - Date.now()) },
      );
      stream.on('text', (delta) => {
        text += delta;
        const now = Date.now();
        if (now - lastShown >= STREAM_PROGRESS_MS && text.trim()) {
          lastShown = now;
          reportProgress(`writing: ${text.replace(/\s+/g, ' ').trim().slice(-300)}`);
        }
      });
      const message = await stream.finalMessage();
      const u = message.usage;
      usage.inputTokens += u.input_tokens;
      usage.outputTokens += u.output_tokens;
      usage.cacheReadTokens += u.cache_read_input_tokens ?? 0;
      usage.cacheWriteTokens += u.cache_creation_input_tokens ?? 0;
      d.metrics.llmTokens.inc({ model: s.model, kind: 'input' }, u.input_tokens);
      d.metrics.llmTokens.inc({ model: s.model, kind: 'output' }, u.output_tokens);
      d.metrics.llmTokens.inc({ model: s.model, kind: 'cache_read' }, u.cache_read_input_tokens ?? 0);
      d.metrics.llmTokens.inc({ model: s.model, kind: 'cache_write' }, u.cache_creation_input_tokens ?? 0);
      d.metrics.llmCalls.inc({ model: s.model, outcome: 'ok' });
      return message;
    } finally {
      d.metrics.llmCallSeconds.observe({ model: s.model }, (performance.now() - t0) / 1000);
    }
  };

  const toolResultBlock = (id: string, result: ToolResult): ToolResultBlockParam => {
    if (!result.ok) return { type: 'tool_result', tool_use_id: id, is_error: true, content: clean(result.error) };
    let json = JSON.stringify(compactData(result.data ?? null)) ?? 'null';
    if (json.length > MAX_TOOL_RESULT_CHARS)
      json = `${json.slice(0, MAX_TOOL_RESULT_CHARS)}… (cut: ${json.length.toLocaleString('en-US')} characters in all; ask a narrower question)`;
    return { type: 'tool_result', tool_use_id: id, content: clean(json) };
  };

  /** The model's final text as blocks, then whatever the person must act on. */
  const finish = (answer: Message, shown: Reply[]): Plan => {
    const text = answer.content
      .filter((b: ContentBlock): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
      .map((b) => b.text)
      .join('\n\n')
      .trim();
    const blocks: Block[] = markdownToBlocks(text);
    if (answer.stop_reason === 'max_tokens')
      blocks.push({ type: 'context', text: '(The answer was cut short: it reached ANTHROPIC_MAX_OUTPUT_TOKENS.)' });
    if (answer.stop_reason === 'refusal')
      blocks.push({ type: 'context', text: 'The model declined to answer this request.' });
    const replies = blocks.length ? [reply(blocks)] : shown.length ? [] : [textReply('(The model gave no answer.)')];
    return { type: 'answer', replies: [...replies, ...shown] };
  };

  return {
    name: 'claude',
    // Enough to summarise older messages in front of the verbatim ones.
    historyTurns: s.historyMessages * 2,
    plan,
    get disabled() {
      return disabled;
    },
    disable,
  };
};

/**
 * At start: does the API accept the key? A refused key is one clear warning and the grammar
 * answers every turn; an unreachable API is only a warning (each turn tries again).
 */
export const checkClaudeKey = async (
  settings: Pick<ClaudeSettings, 'apiKey' | 'baseURL' | 'model'>,
  logger: Logger,
  fetchImpl?: typeof fetch,
): Promise<'ok' | 'refused' | 'unreachable'> => {
  const client = new Anthropic({
    apiKey: settings.apiKey,
    ...(settings.baseURL ? { baseURL: settings.baseURL } : {}),
    maxRetries: 0,
    timeout: 10_000,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  try {
    await client.messages.countTokens({ model: settings.model, messages: [{ role: 'user', content: 'ping' }] });
    return 'ok';
  } catch (e) {
    if (e instanceof Anthropic.AuthenticationError || e instanceof Anthropic.PermissionDeniedError) {
      logger.warn(
        { status: e.status },
        'ANTHROPIC_API_KEY was refused by the Anthropic API: the AI planner is off and the command grammar answers every message. Fix the key and restart.',
      );
      return 'refused';
    }
    logger.warn(
      { err: e },
      'could not reach the Anthropic API at start; the AI planner will try on each message and fall back to the command grammar',
    );
    return 'unreachable';
  }
};
