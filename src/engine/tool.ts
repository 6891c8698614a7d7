import type { z } from 'zod';
import type { Actor, ConversationRef, Role } from '../chat/actor.ts';
import type { Reply } from '../chat/reply.ts';
import type { ChangePlan } from '../changes/model.ts';

/** What a tool sees of the turn it runs in. */
export interface ToolContext {
  actor: Actor;
  role: Role;
  conversation: ConversationRef;
  now: Date;
}

/**
 * A read tool answers: a Reply for people and `data` (JSON, no secrets) for an LLM planner.
 * A change tool never mutates: it returns a plan that the engine turns into a change request.
 */
export type ToolOutcome =
  | { type: 'answer'; reply: Reply; data?: unknown }
  | { type: 'plan'; plan: ChangePlan };

export interface Tool<S extends z.ZodType = z.ZodType> {
  /** snake_case, stable: also the name an LLM calls. */
  readonly name: string;
  /** One or two sentences an LLM can choose by. */
  readonly description: string;
  /** Input schema; every field has `.describe()`. */
  readonly input: S;
  readonly kind: 'read' | 'change';
  /** Minimum role to use it (enforced by the registry, server-side). */
  readonly minRole: Role;
  /**
   * False for tools that act with the user's own authority (approve, reject, grant): they are only
   * reachable from the deterministic grammar or a button, never from an LLM tool call.
   */
  readonly llm: boolean;
  run(input: z.infer<S>, ctx: ToolContext): Promise<ToolOutcome>;
}
