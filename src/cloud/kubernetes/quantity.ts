/**
 * Kubernetes resource quantities ("250m", "1.5", "512Mi", "1e3", "100Gi") as numbers, so requests,
 * capacity and usage can be compared and summed. CPU is reported in millicores, memory and storage
 * in bytes. Unparseable text gives undefined, never a guess.
 */

const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The quantity in base units (cores, bytes), or undefined when it is not a quantity. */
export const parseQuantity = (q: string | number | undefined | null): number | undefined => {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  return n * suffixes[m[3] ?? '']!;
};

/** CPU in whole millicores ("250m" → 250, "2" → 2000, "1500000n" → 2 rounded up from 1.5). */
export const cpuMillicores = (q: string | number | undefined | null): number | undefined => {
  const v = parseQuantity(q);
  return v === undefined ? undefined : Math.ceil(Math.round(v * 1e6) / 1e3);
};

/** Memory or storage in whole bytes. */
export const bytes = (q: string | number | undefined | null): number | undefined => {
  const v = parseQuantity(q);
  return v === undefined ? undefined : Math.ceil(v);
};
