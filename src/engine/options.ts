import { z } from 'zod';
import { roleAtLeast, type Role } from '../chat/actor.ts';
import type { Choice } from '../chat/reply.ts';
import { AppError, badRequest, forbidden, formatZodIssues } from '../errors.ts';
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

export class OptionSources {
  readonly #sources = new Map<string, OptionSource>();

  register(...sources: OptionSource[]): this {
    for (const s of sources) {
      if (this.#sources.has(s.name)) throw new AppError('internal', `option source ${s.name} registered twice`);
      this.#sources.set(s.name, s);
    }
    return this;
  }

  /** `resources?type=instance` → the source's choices for `query`. Throws AppError for the surface to report. */
  async list(spec: string, query: string, ctx: ToolContext): Promise<Choice[]> {
    const [name = '', search = ''] = spec.split('?', 2);
    const source = this.#sources.get(name);
    if (!source) throw new AppError('bad_request', `There is no option source called ${name}.`);
    if (!roleAtLeast(ctx.role, source.minRole)) throw forbidden(`You are a ${ctx.role}; these options need the ${source.minRole} role or higher.`);
    const parsed = source.params.safeParse(Object.fromEntries(new URLSearchParams(search)));
    if (!parsed.success) throw badRequest(`Bad options source ${spec}: ${formatZodIssues(parsed.error, 'params')}`);
    const choices = await source.list(parsed.data, query.trim(), ctx);
    return choices.slice(0, MAX_CHOICES);
  }
}
