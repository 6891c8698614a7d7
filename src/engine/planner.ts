import type { Reply } from '../chat/reply.ts';
import type { StoredMessage } from './engine.ts';
import type { ToolContext } from '../tools/tool.ts';

/**
 * A planner turns what the user said into tool calls. The rule planner maps one command to one
 * call and returns it as a plan; an LLM planner runs a loop (call a tool, read its result, decide
 * the next call) through `runTool` and returns its answer. Either way tools run only through the
 * registry, so roles and the approval gate hold whatever the planner decides.
 */
export type PlanStep = { tool: string; input: unknown };

/**
 * What one tool call of an LLM planner gave back. `data` is the tool's JSON for the model (no
 * secrets); `reply` is what a person would see; `needsUser` marks a reply the person must act on
 * (a change card, a picker or form), which the planner shows as part of its answer. A change
 * tool's plan is filed as a pending change request: `change` says which, and nothing has run.
 * Refusals (unknown tool, one never offered to an LLM, a role too low), invalid input and tool
 * failures come back as `{ ok: false, error }` for the model to read and correct, never thrown.
 */
export type ToolResult =
  | {
      ok: true;
      reply: Reply;
      data: unknown;
      needsUser: boolean;
      change?: { id: string; status: string; approvalsRequired: number };
    }
  | { ok: false; error: string };

export interface PlanInput {
  /** The user's message, with token-like values already redacted. */
  text: string;
  /** Earlier messages of the conversation, oldest first (`historyTurns` of them). */
  history: StoredMessage[];
  /** The stored conversation's id (e.g. for per-conversation bookkeeping). */
  conversationId: string;
  /**
   * Runs one tool call as the asking user: only tools `registry.llmTools()` offers, input checked
   * by the tool's schema, a change plan filed through the approval policy. Throws only when the
   * database is unavailable (the turn then fails as a whole).
   */
  runTool(step: PlanStep): Promise<ToolResult>;
}

export type Plan = (
  | /** Run these tools in order and answer with their replies. */ { type: 'tools'; steps: PlanStep[] }
  | /** Answer directly (help, a grammar error with a suggestion). */ { type: 'reply'; reply: Reply }
  | /** The planner already ran its tools through `runTool`; these are its answer. */ {
      type: 'answer';
      replies: Reply[];
    }
) & {
  /** Shown before the answer (e.g. "the AI planner is unavailable; answered by the command grammar"). */
  notices?: Reply[];
};

export interface Planner {
  readonly name: string;
  /** How many earlier messages of the conversation the planner wants (0: none are loaded). */
  readonly historyTurns: number;
  plan(input: PlanInput, ctx: ToolContext): Promise<Plan>;
}
