import type { z } from 'zod';
import type { Role } from '../chat/actor.ts';
import type { Choice } from '../chat/reply.ts';
import type { ToolContext } from './tool.ts';

/**
 * Options for `search` form fields, by source name: a capability registers a source beside its
 * tools (the cloud's `resources`), and every surface asks the engine while someone types (Slack
 * block_suggestion, a Teams typeahead, the console's datalist). Roles apply as for tools.
 */
export interface OptionSource<S extends z.ZodType = z.ZodType> {
  /** The part of `OptionsSource` before `?`. */
  readonly name: string;
  /** The `?param=value` part, as strings. */
  readonly params: S;
  readonly minRole: Role;
  /** At most `MAX_CHOICES` choices matching `query` (case-insensitive; empty: the first ones). */
  list(params: z.infer<S>, query: string, ctx: ToolContext): Promise<Choice[]>;
}

/** Slack's external_select shows at most 100 options. */
export const MAX_CHOICES = 100;
