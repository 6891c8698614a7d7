import { formatMoney } from '../../chat/format.ts';

/** How the views write numbers, money, shares, times and durations (English, UTC). */

const counts = new Intl.NumberFormat('en-US');

/** `12,340`. */
export const count = (n: number): string => counts.format(n);

/** `$12,340.50` from integer cents. */
export const money = (cents: number): string => formatMoney(cents);

/** `87 %`; `–` when there is nothing to score. */
export const percent = (n: number | null): string => (n === null ? '–' : `${Math.round(n)} %`);

/** `+4.2 %` / `−3.0 %`: a relative change with its sign. */
export const signedPercent = (ratio: number): string => `${ratio < 0 ? '−' : '+'}${Math.abs(ratio * 100).toFixed(1)} %`;

/** `2026-12-01 12:00 UTC`. */
export const when = (d: Date | null | undefined): string =>
  d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '–';

/** `2026-12-01`. */
export const day = (d: Date): string => d.toISOString().slice(0, 10);

/** `31 Dec`: a day as the forecast names it. */
export const shortDay = (d: Date): string =>
  `${d.getUTCDate()} ${d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })}`;

/** `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`; `–` when unknown. */
export const duration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
};

/** Dates from the driver come as Date (pg) or as text (some raw rows): one Date either way. */
export const asDate = (v: Date | string | null | undefined): Date | null =>
  v === null || v === undefined ? null : v instanceof Date ? v : new Date(v);
