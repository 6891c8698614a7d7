import { z } from 'zod';
import { formatMoney, plural } from '../chat/format.ts';
import { reply, type Block } from '../chat/reply.ts';
import { asc } from '../store/orm.ts';
import type { Tool } from '../tools/tool.ts';
import { computeDrift, DriftScope, recordBaseline, type DriftItem, type DriftReport } from './drift.ts';
import { priceTable, HOURS_PER_MONTH, type PriceItem, type PricedProvider } from './pricing/index.ts';
import { resourceRepository } from './repository.ts';
import { inventorySources } from './schema.ts';
import type { CloudToolDeps } from './tool-deps.ts';

/**
 * The estate as a whole: what is where and what it costs (`inventory summary`), whether every
 * source syncs (`inventory status`), what moved since a baseline (`baseline set`, `drift`), and
 * what the same shape costs on each cloud (`price compare`).
 */

const ago = (then: Date | null, now: Date): string => {
  if (!then) return 'never';
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129_600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
};

const SummaryInput = z.object({});

export const inventorySummaryTool = (d: CloudToolDeps): Tool<typeof SummaryInput> => ({
  name: 'inventory_summary',
  description:
    'Counts and monthly cost of the whole inventory by provider, account, environment and service (the estate at a glance).',
  input: SummaryInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async () => {
    const repo = resourceRepository(d.db);
    const [totals, byProvider, byAccount, byEnv, byService] = await Promise.all([
      repo.totals(),
      repo.costs('provider'),
      repo.costs('account'),
      repo.costs('environment'),
      repo.costs('service'),
    ]);
    const table = (title: string, lines: typeof byProvider): Block[] => [
      { type: 'text', text: `*By ${title}*` },
      {
        type: 'table',
        columns: [title[0]!.toUpperCase() + title.slice(1), 'Resources', '$/mo'],
        rows: lines.slice(0, 15).map((l) => [l.key, String(l.count), formatMoney(l.monthlyCostCents)]),
      },
    ];
    const text = `${plural(totals.count, 'resource')}, ${formatMoney(totals.monthlyCostCents)}/month`;
    const blocks: Block[] = [
      { type: 'header', text: `Inventory: ${text}` },
      ...table('provider', byProvider),
      ...table('account', byAccount),
      ...table('environment', byEnv),
      ...table('service', byService),
      {
        type: 'context',
        text: `Types: ${Object.entries(totals.byType)
          .map(([t, n]) => `${t.replace(/_/g, ' ')} ${n}`)
          .join(' · ')}`,
      },
    ];
    return {
      type: 'answer',
      reply: reply(blocks, { sandbox: d.sandbox, text }),
      data: { totals, byProvider, byAccount, byEnvironment: byEnv, byService },
    };
  },
});

export const inventoryStatusTool = (d: CloudToolDeps): Tool<typeof SummaryInput> => ({
  name: 'inventory_status',
  description:
    'Each inventory source (provider, account, region): last successful sync, resources, duration and the last error.',
  input: SummaryInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (_input, ctx) => {
    const rows = await d.db
      .select()
      .from(inventorySources)
      .orderBy(asc(inventorySources.provider), asc(inventorySources.key));
    const configured = (d.providers?.() ?? []).flatMap((p) => p.sources());
    const known = new Set(rows.map((r) => r.key));
    const pending = configured.filter((s) => !known.has(s.key));
    const failing = rows.filter((r) => r.error);
    const text = failing.length
      ? `${plural(failing.length, 'source')} of ${rows.length + pending.length} failing`
      : `All ${plural(rows.length + pending.length, 'source')} syncing`;
    const blocks: Block[] = [
      { type: 'header', text: `Inventory sources: ${text}` },
      {
        type: 'table',
        columns: ['Source', 'Last success', 'Resources', 'Took', 'Error'],
        rows: [
          ...rows.map((r) => [
            r.label,
            ago(r.lastSuccessAt, ctx.now),
            String(r.count),
            `${(r.durationMs / 1000).toFixed(1)}s`,
            r.error ? `${r.error}${r.consecutiveFailures > 1 ? ` (${r.consecutiveFailures} times)` : ''}` : '—',
          ]),
          ...pending.map((s) => [s.label, 'not synced yet', '—', '—', '—']),
        ],
      },
    ];
    return {
      type: 'answer',
      reply: reply(blocks, { sandbox: d.sandbox, text }),
      data: {
        sources: rows.map((r) => ({
          key: r.key,
          label: r.label,
          lastSuccessAt: r.lastSuccessAt?.toISOString() ?? null,
          lastAttemptAt: r.lastAttemptAt.toISOString(),
          count: r.count,
          durationMs: r.durationMs,
          error: r.error,
          metricsAt: r.metricsAt?.toISOString() ?? null,
        })),
        notSyncedYet: pending.map((s) => s.key),
      },
    };
  },
});

const ScopeInput = DriftScope.extend({}).describe('Which part of the inventory; empty for all of it.');

export const baselineSetTool = (d: CloudToolDeps): Tool<typeof ScopeInput> => ({
  name: 'baseline_set',
  description: 'Records the current inventory (all, or one provider/account/environment/type) as the drift baseline.',
  input: ScopeInput,
  kind: 'admin',
  minRole: 'admin',
  llm: false,
  run: async (scope, ctx) => {
    const b = await recordBaseline(d.db, scope, ctx.actor.displayName || ctx.actor.userId, ctx.now);
    const text = `Baseline recorded for ${b.scope}: ${plural(b.count, 'resource')}. \`drift${b.scope === 'all' ? '' : ` ${b.scope}`}\` now compares against it.`;
    return { type: 'answer', reply: reply([{ type: 'text', text }], { sandbox: d.sandbox, text }), data: b };
  },
});

const itemLine = (i: DriftItem): string =>
  `${i.name || i.id} (${i.type.replace(/_/g, ' ')}, ${i.provider} ${i.region})`;
const value = (v: unknown): string =>
  v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v).slice(0, 80) : String(v);

/** The drift report as blocks; shared by the command and the scheduled post. */
export const driftBlocks = (r: DriftReport, max = 15): Block[] => {
  const n = r.added.length + r.removed.length + r.changed.length;
  const blocks: Block[] = [
    {
      type: 'header',
      text: n
        ? `Drift in ${r.scope}: ${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed`
        : `No drift in ${r.scope}`,
    },
    {
      type: 'context',
      text: `Since the baseline of ${r.baseline.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC by ${r.baseline.createdBy} (${plural(r.baseline.count, 'resource')}).`,
    },
  ];
  const list = (title: string, items: DriftItem[], line: (i: DriftItem) => string) => {
    if (!items.length) return;
    const shown = items.slice(0, max);
    blocks.push({
      type: 'text',
      text: `*${title}*\n${shown.map((i) => `• ${line(i)}`).join('\n')}${items.length > shown.length ? `\n…and ${items.length - shown.length} more` : ''}`,
    });
  };
  list('Added', r.added, itemLine);
  list('Removed', r.removed, itemLine);
  list(
    'Changed',
    r.changed,
    (i) =>
      `${itemLine(i)}: ${(i.changes ?? []).map((c) => `${c.field} ${value(c.before)} → ${value(c.after)}`).join('; ')}`,
  );
  return blocks;
};

export const driftTool = (d: CloudToolDeps): Tool<typeof ScopeInput> => ({
  name: 'drift',
  description:
    'What changed in the inventory since the recorded baseline: resources added, removed and changed (size, state, tags, ingress rules, replicas, image).',
  input: ScopeInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (scope) => {
    const r = await computeDrift(d.db, scope);
    const blocks = driftBlocks(r);
    const text = blocks[0]?.type === 'header' ? blocks[0].text : 'Drift';
    return {
      type: 'answer',
      reply: reply(blocks, { sandbox: d.sandbox, text }),
      data: { ...r, baseline: { ...r.baseline, createdAt: r.baseline.createdAt.toISOString() } },
    };
  },
});

/** The region each provider is compared in unless asked: their US-east regions. */
const DEFAULT_REGIONS: Record<PricedProvider, string> = { aws: 'us-east-1', azure: 'eastus', gcp: 'us-central1' };

const PriceInput = z.object({
  shape: z
    .enum(['vm', 'database', 'disk'])
    .describe('What to compare: a VM, a managed PostgreSQL database, or disk storage.'),
  vcpu: z.number().int().min(1).max(448).optional().describe('vCPUs (vm, database).'),
  memoryGib: z.number().min(0.5).max(24_576).optional().describe('Memory in GiB (vm, database).'),
  gb: z.number().int().min(1).max(65_536).default(100).describe('Disk size in GB (disk).'),
  engine: z.string().min(1).max(30).default('postgres').describe('Database engine (database).'),
});

interface PriceRow {
  provider: PricedProvider;
  key: string;
  vcpu?: number | undefined;
  memoryGib?: number | undefined;
  region: string;
  monthlyCents: number;
}

/** The closest shape on one provider: exact vCPU and memory if it has one, else the cheapest at least as big. */
const bestMatch = (items: PriceItem[], region: string, vcpu: number, mem: number): PriceItem | undefined => {
  const candidates = items.filter(
    (i) => i.usd[region] !== undefined && (i.vcpu ?? 0) >= vcpu && (i.memoryGib ?? 0) >= mem,
  );
  const exact = candidates.filter((i) => i.vcpu === vcpu && i.memoryGib === mem);
  const pool = exact.length ? exact : candidates;
  return pool.sort((a, b) => a.usd[region]! - b.usd[region]!)[0];
};

export const priceCompareTool = (d: CloudToolDeps): Tool<typeof PriceInput> => ({
  name: 'price_compare',
  description:
    'What the same shape costs on AWS, Azure and GCP from the offline price tables: a VM by vCPU and memory, a managed PostgreSQL by vCPU and memory, or a GB-month of disk by type.',
  input: PriceInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (input) => {
    const rows: PriceRow[] = [];
    const sources: string[] = [];
    for (const provider of ['aws', 'azure', 'gcp'] as const) {
      let table;
      try {
        table = priceTable(provider);
      } catch {
        table = undefined;
      }
      if (!table) continue;
      const region = DEFAULT_REGIONS[provider];
      sources.push(`${provider}: ${table.source} (${table.retrieved}, v${table.version})`);
      if (input.shape === 'disk') {
        for (const i of table.items.filter(
          (x) => x.kind === 'disk' && x.unit === 'gb_month' && x.usd[region] !== undefined,
        ))
          rows.push({ provider, key: i.key, region, monthlyCents: Math.round(i.usd[region]! * input.gb * 100) });
        continue;
      }
      const vcpu = input.vcpu ?? 2;
      const mem = input.memoryGib ?? vcpu * 4;
      const items = table.items.filter(
        (i) =>
          (input.shape === 'vm' && i.kind === 'instance') ||
          (input.shape === 'database' && i.kind === 'database' && i.key.endsWith(`:${input.engine.toLowerCase()}`)),
      );
      const best = bestMatch(items, region, vcpu, mem);
      if (best)
        rows.push({
          provider,
          key: best.key,
          vcpu: best.vcpu,
          memoryGib: best.memoryGib,
          region,
          monthlyCents: Math.round(best.usd[region]! * (best.unit === 'hour' ? HOURS_PER_MONTH : 1) * 100),
        });
    }
    rows.sort((a, b) => a.monthlyCents - b.monthlyCents);
    const what =
      input.shape === 'disk'
        ? `${input.gb} GB of disk`
        : `${input.shape === 'vm' ? 'a VM' : `managed ${input.engine}`} with ${input.vcpu ?? 2} vCPU and ${input.memoryGib ?? (input.vcpu ?? 2) * 4} GiB`;
    if (rows.length === 0) {
      const text = `No price table has ${what}.`;
      return { type: 'answer', reply: reply([{ type: 'text', text }], { sandbox: d.sandbox, text }), data: { rows } };
    }
    const text = `Price of ${what}: cheapest ${rows[0]!.provider} ${rows[0]!.key} at ${formatMoney(rows[0]!.monthlyCents)}/month`;
    const blocks: Block[] = [
      { type: 'header', text: `Price compare: ${what}` },
      {
        type: 'table',
        columns:
          input.shape === 'disk'
            ? ['Provider', 'Disk type', 'Region', '$/mo']
            : ['Provider', 'Size', 'vCPU', 'GiB', 'Region', '$/mo'],
        rows: rows.map((r) =>
          input.shape === 'disk'
            ? [r.provider, r.key, r.region, formatMoney(r.monthlyCents)]
            : [
                r.provider,
                r.key,
                String(r.vcpu ?? '?'),
                String(r.memoryGib ?? '?'),
                r.region,
                formatMoney(r.monthlyCents),
              ],
        ),
      },
      {
        type: 'context',
        text: `On-demand list prices, 730 h a month, from the offline tables: ${sources.join('; ')}. Exact vCPU and memory when a cloud has it, else its cheapest larger shape.`,
      },
    ];
    return { type: 'answer', reply: reply(blocks, { sandbox: d.sandbox, text }), data: { what, rows } };
  },
});

export const estateTools = (d: CloudToolDeps): Tool[] => [
  inventorySummaryTool(d),
  inventoryStatusTool(d),
  baselineSetTool(d),
  driftTool(d),
  priceCompareTool(d),
];
