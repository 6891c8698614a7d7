/**
 * "Did you mean …" support for the command grammar: a small edit distance and a closest-match
 * picker whose tolerance grows with the word, so `lst` finds `list` but `ok` does not find `stop`.
 */

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export const editDistance = (a: string, b: string): number => {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows keep this O(min) in memory; inputs are capped by the parser anyway.
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] ?? Math.max(a.length, b.length);
};

/** How many edits still count as a typo of a word this long. */
export const typoBudget = (length: number): number => (length <= 2 ? 0 : length <= 4 ? 1 : length <= 8 ? 2 : 3);

/**
 * The candidate closest to `word` within its typo budget, or undefined. Ties go to the earlier
 * candidate, so callers list safer (read-only) words first.
 */
export const closest = (
  word: string,
  candidates: readonly string[],
  budget = typoBudget(word.length),
): string | undefined => {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const c of candidates) {
    // Cheap length bound first: the distance is at least the length difference.
    if (Math.abs(c.length - w.length) >= bestDistance) continue;
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
};
