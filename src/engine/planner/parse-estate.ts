import { readResource } from './args.ts';
import type { Command } from './command.ts';
import { parseList } from './parse-reads.ts';
import { ok, quote, usage, type CommandParser } from './results.ts';
import type { Token } from './tokens.ts';

/**
 * Parsers of the estate commands (`inventory`, `drift`, `baseline set`, `price compare`) and of
 * the provider actions beyond start/stop/reboot/resize (`scale`, `cordon`, `uncordon`,
 * `deallocate`, `rollout restart|undo`), which all become the generic `resource_action` tool.
 */

const words = (args: Token[]) => args.filter((t) => !t.quoted).map((t) => t.lower);

export const parseInventory: CommandParser = (args, ctx) => {
  const [view, ...rest] = words(args);
  if (rest.length > 0 || args.some((t) => t.quoted)) return usage(ctx.word);
  if (!view || view === 'summary' || view === 'overview') return ok({ kind: 'inventory', view: 'summary' });
  if (view === 'status' || view === 'sources' || view === 'health') return ok({ kind: 'inventory', view: 'status' });
  return usage(ctx.word, `${quote(view)} is not an inventory view.`);
};

/** A scope is read like `list`'s filters: `aws`, `env=prod`, `instances`. */
const readScope = (args: Token[], ctx: Parameters<CommandParser>[1]) => {
  const parsed = parseList(args, ctx);
  if (!parsed.ok) return parsed;
  const c = parsed.command;
  if (c.kind !== 'list') return usage(ctx.word);
  return {
    ok: true as const,
    scope: {
      ...(c.provider ? { provider: c.provider } : {}),
      ...(c.environment ? { environment: c.environment } : {}),
      ...(c.type !== 'all' ? { type: c.type } : {}),
    },
  };
};

export const parseDrift: CommandParser = (args, ctx) => {
  const r = readScope(args, ctx);
  return 'scope' in r ? ok({ kind: 'drift', scope: r.scope }) : r;
};

export const parseBaseline: CommandParser = (args, ctx) => {
  const [first, ...rest] = args;
  if (!first || first.quoted || !['set', 'record', 'take'].includes(first.lower))
    return usage(ctx.word, 'Say `baseline set` to record one; `drift` compares against it.');
  const r = readScope(rest, ctx);
  return 'scope' in r ? ok({ kind: 'baseline', scope: r.scope }) : r;
};

const NUMBER = /^(\d+(?:\.\d+)?)([a-z]*)$/;

/** `price compare vm 4 cpu 16 gb`, `price compare db 2 vcpu 8 gib`, `price compare disk 500 gb`. */
export const parsePrice: CommandParser = (args, ctx) => {
  const w = words(args).filter((x) => !['compare', 'of', 'a', 'for', 'with', 'and', 'on', 'each', 'cloud'].includes(x));
  const [what, ...rest] = w;
  const shape =
    what === 'vm' || what === 'instance' || what === 'server'
      ? 'vm'
      : what === 'db' || what === 'database' || what === 'postgres' || what === 'postgresql'
        ? 'database'
        : what === 'disk' || what === 'storage' || what === 'volume'
          ? 'disk'
          : undefined;
  if (!shape) return usage(ctx.word, what ? `${quote(what)} is not something I can price: vm, db or disk.` : undefined);
  // Numbers with their units: `4 cpu`, `4cpu`, `16 gb`, `16gib`, `500gb`.
  const amounts: { n: number; unit: string }[] = [];
  for (let i = 0; i < rest.length; i++) {
    const m = NUMBER.exec(rest[i]!);
    if (!m) return usage(ctx.word, `${quote(rest[i]!)} is not a size.`);
    let unit = m[2] ?? '';
    if (!unit && rest[i + 1] && !NUMBER.test(rest[i + 1]!)) unit = rest[++i]!;
    amounts.push({ n: Number(m[1]), unit });
  }
  const cpu = amounts.find((a) => /^v?cpus?$|^cores?$/.test(a.unit));
  const mem = amounts.find((a) => /^gi?b?$|^gigs?$|^ram$/.test(a.unit) && a !== cpu);
  const out: Extract<Command, { kind: 'price' }> = { kind: 'price', shape };
  if (shape === 'disk') {
    const gb = amounts.find((a) => /^gi?b?$|^$/.test(a.unit));
    if (gb) out.gb = Math.round(gb.n);
    return ok(out);
  }
  if (cpu) out.vcpu = Math.round(cpu.n);
  if (mem) out.memoryGib = mem.n;
  return ok(out);
};

/** `<verb> <resource>`: an action without parameters. */
export const plainAction =
  (action: string): CommandParser =>
  (args, ctx) => {
    const resource = readResource(args);
    return resource ? ok({ kind: 'do', action, resource, params: {} }) : usage(ctx.word);
  };

/** `scale web to 3`, `scale web 3`, `scale web replicas=3`. */
export const parseScale: CommandParser = (args, ctx) => {
  const w = args.filter((t) => t.quoted || !['to', 'replicas', '=', 'replicas='].includes(t.lower));
  const last = w[w.length - 1];
  const n = last && !last.quoted ? /^(?:replicas=)?(\d{1,4})$/.exec(last.lower)?.[1] : undefined;
  const resource = n ? readResource(w.slice(0, -1)) : undefined;
  if (!n || !resource) return usage(ctx.word);
  return ok({ kind: 'do', action: 'scale', resource, params: { replicas: n } });
};

/** `rollout restart web`, `rollout undo web`. */
export const parseRollout: CommandParser = (args, ctx) => {
  const [verb, ...rest] = args;
  const action =
    verb && !verb.quoted
      ? verb.lower === 'restart'
        ? 'rollout_restart'
        : verb.lower === 'undo' || verb.lower === 'back'
          ? 'undo_rollout'
          : undefined
      : undefined;
  const resource = action ? readResource(rest) : undefined;
  return action && resource ? ok({ kind: 'do', action, resource, params: {} }) : usage(ctx.word);
};
