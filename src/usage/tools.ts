import { z } from 'zod';
import { plural } from '../chat/format.ts';
import { reply, type Block } from '../chat/reply.ts';
import type { Db } from '../store/db.ts';
import type { Tool, ToolContext } from '../tools/tool.ts';
import { monthOf, monthRange, UsageMonth } from './month.ts';
import { estimateCostUsd, priceOf } from './prices.ts';
import { tokensOf, usageByWorkspace, type TokenUsage, type WorkspaceUsage } from './repository.ts';

/** The `usage` tool: how many tokens the LLM planner used, what that cost, and the budget left. */

export interface UsageToolDeps {
  db: Db;
  /** The monthly token budget of each workspace (ANTHROPIC_MONTHLY_TOKEN_BUDGET), when one is set. */
  budgetTokens?: () => number | undefined;
  /** The model the LLM planner uses, when there is one. */
  model?: () => string | undefined;
}

const UsageInput = z.object({
  month: UsageMonth.optional().describe('The month to report, YYYY-MM in UTC (e.g. 2026-11); this month by default.'),
});

const count = (n: number): string => n.toLocaleString('en-US');

/** Two decimals, as the table shows them; a cost too small to show is not shown as free. */
const usd = (n: number): string =>
  n > 0 && n < 0.005 ? '<0.01' : n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Rounded for `data`: enough digits for any sum of rows, without float noise. */
const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

const perMillion = (n: number): string => `$${n.toLocaleString('en-US', { maximumFractionDigits: 3 })}`;

const sumUsage = (rows: readonly TokenUsage[]): TokenUsage => ({
  inputTokens: rows.reduce((s, r) => s + r.inputTokens, 0),
  outputTokens: rows.reduce((s, r) => s + r.outputTokens, 0),
  cacheReadTokens: rows.reduce((s, r) => s + r.cacheReadTokens, 0),
  cacheWriteTokens: rows.reduce((s, r) => s + r.cacheWriteTokens, 0),
});

interface Priced extends WorkspaceUsage {
  totalTokens: number;
  estCostUsd: number | undefined;
}

/** The budget line: how much of the asker's workspace budget the month used. */
const budgetLine = (budget: number, used: number, period: string, ctx: ToolContext, allWorkspaces: boolean): string => {
  const pct = budget > 0 ? Math.round((used / budget) * 100) : undefined;
  const share = pct === undefined ? '' : ` (${pct}%${used > budget ? ', over budget' : ''})`;
  const who = allWorkspaces ? ` for ${ctx.actor.workspaceId}` : '';
  const each = allWorkspaces ? '; every workspace has its own' : '';
  return `Budget${who}: ${count(used)} of ${count(budget)} tokens ${period}${share}${each}.`;
};

const modelLine = (model: string | undefined): string => {
  if (!model) return 'No LLM planner is configured: commands are read by the rule grammar, which uses no tokens.';
  const p = priceOf(model);
  const price = p
    ? `list price ${perMillion(p.input)} input, ${perMillion(p.output)} output per million tokens`
    : 'unknown price';
  return `The LLM planner uses \`${model}\` (${price}).`;
};

export const usageTool = (d: UsageToolDeps): Tool<typeof UsageInput> => ({
  name: 'usage',
  description:
    'Shows the LLM planner’s token usage and estimated cost per workspace and model for a month (UTC, this month by default), and the monthly token budget when one is set. Admins see every workspace, others their own.',
  input: UsageInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (input, ctx) => {
    const current = monthOf(ctx.now);
    const month = input.month ?? current;
    const { since, until } = monthRange(month);
    // Admins answer for the deployment; everyone else sees their own workspace only.
    const allWorkspaces = ctx.role === 'admin';
    const rows = await usageByWorkspace(d.db, {
      since,
      until,
      ...(allWorkspaces ? {} : { workspaceId: ctx.actor.workspaceId }),
    });
    const priced: Priced[] = rows.map((r) => ({
      ...r,
      totalTokens: tokensOf(r),
      estCostUsd: estimateCostUsd(r.model, r),
    }));
    const totals = sumUsage(rows);
    const turns = rows.reduce((s, r) => s + r.turns, 0);
    const knownCost = priced.reduce((s, r) => s + (r.estCostUsd ?? 0), 0);
    const unpricedModels = [...new Set(priced.filter((r) => r.estCostUsd === undefined).map((r) => r.model))];
    const period = month === current ? 'this month' : `in ${month}`;
    const scope = allWorkspaces ? 'all workspaces' : 'this workspace';

    const budget = d.budgetTokens?.();
    const usedHere = tokensOf(sumUsage(rows.filter((r) => r.workspaceId === ctx.actor.workspaceId)));
    const model = d.model?.();

    const blocks: Block[] = [{ type: 'header', text: `LLM usage ${month} (UTC), ${scope}` }];
    if (rows.length === 0) {
      const yet = month >= current ? ' yet' : '';
      blocks.push({ type: 'text', text: `No LLM usage recorded in ${scope} ${period}${yet}.` });
    } else {
      const cost = (r: Priced): string => (r.estCostUsd === undefined ? 'unknown price' : usd(r.estCostUsd));
      const table = priced.map((r) => [
        r.workspaceId,
        r.model,
        count(r.turns),
        count(r.inputTokens),
        count(r.outputTokens),
        count(r.cacheReadTokens),
        count(r.cacheWriteTokens),
        cost(r),
      ]);
      if (rows.length > 1) {
        table.push([
          'Total',
          '',
          count(turns),
          count(totals.inputTokens),
          count(totals.outputTokens),
          count(totals.cacheReadTokens),
          count(totals.cacheWriteTokens),
          unpricedModels.length ? `${usd(knownCost)} + unknown price` : usd(knownCost),
        ]);
      }
      blocks.push({
        type: 'table',
        columns: ['Workspace', 'Model', 'Turns', 'Input', 'Output', 'Cache read', 'Cache write', 'Est. cost (USD)'],
        rows: table,
      });
    }
    if (budget !== undefined)
      blocks.push({ type: 'context', text: budgetLine(budget, usedHere, period, ctx, allWorkspaces) });
    blocks.push({
      type: 'context',
      text: `${modelLine(model)} Costs are estimates from Anthropic’s list prices, not an invoice.`,
    });

    const totalTokens = tokensOf(totals);
    const text =
      rows.length === 0
        ? `No LLM usage in ${scope} ${period}.`
        : `LLM usage ${month}: ${count(totalTokens)} tokens in ${plural(turns, 'turn')}` +
          (unpricedModels.length ? '.' : `, est. $${usd(knownCost)}.`);
    return {
      type: 'answer',
      reply: reply(blocks, { text }),
      data: {
        month,
        scope: allWorkspaces ? 'all' : 'workspace',
        workspaceId: ctx.actor.workspaceId,
        rows: priced.map((r) => ({ ...r, estCostUsd: r.estCostUsd === undefined ? null : round6(r.estCostUsd) })),
        totals: {
          ...totals,
          turns,
          totalTokens,
          estCostUsd: unpricedModels.length ? null : round6(knownCost),
          knownCostUsd: round6(knownCost),
          unpricedModels,
        },
        budget:
          budget === undefined
            ? null
            : {
                tokens: budget,
                used: usedHere,
                percent: budget > 0 ? Math.round((usedHere / budget) * 100) : null,
                workspaceId: ctx.actor.workspaceId,
              },
        model: model ?? null,
      },
    };
  },
});

export const usageTools = (d: UsageToolDeps): Tool[] => [usageTool(d)];
