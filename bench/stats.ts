/** Small helpers for the benchmark scripts: percentiles and a fixed-width table. */
export const percentile = (sorted: number[], p: number): number => {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
};

export const summarize = (samplesMs: number[]) => {
  const s = [...samplesMs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
  };
};

export const ms = (n: number): string => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

/** Runs `task` `total` times with at most `concurrency` at once; returns each run's duration in ms. */
export const runPool = async (
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number[]> => {
  const times: number[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const t0 = performance.now();
      await task(i);
      times.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return times;
};
