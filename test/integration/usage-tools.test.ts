import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Role } from '../../src/chat/actor.ts';
import { Reply } from '../../src/chat/reply.ts';
import type { ToolContext } from '../../src/tools/tool.ts';
import { recordUsage, type UsageRecord } from '../../src/usage/repository.ts';
import { usageTool, usageTools, type UsageToolDeps } from '../../src/usage/tools.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';

/** The `usage` tool on a real database: role scoping, the month asked for, prices, budget and empty months. */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
  const rows: Array<Partial<UsageRecord> & Pick<UsageRecord, 'workspaceId' | 'createdAt'>> = [
    { workspaceId: 'T1', createdAt: new Date('2026-12-01T08:00:00Z'), inputTokens: 1_000_000, outputTokens: 200_000 },
    { workspaceId: 'T1', createdAt: new Date('2026-12-01T09:00:00Z'), inputTokens: 234_567, outputTokens: 0 },
    {
      workspaceId: 'T1',
      createdAt: new Date('2026-12-02T09:00:00Z'),
      model: 'claude-mystery-1',
      inputTokens: 10,
      outputTokens: 10,
    },
    { workspaceId: 'T2', createdAt: new Date('2026-12-01T10:00:00Z'), inputTokens: 500, outputTokens: 50 },
    // November, T1: only `usage 2026-11` sees it.
    {
      workspaceId: 'T1',
      createdAt: new Date('2026-11-30T23:59:59.999Z'),
      model: 'claude-haiku-4-5',
      inputTokens: 4_000_000,
      outputTokens: 0,
      cacheReadTokens: 1_000_000,
      cacheWriteTokens: 0,
    },
  ];
  for (const r of rows) {
    await recordUsage(store.db, {
      surface: 'slack',
      actorKey: `slack:${r.workspaceId}:U1`,
      model: 'claude-sonnet-5-5',
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      ...r,
    });
  }
}, testStoreTimeoutMs);
afterAll(() => store?.dispose());

const now = new Date('2026-12-15T12:00:00Z');
const ctx = (role: Role, workspaceId = 'T1'): ToolContext => ({
  actor: { surface: 'slack', workspaceId, userId: 'U1', displayName: 'Uma' },
  role,
  conversation: { surface: 'slack', workspaceId, channelId: 'C1' },
  now,
});

type Table = { columns: string[]; rows: string[][] };
const run = async (deps: Partial<UsageToolDeps>, input: { month?: string }, c: ToolContext) => {
  const tool = usageTool({ db: store.db, ...deps });
  const out = await tool.run(tool.input.parse(input), c);
  if (out.type !== 'answer') throw new Error('expected an answer');
  expect(Reply.parse(out.reply)).toEqual(out.reply);
  const table = out.reply.blocks.find((b) => b.type === 'table') as Table | undefined;
  const context = out.reply.blocks.filter((b) => b.type === 'context').map((b) => (b as { text: string }).text);
  return { reply: out.reply, table, context, data: out.data as Record<string, unknown> };
};

describe('the usage tool', () => {
  test('is one read tool for viewers, offered to an LLM, whose month is YYYY-MM', () => {
    const tools = usageTools({ db: store.db });
    expect(tools.map((t) => [t.name, t.kind, t.minRole, t.llm])).toEqual([['usage', 'read', 'viewer', true]]);
    const input = tools[0]!.input;
    expect(input.safeParse({}).success).toBe(true);
    expect(input.safeParse({ month: '2026-11' }).success).toBe(true);
    expect(input.safeParse({ month: 'November' }).success).toBe(false);
    expect(input.safeParse({ month: '2026-13' }).success).toBe(false);
  });

  test('a viewer sees this month of their own workspace only, with an unknown price shown as such', async () => {
    const { reply, table, data } = await run({}, {}, ctx('viewer'));
    expect(reply.blocks[0]).toEqual({ type: 'header', text: 'LLM usage 2026-12 (UTC), this workspace' });
    expect(table?.columns).toEqual([
      'Workspace',
      'Model',
      'Turns',
      'Input',
      'Output',
      'Cache read',
      'Cache write',
      'Est. cost (USD)',
    ]);
    expect(table?.rows).toEqual([
      ['T1', 'claude-mystery-1', '1', '10', '10', '0', '0', 'unknown price'],
      // 1,234,567 input × $2 + 200,000 output × $10 per million = $2.469134 + $2 = $4.47
      ['T1', 'claude-sonnet-5-5', '2', '1,234,567', '200,000', '0', '0', '4.47'],
      ['Total', '', '3', '1,234,577', '200,010', '0', '0', '4.47 + unknown price'],
    ]);
    expect(table?.rows.some((r) => r[0] === 'T2')).toBe(false);
    expect(data).toMatchObject({
      month: '2026-12',
      scope: 'workspace',
      workspaceId: 'T1',
      totals: { turns: 3, totalTokens: 1_434_587, estCostUsd: null, unpricedModels: ['claude-mystery-1'] },
      budget: null,
      model: null,
    });
    expect((data.rows as Array<{ estCostUsd: number | null }>).map((r) => r.estCostUsd)).toEqual([null, 4.469134]);
    expect(reply.text).toBe('LLM usage 2026-12: 1,434,587 tokens in 3 turns.');
  });

  test('an operator or approver is scoped like a viewer; an admin sees every workspace', async () => {
    for (const role of ['operator', 'approver'] as const) {
      const { table } = await run({}, {}, ctx(role, 'T2'));
      expect(table?.rows).toEqual([['T2', 'claude-sonnet-5-5', '1', '500', '50', '0', '0', '<0.01']]);
    }
    const { reply, table, data } = await run({}, {}, ctx('admin', 'T2'));
    expect(reply.blocks[0]).toEqual({ type: 'header', text: 'LLM usage 2026-12 (UTC), all workspaces' });
    expect(table?.rows.map((r) => [r[0], r[1]])).toEqual([
      ['T1', 'claude-mystery-1'],
      ['T1', 'claude-sonnet-5-5'],
      ['T2', 'claude-sonnet-5-5'],
      ['Total', ''],
    ]);
    expect(data.scope).toBe('all');
  });

  test('another month on request; prices per model; no total row for a single row', async () => {
    const { table, data, reply } = await run({}, { month: '2026-11' }, ctx('viewer'));
    // Haiku 4.5: 4M input × $1 + 1M cache read × $0.10 = $4.10.
    expect(table?.rows).toEqual([['T1', 'claude-haiku-4-5', '1', '4,000,000', '0', '1,000,000', '0', '4.10']]);
    expect(data.totals).toMatchObject({ estCostUsd: 4.1, totalTokens: 5_000_000 });
    expect(reply.text).toBe('LLM usage 2026-11: 5,000,000 tokens in 1 turn, est. $4.10.');
  });

  test('the budget line is for the asker’s workspace, in tokens of every kind', async () => {
    const budget = { budgetTokens: () => 5_000_000, model: () => 'claude-sonnet-5-5' };
    const viewer = await run(budget, {}, ctx('viewer'));
    expect(viewer.context[0]).toBe('Budget: 1,434,587 of 5,000,000 tokens this month (29%).');
    expect(viewer.context[1]).toMatch(/^The LLM planner uses `claude-sonnet-5-5` \(list price \$2 input, \$10 output/);
    expect(viewer.data.budget).toEqual({ tokens: 5_000_000, used: 1_434_587, percent: 29, workspaceId: 'T1' });
    expect(viewer.data.model).toBe('claude-sonnet-5-5');

    const admin = await run(budget, {}, ctx('admin', 'T2'));
    expect(admin.context[0]).toBe(
      'Budget for T2: 550 of 5,000,000 tokens this month (0%); every workspace has its own.',
    );

    const past = await run({ budgetTokens: () => 4_000_000 }, { month: '2026-11' }, ctx('viewer'));
    expect(past.context[0]).toBe('Budget: 5,000,000 of 4,000,000 tokens in 2026-11 (125%, over budget).');
  });

  test('no budget line without a budget; the model line says when no LLM planner is configured', async () => {
    const { context } = await run({ budgetTokens: () => undefined, model: () => undefined }, {}, ctx('viewer'));
    expect(context.some((t) => t.startsWith('Budget'))).toBe(false);
    expect(context.join(' ')).toMatch(/No LLM planner is configured/);
    const unknown = await run({ model: () => 'claude-mystery-1' }, {}, ctx('viewer'));
    expect(unknown.context.join(' ')).toContain('`claude-mystery-1` (unknown price)');
  });

  test('says clearly when there is no usage yet, with the budget still shown', async () => {
    const { reply, table, data } = await run({ budgetTokens: () => 1_000 }, {}, ctx('viewer', 'T-new'));
    expect(table).toBeUndefined();
    expect(reply.blocks).toContainEqual({
      type: 'text',
      text: 'No LLM usage recorded in this workspace this month yet.',
    });
    expect(reply.blocks).toContainEqual({ type: 'context', text: 'Budget: 0 of 1,000 tokens this month (0%).' });
    expect(data).toMatchObject({ rows: [], totals: { turns: 0, totalTokens: 0, estCostUsd: 0 } });
    const past = await run({}, { month: '2025-01' }, ctx('admin'));
    expect(past.reply.blocks).toContainEqual({
      type: 'text',
      text: 'No LLM usage recorded in all workspaces in 2025-01.',
    });
  });
});
