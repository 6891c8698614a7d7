import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { recordUsage } from '../../src/usage/repository.ts';
import { startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';

/**
 * `usage` end to end over the console API: recorded LLM usage, read back through the rule grammar,
 * the registry's role checks and the usage tool, on the app's own clock (fixed, so the month is too).
 */
let app: TestApp;
const now = new Date('2026-11-20T12:00:00.000Z');
beforeAll(async () => {
  app = await startTestApp({}, { now: () => now });
  const base = {
    surface: 'console' as const,
    model: 'claude-sonnet-5-5',
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
  await recordUsage(app.store.db, {
    ...base,
    workspaceId: 'console',
    actorKey: 'console:console:alice',
    conversationId: 'console:console:main:',
    inputTokens: 400_000,
    outputTokens: 20_000,
    cacheReadTokens: 1_000_000,
    createdAt: new Date('2026-11-03T09:00:00.000Z'),
  });
  await recordUsage(app.store.db, {
    ...base,
    workspaceId: 'console',
    actorKey: 'console:console:bob',
    inputTokens: 100_000,
    createdAt: new Date('2026-10-31T23:59:59.000Z'),
  });
  // Another workspace of the same deployment (a Slack team): only an admin's report shows it.
  await recordUsage(app.store.db, {
    ...base,
    workspaceId: 'T9',
    surface: 'slack',
    actorKey: 'slack:T9:U1',
    model: 'claude-haiku-4-5',
    inputTokens: 60_000,
    outputTokens: 6_000,
    createdAt: new Date('2026-11-10T00:00:00.000Z'),
  });
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

type Table = { columns: string[]; rows: string[][] };
const tableOf = (r: ReplyLike | undefined): Table | undefined =>
  r?.blocks.find((b) => b.type === 'table') as unknown as Table | undefined;

describe('usage over the console API', () => {
  it('a viewer sees this month of their own workspace, with an estimated cost', async () => {
    const [r] = await turn(app, 'dave', 'usage');
    expect(r?.blocks[0]).toEqual({ type: 'header', text: 'LLM usage 2026-11 (UTC), this workspace' });
    // 400k input × $2 + 20k output × $10 + 1M cache read × $0.20 per million = $0.80 + $0.20 + $0.20.
    expect(tableOf(r)?.rows).toEqual([
      ['console', 'claude-sonnet-5-5', '1', '400,000', '20,000', '1,000,000', '0', '1.20'],
    ]);
    expect(r?.text).toBe('LLM usage 2026-11: 1,420,000 tokens in 1 turn, est. $1.20.');
    // Not configured yet in app.ts: no budget line, and the report says no LLM planner is set.
    expect(r?.blocks.some((b) => b.type === 'context' && b.text?.startsWith('Budget'))).toBe(false);
    expect(r?.sandbox).toBe(true);
  });

  it('an admin sees every workspace of the deployment', async () => {
    const [r] = await turn(app, 'carol', 'usage');
    expect(r?.blocks[0]?.text).toBe('LLM usage 2026-11 (UTC), all workspaces');
    expect(tableOf(r)?.rows.map((row) => [row[0], row[1], row[7]])).toEqual([
      // 60k × $1 + 6k × $5 per million = $0.09. Byte order: upper case first.
      ['T9', 'claude-haiku-4-5', '0.09'],
      ['console', 'claude-sonnet-5-5', '1.20'],
      ['Total', '', '1.29'],
    ]);
  });

  it('another month by name; an empty one says so; a wrong one gets the usage line', async () => {
    const [oct] = await turn(app, 'dave', 'usage 2026-10');
    expect(tableOf(oct)?.rows).toEqual([['console', 'claude-sonnet-5-5', '1', '100,000', '0', '0', '0', '0.20']]);

    const [empty] = await turn(app, 'alice', 'usage for 2026-09');
    expect(tableOf(empty)).toBeUndefined();
    expect(empty?.blocks).toContainEqual({
      type: 'text',
      text: 'No LLM usage recorded in this workspace in 2026-09.',
    });

    const [bad] = await turn(app, 'alice', 'usage nonsense');
    expect(bad?.text).toBe(
      '“nonsense” is not a month. Give one month, like 2026-11, or nothing for this month.\nusage: usage [YYYY-MM] — e.g. `usage 2026-11`',
    );
  });
});
