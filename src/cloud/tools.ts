import { z } from 'zod';
import { formatMoney, plural } from '../chat/format.ts';
import { ActionIds } from '../chat/interaction.ts';
import { MAX_CHART_CATEGORIES, reply, type Block, type Button, type ChartBlock } from '../chat/reply.ts';
import type { Tool } from '../tools/tool.ts';
import { resourceRepository, type CostLine } from './repository.ts';
import { resolveResource } from './resolve.ts';
import { CostReportGrouping, ProviderName, ResourceType, type Resource } from './resource.ts';
import { actionsNow, powerActionTool, resizeTool, resourceActionTool } from './change-tools.ts';
import type { ActionSpec } from './actions.ts';
import { pickResourceTool } from './pick.ts';
import { metricKey, metricSummaries, type MetricSummary } from './metrics-repository.ts';
import type { CloudToolDeps } from './tool-deps.ts';

const PAGE = 20;

/** CPU of instances over the last 14 days (daily aggregates), keyed by metricKey. */
type CpuByKey = Map<string, MetricSummary>;

const pct = (n: number): string => `${n < 10 ? Math.round(n * 10) / 10 : Math.round(n)}%`;

const details = (r: Resource, cpu?: CpuByKey): string => {
  const a = r.attributes;
  switch (r.type) {
    case 'instance': {
      const c = cpu?.get(metricKey(r));
      const size = String(a.instanceType ?? a.vmSize ?? a.machineType ?? '');
      return size + (c ? ` · cpu ${pct(c.avg)}` : '');
    }
    case 'volume':
      return `${String(a.sizeGb ?? '?')} GB ${String(a.volumeType ?? '')}${a.attachedTo ? ` → ${String(a.attachedTo)}` : ' · unattached'}`;
    case 'snapshot':
      return `${String(a.sizeGb ?? '?')} GB${a.startTime ? ` · ${String(a.startTime).slice(0, 10)}` : ''}`;
    case 'security_group': {
      const rules = Array.isArray(a.ingress) ? a.ingress.length : 0;
      return plural(rules, 'ingress rule');
    }
    default:
      return '';
  }
};

const typeTitle: Record<string, string> = {
  all: 'Resources',
  instance: 'Instances',
  volume: 'Volumes',
  snapshot: 'Snapshots',
  security_group: 'Security groups',
  deployment: 'Deployments',
  node: 'Nodes',
  bucket: 'Buckets',
  database: 'Databases',
};

const ListInput = z.object({
  type: z
    .enum([...ResourceType.options, 'all'])
    .default('all')
    .describe('Resource type to list, or "all".'),
  provider: ProviderName.optional().describe('Only this cloud provider.'),
  environment: z.string().min(1).max(50).optional().describe('Only this environment (from the env tag), e.g. prod.'),
  page: z.number().int().min(1).max(1000).default(1).describe('Page of 20 rows, from 1.'),
});

export const listResourcesTool = (d: CloudToolDeps): Tool<typeof ListInput> => ({
  name: 'list_resources',
  description:
    'Lists inventory resources (instances, volumes, snapshots, security groups…), optionally filtered by provider and environment, with state and monthly cost.',
  input: ListInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (input, ctx) => {
    const repo = resourceRepository(d.db);
    const filter = {
      ...(input.type !== 'all' ? { type: input.type } : {}),
      ...(input.provider ? { provider: input.provider } : {}),
      ...(input.environment ? { environment: input.environment } : {}),
    };
    const [total, rows] = await Promise.all([
      repo.count(filter),
      repo.list({ ...filter, limit: PAGE, offset: (input.page - 1) * PAGE }),
    ]);
    const cpu = await metricSummaries(
      d.db,
      'cpu_percent',
      rows.filter((r) => r.type === 'instance'),
      { days: 14, now: ctx.now },
    );
    const scope = [input.provider && `in ${input.provider}`, input.environment && `env=${input.environment}`]
      .filter(Boolean)
      .join(' ');
    const title = `${typeTitle[input.type] ?? input.type}${scope ? ` ${scope}` : ''}`;
    if (total === 0) {
      return {
        type: 'answer',
        reply: reply([{ type: 'text', text: `No ${title.toLowerCase()} found.` }], { sandbox: d.sandbox }),
        data: { total: 0, rows: [] },
      };
    }
    const blocks: Block[] = [
      { type: 'header', text: `${title} (${total})` },
      {
        type: 'table',
        columns:
          input.type === 'all'
            ? ['Name', 'Type', 'ID', 'Env', 'State', 'Details', 'Region', '$/mo']
            : ['Name', 'ID', 'Env', 'State', 'Details', 'Region', '$/mo'],
        rows: rows.map((r) => [
          r.name || '—',
          ...(input.type === 'all' ? [r.type] : []),
          r.id,
          r.environment,
          r.state,
          details(r, cpu),
          r.region,
          formatMoney(r.monthlyCostCents),
        ]),
      },
    ];
    const shown = (input.page - 1) * PAGE + rows.length;
    if (shown < total) {
      blocks.push({ type: 'context', text: `Showing ${shown - rows.length + 1}–${shown} of ${total}.` });
      blocks.push({
        type: 'actions',
        buttons: [
          {
            actionId: ActionIds.command,
            label: 'Show more',
            value: JSON.stringify({ tool: 'list_resources', input: { ...input, page: input.page + 1 } }),
          },
        ],
      });
    }
    const data = {
      total,
      page: input.page,
      rows: rows.map((r) => ({
        id: r.id,
        name: r.name,
        type: r.type,
        provider: r.provider,
        region: r.region,
        environment: r.environment,
        state: r.state,
        monthlyCostCents: r.monthlyCostCents,
        details: details(r, cpu),
      })),
    };
    return { type: 'answer', reply: reply(blocks, { sandbox: d.sandbox, text: `${title}: ${total}` }), data };
  },
});

const ShowInput = z.object({
  resource: z.string().min(1).max(200).describe('Resource id (i-…, vol-…, snap-…, sg-…) or name.'),
});

export const showResourceTool = (d: CloudToolDeps): Tool<typeof ShowInput> => ({
  name: 'show_resource',
  description: 'Shows one resource in detail (state, tags, cost, type-specific attributes) by id or name.',
  input: ShowInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (input) => {
    const r = await resolveResource(resourceRepository(d.db), input.resource);
    const attrs = Object.entries(r.attributes)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => ({ label: k, value: typeof v === 'object' ? JSON.stringify(v) : String(v) }));
    const tags = Object.entries(r.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const buttons = await actionButtons(d, r);
    const blocks: Block[] = [
      { type: 'header', text: `${r.name || r.id} (${r.type})` },
      {
        type: 'fields',
        fields: [
          { label: 'ID', value: `\`${r.id}\`` },
          { label: 'State', value: r.state },
          { label: 'Environment', value: r.environment },
          { label: 'Where', value: `${r.provider} · ${r.account} · ${r.region}` },
          { label: 'Monthly cost', value: formatMoney(r.monthlyCostCents) },
          ...attrs,
        ].slice(0, 20),
      },
      {
        type: 'context',
        text: `Tags: ${tags || 'none'} · last seen ${r.seenAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      },
      ...(buttons.length ? [{ type: 'actions' as const, buttons }] : []),
    ];
    return {
      type: 'answer',
      reply: reply(blocks, { sandbox: d.sandbox }),
      data: { ...r, seenAt: r.seenAt.toISOString() },
    };
  },
});

/**
 * The cost lines as a bar chart (dollars a month), the biggest first; past the categories a chart
 * holds, the smallest are summed as "other (N)". None for an inventory that costs nothing.
 */
const costChart = (by: string, lines: CostLine[]): ChartBlock | undefined => {
  if (!lines.some((l) => l.monthlyCostCents > 0)) return undefined;
  const shown = lines.length > MAX_CHART_CATEGORIES ? lines.slice(0, MAX_CHART_CATEGORIES - 1) : lines;
  const rest = lines.slice(shown.length);
  const bars = [
    ...shown.map((l) => ({ label: l.key.slice(0, 100) || '(none)', cents: l.monthlyCostCents })),
    ...(rest.length > 0
      ? [{ label: `other (${rest.length})`, cents: rest.reduce((n, l) => n + l.monthlyCostCents, 0) }]
      : []),
  ];
  return {
    type: 'chart',
    kind: 'bar',
    title: `Monthly cost by ${by}`,
    categories: bars.map((b) => b.label),
    series: [{ name: 'Monthly cost', values: bars.map((b) => b.cents / 100) }],
    unit: 'USD/month',
  };
};

const CostInput = z.object({
  by: CostReportGrouping.default('service').describe('How to group the monthly cost.'),
});

export const costReportTool = (d: CloudToolDeps): Tool<typeof CostInput> => ({
  name: 'cost_report',
  description: 'Monthly cost of the live inventory grouped by service tag, environment or provider.',
  input: CostInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (input) => {
    const repo = resourceRepository(d.db);
    const lines = await repo.costs(input.by);
    const total = lines.reduce((s, l) => s + l.monthlyCostCents, 0);
    const chart = costChart(input.by, lines);
    const blocks: Block[] = [
      { type: 'header', text: `Monthly cost by ${input.by}: ${formatMoney(total)}` },
      ...(chart ? [chart] : []),
      {
        type: 'table',
        columns: [input.by[0]!.toUpperCase() + input.by.slice(1), 'Resources', '$/mo', 'Share'],
        rows: lines.map((l) => [
          l.key,
          String(l.count),
          formatMoney(l.monthlyCostCents),
          total ? `${((l.monthlyCostCents / total) * 100).toFixed(1)}%` : '—',
        ]),
      },
      {
        type: 'context',
        text: 'Estimated from list prices of running resources; stopped instances count their volumes only.',
      },
    ];
    return {
      type: 'answer',
      reply: reply(blocks, { sandbox: d.sandbox, text: `Monthly cost ${formatMoney(total)}` }),
      data: { by: input.by, totalCents: total, lines },
    };
  },
});

const call = (tool: string, input: Record<string, unknown>): string => JSON.stringify({ tool, input });

/** The spec of a resource's resize-like action (one with a `size` parameter), if its provider has one. */
const resizeSpec = (d: CloudToolDeps, r: Resource): ActionSpec | undefined =>
  (d.provider(r.provider)?.actions[r.type] ?? []).find((s) => 'size' in s.params.shape);

const currentSize = (spec: ActionSpec | undefined, r: Resource): string =>
  spec?.sizeAttribute ? String(r.attributes[spec.sizeAttribute] ?? '') : '';

/** The sizes a resource may be resized to (the cloud's list, cached by the provider); [] when it cannot be. */
const sizesOf = async (d: CloudToolDeps, r: Resource): Promise<string[]> => {
  const provider = d.provider(r.provider);
  if (!provider || !resizeSpec(d, r)) return [];
  try {
    return await provider.sizesFor(r.type, r.region, r.account);
  } catch {
    // The picker is a convenience: a cloud that cannot list sizes now leaves the typed command.
    return [];
  }
};

/** The resize picker: a button whose form offers the provider's valid sizes. */
const resizeButton = async (d: CloudToolDeps, r: Resource, label = 'Resize…'): Promise<Button | undefined> => {
  const spec = resizeSpec(d, r);
  if (!spec || (spec.states && !spec.states.includes(r.state))) return undefined;
  const current = currentSize(spec, r);
  const options = (await sizesOf(d, r))
    .filter((s) => s !== current)
    .slice(0, 100)
    .map((s) => ({ label: s, value: s }));
  if (!options.length) return undefined;
  return {
    actionId: ActionIds.command,
    label,
    value: call('resize_resource', { resource: r.id }),
    form: {
      title: `${spec.title} ${r.type.replace(/_/g, ' ')}`,
      submitLabel: 'Request',
      fields: [
        { name: 'size', label: `New size (now ${current || 'unknown'})`, kind: 'select', required: true, options },
      ],
    },
  };
};

/** One button per action the resource offers in its state; clicking files a change request like the typed command. */
const actionButtons = async (d: CloudToolDeps, r: Resource): Promise<Button[]> => {
  const buttons: Button[] = [];
  for (const spec of actionsNow(d.provider(r.provider), r)) {
    const fields = Object.keys(spec.params.shape);
    if (fields.includes('size')) {
      const resize = await resizeButton(d, r);
      if (resize) buttons.push(resize);
      continue;
    }
    if (spec.doneStates?.includes(r.state)) continue;
    const value =
      ['start', 'stop', 'reboot'].includes(spec.name) && fields.length === 0
        ? call('power_action', { action: spec.name, resource: r.id })
        : call('resource_action', { action: spec.name, resource: r.id });
    buttons.push({
      actionId: ActionIds.command,
      label: fields.length ? `${spec.title}…` : spec.title,
      value,
      ...(/stop|deallocate|cordon|scale/.test(spec.name) ? { style: 'danger' as const } : {}),
      ...(fields.length
        ? {
            form: {
              title: `${spec.title} ${r.name || r.id}`.slice(0, 24),
              submitLabel: 'Request',
              fields: fields.map((name) => ({
                name,
                label: name,
                kind: 'text' as const,
                required: true,
              })),
            },
          }
        : {}),
    });
  }
  return buttons.slice(0, 5);
};

const ResizeOptionsInput = z.object({ resource: z.string().min(1).max(200).describe('Instance id or name.') });

export const resizeOptionsTool = (d: CloudToolDeps): Tool<typeof ResizeOptionsInput> => ({
  name: 'resize_options',
  description:
    'Lists the sizes an instance can be resized to (and shows the user a picker of them). Use it before resize_resource when the user describes a size rather than naming one.',
  input: ResizeOptionsInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  asksUser: true,
  run: async ({ resource }) => {
    const r = await resolveResource(resourceRepository(d.db), resource, { accept: (x) => Boolean(resizeSpec(d, x)) });
    const button = await resizeButton(d, r, 'Choose size…');
    if (!button)
      return {
        type: 'answer',
        reply: reply([
          { type: 'text', text: `${r.name || r.id} is a ${r.type.replace('_', ' ')}; it cannot be resized.` },
        ]),
      };
    const current = currentSize(resizeSpec(d, r), r);
    const text = `Resize ${r.name || r.id} (now ${current || 'unknown'}): pick a size, or type \`resize ${r.name || r.id} to <size>\`.`;
    return {
      type: 'answer',
      reply: reply(
        [
          { type: 'text', text },
          { type: 'actions', buttons: [button] },
        ],
        { sandbox: d.sandbox, text },
      ),
      data: {
        resource: r.id,
        name: r.name,
        current: current || null,
        currentMonthlyCostCents: r.monthlyCostCents,
        sizes: (await sizesOf(d, r))
          .filter((s) => s !== current)
          .map((size) => ({
            size,
            monthlyCostCents: d.provider(r.provider)?.monthlyCostFor?.(r.type, size, r.region) ?? null,
          })),
      },
    };
  },
});

export const cloudTools = (d: CloudToolDeps): Tool[] => [
  listResourcesTool(d),
  showResourceTool(d),
  costReportTool(d),
  powerActionTool(d),
  resizeTool(d),
  resourceActionTool(d),
  resizeOptionsTool(d),
  pickResourceTool(d),
];
