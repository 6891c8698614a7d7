import type { TokenUsage } from './repository.ts';

/** List price of one model in US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Writing the prompt cache with the 5-minute lifetime (a 1-hour write costs more). */
  cacheWrite: number;
  cacheRead: number;
}

/**
 * Anthropic's list prices as of 2026-12, in USD per million tokens. Check them against
 * https://www.anthropic.com/pricing (the API section) when a model is added or prices change;
 * they are estimates for people reading the `usage` report, never an invoice: discounts,
 * batch pricing and 1-hour cache writes are not modelled.
 */
const PRICES: ReadonlyMap<string, ModelPrice> = new Map([
  ['claude-sonnet-5-5', { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 }],
  ['claude-sonnet-5', { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 }],
  ['claude-opus-5-5', { input: 4, output: 20, cacheWrite: 5, cacheRead: 0.4 }],
  ['claude-opus-5', { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 }],
  ['claude-haiku-4-5', { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 }],
  ['claude-haiku-5-5', { input: 0.1, output: 0.5, cacheWrite: 0.125, cacheRead: 0.01 }],
]);

/** A dated snapshot id (`claude-haiku-4-5-20251001`, what the API reports for an alias) is priced as its model. */
const DATED = /^(.+)-\d{8}$/;

/** The model's list price, or undefined when we do not know it (shown as "unknown price", never guessed). */
export const priceOf = (model: string): ModelPrice | undefined => {
  const name = model.trim().toLowerCase();
  return PRICES.get(name) ?? PRICES.get(DATED.exec(name)?.[1] ?? '');
};

/** The models with a known price, for tests and documentation. */
export const pricedModels = (): string[] => [...PRICES.keys()];

/** Estimated cost in USD of the tokens one model processed, or undefined for a model without a known price. */
export const estimateCostUsd = (model: string, usage: TokenUsage): number | undefined => {
  const p = priceOf(model);
  if (!p) return undefined;
  return (
    (usage.inputTokens * p.input +
      usage.outputTokens * p.output +
      usage.cacheWriteTokens * p.cacheWrite +
      usage.cacheReadTokens * p.cacheRead) /
    1_000_000
  );
};
