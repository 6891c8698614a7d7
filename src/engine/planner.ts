import type { Reply } from '../chat/reply.ts';
import type { StoredMessage } from './engine.ts';
import type { ToolContext } from '../tools/tool.ts';

/**
 * A planner turns what the user said into tool calls. The rule planner maps one command to one
 * call; an LLM planner may chain several and compose the answer. Either way tools run only through
 * the registry, so roles and the approval gate hold whatever the planner decides.
 */
export type PlanStep = { tool: string; input: unknown };

export type Plan =
  /** Run these tools in order and answer with their replies. */
  | { type: 'tools'; steps: PlanStep[] }
  /** Answer directly (help, a grammar error with a suggestion). */
  | { type: 'reply'; reply: Reply };

export interface Planner {
  readonly name: string;
  /** How many earlier messages of the conversation the planner wants (0: none are loaded). */
  readonly historyTurns: number;
  plan(input: { text: string; history: StoredMessage[] }, ctx: ToolContext): Promise<Plan>;
}
