import { readChangeId } from './args.ts';
import { ok, usage, type CommandParser } from './results.ts';

/**
 * Parsers of the workflow commands: `templates`, `template [show] <name>`, `run <template>
 * key=value…` and `cancel CR-n [reason]`. Input values keep the case and the quotes people typed
 * (`image="registry/app:1.4"`); names are read as lower-kebab.
 */

const NAME = /^[a-z][a-z0-9-]{1,63}$/;

export const parseTemplates: CommandParser = (args, ctx) => {
  if (args.length === 0 || (args.length === 1 && ['list', 'all'].includes(args[0]!.lower)))
    return ok({ kind: 'templates' });
  // `templates blue-green` reads as showing that one.
  return parseTemplate(args, { ...ctx, word: 'template' });
};

export const parseTemplate: CommandParser = (args, ctx) => {
  const rest =
    args[0] && !args[0].quoted && ['show', 'info', 'describe'].includes(args[0].lower) ? args.slice(1) : args;
  if (rest.length === 0)
    return args.length === 0 ? ok({ kind: 'templates' }) : usage(ctx.word, 'Which template? `templates` lists them.');
  if (rest.length > 1 || !NAME.test(rest[0]!.lower))
    return usage(
      ctx.word,
      `“${rest.map((t) => t.text).join(' ')}” is not a template name (lower-kebab, like blue-green).`,
    );
  return ok({ kind: 'template', name: rest[0]!.lower });
};

/** `key=value`, `key = value` and `key="a value"`: the text after `=` as typed, quotes removed. */
const INPUT = /^([a-z][a-z0-9_]{0,39})\s*=\s*(?:"([^"]*)"|'([^']*)'|“([^”]*)”|(\S+))/i;

export const parseRun: CommandParser = (args, ctx) => {
  const first = args[0];
  const lead = first && !first.quoted && ['template', 'workflow', 'the'].includes(first.lower) ? 1 : 0;
  const nameToken = args[lead];
  if (!nameToken) return usage(ctx.word, 'Which template? `templates` lists them.');
  if (!NAME.test(nameToken.lower))
    return usage(ctx.word, `“${nameToken.text}” is not a template name (lower-kebab, like blue-green).`);
  const inputs: Record<string, string> = {};
  let rest = ctx.text.slice(nameToken.end).trim();
  // `run blue-green template for …`: filler words before the inputs are fine.
  rest = rest.replace(/^(?:template|workflow)\b\s*/i, '').replace(/^(?:with|for)\b\s*/i, '');
  while (rest.length > 0) {
    const m = INPUT.exec(rest);
    if (!m) {
      const word = rest.split(/\s+/)[0]!;
      return usage(
        ctx.word,
        `I read inputs as key=value; “${word}” is not one. \`template show ${nameToken.lower}\` lists the inputs.`,
      );
    }
    const key = m[1]!.toLowerCase();
    if (key in inputs) return usage(ctx.word, `${key} is given twice.`);
    // An unquoted value ends at a space; a comma right before it separates inputs (`a=1, b=2`).
    inputs[key] = (m[2] ?? m[3] ?? m[4] ?? m[5]!.replace(/,$/, '')).trim();
    rest = rest.slice(m[0].length).replace(/^[\s,]+/, '');
  }
  return ok({ kind: 'run', template: nameToken.lower, inputs });
};

export const parseCancel: CommandParser = (args, ctx) => {
  const id = readChangeId(args);
  if (!id) return usage(ctx.word, 'Which change? Name it like CR-12.');
  const from = args[id.used];
  if (!from) return ok({ kind: 'cancel', changeId: id.changeId });
  const reason = ctx.text
    .slice(from.start)
    .replace(/^(?:because|reason\s*[:=]?|[-–—:])\s*/i, '')
    .replace(/^(["'“‘])(.*)(["'”’])$/s, '$2')
    .trim();
  return ok(reason ? { kind: 'cancel', changeId: id.changeId, reason } : { kind: 'cancel', changeId: id.changeId });
};
