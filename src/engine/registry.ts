import { z } from 'zod';
import { roleAtLeast } from '../chat/actor.ts';
import { withArticle } from '../chat/format.ts';
import { AppError, forbidden, formatZodIssues } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import { PERSONAL_KINDS, type Tool, type ToolContext, type ToolOutcome } from '../tools/tool.ts';

/**
 * Every tool the engine can run, by name. Planners (the rule grammar now, Claude later) only ever
 * reach the clouds and the change queue through `run`, which enforces roles server-side and
 * validates input with the tool's own schema.
 */
export class ToolRegistry {
  readonly #tools = new Map<string, Tool>();
  readonly #metrics: Metrics | undefined;

  constructor(metrics?: Metrics) {
    this.#metrics = metrics;
  }

  register(...tools: Tool[]): this {
    for (const t of tools) {
      if (this.#tools.has(t.name)) throw new AppError('internal', `tool ${t.name} registered twice`);
      // A tool that acts with a person's own authority is never reachable from an LLM tool call.
      if (PERSONAL_KINDS.has(t.kind) && t.llm)
        throw new AppError(
          'internal',
          `tool ${t.name} is a ${t.kind} tool and must not be offered to an LLM (llm: false)`,
        );
      this.#tools.set(t.name, t);
    }
    return this;
  }

  get(name: string): Tool | undefined {
    return this.#tools.get(name);
  }

  list(): Tool[] {
    return [...this.#tools.values()];
  }

  /** Whether an LLM planner may be offered (and may call) this tool. */
  offeredToLlm(t: Tool): boolean {
    return t.llm && !PERSONAL_KINDS.has(t.kind) && this.#tools.get(t.name) === t;
  }

  /** Tools an LLM planner may be offered, with JSON schemas for its tool-use API. */
  llmTools(): { name: string; description: string; inputSchema: unknown }[] {
    return this.list()
      .filter((t) => this.offeredToLlm(t))
      .map((t) => ({
        name: t.name,
        description: t.description,
        // The input side: a field with a default is optional to the caller, not required.
        inputSchema: z.toJSONSchema(t.input, { io: 'input' }),
      }));
  }

  /** Validates input, checks the actor's role, runs the tool. Throws AppError for the user to see. */
  async run(name: string, input: unknown, ctx: ToolContext): Promise<ToolOutcome> {
    const tool = this.#tools.get(name);
    if (!tool) throw new AppError('bad_request', `There is no tool called ${name}.`);
    if (!roleAtLeast(ctx.role, tool.minRole)) {
      this.#metrics?.toolCalls.inc({ tool: name, outcome: 'forbidden' });
      throw forbidden(
        `You are ${withArticle(ctx.role)}; ${describeTool(tool)} needs the ${tool.minRole} role or higher. Ask an admin: \`grant <you> ${tool.minRole}\`.`,
      );
    }
    const parsed = tool.input.safeParse(input);
    if (!parsed.success) {
      this.#metrics?.toolCalls.inc({ tool: name, outcome: 'bad_input' });
      throw new AppError('bad_request', `That input does not fit ${name}: ${formatZodIssues(parsed.error, 'input')}`, {
        cause: parsed.error,
      });
    }
    try {
      const out = await tool.run(parsed.data, ctx);
      this.#metrics?.toolCalls.inc({ tool: name, outcome: 'ok' });
      return out;
    } catch (e) {
      this.#metrics?.toolCalls.inc({ tool: name, outcome: e instanceof AppError ? e.code : 'error' });
      throw e;
    }
  }
}

const describeTool = (t: Tool): string =>
  t.kind === 'change' ? `requesting this change` : `\`${t.name.replace(/_/g, ' ')}\``;
