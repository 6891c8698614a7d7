import { describe, expect, test } from '@jest/globals';
import { monthOf, monthRange, monthStart, nextMonthStart, UsageMonth } from '../../src/usage/month.ts';
import { estimateCostUsd, priceOf, pricedModels } from '../../src/usage/prices.ts';
import { TokenUsage, UsageRecord, tokensOf } from '../../src/usage/repository.ts';

const million = (n: number) => n * 1_000_000;
const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0): TokenUsage => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cacheRead,
  cacheWriteTokens: cacheWrite,
});

describe('list prices (USD per million tokens)', () => {
  test.each([
    ['claude-sonnet-5-5', 2, 10, 2.5, 0.2],
    ['claude-sonnet-5', 2, 10, 2.5, 0.2],
    ['claude-opus-5-5', 4, 20, 5, 0.4],
    ['claude-opus-5', 5, 25, 6.25, 0.5],
    ['claude-haiku-4-5', 1, 5, 1.25, 0.1],
    ['claude-haiku-5-5', 0.1, 0.5, 0.125, 0.01],
  ])('%s: %s in, %s out, %s cache write, %s cache read', (model, input, output, cacheWrite, cacheRead) => {
    expect(priceOf(model)).toEqual({ input, output, cacheWrite, cacheRead });
    // One million of each kind costs the four prices added up.
    expect(estimateCostUsd(model, usage(million(1), million(1), million(1), million(1)))).toBeCloseTo(
      input + output + cacheWrite + cacheRead,
      10,
    );
  });

  test('every kind of token is priced at its own rate', () => {
    expect(estimateCostUsd('claude-sonnet-5-5', usage(500_000, 0))).toBeCloseTo(1, 10);
    expect(estimateCostUsd('claude-sonnet-5-5', usage(0, 100_000))).toBeCloseTo(1, 10);
    expect(estimateCostUsd('claude-sonnet-5-5', usage(0, 0, 5_000_000))).toBeCloseTo(1, 10);
    expect(estimateCostUsd('claude-sonnet-5-5', usage(0, 0, 0, 400_000))).toBeCloseTo(1, 10);
    expect(estimateCostUsd('claude-sonnet-5-5', usage(0, 0))).toBe(0);
  });

  test('an unknown model has no price: undefined, never a made-up figure', () => {
    expect(priceOf('claude-unknown-9')).toBeUndefined();
    expect(estimateCostUsd('claude-unknown-9', usage(1000, 1000))).toBeUndefined();
    expect(estimateCostUsd('gpt-4o', usage(1000, 1000))).toBeUndefined();
    // Object prototype names are not models.
    expect(priceOf('constructor')).toBeUndefined();
    expect(priceOf('toString')).toBeUndefined();
  });

  test('a dated snapshot id is priced as its model; other suffixes are not guessed', () => {
    expect(priceOf('claude-haiku-4-5-20251001')).toEqual(priceOf('claude-haiku-4-5'));
    expect(priceOf('Claude-Opus-5')).toEqual(priceOf('claude-opus-5'));
    expect(priceOf('claude-opus-5-latest')).toBeUndefined();
    expect(priceOf('claude-opus-5-2026')).toBeUndefined();
  });

  test('lists the priced models', () => {
    expect(pricedModels()).toHaveLength(6);
  });
});

describe('UTC months', () => {
  test.each([
    ['2026-11-15T12:00:00.000Z', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-11'],
    ['2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-11'],
    ['2026-11-30T23:59:59.999Z', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-11'],
    ['2026-12-31T23:59:59.999Z', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', '2026-12'],
    ['2028-02-29T08:00:00.000Z', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z', '2028-02'],
  ])('%s is in [%s, %s), month %s', (now, start, next, month) => {
    expect(monthStart(new Date(now)).toISOString()).toBe(start);
    expect(nextMonthStart(new Date(now)).toISOString()).toBe(next);
    expect(monthOf(new Date(now))).toBe(month);
  });

  test('an instant is placed by its UTC time: 1 Dec 00:30 in Berlin (+01:00) is still November', () => {
    expect(monthOf(new Date('2026-12-01T00:30:00+01:00'))).toBe('2026-11');
  });

  test('monthRange is half-open [first instant, first instant of the next month)', () => {
    expect(monthRange('2026-12')).toEqual({
      since: new Date('2026-12-01T00:00:00.000Z'),
      until: new Date('2027-01-01T00:00:00.000Z'),
    });
    expect(monthRange('2026-01').since.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  test.each(['2026-13', '2026-00', '2026-1', '26-11', '0099-01', 'nonsense', '2026-11-01', ''])(
    'refuses %j as a month',
    (m) => {
      expect(UsageMonth.safeParse(m).success).toBe(false);
      expect(() => monthRange(m)).toThrow();
    },
  );
});

describe('what is recorded', () => {
  const row = {
    workspaceId: 'T1',
    surface: 'slack' as const,
    actorKey: 'slack:T1:U1',
    model: 'claude-sonnet-5-5',
    ...usage(10, 20, 30, 40),
  };

  test('the budget counts every token the model processed', () => {
    expect(tokensOf(usage(10, 20, 30, 40))).toBe(100);
  });

  test('token counts are non-negative integers', () => {
    expect(UsageRecord.safeParse(row).success).toBe(true);
    expect(UsageRecord.safeParse({ ...row, conversationId: null }).success).toBe(true);
    expect(UsageRecord.safeParse({ ...row, inputTokens: -1 }).success).toBe(false);
    expect(UsageRecord.safeParse({ ...row, outputTokens: 1.5 }).success).toBe(false);
    expect(UsageRecord.safeParse({ ...row, cacheReadTokens: Number.NaN }).success).toBe(false);
    expect(UsageRecord.safeParse({ ...row, cacheWriteTokens: 2 ** 31 }).success).toBe(false);
    expect(UsageRecord.safeParse({ ...row, model: '' }).success).toBe(false);
    expect(UsageRecord.safeParse({ ...row, surface: 'irc' }).success).toBe(false);
  });
});
