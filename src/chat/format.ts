/** Presentation helpers shared by every capability's replies (surface-neutral). */

// One formatter for every call: toLocaleString builds a new one each time (~2% of a busy turn's CPU).
const dollars = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** `$1,234.56` from integer cents. */
export const formatMoney = (cents: number): string =>
  `${cents < 0 ? '−' : ''}$${dollars.format(Math.abs(cents) / 100)}`;

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** `a viewer`, `an operator`: a word with its indefinite article. */
export const withArticle = (word: string): string => `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
