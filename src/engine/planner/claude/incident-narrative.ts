import Anthropic from '@anthropic-ai/sdk';
import type { Tool as AnthropicTool, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages/messages';
import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import type { IncidentExplainer } from '../../../incidents/ports.ts';
import type { Claim, Fact, Suspect } from '../../../incidents/model.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { Metrics } from '../../../observability/metrics.ts';
import { createOutboundRedactor } from '../../../util/redact.ts';
import { anthropicClient, type ClaudeSettings, type TokenUsage } from './claude-planner.ts';

/**
 * The incident diagnosis in a few sentences, written by the Claude planner's model from the facts
 * diagnosis gathered (src/incidents/diagnosis.ts). The model answers through one forced tool
 * call, `diagnosis`, whose input is a list of claims each citing fact ids; the answer is checked
 * with zod, and a claim whose citations name no fact of the list is dropped. Only the title, the
 * service, the facts and the suspects are sent, through the planner's secret redaction. Failures
 * (budget spent, timeout, refusal, an unreadable answer) throw an AppError whose message the
 * caller shows as `narrativeError`.
 */

export interface IncidentNarrativeDeps {
  settings: Pick<
    ClaudeSettings,
    'apiKey' | 'baseURL' | 'model' | 'maxOutputTokens' | 'maxRetries' | 'turnTimeoutMs' | 'monthlyTokenBudget'
  >;
  /** Where the tokens are recorded (the planner's usage table, as the bot in the incident's workspace). */
  usage?: {
    record(row: TokenUsage & { workspaceId: string; model: string }): Promise<void>;
    tokensSince(workspaceId: string, since: Date): Promise<number>;
  };
  /** Literal values of this deployment's secrets: never sent. */
  secrets: string[];
  logger: Logger;
  metrics?: Pick<Metrics, 'llmTokens' | 'llmCalls' | 'llmCallSeconds' | 'llmRedactions'>;
  now?: () => Date;
  /** Tests replace the transport (the SDK's fetch option). */
  fetch?: typeof fetch;
}

const TOOL = 'diagnosis';
const MAX_CLAIMS = 8;

const SYSTEM = `You are the incident assistant of a DevOps chat bot. From the numbered facts the bot gathered about an alert (its own change requests, workflow runs, the inventory's health, metrics, the alert itself) and its ranked suspects, write the short diagnosis an on-call engineer reads first: at most ${MAX_CLAIMS} claims, most important first, each one sentence of plain English. Every claim must cite the ids of the facts it rests on (F1, F2, …); say nothing the facts do not support, and say so when they point nowhere. Answer only by calling the ${TOOL} tool.`;

const tool: AnthropicTool = {
  name: TOOL,
  description: 'The diagnosis: claims, each citing the fact ids it rests on.',
  input_schema: {
    type: 'object',
    properties: {
      claims: {
        type: 'array',
        maxItems: MAX_CLAIMS,
        items: {
          type: 'object',
          properties: {
            text: { type: 'string', description: 'One sentence.' },
            cites: { type: 'array', items: { type: 'string', pattern: '^F[1-9][0-9]*$' }, minItems: 1 },
          },
          required: ['text', 'cites'],
        },
      },
    },
    required: ['claims'],
  },
};

const Answer = z.object({
  claims: z.array(z.object({ text: z.string().trim().min(1).max(1000), cites: z.array(z.string()) })).max(50),
});

const factLine = (f: Fact): string =>
  `${f.id} [${f.kind}${f.relation ? `, ${f.relation}` : ''}${f.at ? `, ${f.at.toISOString()}` : ''}] ${f.text} (source: ${f.source})`;

const suspectLine = (s: Suspect, i: number): string =>
  `${i + 1}. ${s.category}${s.resource ? ` ${s.resource.name}` : ''}: ${s.text} (facts ${s.factIds.join(', ')})`;

const monthStart = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/** Why a call failed, as the planner's metrics name it, and the error the caller shows. */
const failure = (e: unknown): { outcome: string; error: AppError } => {
  const as = (outcome: string, code: AppError['code'], message: string) => ({
    outcome,
    error: new AppError(code, message, { cause: e }),
  });
  if (e instanceof Anthropic.APIConnectionTimeoutError || e instanceof Anthropic.APIUserAbortError)
    return as('timeout', 'unavailable', 'Claude was too slow to answer');
  if (e instanceof Anthropic.AuthenticationError || e instanceof Anthropic.PermissionDeniedError)
    return as('auth_failed', 'auth_failed', 'the Anthropic API refused the configured key');
  if (e instanceof Anthropic.RateLimitError)
    return as('rate_limited', 'rate_limited', 'Claude is rate-limited right now');
  if (e instanceof Anthropic.APIConnectionError)
    return as('unavailable', 'unavailable', 'the Anthropic API is unreachable');
  if (e instanceof Anthropic.APIError)
    return as(
      e.status === 529 ? 'overloaded' : 'api_error',
      'unavailable',
      `the Anthropic API answered ${e.status ?? 'with an error'}`,
    );
  return as('bad_response', 'unavailable', 'Claude answered with something I could not read');
};

export const createIncidentExplainer = (d: IncidentNarrativeDeps): IncidentExplainer => {
  const s = d.settings;
  const client = anthropicClient(s, d.fetch);
  const redactor = createOutboundRedactor(d.secrets);
  const clean = (text: string): string => {
    const r = redactor(text);
    for (const [kind, n] of Object.entries(r.counts)) d.metrics?.llmRedactions.inc({ kind }, n);
    return r.text;
  };
  const now = d.now ?? (() => new Date());

  const explain: IncidentExplainer['explain'] = async (input) => {
    if (s.monthlyTokenBudget > 0 && d.usage) {
      const used = await d.usage.tokensSince(input.workspaceId, monthStart(now()));
      if (used >= s.monthlyTokenBudget)
        throw new AppError('rate_limited', "this workspace's AI budget for the month is spent");
    }
    const prompt = [
      `Alert: ${input.title}`,
      `Service: ${input.service}`,
      '',
      'Facts (heaviest first):',
      ...input.facts.map(factLine),
      '',
      'Suspects (most likely first):',
      ...(input.suspects.length ? input.suspects.map(suspectLine) : ['(none stands out)']),
    ].join('\n');
    let message: Anthropic.Message;
    const t0 = performance.now();
    try {
      message = await client.messages.create({
        model: s.model,
        max_tokens: s.maxOutputTokens,
        system: SYSTEM,
        tools: [tool],
        tool_choice: { type: 'tool', name: TOOL },
        messages: [{ role: 'user', content: [{ type: 'text', text: clean(prompt) }] }],
      });
    } catch (e) {
      const f = failure(e);
      d.metrics?.llmCalls.inc({ model: s.model, outcome: f.outcome });
      d.logger.warn({ err: e, outcome: f.outcome }, 'the incident diagnosis narrative failed');
      throw f.error;
    } finally {
      // Like the planner's calls: every call's wall time, answered or failed.
      d.metrics?.llmCallSeconds.observe({ model: s.model }, (performance.now() - t0) / 1000);
    }
    const u = message.usage;
    const usage: TokenUsage = {
      inputTokens: u.input_tokens,
      outputTokens: u.output_tokens,
      cacheReadTokens: u.cache_read_input_tokens ?? 0,
      cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
    };
    d.metrics?.llmCalls.inc({ model: s.model, outcome: 'ok' });
    d.metrics?.llmTokens.inc({ model: s.model, kind: 'input' }, usage.inputTokens);
    d.metrics?.llmTokens.inc({ model: s.model, kind: 'output' }, usage.outputTokens);
    await d.usage
      ?.record({ ...usage, workspaceId: input.workspaceId, model: s.model })
      .catch((e: unknown) => d.logger.warn({ err: e }, 'could not record LLM usage of an incident diagnosis'));

    if (message.stop_reason === 'refusal') throw new AppError('unavailable', 'the model declined to write a diagnosis');
    const use = message.content.find((b): b is ToolUseBlock => b.type === 'tool_use' && b.name === TOOL);
    const parsed = Answer.safeParse(use?.input);
    if (!parsed.success) {
      d.logger.warn({ stop: message.stop_reason }, 'the incident diagnosis answer did not fit its schema');
      throw new AppError(
        'unavailable',
        message.stop_reason === 'max_tokens'
          ? 'the diagnosis was cut short (ANTHROPIC_MAX_OUTPUT_TOKENS)'
          : 'Claude answered with something I could not read',
      );
    }
    const known = new Set(input.facts.map((f) => f.id));
    const claims: Claim[] = parsed.data.claims
      .map((c) => ({ text: c.text, cites: [...new Set(c.cites.filter((id) => known.has(id)))] }))
      .filter((c) => c.cites.length > 0)
      .slice(0, MAX_CLAIMS);
    return { claims, model: message.model || s.model };
  };

  return { explain };
};
