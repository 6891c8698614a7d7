import { z } from 'zod';
import { ActionIds } from '../chat/interaction.ts';
import { reply, type Block, type Button, type FormField } from '../chat/reply.ts';
import { ChangeId } from '../changes/model.ts';
import type { ChangeService } from '../changes/service.ts';
import { renderChangeCard } from '../changes/card.ts';
import { badRequest, isAppError, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { Tool } from '../tools/tool.ts';
import { checkInputs, planWorkflow, workflowChangePlan, type PlanDeps } from './plan.ts';
import type { TemplateRegistry, WorkspaceTemplates } from './registry.ts';
import { runStats, type RunStats } from './repository.ts';
import type { Template, TemplateInput } from './template.ts';

/**
 * The chat side of workflow templates: `templates` lists them with their run statistics,
 * `template show <name>` explains one (inputs, steps, cost) with a Run… button whose form collects
 * the inputs, `run <template> key=value…` plans a run and files it as one change request, and
 * `cancel CR-n` stops a run between steps (or withdraws a request still waiting).
 */

export interface WorkflowToolDeps extends PlanDeps {
  db: Db;
  templates: WorkspaceTemplates;
  changes: ChangeService;
  sandbox: boolean;
}

const call = (tool: string, input: Record<string, unknown>): string => JSON.stringify({ tool, input });

const statsText = (s: RunStats | undefined): string =>
  !s || s.runs === 0
    ? 'never run here'
    : `${s.runs} run${s.runs === 1 ? '' : 's'}, ${Math.round((100 * s.succeeded) / s.runs)}% succeeded${
        s.meanSeconds !== null ? `, ${formatSeconds(s.meanSeconds)} on average` : ''
      }`;

const formatSeconds = (s: number): string =>
  s < 90 ? `${Math.round(s)} s` : s < 5_400 ? `${Math.round(s / 60)} min` : `${(s / 3_600).toFixed(1)} h`;

const required = (i: TemplateInput): boolean => !i.optional && i.default === undefined;

/** The most inputs a form shows (Slack modals and cards stay short); the others keep their defaults. */
const MAX_FORM_FIELDS = 10;

/** One form field per input: choices and booleans as selects, resources searched in the inventory, the rest typed. */
const fieldOf = (name: string, input: TemplateInput): FormField => {
  const label = `${input.description}${input.default !== undefined ? ` (default ${input.default})` : ''}`.slice(0, 100);
  const base = { name, label, required: required(input) };
  switch (input.type) {
    case 'choice':
      return { ...base, kind: 'select', options: input.choices!.map((c) => ({ label: c, value: c })) };
    case 'boolean':
      return {
        ...base,
        kind: 'select',
        options: [
          { label: 'yes', value: 'true' },
          { label: 'no', value: 'false' },
        ],
      };
    case 'resource':
      return { ...base, kind: 'search', source: `resources?type=${input.resource!.type}` };
    default:
      return {
        ...base,
        kind: 'text',
        placeholder: (input.type === 'integer'
          ? `a whole number${input.min !== undefined ? ` ≥ ${input.min}` : ''}${input.max !== undefined ? ` ≤ ${input.max}` : ''}`
          : (input.default ?? name)
        ).slice(0, 150),
      };
  }
};

/** The Run… button: its form asks for the inputs, and submitting it is `run <template>` with them. */
export const runButton = (t: Template): Button => {
  const entries = Object.entries(t.inputs);
  // Inputs without a default first: they must be given; the rest are offered while there is room.
  const shown = [...entries.filter(([, i]) => required(i)), ...entries.filter(([, i]) => !required(i))].slice(
    0,
    MAX_FORM_FIELDS,
  );
  return {
    actionId: ActionIds.command,
    label: `Run ${t.name}…`.slice(0, 75),
    value: call('run_template', { template: t.name }),
    style: 'primary',
    ...(shown.length
      ? {
          form: {
            title: `Run ${t.name}`.slice(0, 24),
            submitLabel: 'Plan the run',
            fields: shown.map(([name, input]) => fieldOf(name, input)),
          },
        }
      : {}),
  };
};

const find = (registry: TemplateRegistry, name: string): Template => {
  const t = registry.latest(name.trim().toLowerCase());
  if (t) return t;
  const names = registry.list().map((x) => x.name);
  throw notFound(
    names.length
      ? `There is no template “${name}”. Templates: ${names.join(', ')} (\`templates\` lists them).`
      : 'No workflow templates are loaded.',
  );
};

const ListInput = z.object({});

export const listTemplatesTool = (d: WorkflowToolDeps): Tool<typeof ListInput> => ({
  name: 'list_templates',
  description:
    'Lists the workflow templates (multi-step runbooks such as deploys, blue-green releases, disaster-recovery drills) with their category, cloud, number of steps and how their runs went here.',
  input: ListInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (_input, ctx) => {
    const templates = (await d.templates.forWorkspace(ctx.actor.workspaceId)).list();
    if (templates.length === 0)
      return { type: 'answer', reply: reply([{ type: 'text', text: 'No workflow templates are loaded.' }]), data: [] };
    const stats = await runStats(d.db, ctx.actor.workspaceId);
    const rows = templates.map((t) => ({
      name: t.name,
      version: t.version,
      category: t.category,
      provider: t.provider,
      steps: t.steps.length,
      description: t.description,
      runs: stats.get(t.name)?.runs ?? 0,
      successRate: stats.get(t.name)?.runs
        ? Math.round((100 * stats.get(t.name)!.succeeded) / stats.get(t.name)!.runs)
        : null,
      meanSeconds: stats.get(t.name)?.meanSeconds ?? null,
    }));
    const blocks: Block[] = [
      { type: 'header', text: `Workflow templates (${templates.length})` },
      {
        type: 'table',
        columns: ['Template', 'Category', 'Cloud', 'Steps', 'Runs'],
        rows: templates.map((t) => [
          `${t.name} v${t.version}`,
          t.category,
          t.provider,
          String(t.steps.length),
          statsText(stats.get(t.name)),
        ]),
      },
      {
        type: 'context',
        text: '`template show <name>` explains one; `run <name> key=value…` plans a run for approval.',
      },
    ];
    return { type: 'answer', reply: reply(blocks), data: rows };
  },
});

const NameInput = z.object({ template: z.string().min(1).max(64).describe('Template name, e.g. blue-green.') });

export const showTemplateTool = (d: WorkflowToolDeps): Tool<typeof NameInput> => ({
  name: 'show_template',
  description:
    'Shows one workflow template: what it does, its inputs (with defaults), its steps and their compensations, what it builds and costs a month, and how its runs went; with a Run button that asks for the inputs.',
  input: NameInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async ({ template }, ctx) => {
    const t = find(await d.templates.forWorkspace(ctx.actor.workspaceId), template);
    const stats = (await runStats(d.db, ctx.actor.workspaceId)).get(t.name);
    const inputs = Object.entries(t.inputs).map(
      ([name, i]) =>
        `• \`${name}\` (${i.type === 'resource' ? `${i.resource!.type} from the inventory` : i.type === 'choice' ? `one of ${i.choices!.join(', ')}` : i.type}${
          i.default !== undefined ? `, default ${i.default}` : i.optional ? ', optional' : ', required'
        }): ${i.description}`,
    );
    const steps = t.steps.map((s, n) => {
      const what =
        'action' in s
          ? `${s.action} on a ${s.target.type}${s.compensate === 'none' ? ' (not undone on failure)' : ''}`
          : 'wait' in s
            ? `wait until the ${s.wait.target.type} is ${s.wait.until}`
            : `approval by ${s.approval.quorum} of the ${s.approval.roles.join(' or ')} role`;
      return `${n + 1}. *${s.title}*: ${what}${s.retries ? `, ${s.retries} retr${s.retries === 1 ? 'y' : 'ies'}` : ''}, timeout ${s.timeout}`;
    });
    const example = Object.entries(t.inputs)
      .filter(([, i]) => required(i))
      .map(([name]) => `${name}=…`)
      .join(' ');
    const blocks: Block[] = [
      { type: 'header', text: `${t.name} v${t.version} · ${t.category} · ${t.provider}` },
      { type: 'text', text: t.description },
      { type: 'text', text: `*Inputs*\n${inputs.length ? inputs.join('\n') : 'none'}` },
      {
        type: 'text',
        text: `*Steps* (run in order; if one fails, the completed ones are undone in reverse)\n${steps.join('\n')}`,
      },
      {
        type: 'context',
        text: [
          t.cost.length
            ? `Builds: ${t.cost.map((c) => `${c.quantity === '1' ? '' : `${c.quantity} × `}${c.kind} ${c.item}`).join(', ')} (priced for the inputs when planned)`
            : 'Builds nothing that is billed',
          t.manualMinutes ? `by hand: about ${t.manualMinutes} min` : '',
          `runs here: ${statsText(stats)}`,
        ]
          .filter(Boolean)
          .join(' · '),
      },
      ...(t.equivalents
        ? [
            {
              type: 'text' as const,
              text: `*The same plan on other clouds*\n${Object.entries(t.equivalents)
                .map(([cloud, line]) => `• ${cloud}: ${line}`)
                .join('\n')}`,
            },
          ]
        : []),
      { type: 'context', text: `Type \`run ${t.name}${example ? ` ${example}` : ''}\`, or:` },
      { type: 'actions', buttons: [runButton(t)] },
    ];
    return {
      type: 'answer',
      reply: reply(blocks),
      data: {
        name: t.name,
        version: t.version,
        category: t.category,
        provider: t.provider,
        description: t.description,
        inputs: t.inputs,
        steps: t.steps.map((s) => ({ id: s.id, title: s.title })),
        stats: stats ?? null,
      },
    };
  },
});

/** `template` and `inputs`, or the inputs as top-level fields (what a Run… form submits). */
const RunInput = z
  .object({
    template: z.string().min(1).max(64).describe('Template name, e.g. blue-green.'),
    inputs: z
      .record(z.string(), z.string().max(2_000))
      .optional()
      .describe('The template inputs by name (see show_template); omit to ask the user with a form.'),
  })
  .catchall(z.union([z.string().max(2_000), z.number(), z.boolean()]));

export const runTemplateTool = (d: WorkflowToolDeps): Tool<typeof RunInput> => ({
  name: 'run_template',
  description:
    'Plans a run of a workflow template with its inputs (every step, resource, cost and compensation) and files it as one change request that an approver must approve before anything runs. Without inputs it shows the user a form.',
  input: RunInput,
  kind: 'change',
  minRole: 'operator',
  llm: true,
  asksUser: true,
  run: async (raw, ctx) => {
    const { template: name, inputs: nested, ...flat } = raw;
    const t = find(await d.templates.forWorkspace(ctx.actor.workspaceId), name);
    const given = Object.fromEntries(
      Object.entries({ ...flat, ...nested }).map(([k, v]) => [k, String(v).trim()]),
    ) as Record<string, string>;
    const missing = Object.entries(t.inputs).filter(([k, i]) => required(i) && !given[k]);
    // Nothing given yet and something is needed: ask with the form rather than fail.
    if (Object.keys(given).length === 0 && missing.length > 0)
      return {
        type: 'answer',
        reply: reply([
          {
            type: 'text',
            text: `${t.name} needs ${missing.map(([k]) => `\`${k}\``).join(', ')}. Fill them in, or type \`run ${t.name} ${missing.map(([k]) => `${k}=…`).join(' ')}\`.`,
          },
          { type: 'actions', buttons: [runButton(t)] },
        ]),
      };
    try {
      checkInputs(t, given);
    } catch (e) {
      // A form shows the message on the first field at fault (the message lists them all).
      if (!isAppError(e)) throw e;
      const first = Object.keys(given).find((k) => e.userMessage.includes(`\n- ${k}: `));
      throw first ? badRequest(e.userMessage, e, first) : e;
    }
    const plan = await planWorkflow(d, t, given);
    return { type: 'plan', plan: workflowChangePlan(t, plan) };
  },
});

/** The input of `cancel_change` (incident proposals are checked against it). */
export const CancelInput = z.object({
  changeId: ChangeId.describe('Change request id, e.g. CR-12.'),
  reason: z.string().max(500).optional().describe('Why, for the thread and the audit log.'),
});

export const cancelChangeTool = (d: WorkflowToolDeps): Tool<typeof CancelInput> => ({
  name: 'cancel_change',
  description:
    'Stops a running workflow before its next step (the completed steps are undone), or withdraws a request still waiting for approval.',
  input: CancelInput,
  kind: 'decide',
  minRole: 'operator',
  llm: false,
  run: async ({ changeId, reason }, ctx) => {
    const c = await d.changes.cancel(changeId, ctx.actor, ctx.role, reason);
    const note =
      c.status === 'executing'
        ? `Asked ${c.id} to stop: it stops before its next step and undoes the steps it completed. Its card shows when.`
        : `${c.id} is ${c.status}.`;
    const card = renderChangeCard(c, { sandbox: d.sandbox });
    return { type: 'answer', reply: reply([{ type: 'text', text: note }, ...card.blocks]) };
  },
});

/** Most bytes of a template pasted in chat (the largest built-in one is a few kilobytes). */
export const MAX_TEMPLATE_BYTES = 64 * 1024;

const AddInput = z.object({
  yaml: z.string().min(1).max(MAX_TEMPLATE_BYTES).describe('The template file, YAML.'),
});

export const addTemplateTool = (d: WorkflowToolDeps): Tool<typeof AddInput> => ({
  name: 'add_template',
  description: "Adds a workflow template (YAML) to the workspace's templates, after checking it; admins only.",
  input: AddInput,
  kind: 'admin',
  minRole: 'admin',
  llm: false,
  run: async ({ yaml }, ctx) => {
    const out = await d.templates.add(ctx.actor.workspaceId, yaml, ctx.actor, ctx.now);
    if (!out.ok)
      throw badRequest(
        `That template was not added. Every problem:\n${out.problems
          .split('\n')
          .map((l) => `- ${l}`)
          .join('\n')}`,
      );
    const t = out.template;
    return {
      type: 'answer',
      reply: reply([
        {
          type: 'text',
          text: `Added *${t.name} v${t.version}* (${t.category}, ${t.provider}, ${t.steps.length} steps) to this workspace's templates. Runs filed from an earlier version keep running that version.`,
        },
        { type: 'context', text: `\`template show ${t.name}\` explains it; \`run ${t.name}\` plans a run.` },
        { type: 'actions', buttons: [runButton(t)] },
      ]),
    };
  },
});

/** The workflow tools, registered under the names the grammar maps to. */
export const workflowTools = (d: WorkflowToolDeps) => [
  listTemplatesTool(d),
  showTemplateTool(d),
  runTemplateTool(d),
  cancelChangeTool(d),
  addTemplateTool(d),
];
