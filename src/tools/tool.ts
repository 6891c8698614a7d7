import type { z } from 'zod';
import type { Actor, ConversationRef, Role } from '../chat/actor.ts';
import type { Reply } from '../chat/reply.ts';
import type { ChangePlan } from './change-plan.ts';

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
export type ToolOutcome = { type: 'answer'; reply: Reply; data?: unknown } | { type: 'plan'; plan: ChangePlan };

/**
 * What a tool does, truthfully:
 * - `read`: reads and answers; writes nothing (but the conversation the engine keeps).
 * - `change`: checks a requested change against the inventory and returns a plan; never mutates.
 *   The engine files the plan as a change request that the approval policy gates.
 * - `request`: files a change request itself (rollback files the inverse of an earlier change);
 *   what it files waits for approval like any other.
 * - `decide`: records a person's decision on a change request (approve, reject).
 * - `admin`: changes who may do what (grant a role).
 * - `record`: records something in the bot's own data on the asker's behalf, never in a cloud (a
 *   scan's findings, a suppression with its owner and reason).
 * `decide` and `admin` tools act with the asking person's own authority, so they are never offered
 * to an LLM (`llm: false`, checked when the tool is registered).
 */
export type ToolKind = 'read' | 'change' | 'request' | 'decide' | 'admin' | 'record';

/** Kinds that act with a person's own authority: only the deterministic grammar or a button reaches them. */
export const PERSONAL_KINDS: ReadonlySet<ToolKind> = new Set(['decide', 'admin']);

export interface Tool<S extends z.ZodType = z.ZodType> {
  /** snake_case, stable: also the name an LLM calls. */
  readonly name: string;
  /** One or two sentences an LLM can choose by. */
  readonly description: string;
  /** Input schema; every field has `.describe()`. */
  readonly input: S;
  readonly kind: ToolKind;
  /** Minimum role to use it (enforced by the registry, server-side). */
  readonly minRole: Role;
  /**
   * False for tools that act with the user's own authority (approve, reject, grant): they are only
   * reachable from the deterministic grammar or a button, never from an LLM tool call.
   */
  readonly llm: boolean;
  /**
   * Its reply asks the person something (a picker, a form): an LLM planner that calls it shows the
   * reply as part of its answer instead of only reading the data.
   */
  readonly asksUser?: boolean;
  run(input: z.infer<S>, ctx: ToolContext): Promise<ToolOutcome>;
}
