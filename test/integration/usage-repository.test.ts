import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { llmUsage } from '../../src/usage/schema.ts';
import {
  monthStart,
  nextMonthStart,
  recordUsage,
  usageByWorkspace,
  workspaceTokensSince,
  type UsageRecord,
} from '../../src/usage/repository.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';

/** The usage table on a real database (PGlite, or DATABASE_URL's server): sums, scoping and month edges. */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(() => store?.dispose());

const row = (over: Partial<UsageRecord> & Pick<UsageRecord, 'workspaceId' | 'createdAt'>): UsageRecord => ({
  surface: 'slack',
  actorKey: `slack:${over.workspaceId}:U1`,
  conversationId: `slack:${over.workspaceId}:C1:`,
  model: 'claude-sonnet-5-5',
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  ...over,
});

const at = (iso: string) => new Date(iso);
const november = { since: at('2026-11-01T00:00:00.000Z'), until: at('2026-12-01T00:00:00.000Z') };
const december = { since: at('2026-12-01T00:00:00.000Z'), until: at('2027-01-01T00:00:00.000Z') };

beforeAll(async () => {
  const rows: UsageRecord[] = [
    // W1, November: two sonnet turns, one haiku turn, and one on the very last millisecond.
    row({ workspaceId: 'W1', createdAt: at('2026-11-01T00:00:00.000Z'), inputTokens: 100, outputTokens: 10 }),
    row({
      workspaceId: 'W1',
      createdAt: at('2026-11-15T09:30:00.000Z'),
      inputTokens: 200,
      outputTokens: 20,
      cacheReadTokens: 1000,
      cacheWriteTokens: 500,
    }),
    row({
      workspaceId: 'W1',
      createdAt: at('2026-11-20T10:00:00.000Z'),
      model: 'claude-haiku-4-5',
      inputTokens: 7,
      outputTokens: 3,
    }),
    row({ workspaceId: 'W1', createdAt: at('2026-11-30T23:59:59.999Z'), inputTokens: 1, outputTokens: 1 }),
    // W1, December: the first instant belongs to December, not November.
    row({ workspaceId: 'W1', createdAt: at('2026-12-01T00:00:00.000Z'), inputTokens: 5000, outputTokens: 50 }),
    // W2 in November, from the console, without a conversation.
    row({
      workspaceId: 'W2',
      surface: 'console',
      actorKey: 'console:W2:alice',
      conversationId: null,
      createdAt: at('2026-11-10T00:00:00.000Z'),
      inputTokens: 30,
      outputTokens: 3,
    }),
    // October: outside every range below.
    row({ workspaceId: 'W1', createdAt: at('2026-10-31T23:59:59.999Z'), inputTokens: 999_999, outputTokens: 1 }),
  ];
  for (const r of rows) await recordUsage(store.db, r);
});

describe('recordUsage', () => {
  test('writes one row as given, with a default of now() for created_at', async () => {
    const before = await store.db.select().from(llmUsage);
    expect(before).toHaveLength(7);
    const w2 = before.find((r) => r.workspaceId === 'W2')!;
    expect(w2).toMatchObject({ surface: 'console', actorKey: 'console:W2:alice', conversationId: null });

    const t0 = Date.now();
    await recordUsage(store.db, {
      workspaceId: 'W3',
      surface: 'teams',
      actorKey: 'teams:W3:u',
      model: 'claude-opus-5',
      inputTokens: 1,
      outputTokens: 2,
      cacheReadTokens: 3,
      cacheWriteTokens: 4,
    });
    const all = await store.db.select().from(llmUsage);
    const w3 = all.find((r) => r.workspaceId === 'W3')!;
    expect(w3).toMatchObject({ conversationId: null, inputTokens: 1, cacheWriteTokens: 4 });
    // The database's clock, not ours: within a generous minute of the test's.
    expect(Math.abs(w3.createdAt.getTime() - t0)).toBeLessThan(60_000);
  });

  test('refuses a token count the provider got wrong, and writes nothing', async () => {
    const count = (await store.db.select().from(llmUsage)).length;
    await expect(
      recordUsage(store.db, row({ workspaceId: 'W9', createdAt: at('2026-11-02T00:00:00Z'), inputTokens: -5 })),
    ).rejects.toThrow();
    await expect(
      recordUsage(store.db, row({ workspaceId: 'W9', createdAt: at('2026-11-02T00:00:00Z'), outputTokens: 0.5 })),
    ).rejects.toThrow();
    expect((await store.db.select().from(llmUsage)).length).toBe(count);
  });
});

describe('usageByWorkspace', () => {
  test('sums per workspace and model over [since, until), ordered', async () => {
    expect(await usageByWorkspace(store.db, november)).toEqual([
      {
        workspaceId: 'W1',
        model: 'claude-haiku-4-5',
        inputTokens: 7,
        outputTokens: 3,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        turns: 1,
      },
      {
        workspaceId: 'W1',
        model: 'claude-sonnet-5-5',
        inputTokens: 301,
        outputTokens: 31,
        cacheReadTokens: 1000,
        cacheWriteTokens: 500,
        turns: 3,
      },
      {
        workspaceId: 'W2',
        model: 'claude-sonnet-5-5',
        inputTokens: 30,
        outputTokens: 3,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        turns: 1,
      },
    ]);
  });

  test('one workspace only when asked', async () => {
    const w2 = await usageByWorkspace(store.db, { ...november, workspaceId: 'W2' });
    expect(w2.map((r) => [r.workspaceId, r.turns])).toEqual([['W2', 1]]);
    expect(await usageByWorkspace(store.db, { ...november, workspaceId: 'nobody' })).toEqual([]);
  });

  test('the first instant of a month belongs to that month, the last millisecond to the one before', async () => {
    const dec = await usageByWorkspace(store.db, { ...december, workspaceId: 'W1' });
    expect(dec).toEqual([expect.objectContaining({ model: 'claude-sonnet-5-5', inputTokens: 5000, turns: 1 })]);
    const oct = await usageByWorkspace(store.db, {
      since: at('2026-10-01T00:00:00Z'),
      until: at('2026-11-01T00:00:00Z'),
      workspaceId: 'W1',
    });
    expect(oct).toEqual([expect.objectContaining({ inputTokens: 999_999, turns: 1 })]);
  });
});

describe('workspaceTokensSince (what the budget counts)', () => {
  test('adds input, output, cache reads and cache writes from `since` on', async () => {
    const since = monthStart(at('2026-11-18T12:00:00Z'));
    expect(since.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    // November's W1 rows (110 + 1720 + 10 + 2) and December's (5050); October's is before `since`.
    expect(await workspaceTokensSince(store.db, 'W1', since)).toBe(110 + 1720 + 10 + 2 + 5050);
    expect(await workspaceTokensSince(store.db, 'W1', nextMonthStart(since))).toBe(5050);
    expect(await workspaceTokensSince(store.db, 'W2', since)).toBe(33);
    expect(await workspaceTokensSince(store.db, 'nobody', since)).toBe(0);
  });

  test('sums past the range of one integer column', async () => {
    const max = 2_147_483_647;
    await recordUsage(store.db, {
      workspaceId: 'BIG',
      surface: 'slack',
      actorKey: 'slack:BIG:U1',
      model: 'claude-opus-5',
      inputTokens: max,
      outputTokens: max,
      cacheReadTokens: max,
      cacheWriteTokens: max,
      createdAt: at('2026-11-05T00:00:00Z'),
    });
    expect(await workspaceTokensSince(store.db, 'BIG', november.since)).toBe(4 * max);
    const [big] = await usageByWorkspace(store.db, { ...november, workspaceId: 'BIG' });
    expect(big?.inputTokens).toBe(max);
  });
});
