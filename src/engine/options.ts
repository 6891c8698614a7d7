import { roleAtLeast } from '../chat/actor.ts';
import { withArticle } from '../chat/format.ts';
import type { Choice } from '../chat/reply.ts';
import { AppError, badRequest, forbidden, formatZodIssues } from '../errors.ts';
import { MAX_CHOICES, type OptionSource } from '../tools/options.ts';
import type { ToolContext } from '../tools/tool.ts';

/** Every option source, by name: what `ConversationEngine.options` answers from. */
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
    if (!roleAtLeast(ctx.role, source.minRole))
      throw forbidden(`You are ${withArticle(ctx.role)}; these options need the ${source.minRole} role or higher.`);
    const parsed = source.params.safeParse(Object.fromEntries(new URLSearchParams(search)));
    if (!parsed.success) throw badRequest(`Bad options source ${spec}: ${formatZodIssues(parsed.error, 'params')}`);
    const choices = await source.list(parsed.data, query.trim(), ctx);
    return choices.slice(0, MAX_CHOICES);
  }
}
