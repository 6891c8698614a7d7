import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { badRequest } from '../errors.ts';
import { z } from 'zod';
import { ActionNamePattern, type ActionSpec } from '../cloud/actions.ts';
import { monthlyCents, PriceKind, priceItem } from '../cloud/pricing/index.ts';
import { ProviderName, ResourceType } from '../cloud/resource.ts';

/**
 * Workflow templates as data: a YAML file names its inputs and its ordered steps (provider
 * actions, waits, approval gates), each with a timeout, retries and what undoes it. This module
 * reads and checks one; nothing here runs a step. A template that does not validate is refused
 * with every problem at once, each as `path: reason` (with its line in the file), so an admin
 * fixes an upload in one round.
 *
 * Values in a step may refer to what is known when the plan is built or run: `${inputs.name}`,
 * and `${steps.<id>.<output>}` of an earlier step. A cost line may also read an attribute of the
 * resource a resource input picks (`${inputs.database.allocatedStorage}`), known when the plan is
 * built. References are checked here: an unknown input, a later step or an unknown step is a
 * problem of the template, not a failure half way through a run.
 */

/** lower-kebab, 2–64 characters: what people type after `run`. */
export const TemplateNamePattern = /^[a-z][a-z0-9-]{1,63}$/;
/** Step and input ids: lower_snake, so that `${steps.tg.arn}` reads plainly. */
const IdPattern = /^[a-z][a-z0-9_]{0,39}$/;

/** `30s`, `5m`, `2h` → milliseconds (at most a day: a step that waits longer is a schedule, not a step). */
export const parseDuration = (text: string): number | undefined => {
  const m = /^(\d{1,5})(s|m|h)$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
  return ms > 0 && ms <= 86_400_000 ? ms : undefined;
};

const Duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, 'a duration such as 30s, 5m or 2h (at most 24h)');

/** A value in a step: a literal, or text with `${…}` references (checked against inputs and earlier steps). */
const Value = z.union([z.string().max(2_000), z.number(), z.boolean()]).transform(String);

const InputType = z.enum(['string', 'integer', 'boolean', 'choice', 'resource']);

const Input = z
  .object({
    type: InputType,
    description: z.string().min(1).max(300),
    /** Absent and not `optional`: the person running the template must give it. */
    default: Value.optional(),
    optional: z.boolean().default(false),
    /** string: a regular expression the whole value must match. */
    pattern: z.string().max(300).optional(),
    /** integer: bounds. */
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    /** choice: the values offered. */
    choices: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
    /** resource: a picker over the inventory (`search` in chat), by type and optionally provider. */
    resource: z.object({ type: ResourceType, provider: ProviderName.optional() }).strict().optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const problem = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    if (input.type === 'choice' && !input.choices) problem('a choice input needs its choices', 'choices');
    if (input.type !== 'choice' && input.choices)
      problem(`only a choice input has choices (this is ${input.type})`, 'choices');
    if (input.type === 'resource' && !input.resource) problem('a resource input needs resource.type', 'resource');
    if (input.type !== 'resource' && input.resource)
      problem(`only a resource input has resource (this is ${input.type})`, 'resource');
    if (input.type !== 'integer' && (input.min !== undefined || input.max !== undefined))
      problem(`only an integer input has min and max (this is ${input.type})`, 'min');
    if (input.min !== undefined && input.max !== undefined && input.min > input.max) problem('min is above max', 'min');
    if (input.pattern !== undefined) {
      if (input.type !== 'string') problem(`only a string input has a pattern (this is ${input.type})`, 'pattern');
      try {
        new RegExp(input.pattern);
      } catch (e) {
        problem(`not a regular expression: ${(e as Error).message}`, 'pattern');
      }
    }
    if (input.default !== undefined) {
      const why = inputProblem(input, input.default);
      if (why) problem(`the default ${why}`, 'default');
    }
  });
export type TemplateInput = z.infer<typeof Input>;

/**
 * What a step acts on: a resource of the inventory by type and id (a reference, usually an input),
 * or one an earlier step made (`id: ${steps.<id>.<output>}`), found when the step runs. A made
 * resource is in the account of the step that made it, and in its region unless `region` says
 * otherwise (a snapshot copied to another region).
 */
const Target = z.object({ type: ResourceType, id: Value, region: Value.optional() }).strict();

/** What undoes a completed step when a later one fails: the action's own inverse, another action, or nothing. */
const Compensate = z.union([
  z.literal('inverse'),
  z.literal('none'),
  z.object({ action: z.string().regex(ActionNamePattern), params: z.record(z.string(), Value).default({}) }).strict(),
]);

const StepBase = {
  id: z.string().regex(IdPattern, 'lower_snake, starting with a letter, at most 40 characters'),
  title: z.string().min(1).max(120),
  timeout: Duration.default('10m'),
  retries: z.number().int().min(0).max(5).default(0),
};

const ActionStep = z
  .object({
    ...StepBase,
    action: z.string().regex(ActionNamePattern, 'an action name (lower_snake)'),
    target: Target,
    params: z.record(z.string(), Value).default({}),
    compensate: Compensate.default('inverse'),
  })
  .strict();

const WaitStep = z
  .object({
    ...StepBase,
    wait: z
      .object({
        target: Target,
        /** The state the resource must reach (as the inventory names states: running, available, healthy…). */
        until: z.string().min(1).max(40),
      })
      .strict(),
  })
  .strict();

const ApprovalStep = z
  .object({
    ...StepBase,
    approval: z
      .object({
        /** Roles of the workspace whose members may approve this gate. */
        roles: z.array(z.enum(['approver', 'admin'])).min(1),
        quorum: z.number().int().min(1).max(5).default(1),
      })
      .strict(),
  })
  .strict();

const Step = z.union([ActionStep, WaitStep, ApprovalStep]);
export type TemplateStep = z.infer<typeof Step>;

/** A priced line of what the template's result costs a month (from the price tables). */
const CostLine = z
  .object({
    kind: PriceKind,
    item: z.string().min(1).max(100),
    /**
     * How many (a number or a reference to an input), or a product of those (`${inputs.count} * ${inputs.cpu}`:
     * tasks × vCPU each); disks and storage in GB.
     */
    quantity: Value.default('1'),
    /** The region priced (a reference to an input, usually); absent: the template's `region` input. */
    region: Value.optional(),
  })
  .strict();

/** One line per other cloud: what the same plan is there (its managed service and the settings that match). */
const Equivalents = z.partialRecord(ProviderName, z.string().trim().min(1).max(300));

export const TemplateCategory = z.enum(['deploy', 'observability', 'cluster', 'release', 'resilience', 'other']);

export const TemplateFile = z
  .object({
    name: z.string().regex(TemplateNamePattern, 'lower-kebab, 2–64 characters, starting with a letter'),
    version: z.number().int().min(1),
    category: TemplateCategory,
    description: z.string().min(1).max(600),
    provider: ProviderName,
    inputs: z.record(z.string().regex(IdPattern, 'input names are lower_snake'), Input).default({}),
    steps: z.array(Step).min(1).max(50),
    cost: z.array(CostLine).max(30).default([]),
    /** Minutes the same work takes by hand (the analytics' time saved). */
    manualMinutes: z.number().int().min(1).max(10_000).optional(),
    /**
     * The same plan on other clouds, one line each (`azure: AKS with …`, `gcp: GKE with …`), for
     * `template show`: a template runs on its own provider only, this names what it would be elsewhere.
     */
    equivalents: Equivalents.optional(),
  })
  .strict();
export type Template = z.infer<typeof TemplateFile>;

/** Why a value does not fit an input, or undefined when it does. */
export function inputProblem(input: TemplateInput, value: string): string | undefined {
  switch (input.type) {
    case 'integer': {
      if (!/^-?\d{1,15}$/.test(value)) return `"${value}" is not a whole number`;
      const n = Number(value);
      if (input.min !== undefined && n < input.min) return `${n} is below the minimum ${input.min}`;
      if (input.max !== undefined && n > input.max) return `${n} is above the maximum ${input.max}`;
      return undefined;
    }
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : `"${value}" is not true or false`;
    case 'choice':
      return input.choices?.includes(value) ? undefined : `"${value}" is not one of ${input.choices?.join(', ')}`;
    case 'string':
      if (input.pattern && !new RegExp(`^(?:${input.pattern})$`).test(value))
        return `"${value}" does not match ${input.pattern}`;
      return undefined;
    case 'resource':
      return value.length > 0 ? undefined : 'is empty';
  }
}

/** The `${…}` references in a value. */
const referencePattern = /\$\{([^}]*)\}/g;
const references = (value: string): string[] => [...value.matchAll(referencePattern)].map((m) => m[1]!.trim());

/** One problem of a template: where (a dotted path, and its line when known) and why. */
export interface TemplateProblem {
  path: string;
  line?: number | undefined;
  message: string;
}

export type TemplateCheck = { ok: true; template: Template } | { ok: false; problems: TemplateProblem[] };

/** What the template may name: the provider's action for a resource type (the cloud's catalog). */
export type ActionLookup = (provider: string, type: string, action: string) => ActionSpec | undefined;

const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)),
    '',
  ) || '(the file)';

/**
 * Reads and checks a template from YAML text. `source` names it in messages (a file path, an
 * upload's name). Problems come back all at once, in file order where lines are known.
 */
export const checkTemplate = (text: string, source: string, actions: ActionLookup): TemplateCheck => {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: source,
        line: e.linePos?.[0]?.line,
        message: `not valid YAML: ${e.message.split('\n')[0]}`,
      })),
    };
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    let node: unknown = doc.contents;
    let found: YamlNode | undefined = doc.contents ?? undefined;
    for (const key of path) {
      if (isMap(node)) node = node.get(String(key), true);
      else if (isSeq(node) && typeof key === 'number') node = node.get(key, true);
      else break;
      if (node && typeof node === 'object' && 'range' in node) found = node as YamlNode;
    }
    const offset = found?.range?.[0];
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
  const parsed = TemplateFile.safeParse(doc.toJS());
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues
        .map((i) => ({ path: pathText(i.path), line: lineOf(i.path), message: i.message }))
        .sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
    };
  const template = parsed.data;
  const problems: TemplateProblem[] = [];
  const problem = (path: PropertyKey[], message: string) =>
    problems.push({ path: pathText(path), line: lineOf(path), message });

  // References: inputs by name; steps only those before the one that refers to them.
  const stepIds = new Map<string, number>();
  const checkValue = (value: string, path: PropertyKey[], stepIndex: number, attributes = false) => {
    for (const ref of references(value)) {
      const [scope, name, output, ...rest] = ref.split('.');
      if (scope === 'inputs' && name && output === undefined) {
        if (!(name in template.inputs)) problem(path, `\${${ref}} names no input of this template`);
      } else if (scope === 'inputs' && name && output && rest.length === 0 && attributes) {
        if (!(name in template.inputs)) problem(path, `\${${ref}} names no input of this template`);
        else if (template.inputs[name]!.type !== 'resource')
          problem(path, `\${${ref}}: only a resource input has attributes (${name} is ${template.inputs[name]!.type})`);
      } else if (scope === 'steps' && name && output && rest.length === 0) {
        const at = stepIds.get(name);
        if (template.steps[stepIndex]?.id === name) problem(path, `\${${ref}} refers to this step itself`);
        else if (at === undefined)
          problem(
            path,
            template.steps.some((s) => s.id === name)
              ? `\${${ref}} refers to step ${name}, which runs later`
              : `\${${ref}} names no step of this template`,
          );
      } else problem(path, `\${${ref}} is not a reference (use \${inputs.<name>} or \${steps.<id>.<output>})`);
    }
  };

  // A target made by an earlier step is exactly one `${steps.<id>.<output>}`; `region` only moves such a target.
  const checkTarget = (target: z.infer<typeof Target>, path: PropertyKey[], i: number) => {
    checkValue(target.id, [...path, 'id'], i);
    const refs = references(target.id);
    const made = refs.some((r) => r.trim().startsWith('steps.'));
    if (made && (refs.length !== 1 || !/^\$\{[^}]*\}$/.test(target.id.trim())))
      problem([...path, 'id'], 'a target made by an earlier step is one ${steps.<id>.<output>} and nothing else');
    if (target.region !== undefined) {
      checkValue(target.region, [...path, 'region'], i);
      if (!made)
        problem(
          [...path, 'region'],
          'region is only for a target an earlier step makes (the inventory knows the others)',
        );
      if (references(target.region).some((r) => r.trim().startsWith('steps.')))
        problem([...path, 'region'], 'region must be known when the plan is built (a literal or ${inputs.<name>})');
    }
  };

  template.steps.forEach((step, i) => {
    const at = ['steps', i];
    if (stepIds.has(step.id)) problem([...at, 'id'], `step id ${step.id} is used twice`);
    if ('action' in step) {
      checkTarget(step.target, [...at, 'target'], i);
      const spec = actions(template.provider, step.target.type, step.action);
      if (!spec)
        problem([...at, 'action'], `${template.provider} has no action ${step.action} for a ${step.target.type}`);
      else if (spec.inverseOnly)
        problem(
          [...at, 'action'],
          `${step.action} only runs to undo an earlier change; use it in a step's compensate, not as a step`,
        );
      for (const [k, v] of Object.entries(step.params)) checkValue(v, [...at, 'params', k], i);
      if (spec) {
        const known = Object.keys(spec.params.shape);
        for (const k of Object.keys(step.params))
          if (!known.includes(k))
            problem(
              [...at, 'params', k],
              `${step.action} takes no parameter ${k} (it takes ${known.join(', ') || 'none'})`,
            );
        // Literal values are checked now; references when the plan is built.
        const literal = Object.fromEntries(Object.entries(step.params).filter(([, v]) => references(v).length === 0));
        const partial = spec.params.partial().safeParse(literal);
        if (!partial.success)
          for (const issue of partial.error.issues) problem([...at, 'params', ...issue.path], issue.message);
      }
      if (typeof step.compensate === 'object') {
        if (!actions(template.provider, step.target.type, step.compensate.action))
          problem(
            [...at, 'compensate', 'action'],
            `${template.provider} has no action ${step.compensate.action} for a ${step.target.type}`,
          );
        for (const [k, v] of Object.entries(step.compensate.params))
          checkValue(v, [...at, 'compensate', 'params', k], i);
      }
    } else if ('wait' in step) checkTarget(step.wait.target, [...at, 'wait', 'target'], i);
    else if (i === 0)
      problem(
        [...at, 'approval'],
        'a run cannot start with an approval gate: the whole plan is approved before it runs (put the gate before the steps it guards)',
      );
    stepIds.set(step.id, i);
  });

  if (template.equivalents && Object.keys(template.equivalents).length === 0)
    problem(['equivalents'], 'name at least one other cloud (azure, gcp, aws or kubernetes), or leave equivalents out');
  if (template.equivalents?.[template.provider] !== undefined)
    problem(
      ['equivalents', template.provider],
      `the template itself runs on ${template.provider}; equivalents name the other clouds`,
    );

  template.cost.forEach((line, i) => {
    const at = ['cost', i];
    checkValue(line.item, [...at, 'item'], template.steps.length, true);
    checkValue(line.quantity, [...at, 'quantity'], template.steps.length, true);
    if (!line.quantity.split('*').every((f) => /^\s*(\d+(\.\d+)?|\$\{[^}]*\})\s*$/.test(f)))
      problem([...at, 'quantity'], 'a number, a ${inputs.<name>}, or a product of those joined by *');
    if (line.region !== undefined) checkValue(line.region, [...at, 'region'], template.steps.length, true);
    else if (!('region' in template.inputs)) problem(at, 'names no region, and the template has no region input');
    if (references(line.item).length === 0 && !priceItem(template.provider, line.kind, line.item))
      problem([...at, 'item'], `the ${template.provider} price table has no ${line.kind} ${line.item}`);
  });

  return problems.length > 0
    ? { ok: false, problems: problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) }
    : { ok: true, template };
};

/** Problems as the lines people read: `source:line path: reason`. */
export const describeProblems = (source: string, problems: readonly TemplateProblem[]): string =>
  problems.map((p) => `${source}${p.line ? `:${p.line}` : ''} ${p.path}: ${p.message}`).join('\n');

/** What a value may read: the inputs, earlier steps' outputs, and the picked resources' attributes (cost lines). */
export interface ValueScope {
  inputs: Record<string, string>;
  steps: Record<string, Record<string, string>>;
  /** By resource input name: the picked resource's attributes (and its id, name, region, state). */
  resources?: Record<string, Record<string, unknown>>;
}

const scalar = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

/** Replaces `${inputs.x}`, `${inputs.x.attr}` and `${steps.id.out}` in a value; an unknown reference is an error. */
export const resolveValue = (value: string, scope: ValueScope): string =>
  value.replace(referencePattern, (_, raw: string) => {
    const [kind, name, output] = raw.trim().split('.');
    const v =
      kind === 'inputs'
        ? output === undefined
          ? scope.inputs[name ?? '']
          : scalar(scope.resources?.[name ?? '']?.[output])
        : kind === 'steps'
          ? scope.steps[name ?? '']?.[output ?? '']
          : undefined;
    if (v === undefined) throw badRequest(`\${${raw}} has no value yet`);
    return v;
  });

/** The resource inputs whose attributes the cost lines read (`${inputs.<name>.<attribute>}`). */
export const costResourceInputs = (template: Template): string[] => {
  const names = new Set<string>();
  for (const line of template.cost)
    for (const v of [line.item, line.quantity, line.region ?? ''])
      for (const ref of references(v)) {
        const [kind, name, output] = ref.split('.');
        if (kind === 'inputs' && name && output && template.inputs[name]?.type === 'resource') names.add(name);
      }
  return [...names];
};

/**
 * The monthly cost in cents of what a template builds, from the price tables, for the given
 * inputs; lines whose item or region is not priced are listed apart rather than counted as 0.
 */
export const estimateMonthlyCents = (
  template: Template,
  inputs: Record<string, string>,
  resources: ValueScope['resources'] = {},
): { cents: number; unpriced: string[] } => {
  let cents = 0;
  const unpriced: string[] = [];
  for (const line of template.cost) {
    const scope = { inputs, steps: {}, resources };
    // An attribute the picked resource does not have (or an input left out) leaves the line unpriced.
    const known = (v: string) => {
      try {
        return resolveValue(v, scope);
      } catch {
        return undefined;
      }
    };
    const item = known(line.item) ?? line.item;
    const region = known(line.region ?? '${inputs.region}') ?? '?';
    const quantity = (known(line.quantity) ?? '')
      .split('*')
      .reduce((product, factor) => product * (factor.trim() === '' ? Number.NaN : Number(factor)), 1);
    const each = Number.isFinite(quantity)
      ? monthlyCents(template.provider, line.kind, item, region, quantity)
      : undefined;
    if (each === undefined) unpriced.push(`${line.kind} ${item} in ${region}`);
    else cents += each;
  }
  return { cents, unpriced };
};
